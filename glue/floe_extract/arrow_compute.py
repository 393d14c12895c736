"""The two Arrow compute functions every run calls, cast and max, without importing pyarrow.compute.

Importing pyarrow.compute wraps each of pyarrow's ~300 compute functions in a Python function with
a generated signature and docstring: about 30 ms of CPU, a tenth of the job's on an incremental run
of 30,000 rows (BENCHMARKS.md, "`floe run` on embedded defaults"). pyarrow.compute's
`call_function` and `CastOptions` are pyarrow._compute's, re-exported; calling them from there runs
the same kernels with the same options. An `Array.cast()` imports pyarrow.compute itself, so the
path every table takes casts here. What only some tables need (arrays, bytea, a NaN, a value too
long) imports pyarrow.compute where it is used.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

try:
    from pyarrow._compute import CastOptions, call_function
except ImportError:  # a pyarrow that moved them keeps them public
    from pyarrow.compute import CastOptions, call_function


def cast(values: pa.Array, target: pa.DataType) -> pa.Array:
    """`pc.cast(values, target)`: a safe cast, failing (ArrowInvalid) on a value the target cannot hold exactly."""
    return call_function("cast", [values], CastOptions.safe(target))


def largest(values: pa.Array) -> Any:
    """`pc.max(values).as_py()`: the largest value, nulls skipped; None when every value is null."""
    return call_function("max", [values]).as_py()
