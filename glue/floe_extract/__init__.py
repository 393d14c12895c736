"""floe's extraction job: one table (or a window of it) from PostgreSQL or MySQL to Parquet."""

try:
    # mysql.connector imports its C extension wherever it is installed, though the
    # job uses the driver's pure-Python protocol (sources/mysql.py); the extension
    # needs static TLS space that is used up once pyarrow's libraries are loaded,
    # so it is loaded first, lest importing mysql.connector later fail.
    import _mysql_connector  # noqa: F401
except ImportError:
    pass

__version__ = "0.1.0"
