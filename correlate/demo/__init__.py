"""`correlate demo`: a deterministic incident generator (also the tests' data source).

`generate(kind, seed, root)` writes 50 minutes of access logs for two load balancers and the CloudTrail
trail of the same time into `root`, in the AWS S3 key layouts, and when asked the one-minute metrics
CloudWatch would hold (demo/metrics.py); `Scenario` says which call is the culprit (if any), so tests
can check the timeline's ranking.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from correlate.demo.catalog import KINDS, scenario
from correlate.demo.cloudtrail import record, write_trail
from correlate.demo.feed import write_feed
from correlate.demo.metrics import write_metrics
from correlate.demo.traffic import Rates, write_logs
from correlate.demo.world import Scenario

__all__ = ["KINDS", "DemoFiles", "Rates", "Scenario", "generate", "scenario"]


@dataclass(frozen=True, slots=True)
class DemoFiles:
    scenario: Scenario
    root: Path
    log_files: tuple[Path, ...]
    trail_files: tuple[Path, ...]
    records: tuple[dict, ...]  # the CloudTrail records, in the scenario's event order
    feed_files: tuple[Path, ...] = ()  # the change feed, for the kinds that have one
    metric_files: tuple[Path, ...] = ()  # saved GetMetricData exchanges (demo/metrics.py)


def generate(
    kind: str,
    seed: int,
    root: Path,
    rates: Rates | None = None,
    file_minutes: int = 5,
    only: str | None = None,
    logs: bool = True,
    metrics: bool = False,
) -> DemoFiles:
    """Write the scenario's access logs (with `logs`), its CloudWatch metrics (with `metrics`), its
    trail files and its change feed under `root` (files already there with the same bytes are left
    alone). `only` names the one load balancer whose logs or metrics to write (tests)."""
    built = scenario(kind, seed)
    ids = random.Random(f"trail:{kind}:{seed}")
    records = tuple(record(event.call, ids) for event in built.events)
    rates = rates or Rates()
    log_files = write_logs(built, root, rates, seed, file_minutes, only) if logs else []
    metric_files = write_metrics(built, root, rates, seed, only) if metrics else []
    trail = write_trail(list(records), root, random.Random(f"trail-files:{kind}:{seed}"))
    feed = write_feed(built, root, seed)
    return DemoFiles(built, root, tuple(log_files), tuple(trail), records, tuple(feed), tuple(metric_files))
