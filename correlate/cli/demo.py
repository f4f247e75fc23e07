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
@click.option("--list", "list_kinds", is_flag=True, help="List the scenario kinds and exit.")
@format_option
@click.pass_context
def demo_command(ctx: click.Context, kind: str, seed: int, out: Path, list_kinds: bool, fmt: str | None) -> None:
    """Generate an incident, load it, and print its timeline.

    Writes 50 minutes of access logs for two load balancers (the ALB web-prod and the Classic ELB
    legacy-web) and the CloudTrail trail of the same time into --out, in the AWS S3 key layouts,
    loads them into the database, and prints the timeline of the load balancer the incident hits.
    Each kind has one culprit change among decoys (a tag change, a change on the other load
    balancer at the same moment, a call that failed, Describe calls, a service role registering
    targets), except traffic-surge, where nothing explains the shift. In app-deploy the culprit is
    a release known only to the deploy feed it also writes (feeds/, loaded as `correlate ingest
    changes` does). The same kind and seed give the same files; each kind and seed gets its own
    day, so several can share one database.

    \b
    Example:
      correlate demo
      correlate demo --kind tls-policy --seed 7 --out /tmp/demo
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
        run = run_demo(db, kind, seed, out)
    story = run.files.scenario
    if not settings.quiet:
        feed = f", and the change feed {run.files.feed_files[0]}" if run.files.feed_files else ""
        click.echo(
            f"{story.kind} (seed {seed}): {story.title}. Wrote {len(run.files.log_files)} access-log files and "
            f"{len(run.files.trail_files)} CloudTrail files under {out}/AWSLogs{feed}.",
            err=True,
        )
        click.echo(f"Access logs: {run.logs.line()}", err=True)
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
