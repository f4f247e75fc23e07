"""CloudTrail records → api_calls (upserted by event_id), rejects, the ledger; the change model's
inputs (calls, change events, inventory, what the access logs link) and the changes table.

Kept records are few next to the records skipped, so one Arrow batch per object is enough: the
object's calls, its rejects and its ledger row commit together, so a process killed mid-object
leaves nothing of it behind and the next run loads it whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import orjson
import pyarrow as pa

from correlate.model.changes import CallRow, Change, FeedEvent, InventoryItem, LogLink, TargetLink
from correlate.parse.cloudtrail import ApiCall, RecordReject
from correlate.store.database import Database, statements
from correlate.store.ledger import EarlierLoad, earlier_loads

KIND = "cloudtrail"

_CALL_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_time", pa.timestamp("us")),
        ("event_source", pa.string()),
        ("event_name", pa.string()),
        ("api_version", pa.string()),
        ("aws_region", pa.string()),
        ("account_id", pa.string()),
        ("actor", pa.string()),
        ("actor_name", pa.string()),
        ("actor_kind", pa.string()),
        ("source_ip", pa.string()),
        ("user_agent", pa.string()),
        ("read_only", pa.bool_()),
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("request_parameters", pa.string()),
        ("response_elements", pa.string()),
        ("event_type", pa.string()),
        ("event_version", pa.string()),
        ("is_addendum", pa.bool_()),
        ("request_truncated", pa.bool_()),
        ("record", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
    ]
)


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    """The ledger row of one loaded CloudTrail object."""

    source_file: str
    fingerprint: str
    filter: str
    size_bytes: int
    records: int
    kept: int
    rejected: int
    skipped: int  # unrelated records and records outside --since/--until
    reload: bool = False  # loaded before with other content or filter: its earlier rows go first


def _table(rows: Iterable[object], schema: pa.Schema) -> pa.Table:
    rows = list(rows)
    columns = {name: [getattr(row, name) for row in rows] for name in schema.names}
    return pa.table(columns, schema=schema)


class CloudTrailStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    def loaded_objects(self) -> dict[str, EarlierLoad]:
        """source_file → its earlier load, for every object `ingest cloudtrail` loaded so far."""
        return earlier_loads(self.db.con, (KIND,))

    def load_objects(
        self, entries: list[ObjectEntry], calls: list[ApiCall], rejects: list[tuple[str, RecordReject]]
    ) -> dict[str, int]:
        """A batch of objects: their calls, rejects and ledger rows in one transaction, so a process
        killed mid-batch leaves none of them behind. Returns the duplicates of each object."""
        with self.db.transaction():
            self._remove([entry.source_file for entry in entries if entry.reload])
            order = {entry.source_file: index for index, entry in enumerate(entries)}
            duplicates = self._insert(calls, order)
            self._rejects(rejects)
            ledger = pa.table(
                {
                    "source_file": [e.source_file for e in entries],
                    "kind": [KIND] * len(entries),
                    "fingerprint": [e.fingerprint for e in entries],
                    "filter": [e.filter for e in entries],
                    "size_bytes": pa.array([e.size_bytes for e in entries], pa.int64()),
                    "lines": pa.array([e.records for e in entries], pa.int64()),
                    "rows": pa.array([e.kept for e in entries], pa.int64()),
                    "rejected": pa.array([e.rejected for e in entries], pa.int64()),
                    "filtered": pa.array([e.skipped for e in entries], pa.int64()),
                    "invalid_utf8_lines": pa.array([0] * len(entries), pa.int64()),
                    "duplicates": pa.array([duplicates.get(e.source_file, 0) for e in entries], pa.int64()),
                }
            )
            self._run_with("ledger", ledger, "load/cloudtrail_ledger.sql")
        return duplicates

    def forget(self, source_files: list[str]) -> None:
        """Remove what earlier loads of these objects stored: files an older correlate recorded as
        CloudTrail (every line rejected) that are access logs."""
        if source_files:
            with self.db.transaction():
                self._remove(source_files)

    def _remove(self, source_files: list[str]) -> None:
        for source_file in source_files:
            self.db.con.execute("delete from api_calls where source_file = ?", [source_file])
            for table in ("rejects", "ingested_files"):  # this command's rows only: access logs' stay
                self.db.con.execute(f"delete from {table} where source_file = ? and kind = ?", [source_file, KIND])

    def load_calls(self, calls: list[ApiCall], rejects: list[tuple[str, RecordReject]]) -> int:
        """Calls with no ledger object behind them (LookupEvents pages): event_id alone dedupes.
        Returns the number of duplicates."""
        with self.db.transaction():
            duplicates = self._insert(calls, {})
            self._rejects(rejects)
        return sum(duplicates.values())

    def _insert(self, calls: list[ApiCall], order: dict[str, int]) -> dict[str, int]:
        if not calls:
            return {}
        table = _table(calls, _CALL_SCHEMA)
        table = table.append_column(
            "object_index", pa.array([order.get(call.source_file, 0) for call in calls], pa.int32())
        )
        self.db.con.register("calls", table)
        try:
            found = self.db.con.execute(statements("load/api_call_duplicates.sql")[0]).fetchall()
            for statement in statements("load/api_calls.sql"):
                self.db.con.execute(statement)
        finally:
            with contextlib.suppress(duckdb.TransactionException):
                self.db.con.unregister("calls")
        return {source_file: int(count) for source_file, count in found}

    def _rejects(self, rejects: list[tuple[str, RecordReject]]) -> None:
        if rejects:
            self._run_with("batch_rejects", reject_table(rejects, KIND), "load/record_rejects.sql")

    def _run_with(self, name: str, table: pa.Table, sql_file: str) -> None:
        self.db.run_file_with(name, table, sql_file)

    # -- the change model's inputs and output ------------------------------------------------

    def has_changes_to_build(self) -> bool:
        """Is there anything `changes` is built from: a mutating call, or a change event?"""
        rows = self.db.con.execute(
            "select 1 from api_calls where not read_only union all select 1 from change_events limit 1"
        ).fetchall()
        return bool(rows)

    def replay_calls(self) -> list[CallRow]:
        rows = self.db.con.execute(statements("replay/calls.sql")[0]).fetchall()
        return [
            CallRow(
                *row[:12],
                request=_loads(row[12]),
                response=_loads(row[13]),
                request_truncated=bool(row[14]),
            )
            for row in rows
        ]

    def log_links(self) -> list[LogLink]:
        rows = self.db.con.execute(statements("replay/log_links.sql")[0]).fetchall()
        return [LogLink(*row) for row in rows]

    def feed_events(self) -> list[FeedEvent]:
        """The change events of `correlate ingest changes`, oldest first."""
        columns, rows = self.db.query(statements("replay/feed_events.sql")[0])
        found = []
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            for name in ("lbs", "target_groups", "targets", "services"):
                values[name] = tuple(values[name] or ())
            values["details"] = _loads(values["details"])
            found.append(FeedEvent(**values))
        return found

    def known_load_balancers(self) -> list[tuple[str, str | None]]:
        """(name, app/NAME/ID where known) of every load balancer in access logs or the inventory."""
        return [(lb, lb_id) for lb, lb_id in self.db.con.execute(statements("replay/load_balancers.sql")[0]).fetchall()]

    def target_links(self, targets: list[str]) -> list[TargetLink]:
        """Where the access logs show these targets (ip:port) serving."""
        if not targets:
            return []
        rows = self.db.con.execute(statements("replay/target_links.sql")[0], {"targets": targets}).fetchall()
        return [TargetLink(*row) for row in rows]

    def inventory(self) -> list[InventoryItem]:
        rows = self.db.con.execute(statements("replay/inventory.sql")[0]).fetchall()
        return [InventoryItem(taken_at, kind, arn, lb, orjson.loads(data)) for taken_at, kind, arn, lb, data in rows]

    def replace_changes(self, changes: list[Change]) -> None:
        """`changes` holds these rows now: one column per `Change` field (model/change.py), typed as the
        table declares it (sql/00_tables.sql); `details` is stored as JSON."""
        schema = self.db.con.sql("select * from changes limit 0").to_arrow_table().schema
        rows = [{**_fields(change), "details": _details_json(change.details)} for change in changes]
        table = pa.table({name: [row[name] for row in rows] for name in schema.names}, schema=schema)
        with self.db.transaction():
            self.db.run_file_with("new_changes", table, "load/changes.sql")

    def change_counts(self) -> tuple[int, int]:
        """(changes, load balancers with changes)."""
        ((changes, lbs),) = self.db.con.execute("select count(*), count(distinct lb) from changes").fetchall()
        return int(changes), int(lbs)

    def unattributed_calls(self) -> int:
        ((count,),) = self.db.con.execute("select count(*) from unattributed_calls").fetchall()
        return int(count)

    # -- inventory snapshots ----------------------------------------------------------------

    def replace_inventory(self, account_id: str | None, region: str, items: list[InventoryItem]) -> None:
        """The new snapshot of one account and region replaces the previous one."""
        table = pa.table(
            {
                "taken_at": pa.array([i.taken_at for i in items], pa.timestamp("us")),
                "account_id": pa.array([account_id] * len(items), pa.string()),
                "aws_region": pa.array([region] * len(items), pa.string()),
                "resource_type": pa.array([i.resource_type for i in items], pa.string()),
                "arn": pa.array([i.arn for i in items], pa.string()),
                "lb": pa.array([i.lb for i in items], pa.string()),
                "data": pa.array([orjson.dumps(i.data, default=_json_default).decode() for i in items], pa.string()),
            }
        )
        with self.db.transaction():
            self.db.con.execute(
                "delete from inventory where aws_region = ? and account_id is not distinct from ?", [region, account_id]
            )
            self.db.con.register("snapshot", table)
            try:
                self.db.con.execute("insert into inventory by name select * from snapshot")
            finally:
                with contextlib.suppress(duckdb.TransactionException):
                    self.db.con.unregister("snapshot")


def reject_table(rejects: list[tuple[str, RecordReject]], kind: str) -> pa.Table:
    """(source_file, reject) pairs as the rows sql/load/record_rejects.sql inserts."""
    return pa.table(
        {
            "source_file": pa.array([source for source, _ in rejects], pa.string()),
            "source_line": pa.array([r.line for _, r in rejects], pa.int64()),
            "reason": pa.array([r.reason for _, r in rejects], pa.string()),
            "raw": pa.array([r.raw for _, r in rejects], pa.string()),
            "kind": pa.array([kind] * len(rejects), pa.string()),
        }
    )


def _fields(change: Change) -> dict[str, object]:
    return {field.name: getattr(change, field.name) for field in dataclasses.fields(change)}


def _details_json(details: dict | None) -> str | None:
    return orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode() if details else None


def _loads(text: str | None) -> object:
    if text is None:
        return None
    return orjson.loads(text)


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in the inventory")
