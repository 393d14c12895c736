"""The script the Glue Spark job runs (`glueetl`, Glue 5.1: Spark 3.5.6, Python 3.11); locally, the Spark engine.

    python glue/extract_spark.py --run-id … (the Python job's arguments, glue/README.md)

Locally Spark runs in local mode (`FLOE_SPARK_MASTER`, default `local[*]`) with the JDBC drivers of
Debian's packages (floe_extract/spark/session.py); floe_extract is imported from beside this file.

On Glue, the job's `--extra-py-files` puts floe_extract (a pure-Python wheel) on the path of the
driver and of every executor, and `--additional-python-modules` installs its pinned drivers (psycopg,
mysql-connector-python) from the wheels the stack ships, with `--python-modules-installer-option
--no-index`: nothing is fetched from the internet. The JDBC drivers come from `--extra-jars`.
@see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html
@see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
"""

from __future__ import annotations

import os
import sys


def run(argv: list[str]) -> int:
    try:
        import floe_extract  # noqa: F401 - on Glue, from --extra-py-files
    except ImportError:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from floe_extract.spark.main import main

    return int(main(argv) or 0)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
