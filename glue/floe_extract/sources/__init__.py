"""Source engines: each reads one table's columns, bounds and rows the same way."""

from __future__ import annotations

from ..connection import ConnectionSettings, Redactor
from ..quarantine import Rejects
from .base import Source, TableName


def open_source(
    settings: ConnectionSettings, table: str, redactor: Redactor, rejects: Rejects | None = None
) -> Source:
    """Connect and read the table's columns; imports only the driver the engine needs.

    Without `rejects`, a value no destination can hold fails the read (the `fail` policy everywhere).
    """
    name = TableName.parse(table)
    if settings.engine == "postgres":
        from .postgres import PostgresSource

        return PostgresSource(settings, name, redactor, rejects)
    from .mysql import MySQLSource

    return MySQLSource(settings, name, redactor, rejects)


__all__ = ["Source", "TableName", "open_source"]
