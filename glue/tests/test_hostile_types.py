"""A column's type name travels into the job's SQL too (the watermark is cast to it): a hostile one stays a name."""

from __future__ import annotations

from conftest import Postgres, Runner


def test_an_incremental_column_of_a_domain_with_a_hostile_name_reads_past_the_watermark(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    # Prepare
    domain = '"ts%s""; drop table canary; --"'
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(f"DROP DOMAIN IF EXISTS floe_test.{domain}")
    postgres.execute(f"CREATE DOMAIN floe_test.{domain} AS timestamptz")
    postgres.execute(f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, updated_at floe_test.{domain})")
    postgres.execute(
        f"INSERT INTO floe_test.{table_name} VALUES (1, '2025-01-01 00:00:00+00'), (2, '2025-01-02 00:00:00+00')"
    )
    # Act
    result = run_job(postgres, table_name, mode="incremental", incremental_column="updated_at", primary_key="id",
                     watermark="2025-01-01 00:00:00+00", lookback_seconds=60)
    # Assess
    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [1, 2]
