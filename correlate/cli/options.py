"""Options shared by several commands: --format, time expressions, --lb, and opening the database."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from correlate.errors import BadTimeExpression
from correlate.parse.arns import lb_name
from correlate.present.render import FORMATS
from correlate.store.database import Database
from correlate.timeparse import parse_time

F = TypeVar("F", bound=Callable[..., Any])


class TimeType(click.ParamType):
    """ISO 8601 or an offset back from now (90m, 6h, 2d); becomes naive UTC."""

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


def window_options(func: F) -> F:
    func = click.option("--until", type=TIME, help="Up to this time (ISO 8601, or 90m / 6h / 2d ago).")(func)
    return click.option("--since", type=TIME, help="From this time (ISO 8601, or 90m / 6h / 2d ago).")(func)


def lb_option(required: bool) -> Callable[[F], F]:
    return click.option(
        "--lb",
        "lb",
        required=required,
        callback=lambda ctx, param, value: lb_name(value) if value else None,
        help="Load balancer: its name, app/NAME/ID, net/NAME/ID, or its ARN.",
    )


def open_db(ctx: click.Context, *, read_only: bool) -> Database:
    return Database.open(ctx.obj.db_path, read_only=read_only)


def aws_options(func: F) -> F:
    """--profile and --region, for commands that read from AWS."""
    func = click.option(
        "--region", help="AWS region of the load balancer and its API calls (default: your AWS config, AWS_REGION)."
    )(func)
    return click.option("--profile", help="Named AWS profile (default: AWS_PROFILE, or boto3's default chain).")(func)
