"""The `correlate demo` job: write a scenario's files, load them, and build its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from correlate.analysis.timeline import Timeline, build_timeline
from correlate.demo import DemoFiles, Rates, generate
from correlate.errors import CorrelateError
from correlate.pipeline.logs import LOG_SUFFIXES, IngestSummary, ingest_logs
from correlate.sources import expand_sources
from correlate.store.database import Database
from correlate.store.logs import LogStore


class CloudTrailUnavailable(CorrelateError):
    """This build cannot load CloudTrail files."""


@dataclass(frozen=True, slots=True)
class DemoRun:
    files: DemoFiles
    logs: IngestSummary
    trail_note: str | None  # why the trail was not loaded, when it was not
    timeline: Timeline


def run_demo(db: Database, kind: str, seed: int, root: Path, rates: Rates | None = None) -> DemoRun:
    """Write the scenario under `root`, load its access logs and trail into `db`, and build the subject
    load balancer's timeline over the scenario's hour."""
    files = generate(kind, seed, root, rates)
    logs = ingest_logs(LogStore(db), expand_sources([str(root / "AWSLogs")], LOG_SUFFIXES))
    note = None
    try:
        load_trail(db, files)
    except CloudTrailUnavailable as unavailable:
        note = str(unavailable)
    scenario = files.scenario
    timeline = build_timeline(db, scenario.subject, scenario.start, scenario.end)
    return DemoRun(files, logs, note, timeline)


def load_trail(db: Database, files: DemoFiles) -> None:
    """Load the scenario's trail files through correlate's CloudTrail ingestion, the code behind
    `correlate ingest cloudtrail`.

    That ingestion is being built on the `cloudtrail` branch; until it is merged this build has none,
    and the demo says so instead of loading the changes some other way."""
    folder = files.trail_files[0].parents[4] if files.trail_files else files.root
    raise CloudTrailUnavailable(
        "This build has no CloudTrail ingestion yet (`correlate ingest cloudtrail` comes with the cloudtrail "
        f"branch): the trail files under {folder} were written but not loaded, so the timeline shows metric "
        "shifts without changes."
    )
