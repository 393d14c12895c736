"""Read plans: window predicates and partition ranges, checked as SQL text."""

from __future__ import annotations

from datetime import date, datetime, timezone

from floe_extract.read_plan import Window, split_parts


def quote(name: str) -> str:
    return f'"{name}"'


def test_a_first_run_reads_up_to_the_high_mark_and_the_nulls() -> None:
    predicate = Window("u", None, 10).predicate(quote)

    assert (predicate.sql, predicate.params) == ('"u" <= %s OR "u" IS NULL', (10,))


def test_later_runs_read_the_half_open_window() -> None:
    predicate = Window("u", 5, 10).predicate(quote)

    assert (predicate.sql, predicate.params) == ('"u" > %s AND "u" <= %s', (5, 10))


def test_a_column_with_no_values_reads_nothing_after_the_first_run() -> None:
    assert Window("u", 5, None).predicate(quote).sql == "1 = 0"
    assert Window("u", None, None).predicate(quote).sql == '"u" IS NULL'


def test_integer_ranges_are_disjoint_and_cover_everything() -> None:
    parts = split_parts("id", 1, 100, 4, quote)

    assert [(p.predicate.sql, p.predicate.params) for p in parts] == [
        ('"id" < %s OR "id" IS NULL', (26,)),
        ('"id" >= %s AND "id" < %s', (26, 51)),
        ('"id" >= %s AND "id" < %s', (51, 76)),
        ('"id" >= %s', (76,)),
    ]


def test_timestamp_and_date_ranges_split_evenly() -> None:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    stamps = split_parts("t", start, datetime(2024, 1, 5, tzinfo=timezone.utc), 4, quote)
    days = split_parts("d", date(2024, 1, 1), date(2024, 1, 4), 2, quote)

    assert [p.predicate.params for p in stamps][1] == (
        datetime(2024, 1, 2, tzinfo=timezone.utc),
        datetime(2024, 1, 3, tzinfo=timezone.utc),
    )
    assert [p.predicate.params for p in days] == [(date(2024, 1, 3),), (date(2024, 1, 3),)]


def test_a_narrow_range_gives_fewer_parts_not_empty_duplicates() -> None:
    parts = split_parts("id", 7, 8, 5, quote)

    assert [p.predicate.params for p in parts] == [(8,), (8,)]


def test_no_values_means_one_part() -> None:
    assert len(split_parts("id", None, None, 4, quote)) == 1
