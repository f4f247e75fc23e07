#!/usr/bin/env python3
"""Benchmark `ingest metrics` on CloudWatch's largest answer, against a bare insert, in the same run.

    python bench/metrics.py               # one ALB, 2 zones, 2 target groups, 15 days: 54 series, 1.17 M points
    python bench/metrics.py --days 2      # a quicker run

A fake GetMetricData client answers with pages of at most 100,800 datapoints (CloudWatch's page size),
in the shape boto3 returns (timezone-aware datetimes), with NextToken between them; nothing is paced.
Timed, best of --repeat, each into a fresh database:

  bare      the same rows as one Arrow table, one `insert into metrics_minute` (no parsing, no upsert)
  ingest    ingest_metrics: Describe* skipped (the subject is given), pages parsed and staged, merged
            into metrics_minute with the metric_fetches rows
  rerun     ingest_metrics again over the same window into the loaded database (every row exists:
            nothing is added, every value compared)
  view      select count(*) from metrics_lb_minute (the per-minute series of the whole window)

Prints seconds, the ratios to `bare`, and the peak RSS growth of the process (the fake's pages are
all in memory; ingest itself holds one page at a time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyarrow as pa  # noqa: E402

from correlate.parse.cloudwatch import MetricSubject, metric_queries, read_queries  # noqa: E402
from correlate.pipeline import metrics as pipeline  # noqa: E402
from correlate.sources.aws import AwsClients, AwsOptions  # noqa: E402
from correlate.store.database import Database  # noqa: E402
from correlate.store.metrics import MetricsStore  # noqa: E402

PAGE = 100_800
SUBJECT = MetricSubject(
    "alb", "app/web-prod/50dc6c495c0c9188", ("us-east-1a", "us-east-1b"), ("targetgroup/web/1", "targetgroup/api/2")
)
END = dt.datetime(2026, 11, 20, 15, 0)


class FakeCloudWatch:
    """get_metric_data over `minutes` minutes for every query: pages of at most PAGE datapoints,
    built before the clock starts."""

    def __init__(self, minutes: int) -> None:
        queries = metric_queries(SUBJECT)
        start = (END - dt.timedelta(minutes=minutes)).replace(tzinfo=dt.UTC)
        stamps = [start + dt.timedelta(minutes=m) for m in range(minutes)]
        total = minutes * len(queries)
        self.pages = []
        for low in range(0, total, PAGE):
            high = min(low + PAGE, total)
            results = []
            for index, query in enumerate(queries):
                first, last = max(low, index * minutes), min(high, (index + 1) * minutes)
                if first < last:
                    offsets = range(first - index * minutes, last - index * minutes)
                    results.append(
                        {
                            "Id": query["Id"],
                            "Timestamps": stamps[offsets.start : offsets.stop],
                            "Values": [float(100 + (m * 7 + index) % 50) for m in offsets],
                            "StatusCode": "Complete" if last == (index + 1) * minutes else "PartialData",
                        }
                    )
            page = {"MetricDataResults": results}
            if high < total:
                page["NextToken"] = str(len(self.pages) + 1)
            self.pages.append(page)

    def get_metric_data(self, MetricDataQueries, StartTime, EndTime, ScanBy, NextToken=None):
        return self.pages[int(NextToken or 0)]


class FakeClients(AwsClients):
    def __init__(self, cloudwatch: FakeCloudWatch) -> None:
        super().__init__(AwsOptions(region="us-east-1"))
        self.cloudwatch = cloudwatch

    @property
    def region(self) -> str:
        return "us-east-1"

    def client(self, service, region=None, *, max_attempts=5):
        return self.cloudwatch


def ingest(db: Database, minutes: int, cloudwatch: FakeCloudWatch) -> int:
    pipeline._subjects = lambda *args: [SUBJECT]  # Describe* is not what is measured
    request = pipeline.MetricsRequest("web-prod", END - dt.timedelta(minutes=minutes), END - dt.timedelta(minutes=1))
    summary = pipeline.ingest_metrics(MetricsStore(db), FakeClients(cloudwatch), request, now=END, sleep=lambda _: None)
    return summary.datapoints


def bare(db: Database, minutes: int, _cloudwatch: FakeCloudWatch) -> int:
    series = list(read_queries(metric_queries(SUBJECT)).series.values())
    start = END - dt.timedelta(minutes=minutes)
    stamps = [start + dt.timedelta(minutes=m) for m in range(minutes)]
    columns = {
        name: pa.array([getattr(one, name) for one in series for _ in stamps], pa.string())
        for name in ("lb", "lb_type", "namespace", "scope", "scope_name", "metric", "statistic")
    }
    columns["minute"] = pa.array(stamps * len(series), pa.timestamp("us"))
    columns["value"] = pa.array([float(100 + (m * 7 + i) % 50) for i in range(len(series)) for m in range(minutes)])
    db.con.register("incoming", pa.table(columns))
    db.con.execute("insert into metrics_minute by name select * from incoming")
    db.con.unregister("incoming")
    return len(series) * minutes


def best(repeat: int, step, fresh: bool = True) -> tuple[float, object]:
    """Best time of `step(db)`, each in a new database (opening it is not timed) unless `fresh` is
    False, when `step()` runs as is."""
    times, result = [], None
    for _ in range(repeat):
        if not fresh:
            started = time.perf_counter()
            result = step()
            times.append(time.perf_counter() - started)
            continue
        with Database.open(":memory:") as db:
            started = time.perf_counter()
            result = step(db)
            times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=float, default=15)
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    minutes = int(options.days * 1440)
    print(f"{len(metric_queries(SUBJECT))} series x {minutes:,} minutes")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cloudwatch = FakeCloudWatch(minutes)
    bare_s, rows = best(options.repeat, lambda db: bare(db, minutes, cloudwatch))
    ingest_s, points = best(options.repeat, lambda db: ingest(db, minutes, cloudwatch))
    assert points == rows, (points, rows)
    with Database.open(":memory:") as db:
        ingest(db, minutes, cloudwatch)
        rerun_s, _ = best(options.repeat, lambda: ingest(db, minutes, cloudwatch), fresh=False)
        count = "select count(*) from metrics_lb_minute"
        view_s, _ = best(options.repeat, lambda: db.con.execute(count).fetchall(), fresh=False)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"bare    {bare_s:7.2f} s  {rows / bare_s:12,.0f} rows/s  1.00x")
    print(f"ingest  {ingest_s:7.2f} s  {rows / ingest_s:12,.0f} rows/s  {ingest_s / bare_s:.2f}x bare")
    print(f"rerun   {rerun_s:7.2f} s  {rows / rerun_s:12,.0f} rows/s  {rerun_s / bare_s:.2f}x bare")
    print(f"view    {view_s:7.2f} s  (metrics_lb_minute over {minutes:,} minutes)  {view_s / bare_s:.2f}x bare")
    print(f"peak RSS growth {(rss_after - rss_before) / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
