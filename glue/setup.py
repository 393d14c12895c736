"""Builds the one C extension, floe_extract/sources/_copy_pump.c (the COPY pump's loop; see libpq_copy.py).

It needs a C compiler and Python's headers, and nothing of libpq: it calls the libpq psycopg loads.
Everything else about the package is in pyproject.toml.
"""

from setuptools import Extension, setup

# optional: without a compiler the package installs all the same, and the pump runs its Python loop.
setup(ext_modules=[Extension("floe_extract.sources._copy_pump", ["floe_extract/sources/_copy_pump.c"], optional=True)])
