"""S3 raw roots and Secrets Manager connections, against a real moto server on loopback.

The job talks to moto exactly as it would to AWS: through boto3, pointed at the
server by `AWS_ENDPOINT_URL`. Each test uses its own bucket and secret names, so
the tests share one server without seeing each other's objects.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from conftest import MYSQL_HOST, MYSQL_PORT, Database, MySQL, Postgres, job_argv

from floe_extract.main import main

RUN_TIME = "2025-11-05T12:34:00Z"
HOUR_FOLDER = "2025-11-05/12"
DAY_FOLDER = "2025-11-05"
SECRET_PASSWORD = "Pw-9f3e-SECRET-value"
SECRET_USER = "floe_secret_user"
_names = itertools.count(1)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto_command(port: int) -> list[str]:
    moto_server = Path(sys.executable).parent / "moto_server"
    if moto_server.exists():
        return [str(moto_server), "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


def _wait_until_answering(endpoint: str, server: subprocess.Popen[bytes], output: Path, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"moto server exited with {server.returncode}: {output.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered, whatever it said
        except OSError:
            time.sleep(0.1)
    log = output.read_text(errors="replace")
    raise RuntimeError(f"moto server did not answer at {endpoint} within {seconds:.0f} s: {log}")


@pytest.fixture(scope="module")
def aws() -> Iterator[str]:
    """A moto server on a free loopback port, and the AWS environment pointing boto3 at it (restored afterwards)."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.NamedTemporaryFile(prefix="moto-server-", suffix=".log", delete=False) as handle:
        output = Path(handle.name)
    with output.open("wb") as sink:
        server = subprocess.Popen(_moto_command(port), stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_until_answering(endpoint, server, output)
        with pytest.MonkeyPatch.context() as env:
            for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
                env.delenv(name, raising=False)
            env.setenv("AWS_ENDPOINT_URL", endpoint)
            env.setenv("AWS_ACCESS_KEY_ID", "testing")
            env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
            env.setenv("AWS_DEFAULT_REGION", "us-east-1")
            yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        output.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def s3(aws: str) -> Any:
    return boto3.client("s3")


@pytest.fixture(scope="module")
def secrets(aws: str) -> Any:
    return boto3.client("secretsmanager")


def unique(stem: str) -> str:
    """A bucket or secret name no other test in this module uses."""
    return f"{stem}-{os.getpid()}-{next(_names)}"


def all_objects(s3: Any, bucket: str) -> dict[str, bytes]:
    objects: dict[str, bytes] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            objects[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return objects


@dataclass
class S3JobResult:
    exit_code: int
    stdout: str
    stderr: str


def run_s3_job(
    capsys: pytest.CaptureFixture[str], db: Database, table: str, raw_root: str, run_id: str, **arguments: Any
) -> S3JobResult:
    """Like conftest's run_job, but the raw root is any string (an s3:// URL here) and nothing is read back."""
    argv = job_argv(db, table, run_id, raw_root, run_time=RUN_TIME, **arguments)
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return S3JobResult(code, captured.out, captured.err)


def make_people(db: Database, table: str) -> None:
    timestamp = "timestamp(6)" if db.engine == "postgres" else "datetime(6)"
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(
        f"CREATE TABLE floe_test.{table} (id bigint PRIMARY KEY, name varchar(40) NULL, "
        f"balance decimal(12,2) NULL, seen_at {timestamp} NULL)"
    )
    rows = [
        (1, "Ada", "10.50", "2024-03-01 10:00:00.000001"),
        (2, None, None, None),
        (3, "Grace ü", "-3.25", "2024-12-31 23:59:59.999999"),
    ]
    for row in rows:
        db.execute(f"INSERT INTO floe_test.{table} VALUES (%s, %s, %s, %s)", row)


def test_an_s3_raw_root_gets_the_parquet_manifest_and_log_at_the_layout_keys(
    aws: str, s3: Any, postgres: Postgres, table_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prepare
    make_people(postgres, table_name)
    bucket = unique("floe-raw")
    s3.create_bucket(Bucket=bucket)
    table = f"floe_test.{table_name}"
    # Act
    result = run_s3_job(capsys, postgres, table_name, f"s3://{bucket}/prefix", "run-s3", mode="full", primary_key="id")
    # Assess
    assert result.exit_code == 0, result.stderr
    data_key = f"prefix/PostgreSQL/testdb/{table}/{HOUR_FOLDER}/run-s3-0-0.parquet"
    manifest_key = "prefix/_manifests/run-s3.json"
    log_key = f"prefix/_logs/postgres/testdb/{table}/{DAY_FOLDER}/run-s3.jsonl"
    objects = all_objects(s3, bucket)
    assert sorted(objects) == sorted([data_key, manifest_key, log_key])

    manifest = json.loads(objects[manifest_key])
    assert manifest["totalRows"] == 3
    assert [f["url"] for f in manifest["files"]] == [f"s3://{bucket}/{data_key}"]
    assert [f["path"] for f in manifest["files"]] == [data_key.removeprefix("prefix/")]
    assert manifest["runTime"] == "2025-11-05T12:34:00+00:00"

    log_events = [json.loads(line)["event"] for line in objects[log_key].decode().splitlines()]
    assert log_events[0] == "start" and log_events[-1] == "finish"

    local = tmp_path / "landed.parquet"
    s3.download_file(bucket, data_key, str(local))
    landed = sorted(tuple(row.values()) for row in pq.read_table(local).to_pylist())
    source = sorted(postgres.query(f"SELECT id, name, balance, seen_at FROM {table}"))
    assert landed == source


def test_a_secret_with_rds_style_json_connects_to_mariadb_and_its_password_appears_nowhere(
    aws: str, s3: Any, secrets: Any, mysql_db: MySQL, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prepare
    make_people(mysql_db, table_name)
    mysql_db.execute(f"DROP USER IF EXISTS '{SECRET_USER}'@'%'")
    mysql_db.execute(f"CREATE USER '{SECRET_USER}'@'%' IDENTIFIED BY '{SECRET_PASSWORD}'")
    mysql_db.execute(f"GRANT SELECT ON floe_test.* TO '{SECRET_USER}'@'%'")
    secret_id = unique("floe/mariadb")
    secrets.create_secret(
        Name=secret_id,
        SecretString=json.dumps(
            {
                "host": MYSQL_HOST,
                "port": MYSQL_PORT,
                "username": SECRET_USER,
                "password": SECRET_PASSWORD,
                "dbname": "floe_test",
            }
        ),
    )
    bucket = unique("floe-raw")
    s3.create_bucket(Bucket=bucket)
    try:
        # Act
        result = run_s3_job(
            capsys, mysql_db, table_name, f"s3://{bucket}/raw", "run-secret",
            connection=f"secretsmanager:{secret_id}", mode="full", primary_key="id",
        )
    finally:
        mysql_db.execute(f"DROP USER IF EXISTS '{SECRET_USER}'@'%'")
    # Assess
    assert result.exit_code == 0, result.stderr
    objects = all_objects(s3, bucket)
    manifest = json.loads(objects["raw/_manifests/run-secret.json"])
    assert manifest["totalRows"] == 3
    log_key = next(key for key in objects if key.endswith(".jsonl"))
    starts = [r for r in map(json.loads, objects[log_key].decode().splitlines()) if r["event"] == "start"]
    assert [r["source"] for r in starts] == [f"mysql://{SECRET_USER}@{MYSQL_HOST}:{MYSQL_PORT}/floe_test"]
    leaks = [key for key, body in objects.items() if SECRET_PASSWORD.encode() in body]
    assert leaks == []
    assert SECRET_PASSWORD not in result.stdout
    assert SECRET_PASSWORD not in result.stderr


def test_a_secret_holding_a_connection_url_works_too(
    aws: str, s3: Any, secrets: Any, postgres: Postgres, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prepare
    make_people(postgres, table_name)
    secret_id = unique("floe/postgres-url")
    secrets.create_secret(Name=secret_id, SecretString=f"  {postgres.url}\n")
    bucket = unique("floe-raw")
    s3.create_bucket(Bucket=bucket)
    # Act
    result = run_s3_job(
        capsys, postgres, table_name, f"s3://{bucket}", "run-url",
        connection=f"secretsmanager:{secret_id}", mode="full",
    )
    # Assess
    assert result.exit_code == 0, result.stderr
    objects = all_objects(s3, bucket)
    manifest = json.loads(objects["_manifests/run-url.json"])
    assert manifest["totalRows"] == 3
    assert f"PostgreSQL/testdb/floe_test.{table_name}/{HOUR_FOLDER}/run-url-0-0.parquet" in objects


def test_a_secret_that_does_not_exist_fails_in_one_line_naming_it_and_writes_no_manifest(
    aws: str, s3: Any, postgres: Postgres, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prepare
    make_people(postgres, table_name)
    secret_id = unique("floe/no-such-secret")
    bucket = unique("floe-raw")
    s3.create_bucket(Bucket=bucket)
    # Act
    result = run_s3_job(
        capsys, postgres, table_name, f"s3://{bucket}/raw", "run-missing-secret",
        connection=f"secretsmanager:{secret_id}", mode="full",
    )
    # Assess
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("floe-extract: error:")
    assert secret_id in lines[0]
    assert not [key for key in all_objects(s3, bucket) if "_manifests/" in key]


def test_a_raw_root_in_a_missing_bucket_fails_saying_it_could_not_upload_and_writes_no_manifest(
    aws: str, s3: Any, postgres: Postgres, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prepare
    make_people(postgres, table_name)
    bucket = unique("floe-no-such-bucket")
    # Act
    result = run_s3_job(capsys, postgres, table_name, f"s3://{bucket}/raw", "run-no-bucket", mode="full")
    # Assess
    assert result.exit_code == 6, result.stderr  # StorageError: retryable
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("floe-extract: error:")
    assert "could not upload" in lines[0] or "could not write" in lines[0], lines[0]
    assert f"s3://{bucket}/raw/" in lines[0]
    assert bucket not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]


def test_an_s3_refusal_of_the_manifest_takes_the_uploaded_data_files_back(
    aws: str, s3: Any, postgres: Postgres, table_name: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Prepare: S3 (moto) takes the data files, then refuses the manifest, as a throttled or failing S3 would.
    # The refusal is made by a botocore hook in the job's own boto3 session: moto has no switch for it.
    make_people(postgres, table_name)
    bucket = unique("floe-raw")
    s3.create_bucket(Bucket=bucket)

    def refuse_manifests(params: dict[str, Any], **_: Any) -> None:
        if "/_manifests/" in params.get("Key", ""):
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "injected refusal"}}, "PutObject")

    session = boto3.Session()
    session.events.register("provide-client-params.s3.PutObject", refuse_manifests)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
    # Act
    result = run_s3_job(capsys, postgres, table_name, f"s3://{bucket}/raw", "run-refused", mode="full")
    # Assess
    assert result.exit_code == 6, result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"floe-extract: error: could not write s3://{bucket}/raw/_manifests/")
    keys = list(all_objects(s3, bucket))
    assert [key for key in keys if key.endswith(".parquet") or "_manifests/" in key] == []
    assert [key for key in keys if key.startswith("raw/_logs/")] != []
