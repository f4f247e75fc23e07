"""The `correlate` command: a thin layer that turns options into library calls and renders results.

Each command builds its options, opens the database, calls one library function and hands the
result to one render function. Commands are imported when they run (`COMMANDS`), so one command never
pays for another's libraries, and `correlate --version` and `--help` (which lists `SUMMARIES`) import
none of them. Domain errors
(`CorrelateError`) become one line on stderr and their exit code (`ExitCode`); anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from typing import Any

import click

from correlate.errors import CorrelateError, Interrupted

DEFAULT_DB = "correlate.duckdb"

# name → "module:attribute"; the module is imported only when the command runs or help lists it
COMMANDS = {
    "ingest": "correlate.cli.ingest:ingest",
    "sql": "correlate.cli.query:sql_command",
    "lbs": "correlate.cli.query:lbs_command",
    "changes": "correlate.cli.query:changes_command",
    "timeline": "correlate.cli.timeline:timeline_command",
    "report": "correlate.cli.report:report_command",
    "demo": "correlate.cli.demo:demo_command",
    "export": "correlate.cli.export:export_command",
    "spark": "correlate.cli.spark:spark_group",
}
# name → the first sentence of its help, which `correlate --help` lists without importing the command
# (tests/test_cli_traps.py checks each against the command's own)
SUMMARIES = {
    "ingest": "Load access logs, CloudTrail records, an inventory, metrics or change events into the database.",
    "sql": "Run a SQL query against the database.",
    "lbs": "List the load balancers seen: type, traffic, time span and number of changes.",
    "changes": (
        "The configuration changes that affect a load balancer, oldest first, in the whole minutes of --since/--until."
    ),
    "timeline": "Changes and metric shifts of one load balancer on one time axis.",
    "report": "Write a post-incident review report for one load balancer.",
    "demo": "Generate an incident, load it, and print its timeline.",
    "export": "Write the database's tables to DEST as a Hive-partitioned Parquet lake.",
    "spark": "Run correlate's heavy stages on Spark (local[N], or EMR through spark-submit).",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    db_path: str
    quiet: bool
    wait: float = 0.0


def _db_path(value: str) -> str:
    return value if value == ":memory:" else os.path.expanduser(value)


class CommandFailed(click.ClickException):
    """A domain error as click shows it: `Error: <message>` on stderr, and the error's exit code."""

    def __init__(self, error: CorrelateError) -> None:
        super().__init__(str(error))
        self.exit_code = int(error.exit_code)


class CorrelateGroup(click.Group):
    """Loads its commands on first use and turns domain errors and Ctrl-C into one line on stderr."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(with_global_options(command), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their summaries, as click lists them, without importing a command that has
        not run (each would bring its libraries: DuckDB, pyarrow, numpy)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                rows.append((name, click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit)))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CorrelateError as error:
            raise CommandFailed(error) from None
        except KeyboardInterrupt:
            # commands that write say what they committed (cli.options.open_db); this one did not write
            raise CommandFailed(Interrupted.before_writing()) from None


# -- --db, --quiet and --wait: before the command, and after it too ----------------------------------

_DB_HELP = "DuckDB database file (or :memory:). Also CORRELATE_DB."
_QUIET_HELP = "No progress bars or summaries on stderr."
_WAIT_HELP = "When another process holds the database, wait up to this many seconds for it (default: fail at once)."


def _override(field: str, convert=lambda value: value):
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False:
            ctx.obj = dataclasses.replace(ctx.obj, **{field: convert(value)})

    return callback


def _global_options() -> list[click.Option]:
    """The group's options, repeated on every command (`correlate lbs --db x`); given after the
    command, they win over the ones before it and over CORRELATE_DB."""
    return [
        click.Option(
            ["--db", "_db"], metavar="PATH", expose_value=False, callback=_override("db_path", _db_path), help=_DB_HELP
        ),
        click.Option(
            ["-q", "--quiet", "_quiet"], is_flag=True, expose_value=False, callback=_override("quiet"), help=_QUIET_HELP
        ),
        click.Option(
            ["--wait", "_wait"],
            type=click.FloatRange(min=0),
            metavar="SECONDS",
            expose_value=False,
            callback=_override("wait"),
            help=_WAIT_HELP,
        ),
    ]


def with_global_options(command: click.Command) -> click.Command:
    """`command` (and, for a group, its commands) with --db, --quiet and --wait; once."""
    if not any(param.name == "_db" for param in command.params):
        command.params.extend(_global_options())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_global_options(sub)
    return command


@click.group(cls=CorrelateGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", "db_path", envvar="CORRELATE_DB", default=DEFAULT_DB, show_default=True, metavar="PATH", help=_DB_HELP
)
@click.option("-q", "--quiet", is_flag=True, help=_QUIET_HELP)
@click.option("--wait", type=click.FloatRange(min=0), default=0.0, metavar="SECONDS", help=_WAIT_HELP)
@click.version_option(package_name="correlate")
@click.pass_context
def main(ctx: click.Context, db_path: str, quiet: bool, wait: float) -> None:
    """What changed right before the errors started?

    correlate loads AWS load balancer access logs and CloudTrail records into DuckDB and lines up
    configuration changes with shifts in latency and error rate. --db, --quiet and --wait go before
    or after the command.

    \b
    Example:
      correlate ingest logs ./AWSLogs/123456789012/elasticloadbalancing/
      correlate lbs --db incident.duckdb
    """
    ctx.obj = Settings(db_path=_db_path(db_path), quiet=quiet, wait=wait)
