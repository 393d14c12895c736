"""The Spark job's command-line entry: the Python job's main (arguments, retries, manifest, log, exit codes)
with the Spark engine's run. `python glue/extract_spark.py …` locally; the Glue Spark job's script on AWS."""

from __future__ import annotations

from collections.abc import Sequence

from ..main import main as extract_main
from .run import MAX_SPARK_PARTITIONS, SparkExtractionRun


def main(argv: Sequence[str] | None = None) -> int:
    return extract_main(argv, run_factory=SparkExtractionRun, max_partitions=MAX_SPARK_PARTITIONS)
