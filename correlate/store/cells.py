"""Where the timeline's inputs come from: the database's views, or a lake's cells.

The timeline reads (`CellSource`): which load balancer --lb names, its data span, what evidence the
window holds, its per-minute cells (from access logs, an NLB's TLS logs, CloudWatch), and its changes.
`DatabaseCells` reads them from the database (the views scan `requests`); `LakeCells` reads the cells
`correlate spark minutes` or `correlate export` wrote to a lake, and the span from the lake's
`request_spans`, so `requests` is never scanned.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import pyarrow as pa

from correlate.errors import UnknownLoadBalancer
from correlate.store import timeline
from correlate.store.database import Database
from correlate.store.queries import resolve_lb


class CellSource(Protocol):
    def resolve(self, lb: str) -> str: ...

    def data_span(self, lb: str) -> tuple[dt.datetime, dt.datetime]: ...

    def latency_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table: ...

    def frontend_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table: ...

    def held(self, lb: str, since: dt.datetime, until: dt.datetime) -> timeline.Held: ...

    def nlb_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table: ...

    def nlb_client_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table: ...

    def metric_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table: ...

    def metric_reads(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table: ...

    def changes_between(self, lb: str, since: dt.datetime, until: dt.datetime) -> list[timeline.ChangeRecord]: ...


class DatabaseCells:
    """The timeline's inputs from a database's views and tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def resolve(self, lb: str) -> str:
        """The load balancer as the data spells it (a --lb in any case); an error naming the closest
        names when it is unknown."""
        return resolve_lb(self.db, lb)

    def data_span(self, lb: str) -> tuple[dt.datetime, dt.datetime]:
        return timeline.data_span(self.db, lb)

    def latency_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
        return timeline.latency_cells(self.db, lb, since, until)

    def frontend_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
        return timeline.frontend_cells(self.db, lb, since, until)

    def held(self, lb: str, since: dt.datetime, until: dt.datetime) -> timeline.Held:
        return timeline.evidence_held(self.db, lb, since, until)

    def nlb_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
        return timeline.nlb_cells(self.db, lb, since, until)

    def nlb_client_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
        return timeline.nlb_client_cells(self.db, lb, since, until)

    def metric_cells(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
        return timeline.metric_cells(self.db, lb, since, until)

    def metric_reads(self, lb: str, since: dt.datetime, until: dt.datetime) -> pa.Table:
        return timeline.metric_reads(self.db, lb, since, until)

    def changes_between(self, lb: str, since: dt.datetime, until: dt.datetime) -> list[timeline.ChangeRecord]:
        return timeline.changes_between(self.db, lb, since, until)


class LakeCells(DatabaseCells):
    """The timeline's inputs from a lake database (`store.lake.lake_database`), whose
    `latency_cells`, `frontend_cells` and `request_spans` are the lake's: the span comes from
    `request_spans` instead of a scan of `requests`."""

    def resolve(self, lb: str) -> str:
        """The lake database holds this load balancer's partitions only, so the name is taken as it is:
        `data_span` says when the lake has nothing of it."""
        return lb

    def data_span(self, lb: str) -> tuple[dt.datetime, dt.datetime]:
        (row,) = self.db.query(
            """
            with spans as (
                select min(first_at) as first_at, max(last_at) as last_at from request_spans where lb = $lb
                union all
                select min(event_time), max(event_time) from changes where lb = $lb
            )
            select min(first_at), max(last_at) from spans
            """,
            {"lb": lb},
        )[1]
        if row[0] is None:
            raise UnknownLoadBalancer(
                f"No cells or changes for load balancer {lb!r} in the lake {self.db.path}. Compute its cells with "
                f"`correlate spark minutes --lake {self.db.path}` (or `correlate export`)."
            )
        return row[0], row[1]

    def held(self, lb: str, since: dt.datetime, until: dt.datetime) -> timeline.Held:
        """The lake's cells say whether the window has requests; CloudWatch's metrics come from the
        database (a lake holds none)."""
        (row,) = self.db.query(
            """
            select
                exists (select 1 from latency_cells where lb = $lb and minute >= $since and minute < $until),
                exists (select 1 from metrics_minute where lb = $lb and minute >= $since and minute < $until),
                (select mode(lb_type) from metrics_minute where lb = $lb)
            """,
            {"lb": lb, "since": since, "until": until},
        )[1]
        return timeline.Held(row[0], False, row[1], row[2])
