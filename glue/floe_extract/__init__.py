"""floe's extraction job: one table (or a window of it) from PostgreSQL or MySQL to Parquet."""

try:
    # mysql-connector's C extension needs static TLS space that is used up once
    # pyarrow's libraries are loaded, so it is loaded first; without it the
    # MySQL source falls back to the (several times slower) pure-Python protocol.
    import _mysql_connector  # noqa: F401
except ImportError:
    pass

__version__ = "0.1.0"
