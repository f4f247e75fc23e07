"""`correlate report`."""

from __future__ import annotations

from pathlib import Path

import click

from correlate.cli.options import lb_option, open_db, window_options
from correlate.errors import CorrelateError
from correlate.timeparse import utcnow

# correlate.report pulls in scipy and matplotlib: imported when the command runs, so that every
# other command starts quickly.


def _output_path(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    from correlate.report import report_format

    try:
        report_format(value)
    except CorrelateError as error:
        raise click.BadParameter(str(error), ctx, param) from None
    return value


@click.command("report")
@lb_option(required=True)
@window_options
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    callback=_output_path,
    help="The report: FILE.html (self-contained) or FILE.md (charts and CSVs go to FILE_files/ beside it).",
)
@click.option(
    "--timeline",
    "timeline_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Build on a timeline saved with `correlate timeline --format json` instead of computing it.",
)
@click.option(
    "--lake",
    "lake_root",
    help="Read the cells, requests and changes from this lake (correlate export, correlate spark ...) instead.",
)
@click.pass_context
def report_command(
    ctx: click.Context, lb: str, since, until, output: Path, timeline_file: Path | None, lake_root: str | None
) -> None:
    """Write a post-incident review report for one load balancer.

    The report is the first draft an SRE team files: a summary, the impact (requests, 5xx, p99
    before and after, and the target groups, targets, listeners, paths and client networks that
    carried it), the trigger candidates ranked by suspicion, a UTC timeline with the rollback,
    charts with the changes marked, before/after statistics with 95% intervals, and what the
    evidence cannot show (missing log intervals, CloudTrail coverage, the files read). Root cause,
    action items and lessons are left for people. Every number carries a figure reference; the
    appendix holds the SQL that reproduces it.

    Without --since/--until the report is of the most recent incident in the load balancer's data
    (the timeline's choice: stderr names it and the --since/--until of each other one); with
    --timeline FILE, of that timeline's window.

    With --lake DEST the timeline is built from the lake's cells, and the report's other figures
    from the lake's requests of the load balancer (only its partitions of the window's days are
    read); tables the lake lacks (changes, say) come from the database.

    \b
    Example:
      correlate report --lb web-prod -o incident.html
      correlate report --lb web-prod --since 2026-11-20T13:30Z --until 2026-11-20T15:00Z -o review.md
      correlate timeline --lb web-prod --format json > timeline.json
      correlate report --lb web-prod --timeline timeline.json -o review.html
      correlate report --lb web-prod --lake ./lake -o review.html
    """
    from correlate.present.timeline import window_note
    from correlate.report import ReportOptions, build_report, write_report

    now = utcnow().replace(microsecond=0)
    options = ReportOptions(lb, since, until, today=now.date())
    if lake_root is not None:
        from correlate.sources.lake import open_lake
        from correlate.store.lake import lake_cells

        with lake_cells(open_lake(lake_root), lb, since, until, ctx.obj.db_path) as cells:
            report = build_report(cells.db, options, timeline_file, cells)
    else:
        with open_db(ctx, read_only=True) as db:
            report = build_report(db, options, timeline_file)
    note = window_note(report.timeline)
    if note and not ctx.obj.quiet:
        click.echo(note, err=True)
    written = write_report(report, output, generated_at=now)
    if not ctx.obj.quiet:
        count = len(written.files)
        extra = f", {count} file{'s' if count != 1 else ''} in {written.files[0].parent}" if count else ""
        click.echo(f"Wrote {output} ({written.figures} figures, {written.charts} charts{extra}).", err=True)
