"""`correlate ingest logs`: sources → framing → tokens → typed rows → DuckDB, one object at a time.

Three stages overlap: a reader thread decompresses and frames the object into chunks of lines; a
small pool of workers tokenizes (pyarrow) and types (DuckDB, in memory) each chunk; the calling
thread appends the typed chunks to the database in line order. pyarrow, zlib and DuckDB release
the GIL, so the stages run on separate cores.
"""

from __future__ import annotations

import datetime as dt
import itertools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa

from correlate.parse.framing import Chunk, Reject, frame, repair_utf8
from correlate.parse.kinds import TEST_FILE_NAME, LogKind, NameFacts, facts_from_name, kind_from_line
from correlate.parse.tokenize import tokenize
from correlate.sources.streams import InputObject, open_decompressed
from correlate.store.logs import (
    CheckedChunk,
    ChunkChecker,
    LedgerEntry,
    LogStore,
    RejectSpool,
    RowFilter,
    load_variables,
)

LOG_SUFFIXES = (".log", ".log.gz")
UNKNOWN_KIND = "unknown"
# A file named for interval end E holds requests received before E; a Classic ELB writes hourly.
_INTERVAL_MARGIN = dt.timedelta(minutes=75)


@dataclass
class IngestSummary:
    """What one ingest did; `line()` is the one-line summary printed on stderr."""

    files: int = 0
    loaded: int = 0
    already_loaded: int = 0
    test_files: int = 0
    pruned: int = 0
    lines: int = 0
    rows: int = 0
    rejected: int = 0
    filtered: int = 0
    invalid_utf8_lines: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, entry: LedgerEntry) -> None:
        self.loaded += 1
        self.lines += entry.lines
        self.rows += entry.rows
        self.rejected += entry.rejected
        self.filtered += entry.filtered
        self.invalid_utf8_lines += entry.invalid_utf8_lines
        self.by_kind[entry.kind] = self.by_kind.get(entry.kind, 0) + 1

    def line(self) -> str:
        skipped = []
        if self.already_loaded:
            skipped.append(f"{self.already_loaded:,} already loaded")
        if self.pruned:
            skipped.append(f"{self.pruned:,} outside --since/--until/--lb")
        if self.test_files:
            skipped.append(f"{self.test_files:,} ELBAccessLogTestFile")
        skipped_text = f"{sum((self.already_loaded, self.pruned, self.test_files)):,} skipped"
        if skipped:
            skipped_text += f" ({', '.join(skipped)})"
        text = (
            f"{self.files:,} files: {self.loaded:,} loaded, {skipped_text}; "
            f"{self.rows:,} rows, {self.rejected:,} rejected"
        )
        if self.filtered:
            text += f", {self.filtered:,} outside the filter"
        if self.invalid_utf8_lines:
            text += f"; {self.invalid_utf8_lines:,} lines had invalid UTF-8 (replaced with U+FFFD)"
        return text


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported after each chunk: the object being read and how far."""

    uri: str
    bytes_done: int
    bytes_total: int
    rows: int


def ingest_logs(
    store: LogStore,
    objects: Iterable[InputObject],
    row_filter: RowFilter | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    workers: int = 2,
) -> IngestSummary:
    """Load every object; re-runs skip objects already loaded with the same content and filter."""
    row_filter = row_filter or RowFilter()
    summary = IngestSummary()
    with _Workers(workers) as pool:
        for obj in objects:
            summary.files += 1
            if obj.name == TEST_FILE_NAME:
                summary.test_files += 1
                continue
            facts = facts_from_name(obj.name)
            if facts is not None and _outside(facts, row_filter):
                summary.pruned += 1
                continue
            previous = store.previous_load(obj.uri)
            if previous is not None and previous[1:] == (obj.fingerprint, row_filter.describe()):
                summary.already_loaded += 1
                continue
            loaded = _load_object(store, pool, obj, facts, row_filter, previous[0] if previous else None, on_progress)
            summary.add(loaded)
    return summary


def _outside(facts: NameFacts, row_filter: RowFilter) -> bool:
    """True when the object's name proves none of its rows can pass the filter."""
    if row_filter.lb is not None and facts.lb != row_filter.lb:
        return True
    if row_filter.since is not None and facts.interval_end < row_filter.since:
        return True
    return row_filter.until is not None and facts.interval_end > row_filter.until + _INTERVAL_MARGIN


def _load_object(
    store: LogStore,
    pool: _Workers,
    obj: InputObject,
    facts: NameFacts | None,
    row_filter: RowFilter,
    previous_kind: str | None,
    on_progress: Callable[[Progress], None] | None,
) -> LedgerEntry:
    reader = _ObjectReader(obj, facts, row_filter, pool)
    counts = _Counts()
    spool = RejectSpool()
    with store.transaction(obj.uri, previous_kind):
        try:
            chunks = counts.track(future.result() for future in reader.futures())
            chunks = _reporting(chunks, reader, counts, on_progress)
            first = next((chunk for chunk in chunks if _spooled(spool, chunk).tokens.num_columns), None)
            if first is not None:
                assert reader.kind is not None
                rest = (_spooled(spool, chunk) for chunk in chunks)
                batches = (batch for chunk in itertools.chain([first], rest) for batch in chunk.tokens.to_batches())
                store.append_rows(
                    reader.kind, first.tokens.schema, batches, load_variables(row_filter, reader.lb_hint, obj.uri)
                )
            store.append_rejects(reader.kind_name, spool.tables(), obj.uri)
        finally:
            reader.stop()
            spool.close()
        rows, rejected, filtered = counts.rows, counts.rejected, counts.filtered
        entry = LedgerEntry(
            source_file=obj.uri,
            kind=reader.kind_name,
            fingerprint=obj.fingerprint,
            filter=row_filter.describe(),
            size_bytes=obj.size,
            lines=rows + rejected + filtered,
            rows=rows,
            rejected=rejected,
            filtered=filtered,
            invalid_utf8_lines=reader.invalid_utf8_lines,
            lb=facts.lb if facts else None,
            lb_id=facts.lb_id if facts else None,
            node_ip=facts.node_ip if facts else None,
            interval_end=facts.interval_end if facts else None,
        )
        store.record(entry)
    return entry


@dataclass
class _Counts:
    rows: int = 0
    rejected: int = 0
    filtered: int = 0

    def track(self, chunks: Iterator[CheckedChunk]) -> Iterator[CheckedChunk]:
        for chunk in chunks:
            self.rows += chunk.tokens.num_rows
            self.rejected += chunk.rejects.num_rows
            self.filtered += chunk.filtered
            yield chunk


def _reporting(
    chunks: Iterator[CheckedChunk],
    reader: _ObjectReader,
    counts: _Counts,
    on_progress: Callable[[Progress], None] | None,
) -> Iterator[CheckedChunk]:
    for chunk in chunks:
        yield chunk
        if on_progress:
            on_progress(Progress(reader.obj.uri, reader.bytes_read, reader.obj.size, counts.rows))


def _spooled(spool: RejectSpool, chunk: CheckedChunk) -> CheckedChunk:
    spool.add(chunk.rejects)
    return chunk


class _Workers:
    """A thread pool whose threads each own a ChunkChecker (a private DuckDB connection)."""

    def __init__(self, count: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="correlate-type")
        self._local = threading.local()
        self._checkers: list[ChunkChecker] = []
        self._lock = threading.Lock()
        self.count = count

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for checker in self._checkers:
            checker.close()

    def submit(self, work: Callable[[ChunkChecker], CheckedChunk]) -> Future[CheckedChunk]:
        return self._pool.submit(self._run, work)

    def _run(self, work: Callable[[ChunkChecker], CheckedChunk]) -> CheckedChunk:
        checker = getattr(self._local, "checker", None)
        if checker is None:
            checker = ChunkChecker()
            self._local.checker = checker
            with self._lock:
                self._checkers.append(checker)
        return work(checker)


_DONE = object()


class _ObjectReader:
    """Frames one object in a background thread and submits each chunk for tokenizing and typing.

    Futures reach the caller in line order through a small queue, so memory stays bounded."""

    def __init__(self, obj: InputObject, facts: NameFacts | None, row_filter: RowFilter, pool: _Workers) -> None:
        self.obj = obj
        self.kind: LogKind | None = facts.kind if facts else None
        self.lb_hint = (facts.lb, facts.lb_id) if facts else None
        self.variables = load_variables(row_filter, self.lb_hint, obj.uri)
        self.pool = pool
        self.bytes_read = 0
        self._replaced: list[int] = []
        self._queue: queue.Queue = queue.Queue(maxsize=pool.count + 1)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"read {obj.name}", daemon=True)

    @property
    def kind_name(self) -> str:
        return self.kind.name if self.kind else UNKNOWN_KIND

    @property
    def invalid_utf8_lines(self) -> int:
        return sum(self._replaced)

    def futures(self) -> Iterator[Future[CheckedChunk]]:
        self._thread.start()
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _put(self, item: object) -> bool:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            with open_decompressed(self.obj) as stream:
                for piece in frame(stream):
                    if isinstance(piece, Chunk) and self.kind is None:
                        piece = repair_utf8(piece)
                        self.kind = _sniff(piece)
                    if not self._put(self.pool.submit(self._work(piece))):
                        return
                    self.bytes_read = stream.bytes_in
        except BaseException as error:  # handed to the main thread, which re-raises it
            self._put(error)
            return
        self._put(_DONE)

    def _work(self, piece: Chunk | Reject) -> Callable[[ChunkChecker], CheckedChunk]:
        kind = self.kind

        def work(checker: ChunkChecker) -> CheckedChunk:
            if isinstance(piece, Reject):
                return CheckedChunk.of_rejects([piece])
            if kind is None:
                return CheckedChunk.of_rejects(_reject_all(repair_utf8(piece)))
            tokens = tokenize(piece, kind)
            self._replaced.append(tokens.replaced_lines)
            checked = checker.check(kind, tokens.table, self.variables)
            if tokens.rejects:
                early = CheckedChunk.of_rejects(tokens.rejects).rejects
                checked = CheckedChunk(checked.tokens, pa.concat_tables([checked.rejects, early]), checked.filtered)
            return checked

        return work


def _sniff(chunk: Chunk) -> LogKind | None:
    """The kind of the first recognisable line among the chunk's first 20."""
    for index in range(min(chunk.line_count, 20)):
        kind = kind_from_line(chunk.line(index))
        if kind is not None:
            return kind
    return None


def _reject_all(chunk: Chunk) -> list[Reject]:
    reason = (
        "not an ELB log line: the file's first lines match none of the ALB, Classic ELB, NLB, "
        "connection-log or health-check-log shapes"
    )
    return [Reject(chunk.first_line + i, reason, chunk.line(i)) for i in range(chunk.line_count)]
