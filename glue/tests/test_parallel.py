"""Partitioned reads: the union of the parts equals a single-connection read."""

from __future__ import annotations

import pytest
from conftest import Database, Runner

# One conformance suite, two engines: each test runs on the Python job and on the Spark job.
pytestmark = pytest.mark.conformance


def make_orders(db: Database, table: str, count: int) -> None:
    timestamp = "timestamp(6)" if db.engine == "postgres" else "datetime(6)"
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(
        f"CREATE TABLE floe_test.{table} "
        f"(id bigint PRIMARY KEY, customer int NULL, placed_at {timestamp} NULL, total decimal(12,2))"
    )
    values = ", ".join(
        f"({i}, {'NULL' if i % 17 == 0 else i % 97}, "
        f"{'NULL' if i % 23 == 0 else repr(f'2024-01-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00.{i:06d}')}, {i}.25)"
        for i in range(1, count + 1)
    )
    db.execute(f"INSERT INTO floe_test.{table} VALUES {values}")


def key_rows(result: object) -> list[tuple[object, ...]]:
    rows = result.rows()  # type: ignore[attr-defined]
    return [tuple(r.values()) for r in rows]


# MySQL parts may split on key columns only (see the refusal test below).
SPLITS = [("postgres", "id"), ("postgres", "customer"), ("postgres", "placed_at"), ("mysql", "id")]


@pytest.mark.parametrize(("engine", "column"), SPLITS)
@pytest.mark.parametrize("partitions", [2, 5])
def test_the_union_of_the_parts_equals_a_single_connection_read(
    request: pytest.FixtureRequest, table_name: str, run_job: Runner, engine: str, column: str, partitions: int
) -> None:
    # Prepare
    db: Database = request.getfixturevalue("postgres" if engine == "postgres" else "mysql_db")
    make_orders(db, table_name, 2_000)
    single = run_job(db, table_name, run_id="single", primary_key="id")
    # Act
    parallel = run_job(
        db, table_name, run_id="parallel", primary_key="id", partition_column=column, partitions=partitions
    )
    # Assess
    assert single.exit_code == 0 and parallel.exit_code == 0, single.stderr + parallel.stderr
    assert parallel.manifest is not None
    assert len({f["part"].split("-")[0] for f in parallel.manifest["files"]}) == partitions
    assert key_rows(parallel) == key_rows(single)
    assert len(key_rows(parallel)) == 2_000
    assert parallel.manifest["totalRows"] == 2_000


def test_parts_respect_the_incremental_window(db: Database, table_name: str, run_job: Runner) -> None:
    make_orders(db, table_name, 500)
    watermark = "2024-01-14 00:00:00"

    single = run_job(
        db, table_name, run_id="s", mode="incremental", incremental_column="placed_at", watermark=watermark
    )
    parallel = run_job(
        db, table_name, run_id="p", mode="incremental", incremental_column="placed_at", watermark=watermark,
        partition_column="id", partitions=3, primary_key="id",
    )

    assert single.exit_code == 0 and parallel.exit_code == 0, single.stderr + parallel.stderr
    assert key_rows(parallel) == key_rows(single)
    assert all(str(r["placed_at"]) > watermark for r in parallel.rows())
    assert parallel.manifest is not None and single.manifest is not None
    assert parallel.manifest["newWatermark"] == single.manifest["newWatermark"]


def test_more_partitions_than_values_still_reads_every_row_once(db: Database, table_name: str, run_job: Runner) -> None:
    make_orders(db, table_name, 3)

    result = run_job(db, table_name, primary_key="id", partition_column="id", partitions=8)

    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [1, 2, 3]


def test_a_partition_column_that_cannot_be_split_is_refused(db: Database, table_name: str, run_job: Runner) -> None:
    make_orders(db, table_name, 3)

    result = run_job(db, table_name, partition_column="total", partitions=2)

    assert result.exit_code == 2
    assert "partition column total" in result.stderr and "integer, date or timestamp" in result.stderr
    assert result.manifest is None


def test_mysql_refuses_to_split_on_a_column_that_is_not_a_key(
    mysql_db: Database, table_name: str, run_job: Runner
) -> None:
    make_orders(mysql_db, table_name, 3)

    result = run_job(mysql_db, table_name, primary_key="id", partition_column="customer", partitions=2)

    assert result.exit_code == 2
    assert "on MySQL the partition column must be a --primary-key column" in result.stderr
    assert "customer is not" in result.stderr
