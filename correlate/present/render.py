"""Rows → text in one of the shared formats: table, json, ndjson, csv, markdown.

Data goes to the stream given (stdout); nothing else is written there. CSV cells that a spreadsheet
would run as a formula (starting with =, +, -, @, tab or carriage return) are prefixed with a quote.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import math
import uuid
from collections.abc import Sequence
from typing import Any, TextIO

import orjson
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "ndjson", "csv", "markdown")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Any) -> Any:
    """A value as JSON would hold it: UTC times as ISO 8601 with Z, decimals as floats."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds") + "Z"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def cell_text(value: Any) -> str:
    """A value as one line of text for table, csv and markdown cells."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)


def csv_safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def json_bytes(value: Any, *, indent: bool = False) -> bytes:
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(plain(value), option=option)


def render_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, out: TextIO, *, title: str | None = None
) -> None:
    """Write `rows` to `out` in `fmt`."""
    if fmt == "json":
        out.write(json_bytes([dict(zip(columns, row, strict=True)) for row in rows], indent=True).decode())
        out.write("\n")
    elif fmt == "ndjson":
        for row in rows:
            out.write(json_bytes(dict(zip(columns, row, strict=True))).decode())
            out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                [csv_safe(cell_text(value)) if not _is_number(value) else cell_text(value) for value in row]
            )
    elif fmt == "markdown":
        out.write(markdown_table(columns, rows))
    else:
        console = terminal(out)
        table = Table(title=title, show_lines=False, header_style="bold", expand=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(_escape_markup(cell_text(value)) for value in row))
        console.print(table)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        return cell_text(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def terminal(out: TextIO) -> Console:
    """A rich console on `out`: colours on a terminal, plain and unwrapped otherwise."""
    is_tty = out.isatty() if hasattr(out, "isatty") else False
    return Console(file=out, width=None if is_tty else 4000, no_color=not is_tty, highlight=False, soft_wrap=not is_tty)


def _escape_markup(text: str) -> str:
    return text.replace("[", "\\[")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def to_text(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    buffer = io.StringIO()
    render_rows(columns, rows, fmt, buffer)
    return buffer.getvalue()
