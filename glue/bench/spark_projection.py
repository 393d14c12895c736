#!/usr/bin/env python3
"""Projects a 100 GB and a 1 TB table's extraction on Glue, by worker count, from spark_compare.py's figures.

    .venv/bin/python glue/bench/spark_compare.py --json /tmp/spark_compare.json
    .venv/bin/python glue/bench/spark_projection.py /tmp/spark_compare.json [--shape mixed] [--start-seconds 60]

On paper, not measured on Glue (no AWS account is reachable from here). The assumptions, each a
parameter or a constant below:
- a Spark task reads at the per-task throughput measured warm on local[2] (source MB/s: the catalog's
  table size shared out by rows), the slower of PostgreSQL's and MariaDB's for the shape;
- a G.1X worker is 1 DPU of 4 vCPUs, and runs 4 tasks at once; one worker runs the driver and no task;
- the source serves every task at that rate: it does not slow down with the number of readers (it
  does, past its disks' and cores' limits: the projection is an upper bound on speed), and its
  `maxConnections` is at least the tasks (floe caps the workers by it: pipeline/extraction-engine.ts);
- a run costs `--start-seconds` before its first task (Glue's start; local mode measured 8.5–10.5 s);
- Glue bills a DPU-hour at $0.44, per second after the first minute (the Python shell job alike).

The Python job is projected the same way: one Glue Python shell job of 1 DPU, 4 parts (the
source's default `maxConnections`) at the per-part throughput measured beside it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# https://docs.aws.amazon.com/glue/latest/dg/worker-types.html: G.1X is 1 DPU, 4 vCPUs.
G1X_DPUS = 1
G1X_TASKS = 4
# https://aws.amazon.com/glue/pricing/: Spark and Python shell jobs, per DPU-hour, billed per second, 1 minute at least.
DPU_HOUR_USD = 0.44
PYTHON_PARTS = 4
WORKERS = (2, 3, 5, 11, 21, 51)
SIZES_GB = (100, 1000)


def run_cost(dpus: float, seconds: float) -> float:
    return dpus * max(seconds, 60) / 3600 * DPU_HOUR_USD


def duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.0f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figures", help="spark_compare.py's --json file")
    parser.add_argument("--shape", default="mixed")
    parser.add_argument("--start-seconds", type=float, default=60.0)
    args = parser.parse_args()
    cells = [c for c in json.loads(Path(args.figures).read_text()) if c["shape"] == args.shape]
    task_mb = min(c["taskSourceMbPerSecond"] for c in cells)
    part_mb = min(c["pythonPartSourceMbPerSecond"] for c in cells)
    print(f"shape {args.shape}: a Spark task {task_mb:.1f} source MB/s, a Python part {part_mb:.1f} MB/s "
          f"(the slower engine's); start {args.start_seconds:.0f} s\n")
    header = "| job | workers × G.1X | tasks at once (connections) |"
    print(header + "".join(f" {gb:,} GB: time | cost |" for gb in SIZES_GB))
    print("|---|---|---|" + "---|---|" * len(SIZES_GB))
    cells_text = []
    for gb in SIZES_GB:
        seconds = args.start_seconds + gb * 1000 / (PYTHON_PARTS * part_mb)
        cells_text.append(f" {duration(seconds)} | ${run_cost(1, seconds):.2f} |")
    print(f"| Python shell, 1 DPU | - | {PYTHON_PARTS} |" + "".join(cells_text))
    for workers in WORKERS:
        tasks = G1X_TASKS * (workers - 1)
        cells_text = []
        for gb in SIZES_GB:
            seconds = args.start_seconds + gb * 1000 / (tasks * task_mb)
            cells_text.append(f" {duration(seconds)} | ${run_cost(workers * G1X_DPUS, seconds):.2f} |")
        print(f"| Spark | {workers} | {tasks} |" + "".join(cells_text))


if __name__ == "__main__":
    main()
