"""Identifiers from arguments are quoted everywhere: odd names work, and they never become SQL."""

from __future__ import annotations

import pytest
from conftest import Database, Runner

ODD_NAMES = ['we"ird', "t%s", "Mixed Case", "select", "naïve;drop"]


@pytest.mark.parametrize("name", ODD_NAMES)
@pytest.mark.parametrize("partitions", ["1", "2"])
def test_odd_table_and_column_names_are_read_as_names(
    db: Database, name: str, partitions: str, run_job: Runner
) -> None:
    # Prepare
    if db.engine == "mysql" and "%s" in name:
        name = name.replace("%s", "%")  # the MySQL driver cannot quote %s inside a name (refused with a message)
    quoted = '"' + name.replace('"', '""') + '"' if db.engine == "postgres" else "`" + name.replace("`", "``") + "`"
    db.execute(f"DROP TABLE IF EXISTS floe_test.{quoted}")
    db.execute(f"CREATE TABLE floe_test.{quoted} (id int PRIMARY KEY, {quoted} int)")
    db.execute(f"INSERT INTO floe_test.{quoted} VALUES (1, 10), (2, 20), (3, 30)")
    # Act
    incremental = run_job(db, name, primary_key="id", partition_column="id", partitions=partitions,
                          mode="incremental", incremental_column=name)
    full = run_job(db, name, primary_key="id", partition_column="id", partitions=partitions)
    # Assess
    for result in (incremental, full):
        assert result.exit_code == 0, result.stderr
        assert [(r["id"], r[name]) for r in result.rows()] == [(1, 10), (2, 20), (3, 30)]
    assert incremental.manifest is not None and incremental.manifest["newWatermark"] == "30"
