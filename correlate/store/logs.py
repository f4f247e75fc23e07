"""Token tables → typed rows in the database.

Typing and validation are SQL: sql/load/<kind>.sql defines the views `load_fields` (the values
that can fail to convert) and `load_checked` (why a line fails, whether it passes the filter)
over a token table `batch`, and the INSERT of good rows. Worker threads run the checks on private
in-memory connections (`ChunkChecker`; only the problem rows come back); the database connection
then types and inserts all good rows of an object in one streaming statement (`LogStore`), which
DuckDB runs on every core. Measured on 1 M ALB lines, typing each chunk on the writer connection
was about three times slower, and round-tripping typed rows through Arrow cost another 5 s; the
checks bind only the fields they need, because binding the full typing cost 30 ms a chunk.

A file's rows, its rejects and its ledger entry commit together: a process killed mid-file leaves
nothing of that file behind, and the next run loads it whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from correlate.parse.framing import Reject
from correlate.parse.kinds import KINDS, LogKind
from correlate.store.database import Database, statements


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Rows outside this window or load balancer are counted but not stored."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    lb: str | None = None

    def describe(self) -> str:
        parts = []
        if self.since:
            parts.append(f"since={self.since.isoformat()}")
        if self.until:
            parts.append(f"until={self.until.isoformat()}")
        if self.lb:
            parts.append(f"lb={self.lb}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class CheckedChunk:
    """One chunk after checking: the token rows to store, rejected lines, rows the filter left out."""

    tokens: pa.Table
    rejects: pa.Table  # source_line, reason, raw
    filtered: int

    @staticmethod
    def of_rejects(rejects: list[Reject]) -> CheckedChunk:
        return CheckedChunk(pa.table({}), reject_table(rejects), 0)


def load_variables(
    row_filter: RowFilter, lb_hint: tuple[str, str] | None, source_file: str | None
) -> dict[str, object]:
    """The variables sql/load/*.sql reads with getvariable()."""
    return {
        "since": row_filter.since,
        "until": row_filter.until,
        "lb": row_filter.lb,
        "lb_hint": lb_hint[0] if lb_hint else None,
        "lb_id_hint": lb_hint[1] if lb_hint else None,
        "source_file": source_file,
    }


def _set_variables(con: duckdb.DuckDBPyConnection, variables: dict[str, object]) -> None:
    for name, value in variables.items():
        # `name` is one of load_variables' own keys
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

    def check(self, kind: LogKind, tokens: pa.Table, variables: dict[str, object]) -> CheckedChunk:
        _set_variables(self.con, variables)
        self.con.register("batch", tokens)
        try:
            if self._views_for != kind.name:
                # created once per kind: re-binding the views to each new `batch` is all a chunk costs
                fields, checked, _insert = statements(f"load/{kind.name}.sql")
                self.con.execute(fields)
                self.con.execute(checked)
                self._views_for = kind.name
            (problems_query,) = statements("load/problems.sql")
            # execute, not sql(): binding through a relation cost twice as much per chunk
            found = self.con.execute(problems_query).fetchall()
        finally:
            self.con.unregister("batch")
        if not found:
            return CheckedChunk(tokens, reject_table([]), 0)
        rejects = [Reject(line, reason, raw) for line, reason, raw in found if reason is not None]
        dropped = pa.array([line for line, _reason, _raw in found], pa.int64())
        keep = pc.invert(pc.is_in(tokens.column("source_line"), dropped))
        return CheckedChunk(tokens.filter(keep), reject_table(rejects), len(found) - len(rejects))

    def close(self) -> None:
        self.con.close()


def reject_table(rejects: list[Reject]) -> pa.Table:
    return pa.table(
        {
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
    """Appends typed rows for one object at a time, in one transaction per object."""

    def __init__(self, database: Database) -> None:
        self.db = database
        for statement in statements("load/00_macros.sql"):
            self.db.con.execute(statement)
        # Rows carry their source_line; letting DuckDB insert in any order lets it insert in parallel.
        self.db.con.execute("set preserve_insertion_order = false")
        self.db.con.execute("set memory_limit = '1GB'")

    def previous_load(self, source_file: str) -> tuple[str, str, str] | None:
        """(kind, fingerprint, filter) of the last load of `source_file`, if any."""
        row = self.db.con.execute(
            "select kind, fingerprint, filter from ingested_files where source_file = ?", [source_file]
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    @contextlib.contextmanager
    def transaction(self, source_file: str, previous_kind: str | None) -> Iterator[None]:
        """The object's transaction; a changed object's earlier rows are removed inside it."""
        self.db.con.execute("begin transaction")
        try:
            if previous_kind is not None:
                if previous_kind in KINDS:
                    table = KINDS[previous_kind].table
                    self.db.con.execute(f"delete from {table} where source_file = ?", [source_file])
                self.db.con.execute("delete from rejects where source_file = ?", [source_file])
                self.db.con.execute("delete from ingested_files where source_file = ?", [source_file])
            yield
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                self.db.con.execute("rollback")
            raise
        self.db.con.execute("commit")

    def append_rows(
        self, kind: LogKind, schema: pa.Schema, batches: Iterator[pa.RecordBatch], variables: dict[str, object]
    ) -> None:
        """Type and insert a stream of checked token batches in one statement.

        One streaming INSERT lets DuckDB type, convert and compress on all cores; measured on 1 M
        ALB rows it took a third of the time of one INSERT per 50,000-row chunk."""
        _set_variables(self.db.con, variables)
        self.db.con.register("batch", pa.RecordBatchReader.from_batches(schema, batches))
        try:
            fields, _checked, insert = statements(f"load/{kind.name}.sql")
            self.db.con.execute(fields)
            self.db.con.execute(insert)
        finally:
            with contextlib.suppress(duckdb.TransactionException):
                self.db.con.unregister("batch")

    def append_rejects(self, kind: str, rejects: Iterator[pa.Table], source_file: str) -> None:
        _set_variables(self.db.con, {"source_file": source_file})
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

    def record(self, entry: LedgerEntry) -> None:
        """The ledger row that makes a re-run skip this object."""
        self.db.run_file(
            "load/ledger.sql",
            {
                "source_file": entry.source_file,
                "kind": entry.kind,
                "fingerprint": entry.fingerprint,
                "filter": entry.filter,
                "size_bytes": entry.size_bytes,
                "lines": entry.lines,
                "rows": entry.rows,
                "rejected": entry.rejected,
                "filtered": entry.filtered,
                "invalid_utf8_lines": entry.invalid_utf8_lines,
                "lb": entry.lb,
                "lb_id": entry.lb_id,
                "node_ip": entry.node_ip,
                "interval_end": entry.interval_end,
            },
        )
