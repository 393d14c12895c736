"""pandas and NumPy: pyarrow loads them where installed, the Python job never uses them, and its process refuses them.

pyarrow imports pandas the first time it turns a Python value into Arrow (its pandas shim asks
whether the value is a Series, type inference looks for pandas' NA), and NumPy as it is imported
itself. The job hands pyarrow only Python lists and Arrow arrays, yet loading the two was about half
the CPU of an incremental run of 30,000 rows (BENCHMARKS.md, "`floe run` on embedded defaults").
A Glue Python shell may come with both (its `analytics` library set has them); the job's own wheel
set (packaging/requirements.lock) has neither, so the job already runs without them wherever they
are not installed.

Only the Python job's own process refuses them (glue/extract.py, `python -m floe_extract`): the
Spark job needs pandas (mapInArrow), and tests import floe_extract beside libraries that use them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from importlib.util import find_spec

# NumPy became optional in pyarrow 18 (https://github.com/apache/arrow/pull/41904); an older pyarrow
# fails to import without it, so it is refused only beside pyarrow 18 or later.
NUMPY_OPTIONAL_SINCE = 18


class RefusedModules:
    """A meta path finder: importing one of `names` (or a module inside it) fails as if it were not installed."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: the extraction job's process leaves it out (unused_modules.py)",
                name=fullname,
            )
        return None


def refuse_unused_modules() -> RefusedModules:
    """Refuse pandas, and NumPy where pyarrow can do without it, for the rest of this process; returns the finder.

    Must run before pyarrow is imported. A module already loaded stays usable: refusing it gains nothing.
    """
    names = ["pandas"]
    major = pyarrow_major_version()
    if major is not None and major >= NUMPY_OPTIONAL_SINCE:
        names.append("numpy")
    finder = RefusedModules([name for name in names if name not in sys.modules])
    sys.meta_path.insert(0, finder)
    return finder


def pyarrow_major_version() -> int | None:
    """The installed pyarrow's major version, from its dist-info folder, without importing it (which loads NumPy).

    importlib.metadata would say the same but costs more to import than NumPy's share saved; None
    when the version cannot be told, and NumPy is then left alone.
    """
    spec = find_spec("pyarrow")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = os.path.dirname(next(iter(spec.submodule_search_locations)))
    try:
        entries = os.listdir(folder)
    except OSError:
        return None
    for entry in entries:
        if entry.startswith("pyarrow-") and entry.endswith(".dist-info"):
            major = entry[len("pyarrow-"):].split(".", 1)[0]
            return int(major) if major.isdigit() else None
    return None
