#!/usr/bin/env python3
"""Accuracy of the timeline on many demo scenarios (the test suite runs 3 seeds per kind).

    python bench/accuracy.py                       # every kind, seeds 1-20, test traffic (4 + 2.5 req/s)
    python bench/accuracy.py --seeds 50 --alb 1.5  # low traffic: coarser buckets
    python bench/accuracy.py --oracle              # the scoring alone, on the changes each scenario defines
    python bench/accuracy.py --demo                # exactly `correlate demo`: both load balancers, 5-minute files

A run passes when the culprit is ranked first with suspicion >= 0.5 and every other change stays below
0.5; for traffic-surge (no culprit), when no change reaches 0.5. By default each scenario goes the way
the test suite takes it (tests/timeline_support.py): the subject's access logs in day-long files, then
the trail files through the CloudTrail ingestion.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from timeline_support import load_scenario  # noqa: E402

from correlate.analysis.timeline import SUSPECT, build_timeline  # noqa: E402
from correlate.demo import KINDS, Rates  # noqa: E402
from correlate.demo.run import run_demo  # noqa: E402
from correlate.store.database import Database  # noqa: E402


def judge(story, timeline) -> tuple[bool, str]:
    ranked = timeline.changes
    if story.culprit is None:
        worst = max((s.suspicion for s in ranked), default=0.0)
        return worst < SUSPECT, f"max {worst:.2f}"
    top = ranked[0] if ranked else None
    if top is None:
        return False, "no changes"
    first = (top.change.event_name, top.change.event_time) == (story.culprit.call.event_name, story.culprit.call.at)
    others = max((s.suspicion for s in ranked[1:]), default=0.0)
    ok = first and top.suspicion >= SUSPECT and others < SUSPECT
    return ok, f"top {top.change.event_name} {top.suspicion:.2f}, next {others:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--alb", type=float, default=4.0, help="ALB requests per second")
    parser.add_argument("--clb", type=float, default=2.5, help="Classic ELB requests per second")
    parser.add_argument("--oracle", action="store_true", help="insert the scenario's changes instead of its trail")
    parser.add_argument("--demo", action="store_true", help="run correlate demo's own job (slower)")
    args = parser.parse_args()
    rates = Rates(args.alb, args.clb)
    results: Counter[tuple[str, bool]] = Counter()
    failures = []
    start = time.perf_counter()
    for kind in args.kinds.split(","):
        for seed in range(1, args.seeds + 1):
            with tempfile.TemporaryDirectory() as folder, Database.open(":memory:") as db:
                if args.demo:
                    run = run_demo(db, kind, seed, Path(folder), rates)
                    story, timeline = run.files.scenario, run.timeline
                else:
                    story = load_scenario(db, kind, seed, Path(folder), rates, oracle=args.oracle).scenario
                    timeline = build_timeline(db, story.subject, story.start, story.end)
            ok, detail = judge(story, timeline)
            results[(kind, ok)] += 1
            if not ok:
                failures.append(f"{kind} seed {seed}: {detail}")
    print(f"{'kind':22s} {'pass':>5s} {'fail':>5s}")
    for kind in args.kinds.split(","):
        print(f"{kind:22s} {results[(kind, True)]:5d} {results[(kind, False)]:5d}")
    for failure in failures:
        print("  failed:", failure)
    print(f"{time.perf_counter() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
