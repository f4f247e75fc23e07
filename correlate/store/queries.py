"""Read-side queries the commands run: ad-hoc SQL and the views users look at."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from correlate.errors import CorrelateError, UnknownLoadBalancer
from correlate.store.database import Database


class QueryError(CorrelateError):
    """The user's SQL did not run."""


def run_sql(db: Database, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run the user's query; DuckDB's complaint becomes a one-line error."""
    try:
        return db.query(sql)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise QueryError(f"The query failed: {first}") from None


def load_balancers(db: Database) -> tuple[list[str], list[tuple[Any, ...]]]:
    return db.query("select * from load_balancers order by lb")


def known_lb(db: Database, lb: str) -> bool:
    row = db.con.execute("select 1 from load_balancers where lb = ? limit 1", [lb]).fetchone()
    return row is not None


def lb_changes(
    db: Database, lb: str | None, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The changes that affect `lb` (all load balancers when None), oldest first."""
    if lb is not None and not known_lb(db, lb):
        raise UnknownLoadBalancer(
            f"No load balancer named {lb} in {db.path}. See the names with: correlate lbs "
            "(changes come from correlate ingest cloudtrail)."
        )
    return db.query(
        """
        select *
        from lb_changes
        where ($lb is null or lb = $lb)
            and ($since is null or event_time >= $since)
            and ($until is null or event_time <= $until)
        order by event_time, event_id, lb
        """,
        {"lb": lb, "since": since, "until": until},
    )
