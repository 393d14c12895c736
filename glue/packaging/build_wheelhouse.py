"""The Glue job's wheel set: floe_extract's own wheel and its dependencies, pinned and hashed.

    python glue/packaging/build_wheelhouse.py lock    # glue/pyproject.toml's dependencies -> requirements.lock
    python glue/packaging/build_wheelhouse.py build   # requirements.lock -> glue/dist/wheelhouse/ (the stack ships it)

`lock` resolves `[project] dependencies` of glue/pyproject.toml for the Glue Python shell runtime:
CPython 3.9 (`pythonVersion: '3.9'`) on x86_64 Linux, as binary wheels only, for manylinux2014
(glibc 2.17, the most widely loadable tag). A package whose manylinux2014 wheel is pure Python but
which publishes a compiled wheel only for a newer glibc (mysql-connector-python's C extension is
`manylinux_2_28` since 8.1) gets both files under one pin: pip picks, on the host it installs on,
the one that host can load. Every file is pinned by version and sha256.

`build` downloads exactly the locked files (pip --require-hashes), builds floe_extract's wheel
from glue/ (pure Python: FLOE_EXTRACT_PURE=1, see glue/setup.py), and writes the set and its
requirements.lock (floe-extract included) to glue/dist/wheelhouse/. glue/extract.py installs that
set at the start of each run with `pip install --isolated --no-index --require-hashes`, so a run
reads no package index. `build` refuses a lock made from other dependencies than pyproject.toml's
now hold: run `lock` again (and commit the lock) when they change.
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

import tomllib  # the build runs on the project's Python (3.11); the wheels are for Glue's 3.9

GLUE = Path(__file__).resolve().parent.parent
PYPROJECT = GLUE / "pyproject.toml"
LOCK = GLUE / "packaging" / "requirements.lock"
WHEELHOUSE = GLUE / "dist" / "wheelhouse"

PYTHON_VERSION = "3.9"
ABI = "cp39"
BASE_PLATFORM = "manylinux2014_x86_64"
# Compiled wheels some packages publish only for a newer C library; kept beside the pure ones.
NEWER_PLATFORM = "manylinux_2_28_x86_64"
WHEEL_NAME = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-.+\.whl$")


def dependencies() -> list[str]:
    """`[project] dependencies` of glue/pyproject.toml, as written."""
    with PYPROJECT.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def dependencies_digest(deps: list[str]) -> str:
    return hashlib.sha256(json.dumps(sorted(deps)).encode()).hexdigest()[:16]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_download(dest: Path, platform: str, args: list[str]) -> None:
    """pip download of binary wheels for the Glue runtime's Python on `platform`."""
    command = [
        sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
        "--only-binary", ":all:", "--platform", platform, "--python-version", PYTHON_VERSION,
        "--implementation", "cp", "--abi", ABI, "--dest", str(dest), *args,
    ]
    subprocess.run(command, check=True)


def lock() -> None:
    deps = dependencies()
    with tempfile.TemporaryDirectory(prefix="floe-lock-") as scratch:
        base = Path(scratch) / "base"
        pip_download(base, BASE_PLATFORM, deps)
        pins: dict[str, tuple[str, str, list[Path]]] = {}
        for wheel in sorted(base.glob("*.whl")):
            match = WHEEL_NAME.match(wheel.name)
            if match is None:
                raise SystemExit(f"lock: unexpected file {wheel.name}")
            pins[canonical(match["name"])] = (match["name"], match["version"], [wheel])
        for key, (name, version, files) in pins.items():
            if not files[0].name.endswith("-none-any.whl"):
                continue
            newer = Path(scratch) / f"newer-{key}"
            try:
                pip_download(newer, NEWER_PLATFORM, ["--no-deps", f"{name}=={version}"])
            except subprocess.CalledProcessError:
                continue
            files.extend(wheel for wheel in newer.glob("*.whl") if not wheel.name.endswith("-none-any.whl"))
        lines = [
            "# The Glue job's dependencies, pinned and hashed: written by glue/packaging/build_wheelhouse.py lock.",
            f"# From glue/pyproject.toml dependencies {json.dumps(deps)}",
            f"# dependencies-digest: {dependencies_digest(deps)}",
            f"# For CPython {PYTHON_VERSION} ({ABI}), binary wheels for {BASE_PLATFORM}; a second hash is the same",
            f"# release's compiled wheel for {NEWER_PLATFORM}, taken where the host can load it.",
        ]
        for key in sorted(pins):
            name, version, files = pins[key]
            hashes = " ".join(f"--hash=sha256:{sha256(file)}" for file in files)
            lines.append(f"{canonical(name)}=={version} {hashes}")
    LOCK.write_text("\n".join(lines) + "\n")
    print(f"lock: {len(pins)} packages pinned in {LOCK.relative_to(GLUE.parent)}")


def read_lock() -> tuple[str, list[str]]:
    if not LOCK.exists():
        raise SystemExit(f"build: {LOCK} is missing: run `python {Path(__file__).relative_to(GLUE.parent)} lock`")
    text = LOCK.read_text()
    found = re.search(r"^# dependencies-digest: (\w+)$", text, re.M)
    return (found[1] if found else ""), [line for line in text.splitlines() if line and not line.startswith("#")]


def build() -> None:
    digest, requirements = read_lock()
    if digest != dependencies_digest(dependencies()):
        raise SystemExit(
            "build: glue/pyproject.toml's dependencies changed since requirements.lock was made: "
            f"run `python {Path(__file__).relative_to(GLUE.parent)} lock`, then build again"
        )
    shutil.rmtree(WHEELHOUSE, ignore_errors=True)
    WHEELHOUSE.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="floe-wheelhouse-") as scratch:
        base_lock = Path(scratch) / "base.lock"
        base_lock.write_text("\n".join(requirements) + "\n")
        pip_download(WHEELHOUSE, BASE_PLATFORM, ["--no-deps", "--require-hashes", "-r", str(base_lock)])
        variants = [line.split(" ")[0] for line in requirements if line.count("--hash=") > 1]
        for pin in variants:
            pip_download(Path(scratch) / "newer", NEWER_PLATFORM, ["--no-deps", pin])
        hashes = {h for line in requirements for h in re.findall(r"--hash=sha256:(\w+)", line)}
        for wheel in (Path(scratch) / "newer").glob("*.whl") if variants else []:
            if sha256(wheel) not in hashes:
                raise SystemExit(f"build: {wheel.name} does not match requirements.lock's hashes")
            shutil.copy(wheel, WHEELHOUSE / wheel.name)
        own = build_own_wheel(Path(scratch) / "own")
        shutil.copy(own, WHEELHOUSE / own.name)
    match = WHEEL_NAME.match(own.name)
    assert match is not None
    own_pin = f"{canonical(match['name'])}=={match['version']} --hash=sha256:{sha256(WHEELHOUSE / own.name)}"
    lines = [*requirements, own_pin]
    (WHEELHOUSE / "requirements.lock").write_text(
        "# Installed by glue/extract.py: pip install --isolated --no-index --require-hashes --no-deps -r this file\n"
        + "\n".join(lines) + "\n"
    )
    total = sum(path.stat().st_size for path in WHEELHOUSE.glob("*.whl"))
    count = len(list(WHEELHOUSE.glob("*.whl")))
    print(f"build: {count} wheels, {total / 1e6:.1f} MB, in {WHEELHOUSE.relative_to(GLUE.parent)}")


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
    args = parser.parse_args()
    lock() if args.command == "lock" else build()


if __name__ == "__main__":
    main()
