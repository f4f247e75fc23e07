#!/usr/bin/env python3
"""Benchmark `correlate report`: how long each figure's query, the charts and the files take.

    python bench/report.py                    # 1,000,000 ALB lines over ~2.8 hours
    python bench/report.py --lines 200000     # a quicker run

The ALB lines come from bench/gen_elb_logs.py (deterministic for a seed), with an incident a third of
the way in; they are loaded once into bench/out/report.duckdb (kept between runs). The timeline is
made by hand from the generator's incident (one p99 shift up, one back), so this measures the report
alone, not the shift detection.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from correlate.pipeline.logs import LogsOptions, load_logs  # noqa: E402
from correlate.present.document import timeline_from_document  # noqa: E402
from correlate.report import charts, data, render  # noqa: E402
from correlate.store import report as report_store  # noqa: E402
from correlate.store.database import Database  # noqa: E402

GENERATOR = ROOT / "bench" / "gen_elb_logs.py"
START = dt.datetime(2026, 11, 20, 14, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    logs = out / f"report-alb-{args.lines}.log"
    db_path = out / f"report-{args.lines}.duckdb"
    span = dt.timedelta(seconds=args.lines / args.rate)
    incident = START + span / 3
    if not db_path.exists():
        if not logs.exists():
            subprocess.run(
                [sys.executable, str(GENERATOR), "--lines", str(args.lines), "--rate", str(args.rate),
                 "--start", START.isoformat() + "Z", "--incident-at", incident.isoformat() + "Z", "--out", str(logs)],
                check=True,
            )  # fmt: skip
        with Database.open(str(db_path)) as db:
            began = time.perf_counter()
            summary = load_logs(db, LogsOptions((str(logs),)))
            print(f"ingest: {summary.line()} in {time.perf_counter() - began:.1f} s")
    onset = incident.replace(second=0) + dt.timedelta(minutes=1)
    timeline = timeline_from_document(
        {
            "lb": "web-prod",
            "since": None,
            "until": None,
            "changes": [],
            "shifts": [
                {"metric": "p99_target_ms", "at": onset.isoformat() + "Z", "before": 100.0, "after": 600.0},
                {
                    "metric": "p99_target_ms",
                    "at": (onset + dt.timedelta(minutes=10)).isoformat() + "Z",
                    "before": 600.0,
                    "after": 100.0,
                },
            ],
        }
    )
    timings: list[tuple[str, float]] = []
    original = report_store.run_report_query

    def timed(db, name, params):
        began = time.perf_counter()
        result = original(db, name, params)
        timings.append((name, time.perf_counter() - began))
        return result

    data.run_report_query = timed
    with Database.open(str(db_path), read_only=True) as db:
        (requests,) = db.con.execute("select count(*) from requests").fetchone()
        began = time.perf_counter()
        report = data.gather(db, data.ReportOptions("web-prod"), timeline)
        gathered = time.perf_counter() - began
    print(f"{requests:,} requests in the database; report window {report.since} - {report.until}")
    for name, seconds in timings:
        print(f"  query {name:<20} {seconds:6.2f} s")
    print(f"gather (all queries)      {gathered:6.2f} s")
    for fmt in ("svg", "png"):
        began = time.perf_counter()
        drawn = charts.render_charts(report, fmt)
        size = sum(len(chart.data) for chart in drawn)
        print(f"charts {fmt}                {time.perf_counter() - began:6.2f} s  ({size:,} bytes)")
    for name in ("report.html", "report.md"):
        began = time.perf_counter()
        written = render.write_report(report, out / name)
        size = written.path.stat().st_size
        print(f"write {name:<19} {time.perf_counter() - began:6.2f} s  ({size:,} bytes)")


if __name__ == "__main__":
    main()
