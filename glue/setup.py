"""Builds the one C extension, floe_extract/sources/_copy_pump.c (the COPY pump's loop; see libpq_copy.py).

It needs a C compiler and Python's headers, and nothing of libpq: it calls the libpq psycopg loads.
Everything else about the package is in pyproject.toml.

FLOE_EXTRACT_PURE=1 leaves the extension out (a py3-none-any wheel). The Glue job's wheel set builds
it with Python 3.9 and makes it manylinux2014 (glue/packaging/build_wheelhouse.py, README there).
"""

import os

from setuptools import Extension, setup

PURE = os.environ.get("FLOE_EXTRACT_PURE") == "1"

# optional: without a compiler the package installs all the same, and the pump runs its Python loop.
setup(
    ext_modules=[]
    if PURE
    else [Extension("floe_extract.sources._copy_pump", ["floe_extract/sources/_copy_pump.c"], optional=True)]
)
