"""Checker threads: chunks of lines → tokens (pyarrow) → the lines that will not be stored, found by
the kind's SQL on a private in-memory DuckDB connection per thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from correlate.parse.framing import Chunk, Reject, repair_utf8
from correlate.parse.kinds import LogKind
from correlate.parse.tokenize import tokenize
from correlate.store.logs import CheckedChunk, ChunkChecker, label, reject_table

CHECK_WORKERS = 2


@dataclass(frozen=True, slots=True)
class Checked:
    """A checked chunk plus, per object, how many lines it covered and how many had bad UTF-8."""

    chunk: CheckedChunk
    lines: dict[str, int]
    replaced: dict[str, int]


class Checkers:
    """A thread pool whose threads each own a ChunkChecker (a private DuckDB connection)."""

    def __init__(self, count: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="correlate-check")
        self._local = threading.local()
        self._checkers: list[ChunkChecker] = []
        self._lock = threading.Lock()
        self.count = count

    def __enter__(self) -> Checkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for checker in self._checkers:
            checker.close()

    def submit(self, work: Callable[[ChunkChecker], Checked]) -> Future[Checked]:
        return self._pool.submit(self._run, work)

    def _run(self, work: Callable[[ChunkChecker], Checked]) -> Checked:
        checker = getattr(self._local, "checker", None)
        if checker is None:
            checker = ChunkChecker()
            self._local.checker = checker
            with self._lock:
                self._checkers.append(checker)
        return work(checker)


# One object's pieces: its source_file, the load balancer its name gives, its chunks and line events.
Part = tuple[str, tuple[str, str] | None, list[Chunk | Reject]]


def check_work(
    kind: LogKind | None, parts: list[Part], variables: dict[str, object], check: bool = True
) -> Callable[[ChunkChecker], Checked]:
    """Tokenize the pieces of one or more objects of `kind`, label each row with its object, and
    (if `check`) check them all with one statement."""

    def work(checker: ChunkChecker) -> Checked:
        tables: list[pa.Table] = []
        early: list[pa.Table] = []
        lines: dict[str, int] = {}
        replaced: dict[str, int] = {}
        rejected: dict[str, int] = {}
        for uri, lb_hint, pieces in parts:
            lines.setdefault(uri, 0)
            replaced.setdefault(uri, 0)
            for piece in pieces:
                if isinstance(piece, Reject):
                    rejects = [piece]
                elif kind is None:
                    rejects = _reject_all(repair_utf8(piece))
                else:
                    tokens = tokenize(piece, kind)
                    replaced[uri] += tokens.replaced_lines
                    lines[uri] += tokens.table.num_rows
                    if tokens.table.num_rows:
                        tables.append(label(tokens.table, uri, lb_hint))
                    rejects = tokens.rejects
                if rejects:
                    early.append(reject_table(uri, rejects))
                    lines[uri] += len(rejects)
                    rejected[uri] = rejected.get(uri, 0) + len(rejects)
        if not tables:
            rejects_table = _concat_rejects(early)
            return Checked(CheckedChunk(pa.table({}), rejects_table, rejected, {}), lines, replaced)
        assert kind is not None
        if not check:  # the INSERT leaves out what fails (see write_run)
            chunk = CheckedChunk(pa.concat_tables(tables), _concat_rejects(early), rejected, {})
            return Checked(chunk, lines, replaced)
        checked = checker.check(kind, pa.concat_tables(tables), variables)
        for uri, count in checked.rejected.items():
            rejected[uri] = rejected.get(uri, 0) + count
        chunk = CheckedChunk(checked.tokens, _concat_rejects([checked.rejects, *early]), rejected, checked.filtered)
        return Checked(chunk, lines, replaced)

    return work


def _concat_rejects(tables: list[pa.Table]) -> pa.Table:
    tables = [table for table in tables if table.num_rows]
    if not tables:
        return reject_table("", [])
    return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]


def _reject_all(chunk: Chunk) -> list[Reject]:
    reason = (
        "not an ELB log line: the file's first lines match none of the ALB, Classic ELB, NLB, "
        "connection-log or health-check-log shapes"
    )
    return [Reject(chunk.first_line + i, reason, chunk.line(i)) for i in range(chunk.line_count)]
