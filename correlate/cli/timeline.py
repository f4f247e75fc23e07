"""`correlate timeline`."""

from __future__ import annotations

import sys

import click

from correlate.cli.options import aws_options, format_option, lb_option, open_db, resolve_format, window_options
from correlate.timeparse import utcnow


@click.command("timeline")
@lb_option(required=True)
@window_options
@click.option(
    "--lake",
    "lake_root",
    help="Read the per-minute cells (and changes, where it has them) from this lake instead of the database.",
)
@click.option(
    "--from-aws",
    "from_aws",
    is_flag=True,
    help="First read the window from AWS into the database: CloudTrail LookupEvents, the Describe* inventory, "
    "CloudWatch metrics and the access logs (when enabled). Needs --since.",
)
@aws_options
@format_option
@click.pass_context
def timeline_command(
    ctx: click.Context,
    lb: str,
    since,
    until,
    lake_root: str | None,
    from_aws: bool,
    profile: str | None,
    region: str | None,
    fmt: str | None,
) -> None:
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

    With --from-aws the window is first read from AWS into the database: LookupEvents (the window and
    20 minutes before it), the Describe* inventory of --region, CloudWatch's one-minute metrics, and
    the access logs from S3 when they are enabled. Progress goes to stderr, with one line for each
    source that could not be read; it fails only when none could. Then `correlate timeline` and
    `correlate report` over the window read the database alone. Without access logs the timeline
    runs on CloudWatch's metrics, and says what is missing. IAM: README, "With your AWS account".

    \b
    Example:
      correlate timeline --lb web-prod
      correlate timeline --lb app/web-prod/50dc6c495c0c9188 --since 2026-11-20T13:30Z --until 2026-11-20T15:00Z
      correlate timeline --lb web-prod --format json
      correlate timeline --lb web-prod --lake s3://my-lake/correlate --since 2026-11-20T13:30Z
      correlate timeline --lb web-prod --since 2h --from-aws --region eu-west-1 --profile prod
    """
    # Imported here: scipy and ruptures take about a second to load, and only the timeline needs them.
    from correlate.analysis.timeline import build_timeline
    from correlate.present.timeline import render_timeline, window_note

    if (profile or region) and not from_aws:
        raise click.UsageError("--profile and --region go with --from-aws.")
    if from_aws:
        if since is None:
            raise click.UsageError("--from-aws needs --since (for example --since 2h): the window to read from AWS.")
        if lake_root is not None:
            raise click.UsageError("Give either --from-aws or --lake, not both.")
        timeline = _from_aws(ctx, lb, since, until, profile, region)
    elif lake_root is not None:
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


def _from_aws(ctx: click.Context, lb: str, since, until, profile: str | None, region: str | None):
    from correlate.pipeline.from_aws import FromAws, timeline_from_aws
    from correlate.sources.aws import AwsClients, AwsOptions

    def say(text: str) -> None:
        if not ctx.obj.quiet:
            click.echo(text, err=True)

    def warn(text: str) -> None:
        click.echo(text, err=True)

    request = FromAws(lb, since, until or utcnow(), region, profile)
    with open_db(ctx, read_only=False) as db:
        return timeline_from_aws(db, AwsClients(AwsOptions(profile=profile, region=region)), request, say, warn)
