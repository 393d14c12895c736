"""A bound predicate (read_plan.Predicate) as SQL text, for Spark's JDBC reader, which takes no parameters.

The Python job binds every value; a JDBC query Spark runs is text. So the values the predicates
carry (the window's bounds, the partition cuts, a repair run's keys) are written here as literals,
one helper per dialect, each form chosen so that no value can end its literal early:

- integers and decimals in plain digits (they come from the source's own min/max or its CAST);
- dates and timestamps as typed literals of the driver's values (`DATE '…'`, `TIMESTAMP '…'`,
  `TIMESTAMPTZ '…+00:00'`), microseconds written out; on MySQL a datetime is a plain string the
  session (time_zone '+00:00', jdbc.py) reads as the Python job's bound value is read;
- text (a repair run's keys, given by the caller): on PostgreSQL a dollar-quoted string whose tag
  the value does not contain, an `unknown` literal the column's type reads, as a bound text is;
  on MySQL the UTF-8 bytes as a hex literal with the connection's character set (`_utf8mb4 X'…'`).

The predicates' placeholders are the drivers' `%s`; PostgreSQL text doubles a `%` of an identifier
(psycopg's rule), undone here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from ..read_plan import Predicate

PLACEHOLDER = re.compile(r"%(s|%)")


def inline(predicate: Predicate, engine: str) -> str:
    """The predicate's SQL with each `%s` replaced by its value's literal."""
    values = iter(predicate.params)
    literal = postgres_literal if engine == "postgres" else mysql_literal

    def replace(match: re.Match[str]) -> str:
        if match.group(1) == "%":
            return "%" if engine == "postgres" else "%%"
        return literal(next(values))

    if engine == "postgres":
        text = PLACEHOLDER.sub(replace, predicate.sql)
    else:
        # mysql-connector replaces only %s; a doubled % stays as written.
        text = re.sub(r"%s", lambda _: literal(next(values)), predicate.sql)
    if next(values, _END) is not _END:
        raise ValueError(f"predicate {predicate.sql!r} has fewer placeholders than values")
    return text


_END = object()


def postgres_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return f"TIMESTAMP '{value.isoformat(sep=' ', timespec='microseconds')}'"
        utc = value.astimezone(timezone.utc).replace(tzinfo=None)
        return f"TIMESTAMPTZ '{utc.isoformat(sep=' ', timespec='microseconds')}+00:00'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return dollar_quoted(value)
    raise TypeError(f"no PostgreSQL literal for {type(value).__name__}")


def mysql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return f"'{value.isoformat(sep=' ', timespec='microseconds')}'"
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        return f"_utf8mb4 X'{value.encode('utf-8').hex()}'" if value else "_utf8mb4 ''"
    raise TypeError(f"no MySQL literal for {type(value).__name__}")


def dollar_quoted(text: str) -> str:
    """`$floe$text$floe$`, with a tag the text does not contain (so nothing in it can close the literal)."""
    n = 0
    while True:
        tag = f"$floe{n or ''}$"
        if tag not in text and not text.endswith(tag[:-1]):
            return f"{tag}{text}{tag}"
        n += 1


def _plain(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"no literal for the decimal {value}")
    return format(value, "f")
