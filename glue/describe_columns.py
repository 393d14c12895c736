"""Prints a source table's columns as the extraction job would describe them, without extracting.

`python glue/describe_columns.py --engine postgres --connection env:VAR --table schema.table`
prints one JSON line: `{"columns": [{"name", "sourceType", "arrowType", "nullable"}, ...]}`, the
manifest's `columns` for a run that has not happened yet. It opens the source the way the job does
(`floe_extract.sources.open_source`, same catalog query, same type mapping), so `floe snowflake
ddl` creates the tables and procedures of a table never extracted with the types its first run
will land. On failure: one line `describe-columns: error: …` (secrets redacted) and exit code 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from floe_extract.connection import Redactor, resolve_connection  # noqa: E402
from floe_extract.errors import ExtractError  # noqa: E402
from floe_extract.sources import open_source  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="describe-columns")
    parser.add_argument("--engine", required=True, choices=("postgres", "mysql"))
    parser.add_argument("--connection", required=True, help="a connection URL, env:VARIABLE or secretsmanager:ARN")
    parser.add_argument("--table", required=True)
    args = parser.parse_args(argv)
    redactor = Redactor()
    try:
        source = open_source(resolve_connection(args.connection, args.engine, redactor), args.table, redactor)
        try:
            columns = [column.describe() for column in source.columns]
        finally:
            source.close()
    except ExtractError as error:
        print(f"describe-columns: error: {redactor(error.message)}", file=sys.stderr)
        return 1
    except Exception as error:  # a driver's own error: its text may hold the connection's secrets
        print(f"describe-columns: error: {redactor(str(error))}", file=sys.stderr)
        return 1
    print(json.dumps({"columns": columns}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
