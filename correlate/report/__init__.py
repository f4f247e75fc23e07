"""Post-incident review reports: the facts (data), the words (narrative), the charts, and the file.

`build_report` gathers everything a report states for one load balancer and window; `write_report`
turns it into self-contained HTML or Markdown.
"""

from __future__ import annotations

from pathlib import Path

from correlate.report.data import ReportData, ReportOptions, gather, report_window
from correlate.report.render import WrittenReport, report_format, write_report
from correlate.report.timeline import Timeline, current_timeline, load_timeline
from correlate.store.cells import CellSource
from correlate.store.database import Database


def build_report(
    db: Database, options: ReportOptions, timeline_file: Path | None = None, cells: CellSource | None = None
) -> ReportData:
    """The report's facts. The timeline comes from `timeline_file` when given; else it is built now
    over the report's window (from `cells` when given: a lake's), so the command the appendix names
    reproduces it. Without --since/--until that window is the timeline's choice: the most recent
    incident in the load balancer's data."""
    if timeline_file is not None:
        timeline = load_timeline(timeline_file)
    elif options.since is None and options.until is None:
        timeline = current_timeline(cells or db, options.lb, None, None)  # the most recent incident's window
    else:
        options = report_window(db, options, cells=cells)
        timeline = current_timeline(cells or db, options.lb, options.since, options.until)
    return gather(db, report_window(db, options, timeline, cells), timeline)


__all__ = [
    "ReportData",
    "ReportOptions",
    "Timeline",
    "WrittenReport",
    "build_report",
    "report_format",
    "write_report",
]
