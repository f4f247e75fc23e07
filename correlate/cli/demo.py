"""`correlate demo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from correlate.cli.options import format_option, open_db, resolve_format
from correlate.demo import KINDS, scenario
from correlate.present.render import render_rows
from correlate.timeparse import utcnow


@click.command("demo")
@click.option(
    "--kind",
    type=click.Choice(list(KINDS)),
    default="deregistered-targets",
    show_default=True,
    help="Which incident to generate.",
)
@click.option(
    "--seed", type=click.IntRange(min=1), default=1, show_default=True, help="Random seed (same seed, same data)."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("correlate-demo"),
    show_default=True,
    help="Directory for the generated access logs and CloudTrail files.",
)
@click.option(
    "--no-access-logs",
    "no_access_logs",
    is_flag=True,
    help="Write the one-minute metrics CloudWatch would hold instead of access logs, and load them as "
    "`correlate ingest metrics FILE` does.",
)
@click.option("--list", "list_kinds", is_flag=True, help="List the scenario kinds and exit.")
@format_option
@click.pass_context
def demo_command(
    ctx: click.Context, kind: str, seed: int, out: Path, no_access_logs: bool, list_kinds: bool, fmt: str | None
) -> None:
    """Generate an incident, load it, and print its timeline.

    Writes 50 minutes of access logs for two load balancers (the ALB web-prod and the Classic ELB
    legacy-web; nlb-tls-policy also the TLS logs of the NLB tls-front) and the CloudTrail trail of the
    same time into --out, in the AWS S3 key layouts, loads them into the database, and prints the
    timeline of the load balancer the incident hits. Each kind has one culprit change among decoys (a
    tag change, a change on the other load balancer at the same moment, a call that failed, Describe
    calls, a service role registering targets), except traffic-surge, where nothing explains the shift.
    In app-deploy the culprit is a release known only to the deploy feed it also writes (feeds/, loaded
    as `correlate ingest changes` does). The same kind and seed give the same files; each kind and seed
    gets its own day, so several can share one database.

    With --no-access-logs the same incident comes as the one-minute metrics CloudWatch would hold
    for it (requests, errors, latency percentiles, healthy and unhealthy hosts: GetMetricData
    documents under --out/cloudwatch/), loaded through the same code as `correlate ingest metrics`,
    and the timeline is built from them.

    \b
    Example:
      correlate demo
      correlate demo --kind tls-policy --seed 7 --out /tmp/demo
      correlate demo --kind bad-health-check --no-access-logs
      correlate demo --list
    """
    if list_kinds:
        rows = [(name, scenario(name, seed).subject, scenario(name, seed).title) for name in KINDS]
        render_rows(("kind", "load balancer", "what happens"), rows, resolve_format(fmt), sys.stdout)
        return
    # Imported here: scipy and ruptures take about a second to load, and only the timeline needs them.
    from correlate.demo.run import run_demo
    from correlate.present.timeline import render_timeline

    settings = ctx.obj
    with open_db(ctx, read_only=False) as db:
        run = run_demo(db, kind, seed, out, access_logs=not no_access_logs)
    story = run.files.scenario
    if not settings.quiet:
        files = run.files
        written = (
            f"{len(files.metric_files)} CloudWatch metric files under {out}/cloudwatch"
            if no_access_logs
            else f"{len(files.log_files)} access-log files"
        )
        feed = f", and the change feed {files.feed_files[0]}" if files.feed_files else ""
        click.echo(
            f"{story.kind} (seed {seed}): {story.title}. Wrote {written} and {len(files.trail_files)} CloudTrail "
            f"files under {out}/AWSLogs{feed}.",
            err=True,
        )
        click.echo(f"{'CloudWatch' if no_access_logs else 'Access logs'}: {run.logs.line()}", err=True)
        click.echo(f"CloudTrail: {run.trail.line()}", err=True)
        if run.feed is not None:
            click.echo(f"Change feed: {run.feed.line()}", err=True)
    render_timeline(run.timeline, resolve_format(fmt), sys.stdout, today=utcnow().date())
    if not settings.quiet:
        click.echo(
            f"Explore: correlate timeline --lb {story.subject} --since {story.start:%Y-%m-%dT%H:%MZ} "
            f"--until {story.end:%Y-%m-%dT%H:%MZ}",
            err=True,
        )
