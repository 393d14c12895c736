"""Names become path segments of the raw layout: none may lead outside its folder, let alone the raw root."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import Postgres

from floe_extract.errors import JobArgumentError
from floe_extract.layout import data_key, log_key
from floe_extract.main import main

RUN_TIME = datetime(2025, 11, 5, 12, tzinfo=timezone.utc)
ESCAPES = ["..", ".", "../../escape", "floe_test/../../escape", "s..", "/etc/passwd"]


@pytest.mark.parametrize("table", ESCAPES)
def test_a_table_name_that_would_leave_its_folder_is_refused_and_nothing_lands_outside_it(
    tmp_path: Path, table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prepare
    raw_root = tmp_path / "deep" / "raw"
    argv = ["--run-id", "run1", "--engine", "postgres", "--database", "testdb", "--table", table,
            "--connection", Postgres.url, "--raw-root", str(raw_root), "--primary-key", "id"]
    # Act
    code = main(argv)
    # Assess
    assert code == 2
    assert "--table" in capsys.readouterr().err
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert all(raw_root in path.parents for path in written), written
    # A log, if any, sits in its own table's folder: _logs/{engine}/{database}/{table}/{date}/{run}.jsonl.
    assert all(len(path.relative_to(raw_root).parts) == 6 for path in written), written


@pytest.mark.parametrize("table", ["..", ".", "", "a/b"])
def test_the_layout_refuses_any_segment_that_is_not_one_name(table: str) -> None:
    # Act / Assess
    with pytest.raises(JobArgumentError, match="--table"):
        data_key("postgres", "testdb", table, RUN_TIME, "run1", "0-0")
    with pytest.raises(JobArgumentError, match="--table"):
        log_key("postgres", "testdb", table, RUN_TIME, "run1")


def test_dots_quotes_and_unicode_inside_a_name_stay_one_segment() -> None:
    # Act
    name = "we\"ird sch'ema.a..b; drop 📦"
    key = data_key("postgres", "testdb", name, RUN_TIME, "run1", "0-0")
    # Assess
    assert key.split("/") == ["PostgreSQL", "testdb", name, "2025-11-05", "12", "run1-0-0.parquet"]
