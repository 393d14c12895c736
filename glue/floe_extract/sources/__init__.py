"""Source engines: each reads one table's columns, bounds and rows the same way."""

from __future__ import annotations

from ..connection import ConnectionSettings, Redactor
from .base import Source, TableName


def open_source(settings: ConnectionSettings, table: str, redactor: Redactor) -> Source:
    """Connect and read the table's columns; imports only the driver the engine needs."""
    name = TableName.parse(table)
    if settings.engine == "postgres":
        from .postgres import PostgresSource

        return PostgresSource(settings, name, redactor)
    from .mysql import MySQLSource

    return MySQLSource(settings, name, redactor)


__all__ = ["Source", "TableName", "open_source"]
