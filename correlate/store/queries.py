"""Read-side queries the commands run: ad-hoc SQL, the views users look at, and which load balancer
a --lb names."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

import duckdb

from correlate.errors import CorrelateError, UnknownLoadBalancer
from correlate.store.database import Database
from correlate.timeparse import ceil_minute, floor_minute, iso


class QueryError(CorrelateError):
    """The user's SQL did not run."""


@dataclass(frozen=True, slots=True)
class Rows:
    """Rows to print, and when there are none, the note that says why and what to pass instead."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    note: str | None = None


def run_sql(db: Database, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run the user's query; DuckDB's complaint becomes a one-line error."""
    try:
        return db.query(sql)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise QueryError(f"The query failed: {first}") from None


_LOAD_SOMETHING = (
    "load access logs with correlate ingest logs SOURCE, or CloudTrail with correlate ingest cloudtrail SOURCE"
)


def load_balancers(db: Database) -> Rows:
    columns, rows = db.query("select * from load_balancers order by lb")
    note = None if rows else f"No load balancers in {db.path} yet: {_LOAD_SOMETHING}."
    return Rows(columns, rows, note)


KNOWN_SHOWN = 5  # an unknown --lb lists the known names when there are no more than this


def resolve_lb(db: Database, lb: str) -> str:
    """The load balancer `lb` names, as the database spells it: the exact name, else the one name that
    matches ignoring case. Otherwise `UnknownLoadBalancer`, with the closest names seen."""
    ((exact,),) = db.query(
        """
        select exists (select 1 from requests where lb = $lb)
            or exists (select 1 from tls_connections where lb = $lb)
            or exists (select 1 from metrics_minute where lb = $lb)
            or exists (select 1 from changes where lb = $lb)
        """,
        {"lb": lb},
    )[1]
    if exact:
        return lb
    names = [
        row[0]
        for row in db.query(
            """
            select distinct lb from requests where lb is not null
            union select distinct lb from tls_connections where lb is not null
            union select distinct lb from metrics_minute
            union select distinct lb from changes where lb is not null
            order by 1
            """
        )[1]
    ]
    folded = [name for name in names if name.lower() == lb.lower()]
    if len(folded) == 1:
        return folded[0]
    if not names:
        raise UnknownLoadBalancer(f"No load balancer named {lb} in {db.path}: it holds none yet; {_LOAD_SOMETHING}.")
    by_folded = {name.lower(): name for name in names}
    close = folded or [
        by_folded[name] for name in difflib.get_close_matches(lb.lower(), list(by_folded), n=3, cutoff=0.6)
    ]
    if close:
        hint = f"Did you mean {' or '.join(close)}?"
    elif len(names) <= KNOWN_SHOWN:
        hint = f"Known: {', '.join(names)}."
    else:
        hint = f"`correlate lbs` lists the {len(names):,} known."
    raise UnknownLoadBalancer(f"No load balancer named {lb} in {db.path}. {hint}")


def lb_changes(db: Database, lb: str | None, since: dt.datetime | None, until: dt.datetime | None) -> Rows:
    """The changes that affect `lb` (all load balancers when None) in the whole minutes of
    [since, until), oldest first; with a note when there are none."""
    if lb is not None:
        lb = resolve_lb(db, lb)
    since = floor_minute(since) if since is not None else None
    until = ceil_minute(until) if until is not None else None
    params = {"lb": lb, "since": since, "until": until}
    columns, rows = db.query(
        """
        select *
        from lb_changes
        where ($lb is null or lb = $lb)
            and ($since is null or event_time >= $since)
            and ($until is null or event_time < $until)
        order by event_time, event_id, lb
        """,
        params,
    )
    return Rows(columns, rows, None if rows else _no_changes(db, lb, since, until))


def _no_changes(db: Database, lb: str | None, since: dt.datetime | None, until: dt.datetime | None) -> str:
    (count, first, last), *_ = db.query(
        "select count(*), min(event_time), max(event_time) from changes where ($lb is null or lb = $lb)", {"lb": lb}
    )[1]
    whose = f" to {lb}" if lb else ""
    if not count:
        return (
            f"No configuration changes{whose} are recorded in {db.path}: load CloudTrail with "
            "correlate ingest cloudtrail SOURCE (or --lookup), or deploys and other change events with "
            "correlate ingest changes FILE."
        )
    between = f"from {iso(since)}" if until is None else f"before {iso(until)}" if since is None else ""
    between = between or f"between {iso(since)} and {iso(until)}"
    return (
        f"No changes{whose} {between}; the {count:,} recorded span {iso(first)} to {iso(last)}. "
        "Pass --since/--until inside that span, or leave them out to see them all."
    )


def database_clock(db: Database) -> dt.datetime:
    """The database's own clock (UTC), the one the ledger's `loaded_at` is written with."""
    ((now,),) = db.query("select now() at time zone 'UTC'")[1]
    return now


def committed_since(db: Database, started: dt.datetime) -> tuple[int, int]:
    """Input objects (and their rows) whose load committed at or after `started`."""
    ((files, rows),) = db.query(
        "select count(*), coalesce(sum(rows), 0) from ingested_files where loaded_at >= ?", [started]
    )[1]
    return files, rows
