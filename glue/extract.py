"""The script AWS Glue runs (a Python shell job); locally: `python glue/extract.py --run-id ... `.

On Glue the job has the argument `--floe-wheelhouse s3://…/<asset>.zip`: the wheel set built by
glue/packaging/build_wheelhouse.py (floe_extract and its pinned dependencies) that the stack ships
as an asset. Before anything else is imported, the set is installed from that archive alone:
`pip install --isolated --no-index --require-hashes --no-deps --target <dir>`, so a run reads no
package index and needs no route to the internet (only S3, through the VPC's gateway endpoint).
Locally, without that argument, floe_extract is imported from beside this file.

`--probe` makes the run a probe (floe_extract/probe.py, for `floe aws verify`) instead of an extraction;
`--batch` makes it several tables' extractions (floe_extract/batch.py).

Python shell jobs take Python libraries as .whl (not .egg) and have about 14 GiB under /tmp.
@see https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEELHOUSE_ARGUMENT = "--floe-wheelhouse"

# Run in a child process so this process never imports the runtime's own boto3 (the set pins its own).
DOWNLOAD = """
import sys, boto3
bucket, key, target = sys.argv[1:4]
boto3.client("s3").download_file(bucket, key, target)
"""


def argument(argv: list[str], name: str) -> str | None:
    """The value after `name` (Glue passes `--name value` pairs), or None."""
    for index, item in enumerate(argv[:-1]):
        if item == name:
            return argv[index + 1]
    return None


def install_wheelhouse(location: str, packages: Path) -> None:
    """Installs the wheel set at `location` (an s3:// archive, a local archive or folder) into `packages`.

    The set's requirements.lock pins every file by sha256; pip reads neither an index nor its
    configuration (`--isolated`), so the files of the set are the only candidates.
    """
    scratch = Path(tempfile.mkdtemp(prefix="floe-wheelhouse-"))
    if location.startswith("s3://"):
        bucket, _, key = location[len("s3://"):].partition("/")
        archive = scratch / "wheelhouse.zip"
        subprocess.run([sys.executable, "-c", DOWNLOAD, bucket, key, str(archive)], check=True)
        location = str(archive)
    folder = Path(location)
    if folder.is_file():
        with zipfile.ZipFile(folder) as bundle:
            bundle.extractall(scratch / "wheels")
        folder = scratch / "wheels"
    command = [
        sys.executable, "-m", "pip", "install", "--isolated", "--disable-pip-version-check", "--quiet",
        "--no-index", "--find-links", str(folder), "--only-binary", ":all:", "--require-hashes", "--no-deps",
        "--target", str(packages), "-r", str(folder / "requirements.lock"),
    ]
    subprocess.run(command, check=True)


def prepare(argv: list[str]) -> None:
    """Puts floe_extract on the path: from the wheel set when the job was given one, else from beside this file."""
    wheelhouse = argument(argv, WHEELHOUSE_ARGUMENT)
    if wheelhouse is None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        return
    packages = Path(os.environ.get("FLOE_PACKAGES_DIR") or Path(tempfile.gettempdir()) / "floe-packages")
    if not (packages / "floe_extract").is_dir():
        install_wheelhouse(wheelhouse, packages)
    sys.path.insert(0, str(packages))


def run(argv: list[str]) -> int:
    prepare(argv)
    from floe_extract.unused_modules import refuse_unused_modules

    refuse_unused_modules()
    if "--probe" in argv:
        from floe_extract.probe import main as entry
    elif "--batch" in argv:
        from floe_extract.batch import main as entry
    else:
        from floe_extract.main import main as entry
    return int(entry(argv) or 0)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
