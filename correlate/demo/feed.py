"""The demo's change feed: the scenario's change events as JSON lines (the shape `correlate ingest
changes` reads, docs/changes.md), written beside the access logs and the trail:
`feeds/<kind>-seed<N>.jsonl`."""

from __future__ import annotations

from pathlib import Path

import orjson

from correlate.demo.cloudtrail import write_if_changed
from correlate.demo.world import Scenario


def write_feed(scenario: Scenario, root: Path, seed: int) -> list[Path]:
    """The feed file of a scenario with change events (none for the others)."""
    if not scenario.feed:
        return []
    data = b"".join(orjson.dumps(item.record) + b"\n" for item in scenario.feed)
    return [write_if_changed(root / "feeds" / f"{scenario.kind}-seed{seed}.jsonl", data)]
