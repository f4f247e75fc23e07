"""`correlate timeline`."""

from __future__ import annotations

import sys

import click

from correlate.cli.options import format_option, lb_option, open_db, resolve_format, window_options
from correlate.timeparse import utcnow


@click.command("timeline")
@lb_option(required=True)
@window_options
@click.option(
    "--lake",
    "lake_root",
    help="Read the per-minute cells (and changes, where it has them) from this lake instead of the database.",
)
@format_option
@click.pass_context
def timeline_command(ctx: click.Context, lb: str, since, until, lake_root: str | None, fmt: str | None) -> None:
    """Changes and metric shifts of one load balancer on one time axis.

    Every configuration change in the window gets a suspicion from 0 to 1 with its evidence: which
    metric moved, in which slice (target group, target, listener, TLS clients), how much, how soon
    after the change, and how sure the test is. Only where the evidence says a change moved a metric
    does its suspicion reach 0.5; shifts nothing explains are listed as unexplained. docs/scoring.md
    explains the score.

    Without --since/--until the timeline finds the incidents in all of the load balancer's data
    (episodes of metrics getting worse; a gap in the data ends one) and shows the most recent, saying
    on stderr which it is and the --since/--until that pick each other one (also under "incidents" in
    the JSON).

    With --lake DEST the cells come from a lake (`correlate spark minutes`, `correlate export`) and
    requests are not scanned; changes come from the lake when it has them, else from the database.
    The timeline is the same as from the database.

    \b
    Example:
      correlate timeline --lb web-prod
      correlate timeline --lb app/web-prod/50dc6c495c0c9188 --since 2026-11-20T13:30Z --until 2026-11-20T15:00Z
      correlate timeline --lb web-prod --format json
      correlate timeline --lb web-prod --lake s3://my-lake/correlate --since 2026-11-20T13:30Z
    """
    # Imported here: scipy and ruptures take about a second to load, and only the timeline needs them.
    from correlate.analysis.timeline import build_timeline
    from correlate.present.timeline import render_timeline, window_note

    if lake_root is not None:
        from correlate.sources.lake import open_lake
        from correlate.store.lake import lake_cells

        with lake_cells(open_lake(lake_root), lb, since, until, ctx.obj.db_path) as cells:
            timeline = build_timeline(cells, lb, since, until)
    else:
        with open_db(ctx, read_only=True) as db:
            timeline = build_timeline(db, lb, since, until)
    note = window_note(timeline)
    if note and not ctx.obj.quiet:
        click.echo(note, err=True)
    render_timeline(timeline, resolve_format(fmt), sys.stdout, today=utcnow().date())
