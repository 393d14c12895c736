"""A probe run of the extraction job, for `floe aws verify`: does this job, on this network, with
this role, reach the source and the raw bucket?

    python glue/extract.py --probe true --run-id probe-1 --engine postgres \\
        --connection secretsmanager:<arn> --table clr.users --raw-root s3://bucket

In order (`source` only once the secret resolved; `raw bucket` whatever came before):
1. `secret`: the connection resolves (Secrets Manager through its endpoint, the KMS key if any);
2. `source`: the job connects to the database (its subnets, security groups and the database's
   rules admit it; the login works) and reads the table's columns;
   then the extraction's own SELECT of the table runs, for no rows (`WHERE 1 = 0`: the same
   privileges as a real run, no data moved); it also says what reads the rows in this process: for
   PostgreSQL which loop moves COPY's rows, the C extension or (when it did not load, and why) the
   Python loop; for MySQL whether floe's C reader or (and why) the driver's rows;
3. `raw bucket`: a marker is written under `_probe/` in the raw root and deleted again.

The outcome is printed as one JSON line and written to `_probe/<run id>.json` in the raw root
(if it can be), where `floe aws verify` reads it. Exit code 0 when every step passed, else the
failing step's error's code (see README, Exit codes). Secrets never reach the outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from .connection import ConnectionSettings, Redactor, resolve_connection
from .errors import ExtractError, JobArgumentError
from .read_plan import Predicate
from .sources import open_source
from .storage import LocalStorage, S3Storage, open_storage

REQUIRED = ("run-id", "engine", "connection", "table", "raw-root")
NOTHING = Predicate("1 = 0")


def probe_key(run_id: str) -> str:
    """Where the outcome of probe `run_id` is written, under the raw root."""
    return f"_probe/{run_id}.json"


def _pairs(argv: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in zip(argv, argv[1:]):
        if name.startswith("--") and not value.startswith("--"):
            values[name[2:]] = value
    return values


def main(argv: Sequence[str]) -> int:
    values = _pairs(list(argv))
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        print(f"floe-probe: error: missing --{', --'.join(missing)}")
        return JobArgumentError.exit_code
    redactor = Redactor()
    run_id, table = values["run-id"], values["table"]
    outcome: dict[str, Any] = {"runId": run_id, "engine": values["engine"], "table": table, "steps": []}
    failure: ExtractError | None = None
    storage: LocalStorage | S3Storage | None = None

    def step(name: str, action: Callable[[], str]) -> bool:
        nonlocal failure
        try:
            detail = action()
        except ExtractError as error:
            failure = error
            said = f"{type(error).__name__}: {redactor(error.message)}"
            outcome["steps"].append({"step": name, "ok": False, "error": said})
            return False
        except Exception as error:  # noqa: BLE001 - a probe reports whatever stopped it, by name
            failure = ExtractError(redactor(str(error)))
            said = f"{type(error).__name__}: {redactor(str(error))}"
            outcome["steps"].append({"step": name, "ok": False, "error": said})
            return False
        outcome["steps"].append({"step": name, "ok": True, "detail": detail})
        return True

    settings: list[ConnectionSettings] = []

    def secret() -> str:
        settings.append(resolve_connection(values["connection"], values["engine"], redactor))
        return f"resolved {settings[0].describe()}"

    def source() -> str:
        opened = open_source(settings[0], table, redactor)
        try:
            columns = len(opened.columns)
            rows = sum(batch.num_rows for batch in opened.read(NOTHING, 0))
        finally:
            opened.close()
        return (
            f"connected; {table} has {columns} columns; its SELECT ran ({rows} rows asked for and read); "
            f"{opened.reader}"
        )

    def raw_bucket() -> str:
        nonlocal storage
        storage = open_storage(values["raw-root"])
        marker = f"_probe/{run_id}.marker"
        storage.put_text(marker, "floe probe: written and deleted by floe aws verify\n")
        storage.delete(marker)
        return f"wrote and deleted {storage.url(marker)}"

    if step("secret", secret):
        step("source", source)
    step("raw bucket", raw_bucket)
    outcome["ok"] = failure is None
    text = json.dumps(outcome)
    print(text)
    if storage is not None:
        try:
            storage.put_text(probe_key(run_id), text)
        except ExtractError as error:
            print(f"floe-probe: could not write the outcome: {redactor(error.message)}")
        storage.close()
    return 0 if failure is None else failure.exit_code
