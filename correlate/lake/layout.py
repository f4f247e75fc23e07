"""What the lake holds and where each row goes; the Athena/Glue DDL of it. No I/O.

Every table is a folder of Hive-partitioned Parquet, `DEST/<table>/<key>=<value>/.../*.parquet`,
with string partition keys (`lb=web-prod/day=2026-11-20`) and UTC `TIMESTAMP` values without a
zone, which DuckDB, Spark and Athena read alike. A row's partition comes from its own columns by
one SQL expression (`LakeTable.partition_sql`) that both DuckDB and Spark evaluate the same way.

Writing a partition replaces what was there, in one of two ways (`LakeTable.replaces`):

- `sources`: the tables loaded from log objects (requests, ..., rejects). The rows of the objects
  being written replace those objects' earlier rows; the partition's rows from other objects stay.
  Loading an object twice, by either engine, leaves one copy of its rows, as `ingest logs` does.
- `partition`: tables computed from whole partitions (changes, api_calls, the per-minute cells).
  The partition is written whole, so its new content replaces the old.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DDL_PATH = "_ddl/athena.sql"
SOURCES = "sources"
PARTITION = "partition"


def _day(expression: str) -> str:
    """The 'YYYY-MM-DD' day of a TIMESTAMP expression, in SQL that DuckDB and Spark read alike."""
    return f"cast(cast({expression} as date) as string)"


@dataclass(frozen=True, slots=True)
class LakeTable:
    name: str
    grain: str
    partition_by: tuple[str, ...]
    # SQL giving each partition key from the row's columns (the keys' values are not stored in the files)
    partition_sql: tuple[str, ...]
    replaces: str  # SOURCES or PARTITION
    view: bool = False  # a view of the database (computed), not a table

    def partition_path(self, values: Sequence[str]) -> str:
        """`lb=web-prod/day=2026-11-20` for the values of `partition_by`."""
        return "/".join(f"{key}={value}" for key, value in zip(self.partition_by, values, strict=True))


def _by_lb_day(name: str, grain: str, time_sql: str, replaces: str, view: bool = False) -> LakeTable:
    return LakeTable(name, grain, ("lb", "day"), ("lb", _day(time_sql)), replaces, view)


ARRIVAL = "coalesce(request_at, time)"

TABLES: tuple[LakeTable, ...] = (
    _by_lb_day("requests", "one row per ALB or Classic ELB access-log entry", ARRIVAL, SOURCES),
    _by_lb_day("tls_connections", "one row per NLB TLS access-log entry", "time", SOURCES),
    _by_lb_day("connections", "one row per ALB connection-log entry", "time", SOURCES),
    _by_lb_day("health_checks", "one row per ALB health-check-log entry", "time", SOURCES),
    LakeTable(
        "rejects",
        "one row per input line or record that could not be loaded",
        ("kind",),
        ("coalesce(kind, 'unknown')",),
        SOURCES,
    ),
    LakeTable(
        "api_calls",
        "one row per CloudTrail event kept",
        ("day",),
        (_day("event_time"),),
        PARTITION,
    ),
    _by_lb_day(
        "changes", "one row per (configuration-changing API call, load balancer it affects)", "event_time", PARTITION
    ),
    _by_lb_day(
        "latency_cells",
        "one row per load balancer, minute, target group, target and latency bin",
        "minute",
        PARTITION,
        view=True,
    ),
    _by_lb_day(
        "frontend_cells",
        "one row per load balancer, minute, listener port, domain, TLS protocol and cipher",
        "minute",
        PARTITION,
        view=True,
    ),
    _by_lb_day("request_spans", "one row per load balancer per day with traffic", "first_at", PARTITION, view=True),
)
BY_NAME = {table.name: table for table in TABLES}
# What `spark ingest` writes (the tables `ingest logs` loads) and what `spark minutes` writes.
LOG_TABLES = ("requests", "tls_connections", "connections", "health_checks", "rejects")
CELL_TABLES = ("latency_cells", "frontend_cells", "request_spans")


def days(since: dt.datetime | None, until: dt.datetime | None) -> tuple[str | None, str | None]:
    """The first and last day partitions a window touches (None: open). Partitions are written
    whole, so a window is widened to whole days."""
    return (since.date().isoformat() if since else None, until.date().isoformat() if until else None)


def join(root: str, *parts: str) -> str:
    """A path under the lake root, local or s3://, with single slashes."""
    return "/".join([root.rstrip("/"), *(part.strip("/") for part in parts if part)])


# -- Athena / Glue DDL --------------------------------------------------------------------------

_ATHENA_TYPES = {
    "VARCHAR": "string",
    "JSON": "string",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
}


def athena_type(duckdb_type: str) -> str:
    """The Athena (Hive DDL) type of a DuckDB column type the lake stores."""
    if duckdb_type.endswith("[]"):
        return f"array<{athena_type(duckdb_type[:-2])}>"
    try:
        return _ATHENA_TYPES[duckdb_type]
    except KeyError:
        raise ValueError(f"the lake has no Athena type for DuckDB type {duckdb_type}") from None


def athena_ddl(location: str, columns: Iterable[tuple[LakeTable, Sequence[tuple[str, str]]]]) -> str:
    """CREATE EXTERNAL TABLE (and MSCK REPAIR, which finds the partitions) for each table, given
    its stored columns as (name, DuckDB type). Partition keys are strings; timestamps are read at
    Athena's millisecond precision."""
    parts = [
        "-- Athena / Glue DDL for a correlate lake (generated by correlate; see docs/lake.md).",
        f"-- Location: {location}",
        "-- Run each statement in Athena (database of your choice), then MSCK REPAIR after new partitions land.",
        "",
    ]
    for table, stored in columns:
        body = ",\n".join(f"  `{name}` {athena_type(kind)}" for name, kind in stored)
        keys = ", ".join(f"`{key}` string" for key in table.partition_by)
        parts.append(
            f"-- {table.name}: {table.grain}\n"
            f"CREATE EXTERNAL TABLE IF NOT EXISTS `{table.name}` (\n{body}\n)\n"
            f"PARTITIONED BY ({keys})\n"
            "STORED AS PARQUET\n"
            f"LOCATION '{join(location, table.name)}/';\n"
            f"MSCK REPAIR TABLE `{table.name}`;\n"
        )
    return "\n".join(parts)
