"""`correlate sql` and `correlate lbs`."""

from __future__ import annotations

import sys

import click

from correlate.cli.options import format_option, open_db, resolve_format
from correlate.present.render import render_rows
from correlate.store.queries import load_balancers, run_sql


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
        columns, rows = load_balancers(db)
    render_rows(columns, rows, resolve_format(fmt), sys.stdout)


COMMANDS = (sql_command, lbs_command)
