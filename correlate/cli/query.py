"""`correlate sql` and `correlate lbs`."""

from __future__ import annotations

import sys

import click

from correlate.cli.options import format_option, lb_option, open_db, resolve_format, say, window_options
from correlate.present.render import render_rows
from correlate.store.queries import Rows, lb_changes, load_balancers, run_sql


@click.command("sql")
@click.argument("query")
@format_option
@click.pass_context
def sql_command(ctx: click.Context, query: str, fmt: str | None) -> None:
    """Run a SQL query against the database.

    The database is opened read-only, so a query cannot change it. `--format json` prints one JSON
    array of objects.

    \b
    Example:
      correlate sql "select lb, count(*) from requests group by lb"
      correlate sql "select * from rejects limit 20" --format json
    """
    with open_db(ctx, read_only=True) as db:
        columns, rows = run_sql(db, query)
    render_rows(columns, rows, resolve_format(fmt), sys.stdout)


@click.command("lbs")
@format_option
@click.pass_context
def lbs_command(ctx: click.Context, fmt: str | None) -> None:
    """List the load balancers seen: type, traffic, time span and number of changes.

    \b
    Example:
      correlate lbs
      correlate lbs --format json
    """
    with open_db(ctx, read_only=True) as db:
        found = load_balancers(db)
    _render(ctx, found, fmt)


@click.command("changes")
@lb_option(required=False)
@window_options
@format_option
@click.pass_context
def changes_command(ctx: click.Context, lb: str | None, since, until, fmt: str | None) -> None:
    """The configuration changes that affect a load balancer, oldest first, in the whole minutes of
    --since/--until.

    Each row is one CloudTrail call, or one change event loaded with `correlate ingest changes`,
    and one load balancer it affects: what changed (summary), its category, the listener port or
    target group it concerns, who made it and how (console, cli, sdk, terraform, cloudformation,
    cdk, aws-service; for an event, its system), its origin (cloudtrail or feed) and an event's url.
    Failed calls are listed with their error code and applied = false. Without --lb, the changes of
    every load balancer.

    \b
    Example:
      correlate changes --lb web-prod
      correlate changes --lb app/web-prod/50dc6c495c0c9188 --since 6h --format json
    """
    with open_db(ctx, read_only=True) as db:
        found = lb_changes(db, lb, since, until)
    _render(ctx, found, fmt)


def _render(ctx: click.Context, found: Rows, fmt: str | None) -> None:
    render_rows(found.columns, found.rows, resolve_format(fmt), sys.stdout)
    if found.note:
        say(ctx, found.note)
