"""What the timeline reads: the per-minute cells of one load balancer, and its changes.

Two passes over `requests` (through the views `latency_cells` and `frontend_cells`) give everything the
shift detection needs; the rest of the work happens on those small tables in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pyarrow as pa

from correlate.errors import UnknownLoadBalancer
from correlate.model.change import Change
from correlate.store.database import Database


def data_span(db: Database, lb: str) -> tuple[dt.datetime, dt.datetime]:
    """First and last moment of the load balancer's data, on the clock every window uses: request
    arrivals (`request_facts.arrived_at`), NLB connection times, and change times."""
    (row,) = db.query(
        """
        with spans as (
            select min(arrived_at) as first_at, max(arrived_at) as last_at
            from request_facts
            where lb = $lb
            union all
            select min(coalesce(connection_at, time)), max(coalesce(connection_at, time))
            from tls_connections
            where lb = $lb
            union all
            select min(event_time), max(event_time)
            from changes
            where lb = $lb
        )
        select min(first_at), max(last_at) from spans
        """,
        {"lb": lb},
    )[1]
    if row[0] is None:
        raise UnknownLoadBalancer(
            f"No requests or changes for load balancer {lb!r} in {db.path}. "
            "`correlate lbs` lists the load balancers seen."
        )
    return row[0], row[1]


def require_http(db: Database, lb: str) -> None:
    """The timeline reads HTTP requests: a Network Load Balancer with TLS logs only gets an error."""
    (row,) = db.query(
        """
        select
            exists (select 1 from tls_connections where lb = $lb)
            and not exists (select 1 from requests where lb = $lb)
            and not exists (select 1 from changes where lb = $lb)
        """,
        {"lb": lb},
    )[1]
    if row[0]:
        raise UnknownLoadBalancer(
            f"{lb} is a Network Load Balancer: its TLS access logs have no target latency or status codes, "
            "and the timeline does not read them. Use `correlate sql` on the tls_connections table."
        )


def _cells(db: Database, view: str, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
    # `view` is one of this module's own view names, never user input.
    relation = db.con.sql(
        f"select * exclude (lb) from {view} where lb = $lb and minute >= $since and minute < $until",
        params={"lb": lb, "since": since, "until": until},
    )
    return relation.to_arrow_table()


def latency_cells(db: Database, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
    """Per minute of [since, until), target group, target and latency bin: requests and error counts
    (view latency_cells)."""
    return _cells(db, "latency_cells", lb, since, until)


def frontend_cells(db: Database, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
    """Per minute of [since, until), listener port, domain, TLS protocol and cipher: requests and error
    counts."""
    return _cells(db, "frontend_cells", lb, since, until)


def changes_between(db: Database, lb: str, since: dt.datetime, until: dt.datetime) -> list[Change]:
    """The load balancer's changes in [since, until), oldest first."""
    columns, rows = db.query(
        """
        select *
        from changes
        where lb = $lb and event_time >= $since and event_time < $until
        order by event_time, event_id
        """,
        {"lb": lb, "since": since, "until": until},
    )
    return [change_of(dict(zip(columns, row, strict=True))) for row in rows]


def change_of(row: dict[str, Any]) -> Change:
    """A `changes` row (all of its columns, or some) as the typed change."""
    for name in ("targets", "categories", "target_groups"):
        if name in row:
            row[name] = tuple(row[name] or ())
    if isinstance(row.get("details"), str):
        row["details"] = orjson.loads(row["details"])
    return Change(**row)
