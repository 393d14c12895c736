"""Connection URL parameters: an allow-list per engine, so no URL can reach a driver keyword that
switches off floe's read-only session (`?autocommit=1` once did) or overrides what floe sets."""

from __future__ import annotations

import inspect

import psycopg
import pytest
from conftest import MySQL, Postgres, Runner
from test_failures import assert_failed_cleanly, make_small

from floe_extract.connection import ALLOWED_PARAMETERS, Redactor, resolve_connection
from floe_extract.errors import JobArgumentError

PG_BASE = "postgresql://u@db.internal:5432/clr"
MYSQL_BASE = "mysql://u@db.internal:3306/clr"


def refusal(url: str, engine: str) -> str:
    with pytest.raises(JobArgumentError) as raised:
        resolve_connection(url, engine, Redactor())
    return raised.value.message


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("autocommit=1", "--connection option 'autocommit' is not supported for PostgreSQL (supported: sslmode, "),
        ("options=-c%20default_transaction_read_only%3Doff", "--connection option 'options' is set by floe"),
        ("replication=database", "--connection option 'replication' is not supported for PostgreSQL"),
        ("client_encoding=LATIN1", "--connection option 'client_encoding' is not supported for PostgreSQL"),
        ("passfile=/etc/passwd", "--connection option 'passfile' is not supported for PostgreSQL"),
        ("sslmode=require&AUTOCOMMIT=on", "--connection option 'AUTOCOMMIT' is not supported for PostgreSQL"),
        ("autocommit=", "--connection option 'autocommit' is not supported for PostgreSQL"),
        ("sslmode=", "--connection option 'sslmode' needs a value"),
    ],
)
def test_a_postgres_url_parameter_off_the_allow_list_is_refused_by_name(query: str, message: str) -> None:
    assert refusal(f"{PG_BASE}?{query}", "postgres").startswith(message)


@pytest.mark.parametrize("keyword", ["autocommit", "row_factory", "prepare_threshold", "cursor_factory", "context"])
def test_no_psycopg_keyword_that_is_not_a_libpq_parameter_can_arrive(keyword: str) -> None:
    # psycopg.connect would take these as its own arguments, not as conninfo.
    assert keyword in inspect.signature(psycopg.Connection.connect).parameters

    assert f"option '{keyword}' is not supported" in refusal(f"{PG_BASE}?{keyword}=1", "postgres")


def test_every_allowed_postgres_parameter_is_a_libpq_key_word_and_none_is_a_psycopg_argument() -> None:
    libpq = {d.keyword.decode() for d in psycopg.pq.Conninfo.get_defaults()}
    psycopg_own = set(inspect.signature(psycopg.Connection.connect).parameters)

    assert set(ALLOWED_PARAMETERS["postgres"]) <= libpq
    assert set(ALLOWED_PARAMETERS["postgres"]) & psycopg_own == set()


def test_tls_keepalive_and_host_selection_parameters_are_accepted() -> None:
    query = "sslmode=require&sslrootcert=system&keepalives_idle=30&tcp_user_timeout=10000&target_session_attrs=any"

    settings = resolve_connection(f"{PG_BASE}?{query}", "postgres", Redactor())

    assert settings.options == {
        "sslmode": "require", "sslrootcert": "system", "keepalives_idle": "30", "tcp_user_timeout": "10000",
        "target_session_attrs": "any",
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("autocommit=0", "--connection option 'autocommit' is set by floe"),
        (
            "allow_local_infile=true",
            "--connection option 'allow_local_infile' is not supported for MySQL (supported: ssl_ca, ",
        ),
        ("ssl_disabled=maybe", "--connection option 'ssl_disabled' takes true or false"),
    ],
)
def test_a_mysql_url_parameter_off_the_allow_list_is_refused_by_name(query: str, message: str) -> None:
    assert refusal(f"{MYSQL_BASE}?{query}", "mysql").startswith(message)


def test_a_run_with_autocommit_in_its_url_is_refused_before_connecting(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    make_small(postgres, table_name)

    result = run_job(postgres, table_name, connection=f"{postgres.url}?autocommit=1")

    assert_failed_cleanly(result, 2, "--connection option 'autocommit' is not supported for PostgreSQL")


def test_a_run_with_options_in_its_url_is_refused_by_name(postgres: Postgres, table_name: str, run_job: Runner) -> None:
    make_small(postgres, table_name)
    options = "options=-c%20default_transaction_read_only%3Doff"

    result = run_job(postgres, table_name, connection=f"{postgres.url}?{options}")

    assert_failed_cleanly(result, 2, "--connection option 'options' is set by floe")


def test_allowed_parameters_reach_libpq(postgres: Postgres, table_name: str, run_job: Runner) -> None:
    # Prepare: this server has no TLS, so `require` fails where libpq tries it and `prefer` falls back.
    make_small(postgres, table_name)

    # Act
    allowed = "sslmode=prefer&keepalives_idle=30&tcp_user_timeout=10000"
    ok = run_job(postgres, table_name, connection=f"{postgres.url}?{allowed}")
    required = run_job(postgres, table_name, connection=f"{postgres.url}?sslmode=require")

    # Assess
    assert ok.exit_code == 0, ok.stderr
    assert [r["id"] for r in ok.rows()] == [1, 2]
    # A TLS refusal is the source refusing floe, which no retry fixes (SourceRefusedError, exit 8).
    assert_failed_cleanly(required, 8, "server does not support SSL")


def test_a_mysql_run_takes_its_tls_flags(mysql_db: MySQL, table_name: str, run_job: Runner) -> None:
    make_small(mysql_db, table_name)

    result = run_job(mysql_db, table_name, connection=f"{mysql_db.url}?ssl_disabled=true")

    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [1, 2]


