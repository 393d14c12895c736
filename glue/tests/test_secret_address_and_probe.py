"""RDS-managed secrets (username and password only, the address given beside them) and the probe run
`floe aws verify` starts, against moto's Secrets Manager and S3 and the real local databases.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import MYSQL_HOST, MYSQL_PORT, Database, MySQL, Postgres
from test_s3_and_secrets import (  # noqa: F401 - module-scoped moto fixtures, shared
    SECRET_PASSWORD,
    SECRET_USER,
    all_objects,
    aws,
    make_people,
    run_s3_job,
    s3,
    secrets,
    unique,
)

from floe_extract.probe import main as probe
from floe_extract.probe import probe_key


def rds_managed_secret(client: Any) -> str:
    """A secret as RDS manages it: `rds!db-…`, holding only username and password."""
    secret_id = unique("rds!db-0f3c9a1e")
    value = json.dumps({"username": SECRET_USER, "password": SECRET_PASSWORD})
    client.create_secret(Name=secret_id, SecretString=value)
    return secret_id


def test_an_rds_managed_secret_connects_with_the_address_given_beside_it(
    aws: str, s3: Any, secrets: Any, mysql_db: MySQL, table_name: str, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    # Prepare
    make_people(mysql_db, table_name)
    mysql_db.execute(f"DROP USER IF EXISTS '{SECRET_USER}'@'%'")
    mysql_db.execute(f"CREATE USER '{SECRET_USER}'@'%' IDENTIFIED BY '{SECRET_PASSWORD}'")
    mysql_db.execute(f"GRANT SELECT ON floe_test.* TO '{SECRET_USER}'@'%'")
    secret_id = rds_managed_secret(secrets)
    bucket = unique("floe-raw")
    s3.create_bucket(Bucket=bucket)
    try:
        # Act
        result = run_s3_job(
            capsys, mysql_db, table_name, f"s3://{bucket}/raw", "run-rds",
            connection=f"secretsmanager:{secret_id}?host={MYSQL_HOST}&port={MYSQL_PORT}&dbname=floe_test",
            mode="full", primary_key="id",
        )
    finally:
        mysql_db.execute(f"DROP USER IF EXISTS '{SECRET_USER}'@'%'")
    # Assess
    assert result.exit_code == 0, result.stderr
    assert json.loads(all_objects(s3, bucket)["raw/_manifests/run-rds.json"])["totalRows"] == 3
    assert SECRET_PASSWORD not in result.stdout + result.stderr


def test_an_rds_managed_secret_without_an_address_fails_saying_where_to_give_it(
    aws: str, secrets: Any, postgres: Postgres, table_name: str, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    # Prepare
    secret_id = rds_managed_secret(secrets)
    # Act
    connection = f"secretsmanager:{secret_id}"
    result = run_s3_job(capsys, postgres, table_name, "/tmp/unused", "run-rds-bare", connection=connection)
    # Assess
    said = result.stdout + result.stderr
    assert result.exit_code == 2
    assert "has no host and dbname (an RDS-managed secret holds only username and password)" in said
    assert "floe:sourceSecrets.<source>.host" in said


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_a_probe_reaches_the_source_and_the_raw_bucket_and_says_so(
    aws: str, s3: Any, engine: str, request: pytest.FixtureRequest, table_name: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Prepare
    db: Database = request.getfixturevalue("postgres" if engine == "postgres" else "mysql_db")
    make_people(db, table_name)
    bucket = unique("floe-raw")
    s3.create_bucket(Bucket=bucket)
    argv = ["--probe", "true", "--run-id", f"probe-{engine}", "--engine", engine, "--connection", db.url,
            "--table", f"floe_test.{table_name}", "--raw-root", f"s3://{bucket}/raw"]
    # Act
    code = probe(argv)
    # Assess: every step passed, the marker is gone, the outcome is where floe aws verify reads it
    assert code == 0, capsys.readouterr().out
    objects = all_objects(s3, bucket)
    assert list(objects) == [f"raw/{probe_key(f'probe-{engine}')}"]
    outcome = json.loads(objects[f"raw/{probe_key(f'probe-{engine}')}"])
    assert outcome["ok"] is True
    assert [step["step"] for step in outcome["steps"]] == ["secret", "source", "raw bucket"]
    assert "its SELECT ran (0 rows asked for and read)" in outcome["steps"][1]["detail"]
    # and what reads the rows in this process: the C loops
    readers = {
        "postgres": "COPY rows arrive in binary and go into Arrow through the C extension",
        "mysql": "into Arrow by floe's C extension",
    }
    reader = readers[engine]
    assert outcome["steps"][1]["detail"].endswith(reader)


def test_a_probe_that_cannot_reach_the_source_says_which_step_failed_and_why(
    aws: str, s3: Any, postgres: Postgres, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    # Prepare: a port nothing listens on, as a security group that drops the job's packets would look
    bucket = unique("floe-raw")
    s3.create_bucket(Bucket=bucket)
    argv = ["--probe", "true", "--run-id", "probe-closed", "--engine", "postgres",
            "--connection", "postgresql://floe:Pw-probe-SECRET@127.0.0.1:1/db", "--table", "t", "--raw-root", f"s3://{bucket}"]
    # Act
    code = probe(argv)
    # Assess
    assert code == 3
    outcome = json.loads(all_objects(s3, bucket)[probe_key("probe-closed")])
    source, raw = outcome["steps"][1], outcome["steps"][2]
    assert source["ok"] is False and source["error"].startswith("SourceUnavailableError: cannot connect to postgres://floe@127.0.0.1:1/db")
    assert raw["ok"] is True
    assert "Pw-probe-SECRET" not in json.dumps(outcome) + capsys.readouterr().out
