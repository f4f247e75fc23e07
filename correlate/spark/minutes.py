"""`correlate spark minutes`: the per-minute cells the timeline reads, computed on Spark from the
lake's requests with the view SQL of `sql/` (translated by `correlate.spark.translate`).

The views run as Spark temporary views under their own names over a `requests` view of the lake's
partitions (pruned by --lb and the days of --since/--until); each view's columns are checked
against its file's header, as DuckDB's schema loader does. Every (lb, day) partition of the
selection is computed whole and replaces its cells in the lake.

Each cell table is one Spark action: computed from the requests' Parquet (only the columns its view
reads) and written, its rows counted on the way (`DataFrame.observe`). A selection without
requests writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from correlate.errors import LakeMissing, ViewError
from correlate.lake.layout import BY_NAME, CELL_TABLES, days
from correlate.spark.lake import read_table, write_table
from correlate.spark.translate import view_to_spark
from correlate.store.database import ViewFile, view_files

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The views behind the cells, in dependency order (each reads only those before it, or requests).
VIEWS = ("request_facts", "latency_cells", "frontend_cells", "request_spans")


def requests_remedy(root: str) -> str:
    return f"load access logs into it first (correlate spark ingest SOURCE --lake {root}, or correlate export {root})."


def cell_views() -> list[ViewFile]:
    by_name = {view.name: view for view in view_files()}
    return [by_name[name] for name in VIEWS]


@dataclass
class MinutesSummary:
    lake: str
    partitions: list[tuple[str, str]] = field(default_factory=list)  # (lb, day)
    cells: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        if not self.partitions:
            return f"No requests in {self.lake} for the selection: no cells written."
        lbs = sorted({lb for lb, _ in self.partitions})
        counts = ", ".join(f"{name} {self.cells[name]:,}" for name in CELL_TABLES)
        return f"{len(self.partitions):,} load balancer days ({', '.join(lbs)}): {counts} rows written to {self.lake}"


def register_views(spark: SparkSession) -> None:
    """The cell views as Spark temporary views over whatever `requests` is; each checked against
    its header."""
    for view in cell_views():
        frame = spark.sql(view_to_spark(view))
        if tuple(frame.columns) != view.columns:
            raise ViewError(
                f"{view.path.name}: on Spark the view has columns {', '.join(frame.columns)}, "
                f"its header lists {', '.join(view.columns)}"
            )
        frame.createOrReplaceTempView(view.name)


def spark_minutes(
    spark: SparkSession,
    lake_root: str,
    lb: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> MinutesSummary:
    """Compute and write the cells of the lake's requests of `lb` (all) on the days of the window."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    requests = read_table(spark, lake_root, BY_NAME["requests"])
    if requests is None:
        raise LakeMissing(f"{lake_root} holds no requests: {requests_remedy(lake_root)}")
    first, last = days(since, until)
    if lb is not None:
        requests = requests.where(F.col("lb") == lb)
    if first is not None:
        requests = requests.where(F.col("day") >= first)
    if last is not None:
        requests = requests.where(F.col("day") <= last)
    requests.createOrReplaceTempView("requests")
    register_views(spark)
    summary = MinutesSummary(lake_root)
    summary.partitions = sorted(tuple(row) for row in requests.select("lb", "day").distinct().collect())
    if not summary.partitions:
        return summary  # nothing to write (and an empty write reports no observed rows)
    for name in CELL_TABLES:
        # One action a table: its rows are counted while they are written, not by an action of their own
        # over a cached copy (that took a third longer). request_facts is not cached either: its
        # 28 columns cost more to build in memory than the scans of requests they would save, as
        # each cell view reads only the few columns it needs.
        written = Observation(name)
        write_table(
            spark, lake_root, BY_NAME[name], spark.table(name).observe(written, F.count(F.lit(1)).alias("rows"))
        )
        summary.cells[name] = written.get["rows"]
    return summary
