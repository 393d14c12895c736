"""The job log never holds a password, whatever characters it has: redaction happens before JSON
encoding (which rewrites `"` and `\\`) and again on the encoded line."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import MySQL, Runner
from test_failures import make_small

from floe_extract.connection import Redactor
from floe_extract.run_log import RunLog

PASSWORDS = ['pa"ss', "back\\slash", "caf\u00e9-\u5bc6\u7801", 'q"\\\u00e9\\n-NEVER-LOG']


def spellings(secret: str) -> list[str]:
    """The ways a log line could carry the secret: raw, JSON-escaped either way, percent-encoded."""
    return [secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], quote(secret, safe="")]


def log_with(secret: str) -> RunLog:
    redactor = Redactor()
    redactor.add(secret)
    return RunLog({"runId": "r1", "table": "t"}, redactor)


@pytest.mark.parametrize("secret", PASSWORDS)
def test_a_password_in_a_field_is_redacted_before_it_is_encoded(secret: str) -> None:
    # Prepare
    log = log_with(secret)

    # Act
    log.record("error", level="error", message=f"login failed for {secret}", detail={"tried": [secret], secret: 1})

    # Assess
    text = log.text()
    for spelling in spellings(secret):
        assert spelling not in text
    record = json.loads(text)
    assert record["message"] == "login failed for ***"
    assert record["detail"] == {"tried": ["***"], "***": 1}


@pytest.mark.parametrize("secret", PASSWORDS)
def test_a_password_that_arrives_json_escaped_in_an_error_text_is_redacted(secret: str) -> None:
    # Prepare: a driver error quoting a JSON document that holds the password
    log = log_with(secret)
    error_text = f"bad secret document {json.dumps({'password': secret})} and {json.dumps(secret, ensure_ascii=False)}"

    # Act
    log.record("error", level="error", message=error_text)

    # Assess: neither in the line as written nor in the message it decodes to
    message = json.loads(log.text())["message"]
    for spelling in spellings(secret):
        assert spelling not in log.text()
        assert spelling not in message


def test_values_json_cannot_hold_are_logged_as_their_text_redacted() -> None:
    log = log_with('pa"ss')

    log.record("part", path=Path('/raw/pa"ss'), count=3, ratio=0.5, flag=True, nothing=None)

    record = json.loads(log.text())
    assert (record["path"], record["count"], record["ratio"], record["flag"], record["nothing"]) == (
        "/raw/***", 3, 0.5, True, None
    )


def test_a_whole_run_with_a_password_of_quotes_backslashes_and_accents_leaves_it_nowhere(
    mysql_db: MySQL, table_name: str, run_job: Runner
) -> None:
    # Prepare
    password = 'Pw"7\\c1d-\u00e9t\u00e9-NEVER'
    make_small(mysql_db, table_name)
    mysql_db.execute("CREATE USER IF NOT EXISTS 'floe_quoted'@'%%' IDENTIFIED BY %s", (password,))
    mysql_db.execute("ALTER USER 'floe_quoted'@'%%' IDENTIFIED BY %s", (password,))
    mysql_db.execute("GRANT SELECT ON floe_test.* TO 'floe_quoted'@'%%'")
    url = f"mysql://floe_quoted:{quote(password, safe='')}@127.0.0.1:3306/floe_test"

    # Act
    ok = run_job(mysql_db, table_name, connection=url, primary_key="id")
    failed = run_job(mysql_db, "missing_table", connection=url)

    # Assess
    assert ok.exit_code == 0, ok.stderr
    assert failed.exit_code == 4
    files = [p.read_text(errors="replace") for p in ok.raw_root.rglob("*") if p.is_file()]
    outputs = [ok.stderr, failed.stderr, *files]
    for text in outputs:
        for spelling in spellings(password):
            assert spelling not in text
