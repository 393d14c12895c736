"""The job's one SparkSession: Glue's cluster on AWS, Spark local mode elsewhere.

On Glue the session comes from the job's own configuration (master, JARs from `--extra-jars`).
Elsewhere (`floe run` with `engine: spark`, the tests) it is local mode: `FLOE_SPARK_MASTER`
(default `local[*]`), the JDBC drivers Debian's packages install (`FLOE_SPARK_JARS` to name others),
Python workers on this interpreter, and Spark's own logging down to errors, so the console carries
the job's lines only. Settings every run needs are the same in both places:

- session time zone UTC (nothing floe lands depends on it: values travel as text, see projection.py);
- `spark.task.maxFailures=1`: a failed task fails the attempt, and the job's own retry policy
  (`--retry-attempts`) reads everything again, as the Python job does (retry.py); a task retried by
  Spark on MySQL would read a later snapshot than its neighbours, and could leave an earlier
  attempt's extra file behind;
- no console progress bar, no UI.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_JARS = ("/usr/share/java/postgresql.jar", "/usr/share/java/mariadb-java-client.jar")
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
MASTER_VARIABLE = "FLOE_SPARK_MASTER"
JARS_VARIABLE = "FLOE_SPARK_JARS"
DRIVER_MEMORY_VARIABLE = "FLOE_SPARK_DRIVER_MEMORY"

_session: Any = None


def on_glue() -> bool:
    """True inside a Glue job run, whose runtime provides awsglue."""
    try:
        import awsglue  # noqa: F401
    except ImportError:
        return False
    return True


def local_jars() -> list[str]:
    """The JDBC drivers for local mode: `FLOE_SPARK_JARS` (comma list), else Debian's packages' files."""
    named = os.environ.get(JARS_VARIABLE)
    return [jar for jar in (named.split(",") if named else DEFAULT_JARS) if jar]


def spark_session() -> Any:
    """The process's SparkSession, started on first use (Spark takes seconds to start)."""
    global _session
    if _session is not None:
        return _session
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName("floe-extract-spark")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.task.maxFailures", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if not on_glue():
        # Python workers run on this interpreter, which has floe_extract and its drivers.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        jars = local_jars()
        missing = [jar for jar in jars if not Path(jar).is_file()]
        if missing:
            from ..errors import JobArgumentError

            raise JobArgumentError(
                f"the Spark engine needs the JDBC drivers {', '.join(missing)}: run scripts/setup "
                "(it installs Debian's libpostgresql-jdbc-java and libmariadb-java), or name them in FLOE_SPARK_JARS"
            )
        java_options = f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()} -Duser.timezone=UTC"
        builder = (
            builder.master(os.environ.get(MASTER_VARIABLE, "local[*]"))
            .config("spark.jars", ",".join(jars))
            .config("spark.driver.memory", os.environ.get(DRIVER_MEMORY_VARIABLE, "2g"))
            .config("spark.driver.extraJavaOptions", java_options)
            .config("spark.executor.extraJavaOptions", java_options)
        )
    _session = builder.getOrCreate()
    _session.sparkContext.setLogLevel("ERROR")
    return _session
