"""Fault injection for floe's crash tests: `FLOE_FAULT=<point>` kills the job with SIGKILL at that point.

SIGKILL, because it is what the OOM killer or a lost Glue worker does: no `finally`, no
cleanup, no log is written, so a test sees exactly what a real crash leaves behind (data
files without a manifest, a manifest without a log). Everywhere else, and whenever the
variable is unset, `fault_point` does nothing but one environment lookup.

The TypeScript side has its own points in `fault/fault-point.ts`, read from the same variable;
`floe run` passes its environment on to the job.
"""

from __future__ import annotations

import os
import signal
from typing import Literal, get_args

FAULT_VARIABLE = "FLOE_FAULT"
# The process the point kills, when not the one reaching it: a Spark task (a Python worker of an
# executor) reaching `extract:after-first-file` kills the job's driver, which is what a crash of the
# job at that point is (spark/task.py sets it; local mode only, where the worker can reach the driver).
FAULT_PID_VARIABLE = "FLOE_FAULT_PID"

FaultPoint = Literal[
    # Connected, the table's columns read, nothing written.
    "extract:after-connect",
    # One data file published (the first of the run, whichever part lands it), the others not.
    "extract:after-first-file",
    # Every data file published, no manifest: the run's files are not complete as far as anyone knows.
    "extract:before-manifest",
    # The manifest written, the log not: the files are complete, the job did not end.
    "extract:after-manifest",
    # The manifest and the log written, the job killed before it could exit 0.
    "extract:after-log",
]

FAULT_POINTS: tuple[FaultPoint, ...] = get_args(FaultPoint)


def fault_point(name: FaultPoint) -> None:
    """Die with SIGKILL if FLOE_FAULT names this point; otherwise return at once.

    With FLOE_FAULT_PID set, that process (the job's driver) is killed first, then this one.
    """
    if os.environ.get(FAULT_VARIABLE) == name:
        target = os.environ.get(FAULT_PID_VARIABLE)
        if target and int(target) != os.getpid():
            os.kill(int(target), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
