"""`correlate demo`: a deterministic incident generator (also the tests' data source).

`generate(kind, seed, root)` writes 50 minutes of access logs for two load balancers and the CloudTrail
trail of the same time into `root`, in the AWS S3 key layouts (or, with `access_logs=False`, the
one-minute metrics CloudWatch would hold instead of the logs: demo/metrics.py); `Scenario` says which
call is the culprit (if any), so tests can check the timeline's ranking.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from correlate.demo.catalog import KINDS, scenario
from correlate.demo.cloudtrail import record, write_trail
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
    metric_files: tuple[Path, ...] = ()  # saved GetMetricData exchanges, instead of access logs


def generate(
    kind: str,
    seed: int,
    root: Path,
    rates: Rates | None = None,
    file_minutes: int = 5,
    only: str | None = None,
    access_logs: bool = True,
) -> DemoFiles:
    """Write the scenario's access logs (or, without `access_logs`, its CloudWatch metrics) and trail
    files under `root` (files already there with the same bytes are left alone). `only` names the one
    load balancer whose logs or metrics to write (tests)."""
    built = scenario(kind, seed)
    ids = random.Random(f"trail:{kind}:{seed}")
    records = tuple(record(event.call, ids) for event in built.events)
    if access_logs:
        logs, metrics = write_logs(built, root, rates or Rates(), seed, file_minutes, only), []
    else:
        logs, metrics = [], write_metrics(built, root, rates or Rates(), seed, only)
    trail = write_trail(list(records), root, random.Random(f"trail-files:{kind}:{seed}"))
    return DemoFiles(built, root, tuple(logs), tuple(trail), records, tuple(metrics))
