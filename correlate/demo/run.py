"""The `correlate demo` job: write a scenario's files, load them, and build its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from correlate.analysis.timeline import Timeline, build_timeline
from correlate.demo import DemoFiles, Rates, generate
from correlate.pipeline.changes import ChangesOptions, FeedSummary, load_changes
from correlate.pipeline.cloudtrail import CLOUDTRAIL_SUFFIXES, CloudTrailSummary, ingest_cloudtrail
from correlate.pipeline.logs import IngestSummary, LogsOptions, load_logs
from correlate.pipeline.metrics import MetricsSummary, ingest_metric_files
from correlate.sources import expand_sources
from correlate.store.cloudtrail import CloudTrailStore
from correlate.store.database import Database
from correlate.store.metrics import MetricsStore


@dataclass(frozen=True, slots=True)
class DemoRun:
    files: DemoFiles
    logs: IngestSummary | MetricsSummary  # the access logs, or the CloudWatch metrics instead
    trail: CloudTrailSummary
    feed: FeedSummary | None  # the kinds with a change feed
    timeline: Timeline


def run_demo(
    db: Database, kind: str, seed: int, root: Path, rates: Rates | None = None, access_logs: bool = True
) -> DemoRun:
    """Write the scenario under `root`, load its access logs (or, without `access_logs`, the metrics
    CloudWatch would hold, through `ingest metrics`' library call), then its trail and its change feed,
    into `db` (the logs or metrics first: they tell the change model which load balancers serve a
    target group), and build the subject load balancer's timeline over the scenario's 50 minutes."""
    if access_logs:
        files = generate(kind, seed, root, rates)
        logs: IngestSummary | MetricsSummary = load_logs(db, LogsOptions((str(root / "AWSLogs"),)))
    else:
        files = generate(kind, seed, root, rates, logs=False, metrics=True)
        logs = ingest_metric_files(MetricsStore(db), [str(path) for path in files.metric_files])
    trail = load_trail(db, files)
    feed = load_feed(db, files)
    scenario = files.scenario
    timeline = build_timeline(db, scenario.subject, scenario.start, scenario.end)
    return DemoRun(files, logs, trail, feed, timeline)


def load_trail(db: Database, files: DemoFiles) -> CloudTrailSummary:
    """Load the scenario's trail files with `correlate ingest cloudtrail`'s library call."""
    objects = expand_sources([str(path) for path in files.trail_files], CLOUDTRAIL_SUFFIXES)
    return ingest_cloudtrail(CloudTrailStore(db), objects)


def load_feed(db: Database, files: DemoFiles) -> FeedSummary | None:
    """Load the scenario's change feed, if it has one, with `correlate ingest changes`' library call."""
    if not files.feed_files:
        return None
    return load_changes(db, ChangesOptions(tuple(str(path) for path in files.feed_files)))
