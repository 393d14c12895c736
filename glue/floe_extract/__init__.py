"""floe's extraction job: one table (or a window of it) from PostgreSQL or MySQL to Parquet."""

__version__ = "0.1.0"
