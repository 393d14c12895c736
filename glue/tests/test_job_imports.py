"""What the job's process imports: never pandas, nor NumPy (unused_modules.py); pyarrow.compute only for
the tables that need it, not one of numbers, dates and text (arrow_compute.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import Database

from floe_extract import arrow_compute
from floe_extract.unused_modules import NUMPY_OPTIONAL_SINCE, RefusedModules, pyarrow_major_version

GLUE = Path(__file__).resolve().parents[1]


def make_table(db: Database, table: str) -> None:
    """A decimal, a timestamp to read incrementally, and one date no destination holds: values the job converts
    from Python (the NaN it looks for, the rejects file) as well as from the source's text."""
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(
        f"CREATE TABLE floe_test.{table} (id int PRIMARY KEY, amount decimal(12,2), shipped date, updated_at "
        f"{'timestamp' if db.engine == 'postgres' else 'datetime(6)'})"
    )
    bad_date = "'0044-03-15 BC'" if db.engine == "postgres" else "'0000-00-00'"
    if db.engine == "mysql":
        db.execute("SET SESSION sql_mode = ''")
    db.execute(
        f"INSERT INTO floe_test.{table} VALUES (1, 1.50, '2024-01-01', '2024-01-01 00:00:00'), "
        f"(2, NULL, {bad_date}, '2024-01-02 00:00:00'), (3, -7.25, '2024-01-03', '2024-01-03 00:00:00')"
    )


# glue/extract.py as Glue runs it, then which of the three the process holds.
RUN_AND_TELL = (
    "import sys\n"
    "sys.path.insert(0, sys.argv.pop(1))\n"
    "import extract\n"
    "code = extract.run(sys.argv[1:])\n"
    "loaded = [name for name in ('pandas', 'numpy', 'pyarrow.compute') if name in sys.modules]\n"
    "print('loaded:', ','.join(loaded), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def test_a_run_imports_neither_pandas_nor_numpy_nor_pyarrow_compute(
    db: Database, table_name: str, tmp_path: Path
) -> None:
    # Prepare: what holds wherever pandas and NumPy are installed (the test's own environment has pandas for Spark)
    make_table(db, table_name)
    argv = [
        sys.executable, "-c", RUN_AND_TELL, str(GLUE), "--run-id", "lean", "--engine", db.engine,
        "--database", "testdb", "--connection", db.url, "--table", f"floe_test.{table_name}", "--primary-key", "id",
        "--mode", "incremental", "--incremental-column", "updated_at", "--watermark", "2024-01-01 00:00:00",
        "--unrepresentable", "quarantine", "--raw-root", str(tmp_path),
    ]

    # Act
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)

    # Assess
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "_manifests" / "lean.json").read_text())
    assert (manifest["totalRows"], manifest["rejects"]["rows"]) == (2, 1)
    loaded = done.stderr.rsplit("loaded:", 1)[1].strip()
    assert loaded == ("" if int(pa.__version__.split(".")[0]) >= NUMPY_OPTIONAL_SINCE else "numpy")


def test_a_refused_module_and_the_modules_inside_it_are_not_found() -> None:
    # Prepare
    finder = RefusedModules(["pandas"])

    # Act and Assess
    for name in ("pandas", "pandas.core.api"):
        with pytest.raises(ModuleNotFoundError, match="leaves it out") as refused:
            finder.find_spec(name)
        assert refused.value.name == name
    assert finder.find_spec("pandas_like") is None
    assert finder.find_spec("pyarrow") is None


def test_the_pyarrow_version_is_read_without_importing_it() -> None:
    assert pyarrow_major_version() == int(pa.__version__.split(".")[0])


def test_cast_is_pyarrows_safe_cast() -> None:
    # Prepare
    texts = pa.array(["1.50", None, "-7.25"])

    # Act
    decimals = arrow_compute.cast(texts, pa.decimal128(12, 2))

    # Assess
    assert decimals.equals(texts.cast(pa.decimal128(12, 2)))
    for text in ("NaN", "1.505"):
        with pytest.raises(pa.ArrowInvalid):
            arrow_compute.cast(pa.array([text]), pa.decimal128(12, 2))


def test_largest_skips_nulls_and_is_none_when_every_value_is() -> None:
    assert arrow_compute.largest(pa.array([3, None, 7, 5])) == 7
    assert arrow_compute.largest(pa.array([None, None], pa.int64())) is None
