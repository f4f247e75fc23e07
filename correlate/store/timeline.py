"""What the timeline reads: the per-minute cells of one load balancer, and its changes.

Two passes over `requests` (through the views `latency_cells` and `frontend_cells`) give everything the
shift detection needs; the rest of the work happens on those small tables in Python. An NLB's TLS logs
come through `nlb_cells` and `nlb_client_minute`, CloudWatch's metrics through `metric_cells` and
`metric_reads`; `evidence_held` says which of them the window has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa

from correlate.errors import UnknownLoadBalancer
from correlate.model.change import Change
from correlate.store.database import Database


def data_span(db: Database, lb: str) -> tuple[dt.datetime, dt.datetime]:
    """First and last moment of the load balancer's data, on the clock every window uses: request
    arrivals (`request_facts.arrived_at`), NLB connection times, CloudWatch minutes, and change times."""
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
            select min(minute), max(minute)
            from metrics_minute
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
            f"No requests, metrics or changes for load balancer {lb!r} in {db.path}. "
            "`correlate lbs` lists the load balancers seen."
        )
    return row[0], row[1]


@dataclass(frozen=True, slots=True)
class Held:
    """What the database holds of one load balancer in a window: access-log requests, NLB TLS
    connections, CloudWatch datapoints, and its type (alb, clb, nlb; None when only changes say it)."""

    requests: bool
    connections: bool
    metrics: bool
    lb_type: str | None


def evidence_held(db: Database, lb: str, since: dt.datetime, until: dt.datetime) -> Held:
    """Which kinds of evidence the window [since, until) holds for `lb` (each `exists` stops at the
    first row: no scan of the requests beyond the views the timeline reads)."""
    (row,) = db.query(
        """
        select
            exists (select 1 from request_facts where lb = $lb and minute >= $since and minute < $until),
            exists (select 1 from tls_connection_facts where lb = $lb and minute >= $since and minute < $until),
            exists (select 1 from metrics_minute where lb = $lb and minute >= $since and minute < $until),
            coalesce(
                (select lb_type from requests where lb = $lb limit 1),
                (select 'nlb' from tls_connections where lb = $lb limit 1),
                (select mode(lb_type) from metrics_minute where lb = $lb)
            )
        """,
        {"lb": lb, "since": since, "until": until},
    )[1]
    return Held(*row)


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


def nlb_cells(db: Database, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
    """Per minute of [since, until), TLS protocol, cipher and handshake-time bin: an NLB's connections
    and failed handshakes (view nlb_cells)."""
    return _cells(db, "nlb_cells", lb, since, until)


def nlb_client_cells(db: Database, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
    """Per minute of [since, until) and client network: an NLB's connections and failed handshakes."""
    relation = db.con.sql(
        """
        select minute, client_network, connections, failed_handshakes
        from nlb_client_minute
        where lb = $lb and minute >= $since and minute < $until
        """,
        params={"lb": lb, "since": since, "until": until},
    )
    return relation.to_arrow_table()


def metric_cells(db: Database, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
    """Per minute of [since, until), scope and series: the load balancer's CloudWatch datapoints
    (view metric_cells; latencies in seconds)."""
    return _cells(db, "metric_cells", lb, since, until)


def metric_reads(db: Database, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
    """The windows its CloudWatch counts were read over that meet [since, until) (view metric_reads):
    in them, a minute without a datapoint is 0."""
    relation = db.con.sql(
        """
        select lb_type, scope, scope_name, series, since, until
        from metric_reads
        where lb = $lb and since < $until and until > $since
        """,
        params={"lb": lb, "since": since, "until": until},
    )
    return relation.to_arrow_table()


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
