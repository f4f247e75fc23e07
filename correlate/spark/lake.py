"""DataFrames into the lake layout (`correlate.lake.layout`), and the lake's tables as DataFrames.

Spark writes with dynamic partition overwrite: the partitions a write holds rows for are replaced,
and no other. For the tables loaded from log objects the partitions' rows from objects this run did
not read are carried into the write (read back, joined away by source_file), so a partition ends
with each object's rows once, whichever engine wrote them before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from correlate.lake.layout import SOURCES, LakeTable, join

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def read_table(spark: SparkSession, root: str, table: LakeTable) -> DataFrame | None:
    """The lake's table with its partition keys as string columns; None when it has no files."""
    from pyspark.errors import AnalysisException

    path = join(root, table.name)
    try:
        return spark.read.option("basePath", path).parquet(path)
    except AnalysisException as error:
        if "PATH_NOT_FOUND" in str(error) or "UNABLE_TO_INFER_SCHEMA" in str(error):
            return None
        raise


def write_table(spark: SparkSession, root: str, table: LakeTable, rows: DataFrame, sources: Sequence[str] = ()) -> None:
    """Write `rows` (the table's columns, without partition keys) into the lake, replacing the
    partitions they fall in; for a table loaded from objects, `sources` are the objects this run
    read, whose earlier rows the new ones replace."""
    from pyspark.sql import functions as F

    keys = list(table.partition_by)
    out = rows
    for key, sql in zip(table.partition_by, table.partition_sql, strict=True):
        out = out.withColumn(key, F.expr(sql))
    if table.replaces == SOURCES:
        existing = read_table(spark, root, table)
        if existing is not None:
            touched = out.select(*keys).distinct()
            read = spark.createDataFrame([(uri,) for uri in sources], "source_file string")
            kept = existing.join(F.broadcast(touched), keys, "left_semi").join(
                F.broadcast(read), "source_file", "left_anti"
            )
            out = out.unionByName(kept.select(*out.columns))
    else:
        out = out.repartition(*keys)  # computed tables are small: one file per partition
    out.write.mode("overwrite").partitionBy(*keys).parquet(join(root, table.name))
