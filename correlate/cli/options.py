"""Options shared by several commands: --format, time expressions, --lb, opening the database, and
how an ingest reports what it loaded."""

from __future__ import annotations

import datetime as dt
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from correlate.errors import BadTimeExpression, Interrupted, StrictModeFailure
from correlate.parse.arns import lb_name
from correlate.present.render import FORMATS
from correlate.store.database import Database
from correlate.store.queries import committed_since, database_clock
from correlate.timeparse import HELP, check_order, parse_time

F = TypeVar("F", bound=Callable[..., Any])


class TimeType(click.ParamType):
    """ISO 8601 (UTC when it names no zone), now, or an offset back from now; becomes naive UTC."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            return parse_time(str(value))
        except BadTimeExpression as error:
            self.fail(str(error), param, ctx)


TIME = TimeType()


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="Output format (default: table on a terminal, csv otherwise).",
    )(func)


def resolve_format(fmt: str | None) -> str:
    if fmt:
        return fmt
    return "table" if sys.stdout.isatty() else "csv"


def _in_order(ctx: click.Context, param: click.Parameter, value: dt.datetime | None) -> dt.datetime | None:
    """Whichever of --since/--until comes second checks that --since is the earlier."""
    other = ctx.params.get("until" if param.name == "since" else "since")
    since, until = (value, other) if param.name == "since" else (other, value)
    try:
        check_order(since, until)
    except BadTimeExpression as error:
        raise click.UsageError(str(error), ctx) from None
    return value


def window_options(func: F) -> F:
    func = click.option("--until", type=TIME, callback=_in_order, help=f"Up to this time: {HELP}.")(func)
    return click.option("--since", type=TIME, callback=_in_order, help=f"From this time: {HELP}.")(func)


def lb_option(required: bool) -> Callable[[F], F]:
    return click.option(
        "--lb",
        "lb",
        required=required,
        callback=lambda ctx, param, value: lb_name(value) if value else None,
        help="Load balancer: its name, app/NAME/ID, net/NAME/ID, or its ARN.",
    )


@contextmanager
def open_db(ctx: click.Context, *, read_only: bool) -> Iterator[Database]:
    """The database of --db, waiting --wait seconds for a busy one. Ctrl-C ends with what was
    committed: every load commits object by object, and the object being loaded is rolled back."""
    settings = ctx.obj

    def waiting(holder: str) -> None:
        if not settings.quiet:
            click.echo(f"Waiting up to {settings.wait:g} s for the database: {holder}.", err=True)

    with Database.open(settings.db_path, read_only=read_only, wait=settings.wait, on_wait=waiting) as db:
        started = None if db.read_only else database_clock(db)
        try:
            with _noting_interrupts() as noted:
                yield db
        except BaseException as error:
            if not (noted.is_set() or isinstance(error, KeyboardInterrupt)):
                raise
            if started is None:
                raise Interrupted.before_writing() from None
            files, rows = committed_since(db, started)
            done = (
                f"{files:,} input file{'s' if files != 1 else ''} ({rows:,} rows) loaded and committed before it"
                if files
                else "nothing was committed before it"
            )
            raise Interrupted(
                f"Interrupted: {done}; the work in progress was rolled back. "
                "Run the same command again to resume: what is loaded is skipped."
            ) from None


@contextmanager
def _noting_interrupts() -> Iterator[threading.Event]:
    """Ctrl-C raises KeyboardInterrupt as always, and is also noted: when it lands inside DuckDB, or in
    a generator DuckDB reads from, it comes out as a DuckDB error ("Query interrupted")."""
    noted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return

    def note(signum: int, frame: Any) -> None:
        noted.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


def say(ctx: click.Context, text: str) -> None:
    """A note or summary on stderr, unless --quiet."""
    if not ctx.obj.quiet:
        click.echo(text, err=True)


def report_load(line: str, rejected: int, quiet: bool, strict: bool, unit: str, kind: str | None) -> None:
    """An ingest's summary line on stderr, after where its rejected `unit` (lines, records) are;
    with --strict, exit 4 when any was rejected. `kind` is the rejects' kind, where the command has one."""
    where = f" where kind = '{kind}'" if kind else ""
    if not quiet:
        if rejected:
            click.echo(
                f"Rejected {unit} are in the rejects table: "
                f'correlate sql "select source_file, source_line, reason from rejects{where}"',
                err=True,
            )
        click.echo(line, err=True)
    if strict and rejected:
        raise StrictModeFailure(
            f"{rejected:,} {unit} were rejected and --strict was given. "
            f'See them with: correlate sql "select * from rejects{where}"'
        )


def aws_options(func: F) -> F:
    """--profile and --region, for commands that read from AWS."""
    func = click.option(
        "--region", help="AWS region of the load balancer and its API calls (default: your AWS config, AWS_REGION)."
    )(func)
    return click.option("--profile", help="Named AWS profile (default: AWS_PROFILE, or boto3's default chain).")(func)
