"""A stand-in for AWS Glue's `awsglue.utils`, reproducing `getResolvedOptions` as Glue ships it.

Glue's version builds an argparse parser with `--<option>` required for each
option asked for, plus Glue's own optional arguments, and parses `args[1:]`
with parse_known_args; results are keyed by argparse's dest names.
"""

from __future__ import annotations

import argparse
from typing import Any


def getResolvedOptions(args: list[str], options: list[str]) -> dict[str, Any]:  # noqa: N802 - Glue's name
    parser = argparse.ArgumentParser()
    parser.add_argument("--job-bookmark-option", required=False)
    parser.add_argument("--JOB_NAME", required=False)
    parser.add_argument("--JOB_ID", required=False)
    parser.add_argument("--JOB_RUN_ID", required=False)
    parser.add_argument("--TempDir", required=False)
    for option in options:
        parser.add_argument("--" + option, required=True)
    parsed, _extra = parser.parse_known_args(args[1:])
    return vars(parsed)
