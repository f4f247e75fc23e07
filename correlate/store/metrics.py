"""CloudWatch series → `metrics_minute` (one row per series and minute), `metric_fetches` (what each
read asked for and got) and `rejects`; and what the database already knows of a load balancer's
CloudWatch name when Describe* may not be called.

A GetMetricData page holds at most 100,800 datapoints: each page is staged as one Arrow table in a
temporary DuckDB table, so memory stays flat however long the window; the request's points are then
merged into metrics_minute in one pass, in one transaction with its rejects and fetch rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import orjson
import pyarrow as pa

from correlate.parse.cloudwatch import Series, SeriesPoints, Unreadable
from correlate.store.database import Database, statements

KIND = "cloudwatch"
_SERIES_FIELDS = ("lb", "lb_type", "namespace", "scope", "scope_name", "metric", "statistic")


@dataclass(frozen=True, slots=True)
class Fetch:
    """One series read once: the minutes asked for [since, until), and what came back."""

    series: Series
    since: dt.datetime | None
    until: dt.datetime | None
    datapoints: int
    status: str | None
    messages: str | None
    source: str


@dataclass(frozen=True, slots=True)
class FileEntry:
    """The ledger row of one saved GetMetricData document."""

    source_file: str
    fingerprint: str
    size_bytes: int
    rows: int
    rejected: int


class MetricsStore:
    """Points are staged page by page, then written with their request's rejects and fetch rows."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self._staged = 0

    def stage(self, points: Sequence[SeriesPoints], source: str) -> None:
        """Add one page's points to the request being read (a temporary table in DuckDB, so memory
        holds one page at a time)."""
        if points:
            table = _points_table(points, source, self._staged)
            self.db.run_file_with("page", table, "load/metrics_stage.sql")
            self._staged += table.num_rows

    def write(
        self,
        source: str,
        rejects: Sequence[Unreadable] = (),
        fetches: Sequence[Fetch] = (),
        entry: FileEntry | None = None,
    ) -> int:
        """The staged points, rejects, fetch rows and a document's ledger row in one transaction;
        returns how many metrics_minute rows are new."""
        new = 0
        with self.db.transaction():
            if self._staged:
                new = self.db.run_file("load/metrics.sql")[1] or 0  # the INSERT, its second statement
            if rejects:
                self.db.run_file_with("typed", _rejects_table(rejects, source), "load/rejects.sql")
            if fetches:
                self.db.run_file_with("fetches", _fetches_table(fetches), "load/metric_fetches.sql")
            if entry:
                entries = pa.Table.from_pylist([{**asdict(entry), "kind": KIND, "filter": ""}])
                self.db.run_file_with("entries", entries, "load/metrics_ledger.sql")
        self._staged = 0
        return new

    def loaded_files(self) -> dict[str, str]:
        """source_file → fingerprint of every saved document loaded so far."""
        rows = self.db.con.execute(
            "select source_file, fingerprint from ingested_files where kind = ?", [KIND]
        ).fetchall()
        return dict(rows)

    def known_load_balancers(self, lb: str) -> list[tuple[str, str]]:
        """(lb_type, lb_id) of the load balancers named `lb` seen in logs or changes."""
        rows = self.db.con.execute(statements("metrics/known_load_balancers.sql")[0], {"lb": lb}).fetchall()
        return [(lb_type, lb_id) for lb_type, lb_id in rows]

    def known_target_groups(self, lb: str) -> list[str]:
        """ARNs of the target groups seen serving `lb` in access logs or changes."""
        rows = self.db.con.execute(statements("metrics/known_target_groups.sql")[0], {"lb": lb}).fetchall()
        return [arn for (arn,) in rows]


def _points_table(points: Sequence[SeriesPoints], source: str, first: int) -> pa.Table:
    sizes = [len(chunk.values) for chunk in points]
    columns = {
        name: pa.concat_arrays(
            [
                pa.repeat(pa.scalar(getattr(chunk.series, name), pa.string()), size)
                for chunk, size in zip(points, sizes, strict=True)
            ]
        )
        for name in _SERIES_FIELDS
    }
    columns["minute"] = pa.concat_arrays([chunk.minutes for chunk in points])
    columns["value"] = pa.concat_arrays([chunk.values for chunk in points])
    columns["source"] = pa.repeat(pa.scalar(source, pa.string()), sum(sizes))
    columns["seq"] = pa.array(range(first, first + sum(sizes)), pa.int64())
    return pa.table(columns)


def _rejects_table(rejects: Sequence[Unreadable], source: str) -> pa.Table:
    return pa.table(
        {
            "source_file": pa.array([source] * len(rejects), pa.string()),
            "source_line": pa.array([None] * len(rejects), pa.int64()),
            "kind": pa.array([KIND] * len(rejects), pa.string()),
            "reason": pa.array([reject.reason for reject in rejects], pa.string()),
            "raw": pa.array([reject.raw for reject in rejects], pa.string()),
        }
    )


def _fetches_table(fetches: Sequence[Fetch]) -> pa.Table:
    columns: dict[str, pa.Array] = {
        name: pa.array([getattr(fetch.series, name) for fetch in fetches], pa.string()) for name in _SERIES_FIELDS
    }
    columns["dimensions"] = pa.array(
        [orjson.dumps([{"Name": n, "Value": v} for n, v in fetch.series.dimensions]).decode() for fetch in fetches],
        pa.string(),
    )
    columns["since"] = pa.array([fetch.since for fetch in fetches], pa.timestamp("us"))
    columns["until"] = pa.array([fetch.until for fetch in fetches], pa.timestamp("us"))
    columns["datapoints"] = pa.array([fetch.datapoints for fetch in fetches], pa.int64())
    for name in ("status", "messages", "source"):
        columns[name] = pa.array([getattr(fetch, name) for fetch in fetches], pa.string())
    return pa.table(columns)
