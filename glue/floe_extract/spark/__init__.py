"""The Spark engine: the extraction job as a Glue Spark job (or Spark local mode), for tables that outgrow one machine.

It is the Python job with its reading and writing replaced, nothing else: the arguments, the
window and its high mark, the open-transaction hold-back, the rejects policy, the manifest, the
log, the retries and the exit codes are `floe_extract`'s own (job.py, main.py). What changes:

- the parts are ranges of the partition column read over JDBC by Spark's tasks, each a query of
  its own (`query.py`), with every value but bytes, floats and doubles read as the source's own
  text (`projection.py`) and converted by the Python job's rules on the executor (`convert.py`);
- each task writes its own Parquet files with the Python job's writer, in the same layout, and
  reports them back (`task.py`); the driver writes the manifest (`run.py`);
- on PostgreSQL every task reads inside the snapshot the driver exported, as the Python job's
  parts do; on MySQL each task's query is a snapshot of its own (`jdbc.py`).
"""
