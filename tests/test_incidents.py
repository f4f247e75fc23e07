"""One database, incident after incident: the way a team keeps `correlate.duckdb`.

The story a new user follows (`correlate demo`, `correlate demo --kind tls-policy`, `correlate report
--lb web-prod -o review.md`), each sentence it used to get wrong; and every textbook demo kind loaded
into one database, each ranked and scored exactly as in a database of its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import invoke, ts
from timeline_support import TEST_RATES

from correlate.analysis.episodes import Episode, Stretch
from correlate.analysis.timeline import Timeline
from correlate.demo import generate, run, scenario
from correlate.demo.run import load_trail
from correlate.demo.scenarios import BASIC_KINDS
from correlate.pipeline.logs import LogsOptions, load_logs
from correlate.present.timeline import window_note
from correlate.store.database import Database


@dataclass(frozen=True)
class Story:
    db: Path
    out: Path
    report: str  # review.md
    stderr: str  # of the report command


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    """The README's story at test traffic rates: two demo days, then the report."""
    root = tmp_path_factory.mktemp("story")
    db, runner = root / "correlate.duckdb", CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        made = run.generate
        patch.setattr(run, "generate", lambda kind, seed, out, rates=None: made(kind, seed, out, TEST_RATES))
        for kind in ("deregistered-targets", "tls-policy"):
            demo = invoke(runner, "--db", db, "demo", "--kind", kind, "--out", root / "demo", "--format", "csv")
            assert demo.exit_code == 0, demo.stderr
    report = invoke(runner, "--db", db, "report", "--lb", "web-prod", "-o", root / "review.md")
    assert report.exit_code == 0, report.stderr
    return Story(db, root, (root / "review.md").read_text(), report.stderr)


def summary(text: str) -> str:
    return text.split("## Summary\n\n", 1)[1].split("\n", 1)[0]


def test_the_report_is_of_the_incident_not_of_both_days(story):
    """Was: "The metrics recovered at 13:30:00 UTC, 71 h 30 min later", "Incident: 14:00:00 - 13:30:00
    UTC", "Request rate 470.6/min before -> 2.33/min during", charts over three days."""
    assert story.stderr.splitlines()[0] == (
        "Showing web-prod's only incident, 2026-11-02 14:00 until the end of the data at 14:20 (ELB 5xx rate, "
        "p99 target latency, p50 target latency): --since 2026-11-02T13:30Z --until 2026-11-02T14:20Z. Its data "
        "runs from 2026-11-02 13:30 to 2026-11-05 14:20 in 2 stretches, with a gap between."
    )
    assert "· window 2026-11-02 13:30 – 14:20 UTC ·" in story.report
    assert summary(story.report) == (
        "From 2026-11-02 14:00:24 UTC, 1 s after the change at 2026-11-02 14:00:23, web-prod's share of requests "
        "answered with a 5xx rose from 0.23% to 28.49%, p99 target latency rose from 383 ms to 17,990 ms (×47) and "
        "p50 target latency rose from 31 ms to 81 ms (×2.6). The metrics had not recovered by the end of the data "
        "at 2026-11-02 14:20:00 UTC. During the incident 1,438 of 5,048 requests got a 5xx response. 2,392 requests "
        "(47.39%) were affected: a 5xx, or slower than the 385 ms p99 before. p99 target latency was 18,321 ms "
        "during the incident, 385 ms before. The most suspect change is DeregisterTargets at 2026-11-02 14:00:23 "
        "UTC by user/bob (cli): deregistered 4 targets (10.0.1.13:80, 10.0.1.14:80, 10.0.1.15:80, +1 more) from "
        "web (suspicion 0.95)."
    )
    impact = story.report.split("## Impact\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert impact[0] == (
        "- **Incident:** 2026-11-02 14:00:00 – 14:20:00 UTC, until the end of the data (20 min); it began in the "
        "minute of change #1 at 2026-11-02 14:00:23 — from the metric shifts in the timeline"
    )
    assert "- **Request rate:** 236.1/min before → 252.4/min during (F2)" in impact
    minutes = (story.out / "review_files" / "F6-minutes.csv").read_text().splitlines()
    assert (minutes[1][:20], minutes[-1][:20], len(minutes) - 1) == ("2026-11-02T13:30:00Z", "2026-11-02T14:19:00Z", 50)


def test_a_window_over_both_days_dates_every_time_and_ends_the_incident_at_the_gap(story):
    """Was: log-silence ranges without dates; an incident recovering three days later."""
    result = invoke(
        CliRunner(),
        "--db",
        story.db,
        "report",
        "--lb",
        "web-prod",
        "--since",
        "2026-11-02T13:00Z",
        "--until",
        "2026-11-06T00:00Z",
        "-o",
        story.out / "both.md",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "The window holds 2 stretches of web-prod's data with a gap between (2026-11-02 13:30 to 14:20, "
        "2026-11-05 13:30 to 14:20): a shift across a gap compares different stretches. Pick one with "
        "--since/--until."
    )
    text = (story.out / "both.md").read_text()
    # four days in 2-minute buckets: the onset differs; the gap still ends the incident, and the
    # periods before and during it stay on its day
    assert "The metrics had not recovered by the end of the data at 2026-11-02 14:20:00 UTC." in summary(text)
    assert "- **Incident:** 2026-11-02 13:56:00 – 14:20:00 UTC, until the end of the data (24 min) — " in text
    periods = [
        line.split(" | ")[:3] for line in text.splitlines() if line.startswith(("| before", "| during", "| after"))
    ]
    assert periods == [
        ["| before", "2026-11-02 13:30:00 – 13:56:00", "6,115"],
        ["| during", "2026-11-02 13:56:00 – 14:20:00", "6,016"],
    ]
    nodes = [line.split(" | ")[2:] for line in text.splitlines() if " | ALB, 5 min | " in line]
    assert nodes == [
        [
            "2026-11-02 13:30:00 – 2026-11-05 14:25:00",
            "875",
            "21",
            "854",
            "2026-11-02 14:20:00 – 2026-11-05 13:30:00 (854) |",
        ],
        [
            "2026-11-02 13:30:00 – 2026-11-05 14:20:00",
            "874",
            "21",
            "853",
            "2026-11-02 14:25:00 – 2026-11-05 13:30:00 (853) |",
        ],
    ]


def test_shifts_are_told_after_the_change_they_began_in_the_minute_of(story):
    """Was: "At 14:00:00 ... 5xx rose" with the change at 14:00:23, shifts at 14:00:00 listed above it."""
    rows = invoke(
        CliRunner(),
        "--db",
        story.db,
        "timeline",
        "--lb",
        "web-prod",
        "--since",
        "2026-11-02T13:30Z",
        "--until",
        "2026-11-02T14:20Z",
        "--format",
        "csv",
    ).stdout.splitlines()
    around = [row.split(",")[:2] for row in rows if row.startswith(("2026-11-02T14:00", "2026-11-02T14:01"))]
    assert around[:2] == [["2026-11-02T14:00:23Z", "change"], ["2026-11-02T14:00:00Z", "shift"]]
    assert [kind for _, kind in around].count("shift") >= 3
    told = [line.split(" | ")[:2] for line in story.report.splitlines() if line.startswith("| 2026-11-02 14:00")]
    assert [(when, what[:47]) for when, what in told] == [
        ("| 2026-11-02 14:00:23", "#1 DeregisterTargets: deregistered 4 targets (1"),
        ("| 2026-11-02 14:00", "Shift in the minute of #1: ELB 5xx rate rose fr"),
        ("| 2026-11-02 14:00", "Shift in the minute of #1: p99 target latency r"),
        ("| 2026-11-02 14:00", "12 shifts in slices in the minute of #1: ELB 5x"),
        ("| 2026-11-02 14:00:24.018", "First 5xx (504)"),
        ("| 2026-11-02 14:00:27", "#4 ModifyListener FAILED (AccessDenied), nothin"),
        ("| 2026-11-02 14:00:32", "#5 AddTags: tags added: CostCenter=web-4411, Ow"),
    ]


def test_the_window_note_says_which_window_and_how_to_pick_the_others():
    days = (
        Stretch(ts("2026-11-02T13:30Z"), ts("2026-11-02T14:20Z")),
        Stretch(ts("2026-11-03T09:00Z"), ts("2026-11-03T17:00Z")),
    )
    quiet = Timeline("web-prod", days[1].since, days[1].until, (), (), stretches=days, chosen=True)
    assert window_note(quiet) == (
        "No incident in web-prod's data (no metric got worse); showing its most recent stretch, 2026-11-03 09:00 to "
        "17:00: --since 2026-11-03T09:00Z --until 2026-11-03T17:00Z. Its data runs from 2026-11-02 13:30 to "
        "2026-11-03 17:00 in 2 stretches, with a gap between."
    )
    first = Episode(days[0].since, days[0].until, ts("2026-11-02T14:00Z"), days[0].until, False, ("elb_5xx_rate",))
    second = Episode(
        ts("2026-11-03T09:30Z"), ts("2026-11-03T12:00Z"), ts("2026-11-03T10:30Z"), ts("2026-11-03T11:00Z"), True,
        ("p99_target_ms", "requests_per_min"),
    )  # fmt: skip
    shown = Timeline(
        "web-prod", second.since, second.until, (), (), stretches=days, incidents=(first, second), chosen=True
    )
    assert window_note(shown) == (
        "Showing the most recent of web-prod's 2 incidents, 2026-11-03 10:30 recovered 11:00 (p99 target latency, "
        "requests per minute): --since 2026-11-03T09:30Z --until 2026-11-03T12:00Z. Its data runs from 2026-11-02 "
        "13:30 to 2026-11-03 17:00 in 2 stretches, with a gap between. The others:\n"
        "  2026-11-02 14:00 until the end of the data at 14:20 (ELB 5xx rate): --since 2026-11-02T13:30Z --until "
        "2026-11-02T14:20Z"
    )
    whole = Timeline(
        "web-prod", days[0].since, days[0].until, (), (), stretches=days[:1], incidents=(first,), chosen=True
    )
    assert window_note(whole) is None  # the one incident, all of the data
    given = Timeline("web-prod", days[0].since, days[1].until, (), (), stretches=days)
    assert window_note(given).startswith("The window holds 2 stretches of web-prod's data with a gap between")


# -- every textbook kind in one database -----------------------------------------------------------


@dataclass(frozen=True)
class Kinds:
    all: Path  # every kind loaded, one after another, as `correlate demo --kind K` would
    alone: dict[str, Path]  # each kind in a database of its own


@pytest.fixture(scope="module")
def kinds(tmp_path_factory) -> Kinds:
    root = tmp_path_factory.mktemp("kinds")
    alone = {}
    with Database.open(str(root / "all.duckdb")) as everything:
        for kind in BASIC_KINDS:
            story = scenario(kind, 1)
            files = generate(kind, 1, root / kind, TEST_RATES, file_minutes=1440, only=story.subject)
            alone[kind] = root / f"{kind}.duckdb"
            with Database.open(str(alone[kind])) as db:
                for database in (db, everything):
                    load_logs(database, LogsOptions((str(root / kind / "AWSLogs"),)))
                    load_trail(database, files)
    return Kinds(root / "all.duckdb", alone)


def timeline(db: Path, lb: str, *window: str) -> tuple[dict, str]:
    result = invoke(CliRunner(), "--db", db, "timeline", "--lb", lb, *window, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def scored(document: dict) -> list[tuple]:
    """What the ranking says of each change, in its order: its suspicion, evidence and categories.
    With other days loaded the replay may know more of the configuration before a call: its summary
    says more, and so may the fit of its attributions (`explains`: a failed call's listener port,
    learned from another day's call), never its score."""
    return [(c["event_id"], c["suspicion"], c["evidence"], c["categories"]) for c in document["changes"]]


def test_each_kind_ranks_and_scores_its_changes_as_in_a_database_of_its_own(kinds):
    picks = {}
    for lb in ("web-prod", "legacy-web"):
        document, stderr = timeline(kinds.all, lb)
        # every incident the window note lists, with the --since/--until that picks it
        for since, until in re.findall(r"--since (\S+) --until ([^\s.]+)", stderr):
            picks[lb, since[:10]] = ("--since", since, "--until", until)
        assert len([pick for pick in picks if pick[0] == lb]) == len(document["incidents"])
    for kind, path in kinds.alone.items():
        subject = scenario(kind, 1).subject
        alone, note = timeline(path, subject)
        assert note == ""  # one incident, all of the data: nothing to say
        together, _ = timeline(kinds.all, subject, *picks[subject, alone["since"][:10]])
        assert (together["since"], together["until"]) == (alone["since"], alone["until"]), kind
        assert scored(together) == scored(alone), kind
        assert together["shifts"] == alone["shifts"], kind


def test_with_every_kind_loaded_the_report_is_of_the_most_recent_incident(kinds, tmp_path):
    """Was: the summary of one day's incident naming another day's change as most suspect."""
    result = invoke(CliRunner(), "--db", kinds.all, "report", "--lb", "web-prod", "-o", tmp_path / "r.md")
    assert result.exit_code == 0, result.stderr
    note = result.stderr.splitlines()
    assert note[0].startswith("Showing the most recent of web-prod's 5 incidents, 2026-11-07 ")
    assert [line.split(" ")[2] for line in note[1:-1]] == [
        "2026-11-02",
        "2026-11-03",
        "2026-11-04",
        "2026-11-06",
    ]
    text = (tmp_path / "r.md").read_text()
    assert "· window 2026-11-07 " in text
    (others,) = [line for line in text.splitlines() if line.startswith("This report is of the most recent of 5")]
    assert re.findall(r"`--since (\S+) --until (\S+)`", others) == [
        (line.split("--since ")[1].split(" ")[0], line.split("--until ")[1]) for line in note[1:-1]
    ]
    story = text.split("## Summary", 1)[1].split("## Charts", 1)[0]  # summary, impact, candidates, timeline
    assert set(re.findall(r"\b2026-11-\d\d(?= \d\d:\d\d)", story)) == {"2026-11-07"}
    assert "No change in the window explains it" in summary(text)


def test_a_call_that_sets_what_is_already_set_reads_unchanged(kinds):
    """Was: "forward web-v2 -> forward web-v2", once an earlier day's replay had set web-v2."""
    with Database.open(str(kinds.all), read_only=True) as db:
        summaries = [row[0] for row in db.query("select summary from changes order by event_time")[1]]
    assert not [s for s in summaries if "web-v2 → forward web-v2" in s]
    assert "not applied (AccessDenied): listener 443: default action unchanged (already forward web-v2)" in summaries
