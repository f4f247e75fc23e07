"""The `correlate` command: a thin layer that turns options into library calls and renders results.

Each command builds its options, opens the database, calls one library function and hands the
result to one render function. Domain errors (`CorrelateError`) become one line on stderr and exit
code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import click

from correlate.errors import CorrelateError
from correlate.store.database import DEFAULT_DB


@dataclass(frozen=True, slots=True)
class Settings:
    db_path: str
    quiet: bool


class CorrelateGroup(click.Group):
    """Turns domain errors into click's one-line error and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CorrelateError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=CorrelateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    envvar="CORRELATE_DB",
    default=DEFAULT_DB,
    show_default=True,
    help="DuckDB database file (or :memory:). Also CORRELATE_DB.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summaries on stderr.")
@click.version_option(package_name="correlate")
@click.pass_context
def main(ctx: click.Context, db_path: str, quiet: bool) -> None:
    """What changed right before the errors started?

    correlate loads AWS load balancer access logs and CloudTrail records into DuckDB and lines up
    configuration changes with shifts in latency and error rate.

    \b
    Example:
      correlate ingest logs ./AWSLogs/123456789012/elasticloadbalancing/
      correlate lbs
    """
    ctx.obj = Settings(db_path=db_path if db_path == ":memory:" else os.path.expanduser(db_path), quiet=quiet)


def _register() -> None:
    """Each command module lists its commands in COMMANDS."""
    from correlate.cli import demo, export, ingest, query, report, spark, timeline

    for module in (ingest, query, timeline, report, demo, export, spark):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
