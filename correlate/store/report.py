"""The report's queries: one SQL file per figure under sql/report/, run with bound parameters.

Each file starts with a header that states its contract, like a view file:

    -- query: periods
    -- shows: what the figure shows, for the report's appendix
    -- params: lb, since, onset, recovery, until
    -- columns: period, starts_at, ...

`run_report_query` checks the header against the statement's parameters and the result's columns.
`with_literals` writes the same SQL with the parameter values as SQL literals, so that the appendix
of a report holds text anyone can paste into a DuckDB client to get the figure again.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb

from correlate.errors import ViewError
from correlate.store.database import Database, read_header, sql_dir, statements


@dataclass(frozen=True, slots=True)
class ReportQuery:
    name: str
    shows: str
    params: tuple[str, ...]
    columns: tuple[str, ...]
    sql: str  # the whole file, header included


@cache
def report_query(name: str) -> ReportQuery:
    """sql/report/<name>.sql with its header read."""
    path = sql_dir() / "report" / f"{name}.sql"
    text = path.read_text()
    header = read_header(text, ("query", "shows", "params", "columns"))
    missing = {"query", "shows", "params", "columns"} - header.keys()
    if missing:
        raise ViewError(f"report/{path.name}: header lacks {', '.join(sorted(missing))}")
    if header["query"] != name:
        raise ViewError(f"report/{path.name}: header names the query {header['query']!r}")
    return ReportQuery(
        name=name,
        shows=header["shows"],
        params=_names(header["params"]),
        columns=_names(header["columns"]),
        sql=text,
    )


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def run_report_query(db: Database, name: str, params: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run sql/report/<name>.sql with its parameters bound; returns (columns, rows)."""
    query = report_query(name)
    (statement,) = statements(f"report/{name}.sql")
    if set(statement.named_parameters) != set(query.params):
        raise ViewError(
            f"report/{name}.sql: header lists params {', '.join(query.params)} "
            f"but the query uses {', '.join(sorted(statement.named_parameters))}"
        )
    try:
        cursor = db.con.execute(statement, {key: params[key] for key in query.params})
        columns = [description[0] for description in cursor.description or []]
        rows = cursor.fetchall()
    except duckdb.Error as error:
        raise ViewError(f"report/{name}.sql: {error}") from None
    if tuple(columns) != query.columns:
        raise ViewError(
            f"report/{name}.sql: header lists columns {', '.join(query.columns)} "
            f"but the query returns {', '.join(columns)}"
        )
    return columns, rows


_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def with_literals(sql: str, params: dict[str, Any]) -> str:
    """`sql` with each `$name` outside strings, quoted names and comments replaced by a SQL literal."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"":
            end = _closing_quote(sql, i)
            out.append(sql[i:end])
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif char == "$" and (match := _PARAMETER.match(sql, i)):
            name = match.group(1)
            if name not in params:
                raise KeyError(f"no value for ${name}")
            out.append(sql_literal(params[name]))
            i = match.end()
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _closing_quote(sql: str, start: int) -> int:
    """The index just past the string or quoted name that starts at `start` (doubled quotes escape)."""
    quote = sql[start]
    i = start + 1
    while i < len(sql):
        if sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)


def sql_literal(value: Any) -> str:
    """A DuckDB literal for a parameter value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, int | decimal.Decimal):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} as a SQL literal")
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")
