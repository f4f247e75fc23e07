"""The harder incidents (correlate/demo/hard.py), each a trap for change correlation: blame only the
cause. For every kind the culprit ranks first with suspicion >= 0.5 and no other change reaches 0.5
(no change at all where nothing in the trail caused the shift), and the evidence says why the decoy is
not the cause. bench/accuracy.py runs the same over many seeds and two traffic levels."""

from __future__ import annotations

import pytest
from timeline_support import load_scenario

from correlate.analysis.evidence import AlreadyMoved, OtherPart, RevertedBy, Reverts, Unexplained, Unreached
from correlate.analysis.timeline import SUSPECT, build_timeline
from correlate.demo.hard import HARD_KINDS
from correlate.present.document import timeline_document
from correlate.present.evidence import evidence_lines, note_line
from correlate.store.database import Database


@pytest.fixture(scope="module")
def incidents(tmp_path_factory):
    """kind -> (scenario, timeline, changes rows' (event_name, event_time, event_id, reverts)), seed 1."""
    found = {}

    def load(kind: str, seed: int = 1):
        if (kind, seed) not in found:
            with Database.open(":memory:") as db:
                story = load_scenario(db, kind, seed, tmp_path_factory.mktemp(kind)).scenario
                timeline = build_timeline(db, story.subject, story.start, story.end)
                rows = db.con.execute(
                    "select event_name, event_time, event_id, reverts from changes where lb = ? order by event_time",
                    [story.subject],
                ).fetchall()
            found[(kind, seed)] = story, timeline, rows
        return found[(kind, seed)]

    return load


def scored(timeline, name: str, at=None):
    return next(
        s for s in timeline.changes if s.change.event_name == name and (at is None or s.change.event_time == at)
    )


@pytest.mark.parametrize("seed", (1, 2))
@pytest.mark.parametrize("kind", list(HARD_KINDS))
def test_only_the_cause_is_blamed(incidents, kind, seed):
    story, timeline, _ = incidents(kind, seed)
    ranked = [(s.change.event_name, f"{s.change.event_time:%H:%M:%S}", s.suspicion) for s in timeline.changes]
    culprit = story.culprit
    if culprit is None:
        assert all(s.suspicion < SUSPECT for s in timeline.changes), ranked
        return
    top, *others = timeline.changes
    assert (top.change.event_name, top.change.event_time) == (culprit.call.event_name, culprit.call.at), ranked
    assert top.suspicion >= SUSPECT, ranked
    assert all(s.suspicion < SUSPECT for s in others), ranked


def test_the_on_call_reaction_is_not_the_cause(incidents):
    """The engineer registers targets minutes into a failure of the application: the target group and
    the load balancer had already moved, so the later change points of single targets do not count."""
    story, timeline, _ = incidents("on-call-reaction")
    reaction = scored(timeline, "RegisterTargets", max(e.call.at for e in story.events if e.expected))
    assert reaction.suspicion < SUSPECT
    already = [a for a in reaction.explains for n in a.notes if isinstance(n, AlreadyMoved) and n.began]
    assert already or all(a.shift.kind == "distribution" or a.shift.worse is False for a in reaction.explains)
    first = next(note for note in timeline.notes if isinstance(note, Unexplained))
    assert first.at < reaction.change.event_time
    assert note_line(first).endswith(
        f"; it began at {first.at:%H:%M}, before RegisterTargets at {reaction.change.event_time:%H:%M:%S}."
    )


def test_a_rule_no_request_matches_and_an_idle_target_group_explain_nothing(incidents):
    _, timeline, _ = incidents("unreached-rule")
    rule = scored(timeline, "CreateRule")
    assert Unreached("rule", ("5",)) in rule.evidence
    assert "counter-evidence: no request matched rule 5 in the window, before or after the change" in (
        evidence_lines(rule)
    )
    check = scored(timeline, "ModifyTargetGroup")
    assert Unreached("target_group", ("web-v2",)) in check.evidence
    assert max(rule.suspicion, check.suspicion) < 0.1


def test_a_revert_is_paired_and_scored_as_recovery(incidents):
    story, timeline, rows = incidents("revert")
    culprit = story.culprit.call
    revert = next(e for e in story.events if e.reverts is not None)
    ids = {(name, at): event_id for name, at, event_id, _ in rows}
    reverts = {event_id: undone for _, _, event_id, undone in rows}
    assert reverts[ids[("ModifyListener", revert.call.at)]] == ids[("ModifyListener", culprit.at)]
    undo = scored(timeline, "ModifyListener", revert.call.at)
    assert undo.suspicion < SUSPECT
    (undoes,) = [item for item in undo.evidence if isinstance(item, Reverts)]
    assert undoes.earlier.event_id == ids[("ModifyListener", culprit.at)]
    assert all(a.shift.worse is not True for a in undo.explains if a.score >= 0.05)
    cause = scored(timeline, "ModifyListener", culprit.at)
    (undone,) = [item for item in cause.evidence if isinstance(item, RevertedBy)]
    assert undone.same_actor and undone.recovered is not None
    assert f"reverted at {revert.call.at:%H:%M:%S} by the same engineer (ModifyListener); 5xx recovered from" in (
        " ".join(evidence_lines(cause))
    )
    document = {c["event_id"]: c for c in timeline_document(timeline)["changes"]}
    assert document[cause.change.event_id]["reverted_by"] == undo.change.event_id
    assert document[undo.change.event_id]["reverts"] == cause.change.event_id


def test_a_ramp_is_judged_by_its_onset(incidents):
    """Stickiness concentrates load over ten minutes: the culprit is credited although the change
    points come minutes after it, and the scale-out inside the worsening trend is not."""
    story, timeline, _ = incidents("ramp")
    cause = scored(timeline, "ModifyTargetGroupAttributes")
    assert max(a.timing for a in cause.explains if a.shift.kind == "health") == 1.0
    scale_out = scored(timeline, "RegisterTargets", max(e.call.at for e in story.events if e.expected))
    assert scale_out.suspicion < SUSPECT


def test_a_sibling_target_group_carries_the_wider_shift(incidents):
    _, timeline, _ = incidents("sibling-slice")
    check = scored(timeline, "ModifyTargetGroup")
    assert check.suspicion < 0.3
    assert any(isinstance(note, OtherPart) and note.moved == "api" for a in check.explains for note in a.notes)
