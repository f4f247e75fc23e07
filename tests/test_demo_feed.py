"""The demo's app-deploy incident: the cause is a release only the deploy feed records. Through the
demo's own path (access logs, the trail, then the feed through `ingest changes`), the deploy ranks
first and nothing else reaches 0.5; the other kinds write no feed, so their files stay as they were."""

from __future__ import annotations

import orjson
import pytest
from timeline_support import TEST_RATES, load_scenario

from correlate.analysis.timeline import SUSPECT, build_timeline
from correlate.demo import generate
from correlate.present.document import timeline_document


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_deploy_ranks_first(db, tmp_path, seed):
    files = load_scenario(db, "app-deploy", seed, tmp_path)
    story = files.scenario
    timeline = build_timeline(db, story.subject, story.start, story.end)
    ranked = [(s.change.event_name, s.change.event_time, s.suspicion) for s in timeline.changes]
    top = timeline.changes[0]
    assert (top.change.event_name, top.change.event_time) == story.culprit_key, ranked
    assert top.suspicion >= SUSPECT, ranked
    assert all(s.suspicion < SUSPECT for s in timeline.changes[1:]), ranked


def test_the_feed_file_and_the_timeline_document(db, tmp_path):
    files = load_scenario(db, "app-deploy", 1, tmp_path)
    assert [path.relative_to(tmp_path).as_posix() for path in files.feed_files] == ["feeds/app-deploy-seed1.jsonl"]
    lines = [orjson.loads(line) for line in files.feed_files[0].read_bytes().splitlines()]
    culprit = next(item for item in files.scenario.feed if item.culprit)
    deploy = lines[2]
    assert deploy == culprit.record
    assert deploy == {
        "time": "2026-11-14T14:00:23Z",
        "end_time": "2026-11-14T14:02:34Z",
        "id": "github:deployment:8294",
        "kind": "deploy",
        "summary": "web v2.14.4 (ddd2ee7) to production",
        "actor": "release-bot",
        "source": "github",
        "service": "web",
        "target_group": "web",
        "url": "https://github.com/example/web/commit/ddd2ee7472adae160fc48096843aa1ee472661db",
        "sha": "ddd2ee7472adae160fc48096843aa1ee472661db",
    }
    assert [line["kind"] for line in lines] == ["feature-flag", "infra", "deploy", "config"]
    story = files.scenario
    document = timeline_document(build_timeline(db, story.subject, story.start, story.end))
    first = document["changes"][0]
    assert (first["event_id"], first["event_name"], first["origin"], first["url"]) == (
        deploy["id"],
        "deploy",
        "feed",
        deploy["url"],
    )
    assert {change["origin"] for change in document["changes"][1:]} == {"cloudtrail", "feed"}


def test_kinds_without_a_feed_write_none(tmp_path):
    files = generate("deregistered-targets", 1, tmp_path, TEST_RATES, file_minutes=1440, only="web-prod")
    assert files.feed_files == ()
    assert not (tmp_path / "feeds").exists()
