"""Builds the C extensions: floe_extract/sources/_copy_pump.c (PostgreSQL's binary COPY into Arrow
buffers; see libpq_copy.py) and _mysql_rows.c (MySQL's row packets into Arrow buffers; see mysql.py).

They need a C compiler and Python's headers, and nothing of libpq or libmysqlclient: the COPY reader
calls the libpq psycopg loaded, the MySQL reader parses the protocol itself.
Everything else about the package is in pyproject.toml.

FLOE_EXTRACT_PURE=1 leaves the extensions out (a py3-none-any wheel). The Glue job's wheel set builds
it with Python 3.9 and makes it manylinux2014 (glue/packaging/build_wheelhouse.py, README there).
"""

import os

from setuptools import Extension, setup

PURE = os.environ.get("FLOE_EXTRACT_PURE") == "1"

# optional: without a compiler the package installs all the same, and the readers run their Python loops.
setup(
    ext_modules=[]
    if PURE
    else [
        Extension("floe_extract.sources._copy_pump", ["floe_extract/sources/_copy_pump.c"], optional=True),
        Extension("floe_extract.sources._mysql_rows", ["floe_extract/sources/_mysql_rows.c"], optional=True),
    ]
)
