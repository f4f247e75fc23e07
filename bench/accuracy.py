#!/usr/bin/env python3
"""Accuracy of the timeline on the demo scenarios, over many seeds and two traffic levels.

    python bench/accuracy.py                        # every kind, seeds 1-10, ALB at 4 and at 1 req/s
    python bench/accuracy.py --seeds 20 --levels 4  # more seeds, one traffic level
    python bench/accuracy.py --kinds ramp,revert    # some kinds only
    python bench/accuracy.py --oracle               # the scoring alone, on the changes each scenario defines
    python bench/accuracy.py --cloudwatch           # CloudWatch's one-minute metrics beside the logs
    python bench/accuracy.py --demo                 # exactly `correlate demo`: both load balancers, 5-minute files

For every kind and traffic level it prints:
- top-1: runs where the culprit is ranked first with suspicion >= 0.5 (kinds with a culprit);
- precision: runs where no change other than the culprit reaches 0.5;
- false blame: runs of a kind with no culprit where some change reaches 0.5;
- worst: the highest suspicion any change other than the culprit got, over all runs.
The targets are top-1 100 %, precision 100 % and no false blame; the exit status is 1 when a run misses
them. By default each scenario goes the way the test suite takes it (tests/timeline_support.py): the
subject's access logs in day-long files, then the trail files through the CloudTrail ingestion.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from timeline_support import load_scenario  # noqa: E402

from correlate.analysis.timeline import SUSPECT, build_timeline  # noqa: E402
from correlate.demo import KINDS, Rates  # noqa: E402
from correlate.demo.run import run_demo  # noqa: E402
from correlate.store.database import Database  # noqa: E402


@dataclass
class Tally:
    runs: int = 0
    top1: int = 0
    precise: int = 0
    false_blame: int = 0
    worst: float = 0.0
    culprit: bool = True
    failures: list[str] = field(default_factory=list)


def judge(story, timeline, tally: Tally, label: str) -> None:
    """Count one run: is the culprit first (>= 0.5), and does anything else reach 0.5?"""
    ranked = timeline.changes
    key = story.culprit_key  # a call of the trail, or an event of the change feed (app-deploy)
    others = [s for s in ranked if (s.change.event_name, s.change.event_time) != key]
    worst = max((s.suspicion for s in others), default=0.0)
    tally.runs += 1
    tally.worst = max(tally.worst, worst)
    tally.culprit = key is not None
    precise = worst < SUSPECT
    tally.precise += precise
    first = bool(ranked) and key is not None and (ranked[0].change.event_name, ranked[0].change.event_time) == key
    top1 = first and ranked[0].suspicion >= SUSPECT
    if key is None:
        tally.false_blame += not precise
    else:
        tally.top1 += top1
    if not precise or (key is not None and not top1):
        top = ranked[0] if ranked else None
        shown = f"top {top.change.event_name} {top.change.event_time:%H:%M:%S} {top.suspicion:.2f}" if top else "none"
        blamed = max(others, key=lambda s: s.suspicion, default=None)
        if blamed is not None:
            shown += f"; worst other {blamed.change.event_name} {blamed.change.event_time:%H:%M:%S} {worst:.2f}"
        tally.failures.append(f"{label}: {shown}")


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--levels", default="4,1", help="ALB requests per second, one run set per level")
    parser.add_argument("--clb", type=float, default=2.5, help="Classic ELB requests per second")
    parser.add_argument("--oracle", action="store_true", help="insert the scenario's changes instead of its trail")
    parser.add_argument("--demo", action="store_true", help="run correlate demo's own job (slower)")
    parser.add_argument(
        "--cloudwatch", action="store_true", help="also load the one-minute CloudWatch metrics beside the logs"
    )
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    levels = [float(level) for level in args.levels.split(",")]
    tallies: dict[tuple[str, float], Tally] = {}
    start = time.perf_counter()
    for level in levels:
        rates = Rates(level, args.clb)
        for kind in kinds:
            tally = tallies.setdefault((kind, level), Tally())
            for seed in range(1, args.seeds + 1):
                with tempfile.TemporaryDirectory() as folder, Database.open(":memory:") as db:
                    if args.demo:
                        run = run_demo(db, kind, seed, Path(folder), rates)
                        story, timeline = run.files.scenario, run.timeline
                    else:
                        story = load_scenario(
                            db, kind, seed, Path(folder), rates, oracle=args.oracle, cloudwatch=args.cloudwatch
                        ).scenario
                        timeline = build_timeline(db, story.subject, story.start, story.end)
                judge(story, timeline, tally, f"{kind} seed {seed} at {level:g} req/s")
    print(f"{'kind':20s} {'req/s':>5s} {'runs':>4s} {'top-1':>6s} {'precision':>9s} {'false blame':>11s} {'worst':>6s}")
    total = Tally()
    culprit_runs = blameless_runs = 0
    for (kind, level), tally in tallies.items():
        top1 = percent(tally.top1, tally.runs) if tally.culprit else "-"
        blame = str(tally.false_blame) if not tally.culprit else "-"
        print(
            f"{kind:20s} {level:5g} {tally.runs:4d} {top1:>6s} {percent(tally.precise, tally.runs):>9s} "
            f"{blame:>11s} {tally.worst:6.2f}"
        )
        total.runs += tally.runs
        total.top1 += tally.top1
        total.precise += tally.precise
        total.false_blame += tally.false_blame
        total.worst = max(total.worst, tally.worst)
        total.failures.extend(tally.failures)
        culprit_runs += tally.runs if tally.culprit else 0
        blameless_runs += 0 if tally.culprit else tally.runs
    print(
        f"{'all':20s} {'':5s} {total.runs:4d} {percent(total.top1, culprit_runs):>6s} "
        f"{percent(total.precise, total.runs):>9s} {f'{total.false_blame}/{blameless_runs}':>11s} {total.worst:6.2f}"
    )
    for failure in total.failures:
        print("  missed:", failure)
    print(f"{time.perf_counter() - start:.0f} s")
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
