"""Token tables → typed rows in the database.

Typing and validation are SQL: sql/load/<kind>.sql defines the views `load_fields` (the values
that can fail to convert) and `load_checked` (why a line fails, whether it passes the filter)
over a token table `batch`, and the INSERT of good rows. Worker threads run the checks on private
in-memory connections (`ChunkChecker`; only the problem rows come back); the database connection
then types and inserts all good rows of an object in one streaming statement (`LogStore`), which
DuckDB runs on every core. Measured on 1 M ALB lines, typing each chunk on the writer connection
was about three times slower, and round-tripping typed rows through Arrow cost another 5 s; the
checks bind only the fields they need, because binding the full typing cost 30 ms a chunk.

A load is one object, or a run of small objects of one kind (each statement costs tens of
milliseconds to plan, so thousands of small S3 objects are loaded many to a statement). Token rows
carry their source_file, so one batch may hold lines of several objects. A load's rows, rejects
and ledger entries commit together: a process killed mid-load leaves nothing of those objects
behind, and the next run loads them whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from correlate.parse.framing import Reject
from correlate.parse.kinds import KINDS, UNKNOWN_KIND, LogKind
from correlate.store.database import Database, statements
from correlate.store.ledger import EarlierLoad, earlier_loads
from correlate.timeparse import Window

# The kinds of `ingest logs`'s rows in ingested_files and rejects (its ledger; see store/ledger.py).
LEDGER_KINDS = (*KINDS, UNKNOWN_KIND)


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Rows outside this window or load balancer are counted but not stored."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    lb: str | None = None

    def describe(self) -> str:
        """How the filter is recorded in the ledger (`ingested_files.filter`)."""
        window = Window(self.since, self.until).describe()
        return f"{window} lb={self.lb}".strip() if self.lb else window


@dataclass(frozen=True, slots=True)
class CheckedChunk:
    """Token rows after checking: the rows to store, the rejected lines, and per object how many
    lines were rejected or left out by the filter. One chunk may hold lines of several objects."""

    tokens: pa.Table  # labelled token rows (see `label`), good rows only
    rejects: pa.Table  # source_file, source_line, reason, raw
    rejected: dict[str, int]  # source_file -> lines rejected
    filtered: dict[str, int]  # source_file -> lines outside the filter

    @staticmethod
    def of_rejects(source_file: str, rejects: list[Reject]) -> CheckedChunk:
        return CheckedChunk(pa.table({}), reject_table(source_file, rejects), {source_file: len(rejects)}, {})


def label(tokens: pa.Table, source_file: str, lb_hint: tuple[str, str] | None) -> pa.Table:
    """The token table with the columns the load SQL reads per row: source_file, and the load
    balancer the object's name gives (lb_hint, lb_id_hint). Dictionary-encoded: a constant column
    costs four bytes a row."""
    rows = tokens.num_rows
    tokens = tokens.append_column("source_file", _constant(source_file, rows))
    tokens = tokens.append_column("lb_hint", _constant(lb_hint[0] if lb_hint else None, rows))
    return tokens.append_column("lb_id_hint", _constant(lb_hint[1] if lb_hint else None, rows))


def _constant(value: str | None, rows: int) -> pa.DictionaryArray:
    indices = pa.array(np.zeros(rows, np.int32)) if value is not None else pa.nulls(rows, pa.int32())
    return pa.DictionaryArray.from_arrays(indices, pa.array([value or ""], pa.string()))


def filter_variables(row_filter: RowFilter) -> dict[str, object]:
    """The variables sql/load/*.sql reads with getvariable()."""
    return {"since": row_filter.since, "until": row_filter.until, "lb": row_filter.lb}


def _set_variables(con: duckdb.DuckDBPyConnection, variables: dict[str, object]) -> None:
    for name, value in variables.items():
        # `name` is one of filter_variables' own keys
        con.execute(f"set variable {name} = ?", [value])


class ChunkChecker:
    """Finds the lines of a token table that will not be stored, with sql/load/<kind>.sql and
    sql/load/problems.sql on a private in-memory connection (one per worker thread).

    Only the problem rows come back; the tokens of the good rows go on to the writer untouched."""

    def __init__(self) -> None:
        self.con = duckdb.connect(":memory:", config={"threads": 1})
        for statement in statements("load/00_macros.sql"):
            self.con.execute(statement)
        self._views_for: str | None = None
        self._tables = False  # correlate's tables, created on this connection by `typed`

    def _views(self, kind: LogKind) -> None:
        if self._views_for != kind.name:
            # created once per kind: re-binding the views to each new `batch` is all a chunk costs
            fields, checks, _insert = statements(f"load/{kind.name}.sql")
            self.con.execute(fields)
            self.con.execute(checks)
            self._views_for = kind.name

    def check(self, kind: LogKind, tokens: pa.Table, variables: dict[str, object]) -> CheckedChunk:
        """Split labelled token rows into the rows to store, rejects, and rows the filter leaves out."""
        _set_variables(self.con, variables)
        self.con.register("batch", tokens)
        try:
            self._views(kind)
            (problems_query,) = statements("load/problems.sql")
            # execute, not sql(): binding through a relation cost twice as much per chunk
            found = self.con.execute(problems_query).fetchall()
        finally:
            self.con.unregister("batch")
        if not found:
            return CheckedChunk(tokens, reject_table("", []), {}, {})
        dropped: dict[str, list[int]] = {}
        rejected: dict[str, int] = {}
        filtered: dict[str, int] = {}
        rejects: list[tuple[str, int, str, str]] = []
        for source_file, line, reason, raw in found:
            dropped.setdefault(source_file, []).append(line)
            if reason is None:
                filtered[source_file] = filtered.get(source_file, 0) + 1
            else:
                rejected[source_file] = rejected.get(source_file, 0) + 1
                rejects.append((source_file, line, reason, raw))
        keep = np.ones(tokens.num_rows, dtype=bool)
        for source_file, lines in dropped.items():
            mine = pc.and_(
                pc.equal(tokens.column("source_file"), source_file),
                pc.is_in(tokens.column("source_line"), pa.array(lines, pa.int64())),
            )
            keep &= ~mine.to_numpy(zero_copy_only=False)
        return CheckedChunk(tokens.filter(pa.array(keep)), _reject_rows(rejects), rejected, filtered)

    def typed(self, kind: LogKind, tokens: pa.Table, variables: dict[str, object]) -> pa.Table:
        """Checked token rows (`CheckedChunk.tokens`) as rows of the kind's table, typed by the same
        INSERT as `LogStore.append_rows`, into that table on this in-memory connection."""
        if not self._tables:
            for statement in statements("00_tables.sql"):
                self.con.execute(statement)
            self._tables = True
        _set_variables(self.con, variables)
        self.con.register("batch", tokens)
        try:
            self._views(kind)
            (rows,) = statements("load/rows_checked.sql")
            self.con.execute(rows)
            self.con.execute(statements(f"load/{kind.name}.sql")[2])
            typed = self.con.sql(f"select * from {kind.table} order by source_file, source_line").to_arrow_table()
            self.con.execute(f"delete from {kind.table}")
        finally:
            self.con.unregister("batch")
        return typed

    def close(self) -> None:
        self.con.close()


def _reject_rows(rows: list[tuple[str, int, str, str]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
    return pa.table(
        {
            "source_file": pa.array(columns[0], pa.string()),
            "source_line": pa.array(columns[1], pa.int64()),
            "reason": pa.array(columns[2], pa.string()),
            "raw": pa.array(columns[3], pa.string()),
        }
    )


def reject_table(source_file: str, rejects: list[Reject]) -> pa.Table:
    return pa.table(
        {
            "source_file": pa.array([source_file] * len(rejects), pa.string()),
            "source_line": pa.array([r.line for r in rejects], pa.int64()),
            "reason": pa.array([r.reason for r in rejects], pa.string()),
            "raw": pa.array([r.raw for r in rejects], pa.string()),
        }
    )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    source_file: str
    kind: str
    fingerprint: str
    filter: str
    size_bytes: int
    lines: int
    rows: int
    rejected: int
    filtered: int
    invalid_utf8_lines: int
    lb: str | None
    lb_id: str | None
    node_ip: str | None
    interval_end: dt.datetime | None


class RejectSpool:
    """Rejected lines held until the object's rows are in; past `limit` bytes they wait on disk, so
    a file of junk cannot run memory up."""

    def __init__(self, limit: int = 32 << 20) -> None:
        self._tables: list[pa.Table] = []
        self._held = 0
        self._limit = limit
        self._file: tempfile._TemporaryFileWrapper | None = None
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None

    def add(self, rejects: pa.Table) -> None:
        if not rejects.num_rows:
            return
        if self._writer is None and self._held + rejects.nbytes <= self._limit:
            self._tables.append(rejects)
            self._held += rejects.nbytes
            return
        if self._writer is None:
            self._file = tempfile.TemporaryFile(prefix="correlate-rejects-")  # noqa: SIM115 - closed in close()
            self._writer = pa.ipc.new_stream(self._file, rejects.schema)
        self._writer.write_table(rejects)

    def tables(self) -> Iterator[pa.Table]:
        yield from self._tables
        if self._writer is not None and self._file is not None:
            self._writer.close()
            self._file.seek(0)
            for batch in pa.ipc.open_stream(self._file):
                yield pa.Table.from_batches([batch])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class LogStore:
    """Appends typed rows in one transaction per load: one object, or a run of small objects."""

    def __init__(self, database: Database) -> None:
        self.db = database
        for statement in statements("load/00_macros.sql"):
            self.db.con.execute(statement)
        # Rows carry their source_line; letting DuckDB insert in any order lets it insert in parallel.
        self.db.con.execute("set preserve_insertion_order = false")
        self.db.con.execute("set memory_limit = '1GB'")
        self._ledger = self.db.con.cursor()

    def previous_loads(self, source_files: Sequence[str]) -> dict[str, EarlierLoad]:
        """source_file → the last load by `ingest logs`, for those loaded before.

        Asked on a connection of its own: the load pipeline asks while the writer's INSERT is
        streaming (a connection runs one statement at a time), and only committed loads matter."""
        if not source_files:
            return {}
        return earlier_loads(self._ledger, LEDGER_KINDS, source_files)

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """One load's transaction: rows, rejects and ledger rows commit together or not at all."""
        return self.db.transaction()

    def replace(self, loads: Sequence[tuple[str, str]]) -> None:
        """Remove what earlier loads of these objects stored ((source_file, kind) pairs), inside
        the current transaction, before their new rows go in."""
        for source_file, previous_kind in loads:
            if previous_kind in KINDS:
                table = KINDS[previous_kind].table
                self.db.con.execute(f"delete from {table} where source_file = ?", [source_file])
            for table in ("rejects", "ingested_files"):  # this command's rows only: CloudTrail's stay
                self.db.con.execute(
                    f"delete from {table} where source_file = ? and kind in (select unnest(?::varchar[]))",
                    [source_file, list(LEDGER_KINDS)],
                )

    def append_rows(
        self,
        kind: LogKind,
        schema: pa.Schema,
        batches: Iterator[pa.RecordBatch],
        variables: dict[str, object],
        *,
        checked: bool = True,
    ) -> int:
        """Type and insert a stream of labelled token batches in one statement; returns the number
        of rows stored.

        `checked`: checkers already took out the rejected lines and those outside the filter. When
        False, the INSERT leaves them out itself (sql/load/rows_unchecked.sql), which saves a
        separate pass over every line; the caller compares the count with the rows it gave.

        One streaming INSERT lets DuckDB type, convert and compress on all cores; measured on 1 M
        ALB rows it took a third of the time of one INSERT per 50,000-row chunk. Planning the
        statement costs tens of milliseconds whatever its size, which is why small objects are
        loaded several to a statement."""
        _set_variables(self.db.con, variables)
        self.db.con.register("batch", pa.RecordBatchReader.from_batches(schema, batches))
        try:
            fields, checks, insert = statements(f"load/{kind.name}.sql")
            (rows,) = statements("load/rows_checked.sql" if checked else "load/rows_unchecked.sql")
            for statement in (fields, checks, rows):
                self.db.con.execute(statement)
            (stored,) = self.db.con.execute(insert).fetchone()
        finally:
            with contextlib.suppress(duckdb.TransactionException):
                self.db.con.unregister("batch")
        return stored

    def append_rejects(self, kind: str, rejects: Iterator[pa.Table]) -> None:
        """Rejected lines (source_file, source_line, reason, raw), all of one kind."""
        (insert,) = statements("load/rejects.sql")
        for table in rejects:
            if not table.num_rows:
                continue
            self.db.con.register("typed", table.append_column("kind", pa.array([kind] * table.num_rows)))
            try:
                self.db.con.execute(insert)
            finally:
                with contextlib.suppress(duckdb.TransactionException):
                    self.db.con.unregister("typed")

    def record(self, entries: Sequence[LedgerEntry]) -> None:
        """The ledger rows that make a re-run skip these objects."""
        if not entries:
            return
        table = pa.Table.from_pylist([dataclasses.asdict(entry) for entry in entries], schema=_LEDGER_SCHEMA)
        self.db.con.register("entries", table)
        try:
            for statement in statements("load/ledger.sql"):
                self.db.con.execute(statement)
        finally:
            with contextlib.suppress(duckdb.TransactionException):
                self.db.con.unregister("entries")


_LEDGER_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("kind", pa.string()),
        ("fingerprint", pa.string()),
        ("filter", pa.string()),
        ("size_bytes", pa.int64()),
        ("lines", pa.int64()),
        ("rows", pa.int64()),
        ("rejected", pa.int64()),
        ("filtered", pa.int64()),
        ("invalid_utf8_lines", pa.int64()),
        ("lb", pa.string()),
        ("lb_id", pa.string()),
        ("node_ip", pa.string()),
        ("interval_end", pa.timestamp("us")),
    ]
)
