"""The sample report linked from the README: the report of `correlate demo`'s default scenario.

    python -m correlate.report.sample            # writes docs/sample-report/
    python -m correlate.report.sample OUT_DIR

It runs the demo job (generate the scenario's access logs and CloudTrail files, load them into a
fresh database, build the timeline), then writes the report as `report.html` and `report.md` (with
`report_files/`). The same version of correlate gives the same files; no "generated at" date is
written, so regenerating changes nothing unless the report or the demo changed. The demo's files go
to `correlate-sample-report/` in the system's temporary folder, so the manifest names the same paths
on every machine.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from correlate.demo.run import run_demo
from correlate.report.data import ReportOptions, gather
from correlate.report.render import write_report
from correlate.store.database import Database

KIND, SEED = "deregistered-targets", 1


DATA = Path(tempfile.gettempdir()) / "correlate-sample-report"


def write_sample(out: Path, data: Path = DATA) -> list[Path]:
    """Run the demo into a fresh database under `data` and write its report into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    database = data / "demo.duckdb"
    database.unlink(missing_ok=True)
    with Database.open(str(database)) as db:
        run = run_demo(db, KIND, SEED, data)
        story = run.files.scenario
        report = gather(db, ReportOptions(story.subject, story.start, story.end), run.timeline)
    return [write_report(report, out / name).path for name in ("report.html", "report.md")]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    for path in write_sample(Path(args[0] if args else "docs/sample-report")):
        print(f"Wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
