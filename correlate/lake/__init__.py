"""The lake: correlate's tables as Hive-partitioned Parquet that DuckDB, Spark and Athena all read.

`layout.py` says what the lake holds (tables, partition keys, how each row finds its partition,
which rows a write replaces) and renders the Athena/Glue DDL; it does no I/O. The DuckDB side
(`correlate export`, reading cells for `timeline --lake`) is `correlate.store.lake`; the Spark side
is `correlate.spark`. docs/lake.md describes the layout.
"""
