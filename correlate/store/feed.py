"""Change events of `correlate ingest changes` → change_events (upserted by event_id), rejects, and
the command's own ledger (kind 'changes' in ingested_files).

A feed file's events, rejects and ledger row commit together, so a process killed mid-file leaves
nothing of it behind and the next run loads it whole. `changes` is not written here: the change
model places the events on load balancers when it rebuilds `changes` (pipeline/changes.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pyarrow as pa

from correlate.parse.cloudtrail import RecordReject
from correlate.parse.feed import FeedEvent
from correlate.store.cloudtrail import reject_table
from correlate.store.database import Database
from correlate.store.ledger import EarlierLoad, earlier_loads

KIND = "changes"

_EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_time", pa.timestamp("us")),
        ("end_time", pa.timestamp("us")),
        ("kind", pa.string()),
        ("summary", pa.string()),
        ("actor", pa.string()),
        ("source", pa.string()),
        ("lbs", pa.list_(pa.string())),
        ("target_groups", pa.list_(pa.string())),
        ("targets", pa.list_(pa.string())),
        ("services", pa.list_(pa.string())),
        ("listener_port", pa.int32()),
        ("url", pa.string()),
        ("details", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
    ]
)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """The ledger row of one loaded feed file (stdin has none: its events dedupe by id alone)."""

    source_file: str
    fingerprint: str
    size_bytes: int
    records: int
    events: int
    rejected: int
    reload: bool = False  # loaded before with other content: its earlier rows go first


class FeedStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    def loaded_objects(self) -> dict[str, EarlierLoad]:
        """source_file → its earlier load, for every file `ingest changes` loaded so far."""
        return earlier_loads(self.db.con, (KIND,))

    def load(
        self, source_file: str, events: list[FeedEvent], rejects: list[RecordReject], entry: FeedEntry | None
    ) -> int:
        """One input's events (upserted by id), rejects and ledger row, in one transaction. Returns
        the duplicates: events whose id was stored already, or came again later in the input."""
        last = {event.event_id: event for event in events}  # the last copy of an id wins
        with self.db.transaction():
            if entry is not None and entry.reload:
                self._remove(source_file)
            duplicates = len(events) - len(last)
            if last:
                table = pa.table(
                    {name: [_value(event, name) for event in last.values()] for name in _EVENT_SCHEMA.names},
                    schema=_EVENT_SCHEMA,
                )
                (stored,) = self.db.run_file_with("events", table, "load/change_event_duplicates.sql")
                self.db.run_file_with("events", table, "load/change_events.sql")
                duplicates += int(stored or 0)
            if rejects:
                table = reject_table([(source_file, reject) for reject in rejects], KIND)
                self.db.run_file_with("batch_rejects", table, "load/record_rejects.sql")
            if entry is not None:
                self.db.run_file_with("entries", _ledger(entry, duplicates), "load/changes_ledger.sql")
        return duplicates

    def _remove(self, source_file: str) -> None:
        self.db.con.execute("delete from change_events where source_file = ?", [source_file])
        self.db.con.execute("delete from rejects where source_file = ? and kind = ?", [source_file, KIND])

    def counts(self) -> tuple[int, int, int]:
        """(events stored, events on some load balancer, events on every load balancer: no scope hint)."""
        ((stored, placed, unscoped),) = self.db.con.execute(
            """
            select
                (select count(*) from change_events),
                count(distinct event_id),
                count(distinct event_id) filter (where attributed_by = 'unscoped')
            from changes
            where origin = 'feed'
            """
        ).fetchall()
        return int(stored), int(placed), int(unscoped)


def _value(event: FeedEvent, name: str) -> object:
    if name == "details":
        return orjson.dumps(event.details, option=orjson.OPT_SORT_KEYS).decode() if event.details else None
    value = getattr(event, name)
    return list(value) if isinstance(value, tuple) else value


def _ledger(entry: FeedEntry, duplicates: int) -> pa.Table:
    return pa.table(
        {
            "source_file": [entry.source_file],
            "kind": [KIND],
            "fingerprint": [entry.fingerprint],
            "filter": [""],
            "size_bytes": pa.array([entry.size_bytes], pa.int64()),
            "lines": pa.array([entry.records], pa.int64()),
            "rows": pa.array([entry.events], pa.int64()),
            "rejected": pa.array([entry.rejected], pa.int64()),
            "filtered": pa.array([0], pa.int64()),
            "invalid_utf8_lines": pa.array([0], pa.int64()),
            "duplicates": pa.array([duplicates], pa.int64()),
        }
    )
