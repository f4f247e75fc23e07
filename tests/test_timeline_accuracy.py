"""Accuracy on the demo scenarios, through the demo's own path (access logs, then trail files
through the CloudTrail ingestion, then the timeline): for every kind and several seeds, the culprit
change is ranked first with suspicion >= 0.5 and every other change stays below; with no change behind
the shift, nothing reaches 0.5 and the timeline says so. Larger sweeps: bench/accuracy.py.
"""

from __future__ import annotations

import json

import pytest
from conftest import records
from timeline_support import load_scenario, oracle_rows

from correlate.analysis.timeline import SUSPECT, build_timeline
from correlate.demo import KINDS
from correlate.demo.scenarios import BASIC_KINDS
from correlate.present.evidence import note_line
from correlate.store.database import Database

SEEDS = (1, 2, 3)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", list(BASIC_KINDS))
def test_the_culprit_ranks_first(db, tmp_path, kind, seed):
    files = load_scenario(db, kind, seed, tmp_path)
    story = files.scenario
    timeline = build_timeline(db, story.subject, story.start, story.end)
    ranked = [(s.change.event_name, s.change.event_time, s.suspicion) for s in timeline.changes]
    culprit = story.culprit
    if culprit is None:
        assert all(s.suspicion < SUSPECT for s in timeline.changes), ranked
        notes = [note_line(note) for note in timeline.notes]
        assert (
            f"No change reaches suspicion {SUSPECT}: nothing recorded for {story.subject} explains its shifts." in notes
        )
        assert any(note.startswith("Unexplained at ") for note in notes)
        return
    top = timeline.changes[0]
    assert (top.change.event_name, top.change.event_time) == (culprit.call.event_name, culprit.call.at), ranked
    assert top.suspicion >= SUSPECT, ranked
    assert all(s.suspicion < SUSPECT for s in timeline.changes[1:]), ranked


def test_the_trail_becomes_the_changes_the_scenario_defines(tmp_path):
    """The CloudTrail ingestion turns each scenario's trail into the oracle's changes: same events, same
    load balancers, same outcome, categories, target groups and kind of load balancer, and the facts the
    scoring reads from `details`."""
    key = ("event_id", "lb", "event_name", "error_code", "category", "categories", "target_groups", "classic")
    for kind in KINDS:
        with Database.open(":memory:") as db:
            files = load_scenario(db, kind, 1, tmp_path / kind, subject_only=False)
            expected, _ = oracle_rows(files)
            loaded = records(db, f"select {', '.join(key)}, details from changes")
            for row in [*loaded, *expected]:
                details = json.loads(row.pop("details") or "{}")
                row["facts"] = {fact: details.get(fact) for fact in ("ecs_action", "health_check", "attribute_keys")}
            assert sorted(loaded, key=lambda row: (row["event_id"], row["lb"])) == sorted(
                ({k: row[k] for k in (*key, "facts")} for row in expected),
                key=lambda row: (row["event_id"], row["lb"]),
            ), kind
