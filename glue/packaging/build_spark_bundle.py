"""The Glue Spark job's files: floe_extract, its pinned drivers, and the JDBC drivers, as the stack ships them.

    python glue/packaging/build_spark_bundle.py lock    # SPARK_REQUIREMENTS -> spark-requirements.lock
    python glue/packaging/build_spark_bundle.py build   # -> glue/dist/spark/ (infra/spark-extraction-job.ts ships it)

The Spark job runs on Glue 5.1 (Spark 3.5.6, Python 3.11, Amazon Linux 2023 with glibc 2.34):

- `floe_extract-*.whl`: floe_extract's own wheel, pure Python (FLOE_EXTRACT_PURE=1), given to the job as
  `--extra-py-files`, which puts it on the path of the driver and of every executor;
- `wheels/`: the drivers the job's driver and executors import (psycopg and its libpq, the MySQL
  connector, and the pyarrow the Python job writes Parquet with), binary wheels for CPython 3.11 on
  x86_64 Linux, pinned by version and sha256 in spark-requirements.lock (copied beside them as
  requirements.txt); the stack ships the folder as one zip, Glue 5's "zip of wheels" for
  `--additional-python-modules`, installed with `--python-modules-installer-option --no-index`;
- `jars/*.jar`: the JDBC drivers of Debian's packages (libpostgresql-jdbc-java, libmariadb-java), the
  same files Spark local mode loads (floe_extract/spark/session.py), given as `--extra-jars`.

Nothing is fetched at run time. `build` refuses a lock made from another SPARK_REQUIREMENTS: run `lock`
again (and commit the lock) when they change.
@see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GLUE = Path(__file__).resolve().parent.parent
LOCK = GLUE / "packaging" / "spark-requirements.lock"
BUNDLE = GLUE / "dist" / "spark"

# The drivers the Spark job imports, pinned as the Python job's set pins them (requirements.lock).
SPARK_REQUIREMENTS = ["psycopg[binary]==3.2.13", "mysql-connector-python==9.4.0", "pyarrow==20.0.0"]
PYTHON_VERSION = "3.11"
ABI = "cp311"
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux2014_x86_64")
JARS = {
    "postgresql": Path("/usr/share/java/postgresql.jar"),
    "mariadb-java-client": Path("/usr/share/java/mariadb-java-client.jar"),
}
WHEEL_NAME = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-.+\.whl$")


def digest(requirements: list[str]) -> str:
    return hashlib.sha256(json.dumps(sorted(requirements)).encode()).hexdigest()[:16]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pip_download(dest: Path, args: list[str]) -> None:
    platforms = [flag for platform in PLATFORMS for flag in ("--platform", platform)]
    command = [
        sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet", "--only-binary", ":all:",
        *platforms, "--python-version", PYTHON_VERSION, "--implementation", "cp", "--abi", ABI, "--abi", "abi3",
        "--abi", "none", "--dest", str(dest), *args,
    ]
    subprocess.run(command, check=True)


def lock() -> None:
    with tempfile.TemporaryDirectory(prefix="floe-spark-lock-") as scratch:
        pip_download(Path(scratch), SPARK_REQUIREMENTS)
        lines = [
            "# The Glue Spark job's Python dependencies, pinned and hashed: glue/packaging/build_spark_bundle.py lock.",
            f"# From SPARK_REQUIREMENTS {json.dumps(SPARK_REQUIREMENTS)}",
            f"# requirements-digest: {digest(SPARK_REQUIREMENTS)}",
            f"# For CPython {PYTHON_VERSION} ({ABI}) on x86_64 Linux ({', '.join(PLATFORMS)}): Glue 5.1.",
        ]
        for wheel in sorted(Path(scratch).glob("*.whl")):
            match = WHEEL_NAME.match(wheel.name)
            if match is None:
                raise SystemExit(f"lock: unexpected file {wheel.name}")
            lines.append(f"{match['name'].lower().replace('_', '-')}=={match['version']} --hash=sha256:{sha256(wheel)}")
    LOCK.write_text("\n".join(lines) + "\n")
    print(f"lock: {len(lines) - 4} packages pinned in {LOCK.relative_to(GLUE.parent)}")


def build() -> None:
    if not LOCK.exists():
        raise SystemExit(f"build: {LOCK} is missing: run `python {Path(__file__).relative_to(GLUE.parent)} lock`")
    text = LOCK.read_text()
    found = re.search(r"^# requirements-digest: (\w+)$", text, re.M)
    if found is None or found[1] != digest(SPARK_REQUIREMENTS):
        raise SystemExit("build: SPARK_REQUIREMENTS changed since spark-requirements.lock was made: lock, then build")
    pins = [line for line in text.splitlines() if line and not line.startswith("#")]
    shutil.rmtree(BUNDLE, ignore_errors=True)
    (BUNDLE / "wheels").mkdir(parents=True)
    (BUNDLE / "jars").mkdir()
    with tempfile.TemporaryDirectory(prefix="floe-spark-bundle-") as scratch:
        pinned = Path(scratch) / "pins.lock"
        pinned.write_text("\n".join(pins) + "\n")
        pip_download(BUNDLE / "wheels", ["--no-deps", "--require-hashes", "-r", str(pinned)])
        # Glue 5's "zip of wheels": the wheels and the requirements naming them, installed with the index off.
        (BUNDLE / "wheels" / "requirements.txt").write_text("\n".join(pins) + "\n")
        own = build_own_wheel(Path(scratch) / "own")
        shutil.copy(own, BUNDLE / own.name)
    for name, path in JARS.items():
        if not path.is_file():
            raise SystemExit(f"build: {path} is missing: apt-get install libpostgresql-jdbc-java libmariadb-java")
        shutil.copy(path.resolve(), BUNDLE / "jars" / f"{name}-{_version(path)}.jar")
    manifest = {
        "floeExtract": own.name,
        "wheels": sorted(p.name for p in (BUNDLE / "wheels").glob("*.whl")),
        "jars": sorted(p.name for p in (BUNDLE / "jars").glob("*.jar")),
    }
    (BUNDLE / "bundle.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file())
    print(f"build: {len(manifest['wheels'])} wheels, {len(manifest['jars'])} jars, {total / 1e6:.1f} MB, in "
          f"{BUNDLE.relative_to(GLUE.parent)}")


def _version(path: Path) -> str:
    """Debian installs `name.jar` and a `name-<version>.jar` link to it: the link's name carries the version."""
    for candidate in sorted(path.parent.glob(f"{path.stem}-*.jar")):
        found = re.fullmatch(re.escape(path.stem) + r"-(\d[\w.]*)\.jar", candidate.name)
        if found and candidate.resolve() == path.resolve():
            return found[1]
    return "debian"


def build_own_wheel(out: Path) -> Path:
    """floe_extract's wheel, pure Python, reproducible (fixed timestamps), from a clean copy of glue/."""
    with tempfile.TemporaryDirectory(prefix="floe-extract-src-") as scratch:
        source = Path(scratch) / "glue"
        shutil.copytree(
            GLUE, source,
            ignore=shutil.ignore_patterns(
                "dist", "build", "tests", "bench", "packaging", "*.egg-info", "__pycache__", "*.so", ".*"
            ),
        )
        env = {**os.environ, "FLOE_EXTRACT_PURE": "1", "SOURCE_DATE_EPOCH": "315532800"}
        command = [sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--quiet", "--no-deps"]
        subprocess.run([*command, "--wheel-dir", str(out), str(source)], check=True, env=env)
    wheels = list(out.glob("floe_extract-*.whl"))
    if len(wheels) != 1 or not wheels[0].name.endswith("-py3-none-any.whl"):
        raise SystemExit(f"build: expected one pure-Python floe_extract wheel, got {[w.name for w in wheels]}")
    return wheels[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("lock", "build"))
    lock() if parser.parse_args().command == "lock" else build()


if __name__ == "__main__":
    main()
