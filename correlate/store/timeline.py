"""What the timeline reads: the per-minute cells of one load balancer, and its changes.

Two passes over `requests` (through the views `latency_cells` and `frontend_cells`) give everything the
shift detection needs; the rest of the work happens on those small tables in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa

from correlate.errors import UnknownLoadBalancer
from correlate.store.database import Database


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One row of `changes`, with the CloudTrail request parameters where `api_calls` has them."""

    event_id: str
    event_time: dt.datetime
    event_name: str
    lb: str
    actor: str | None
    actor_kind: str | None
    error_code: str | None
    summary: str | None
    event_source: str | None = None
    api_version: str | None = None
    category: str | None = None
    listener_port: int | None = None
    target_group: str | None = None
    target_group_arn: str | None = None
    targets: tuple[str, ...] = ()
    details: Any = None
    request_parameters: Any = None


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


def changes_between(db: Database, lb: str, since: dt.datetime, until: dt.datetime) -> list[ChangeRecord]:
    """The load balancer's changes in [since, until), oldest first, with their request parameters."""
    columns, rows = db.query(
        """
        select
            changes.event_id,
            changes.event_time,
            changes.event_name,
            changes.lb,
            changes.actor,
            changes.actor_kind,
            changes.error_code,
            changes.summary,
            coalesce(changes.event_source, api_calls.event_source) as event_source,
            coalesce(changes.api_version, api_calls.api_version) as api_version,
            changes.category,
            changes.listener_port,
            changes.target_group,
            changes.target_group_arn,
            changes.targets,
            changes.details::varchar as details,
            api_calls.request_parameters::varchar as request_parameters
        from changes
        left join api_calls on api_calls.event_id = changes.event_id
        where changes.lb = $lb and changes.event_time >= $since and changes.event_time < $until
        order by changes.event_time, changes.event_id
        """,
        {"lb": lb, "since": since, "until": until},
    )
    records = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        values["targets"] = tuple(values["targets"] or ())
        values["details"] = _json(values["details"])
        values["request_parameters"] = _json(values["request_parameters"])
        records.append(ChangeRecord(**values))
    return records


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
