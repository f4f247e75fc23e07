"""Runs and the writer: what one transaction loads (a large object streamed unchecked, or a run of
small objects of one kind), and writing it: rows by one INSERT, then rejects, then ledger rows."""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass

from correlate.errors import CorrelateError, SourceAccessError
from correlate.parse.framing import frame
from correlate.parse.kinds import LogKind
from correlate.pipeline.logs.checkers import Checked, Checkers, Part, check_work
from correlate.pipeline.logs.progress import Meter
from correlate.pipeline.logs.readers import LARGE, Load, ObjectReader
from correlate.sources.streams import open_decompressed
from correlate.store.logs import (
    CheckedChunk,
    ChunkChecker,
    LedgerEntry,
    LogStore,
    RejectSpool,
    RowFilter,
    filter_variables,
)

# A run of small objects is checked in parts of about this much text, so both checkers work.
CHECK_BYTES = 4 << 20
# A run of small objects is one transaction up to this much text or this many objects. Measured on
# 500 objects of 2,000 ALB lines: a transaction per 24,000 rows spent 0.1-0.3 s in each commit (the
# rows go through DuckDB's write-ahead log); past a row group (122,880 rows) DuckDB writes the rows
# straight to the file and the commit is free.
RUN_BYTES = 128 << 20
RUN_OBJECTS = 5000


class Peekable:
    def __init__(self, items: Iterator[ObjectReader]) -> None:
        self._items = items
        self._head: ObjectReader | None = None

    def peek(self) -> ObjectReader | None:
        if self._head is None:
            self._head = next(self._items, None)
        return self._head

    def next(self) -> ObjectReader | None:
        item = self.peek()
        self._head = None
        return item

    def drop(self) -> None:
        self._head = None


class Replacements:
    """Objects loaded before under another fingerprint or filter: their earlier rows, rejects and
    ledger rows must go before their new rows arrive. The ledger lookup notes them as it meets them;
    each run's transaction first removes every one noted so far (a run cannot stop its INSERT to
    delete), and a run takes in only objects whose earlier load is already removed."""

    def __init__(self) -> None:
        self._noted: dict[str, str] = {}
        self._cleared: set[str] = set()
        self._lock = threading.Lock()

    def note(self, source_file: str, previous_kind: str) -> None:
        with self._lock:
            self._noted[source_file] = previous_kind

    def take(self) -> list[tuple[str, str]]:
        with self._lock:
            taken = list(self._noted.items())
            self._cleared.update(self._noted)
            self._noted.clear()
        return taken

    def ready(self, load: Load) -> bool:
        with self._lock:
            return load.previous_kind is None or load.obj.uri in self._cleared


class Run:
    """What one transaction loads: a large object, or a run of small objects of one kind. `items`
    yields its checked chunks as they are ready, so a run streams into one INSERT."""

    kind: LogKind | None
    readers: list[ObjectReader]
    failure: CorrelateError | None = None
    checked = True  # checkers took out the lines that will not be stored

    def items(self) -> Iterator[Checked]:
        raise NotImplementedError


class LargeRun(Run):
    """One object of more than a chunk, streamed unchecked: the INSERT itself leaves out rejected
    lines and those outside the filter. Checking every line first cost as much again as the INSERT
    (1 M ALB lines: 6.2 s with the checks, 4.9 s without); when the INSERT stores fewer rows than it
    was given, `recheck` reads the object again through the checkers to say which lines, and why."""

    checked = False

    def __init__(self, reader: ObjectReader, variables: dict[str, object]) -> None:
        self.kind = reader.kind
        self.readers = [reader]
        self._variables = variables

    def items(self) -> Iterator[Checked]:
        reader = self.readers[0]
        reader.release(self._variables, check=False)
        for future in reader.futures():
            yield future.result()

    def recheck(self) -> Iterator[Checked]:
        """The object read, framed and checked again, chunk by chunk, a few chunks ahead."""
        reader = self.readers[0]
        checkers = reader.checkers
        ahead: deque[Future[Checked]] = deque()
        with open_decompressed(reader.obj) as stream:
            for piece in frame(stream):
                ahead.append(checkers.submit(check_work(self.kind, [reader.part([piece])], self._variables)))
                if len(ahead) > checkers.count:
                    yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


class SmallRun(Run):
    """Small objects of one kind, in order, while they fit: each object's chunk joins a part, and
    each part is checked by one statement, a few parts ahead of the writer."""

    def __init__(
        self,
        reader: ObjectReader,
        waiting: Peekable,
        checkers: Checkers,
        variables: dict[str, object],
        replacements: Replacements,
    ) -> None:
        self.kind = reader.kind
        self.readers = [reader]
        self._waiting = waiting
        self._checkers = checkers
        self._variables = variables
        self._replacements = replacements

    def items(self) -> Iterator[Checked]:
        ahead: deque[Future[Checked]] = deque()
        for work in self._parts():
            ahead.append(self._checkers.submit(work))
            if len(ahead) > self._checkers.count:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()

    def _parts(self) -> Iterator[Callable[[ChunkChecker], Checked]]:
        first = self.readers[0]
        part: list[Part] = [first.part(first.take_whole().pieces)]
        part_bytes = total = first.nbytes
        while True:
            try:  # a failure to list or read the next object ends the run; raised once it is committed
                reader = self._waiting.peek()
                if reader is None:
                    break
                is_large = reader.first() is LARGE
            except CorrelateError as error:
                self._waiting.drop()
                self.failure = error
                break
            if (
                is_large
                or reader.other_kind
                or reader.kind_name != first.kind_name
                or total + reader.nbytes > RUN_BYTES
                or len(self.readers) >= RUN_OBJECTS
                or not self._replacements.ready(reader.load)
            ):
                break
            self._waiting.next()
            self.readers.append(reader)
            part.append(reader.part(reader.take_whole().pieces))
            part_bytes += reader.nbytes
            total += reader.nbytes
            if part_bytes >= CHECK_BYTES:
                yield check_work(self.kind, part, self._variables)
                part, part_bytes = [], 0
        if part:
            yield check_work(self.kind, part, self._variables)


@dataclass
class _Tally:
    lines: int = 0
    rejected: int = 0
    filtered: int = 0
    replaced: int = 0


def write_run(store: LogStore, run: Run, row_filter: RowFilter, meter: Meter, replacements: Replacements) -> None:
    """One transaction: earlier loads of objects being reloaded removed, the run's rows streamed in
    by one INSERT, its rejects, its ledger rows."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    spool = RejectSpool()
    failed: list[BaseException] = []
    with store.transaction():
        try:
            store.replace(replacements.take())
            chunks = (_tallied(item, tallies, spool, meter, run) for item in _guarded(run.items(), failed))
            first = next((chunk for chunk in chunks if chunk.tokens.num_columns), None)
            if first is not None:
                assert run.kind is not None
                rest = itertools.chain([first], chunks)
                batches = (batch for chunk in rest for batch in chunk.tokens.to_batches())
                variables = filter_variables(row_filter)
                stored = store.append_rows(run.kind, first.tokens.schema, batches, variables, checked=run.checked)
                if failed:
                    raise failed[0]
                given = sum(tally.lines - tally.rejected for tally in tallies.values())
                if not run.checked and stored != given:
                    assert isinstance(run, LargeRun)
                    spool.close()
                    tallies, spool = _rechecked(run, stored)
            if failed:
                raise failed[0]
            store.append_rejects(run.readers[0].kind_name, spool.tables())
        finally:
            for reader in run.readers:
                reader.stop()
            spool.close()
        entries = [_entry(reader, tallies[reader.obj.uri], row_filter) for reader in run.readers]
        store.record(entries)
    meter.loaded(run.readers, entries)


def _rechecked(run: LargeRun, stored: int) -> tuple[dict[str, _Tally], RejectSpool]:
    """Tallies and rejects of an object whose unchecked INSERT stored fewer rows than it was given,
    from a second, checked read of it. The rows stored are already right: the INSERT applied the
    same SQL; the counts must agree, or the object changed between the two reads."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    spool = RejectSpool()
    try:
        for result in run.recheck():
            _count(result, tallies)
            spool.add(result.chunk.rejects)
    except BaseException:
        spool.close()
        raise
    uri = run.readers[0].obj.uri
    tally = tallies[uri]
    if tally.lines - tally.rejected - tally.filtered != stored:
        spool.close()
        raise SourceAccessError(f"{uri} changed while it was being loaded. Load it again.")
    return tallies, spool


def _guarded(items: Iterator[Checked], failed: list[BaseException]) -> Iterator[Checked]:
    """`items`, ending quietly at the first exception, which is kept in `failed`: raised inside the
    INSERT's batch stream it would reach the caller as a DuckDB error, without its type."""
    try:
        yield from items
    except BaseException as error:
        failed.append(error)


def _tallied(result: Checked, tallies: dict[str, _Tally], spool: RejectSpool, meter: Meter, run: Run) -> CheckedChunk:
    chunk = result.chunk
    _count(result, tallies)
    spool.add(chunk.rejects)
    # a small object's lines are all in one chunk; a large object is done when its run is
    finished = len(result.lines) if isinstance(run, SmallRun) else 0
    meter.chunk(run.readers, chunk.tokens.num_rows, finished)
    return chunk


def _count(result: Checked, tallies: dict[str, _Tally]) -> None:
    for uri, count in result.lines.items():
        tallies[uri].lines += count
    for uri, count in result.replaced.items():
        tallies[uri].replaced += count
    for uri, count in result.chunk.rejected.items():
        tallies[uri].rejected += count
    for uri, count in result.chunk.filtered.items():
        tallies[uri].filtered += count


def _entry(reader: ObjectReader, tally: _Tally, row_filter: RowFilter) -> LedgerEntry:
    facts = reader.load.facts
    obj = reader.obj
    return LedgerEntry(
        source_file=obj.uri,
        kind=reader.kind_name,
        fingerprint=obj.fingerprint,
        filter=row_filter.describe(),
        size_bytes=obj.size,
        lines=tally.lines,
        rows=tally.lines - tally.rejected - tally.filtered,
        rejected=tally.rejected,
        filtered=tally.filtered,
        invalid_utf8_lines=tally.replaced,
        lb=facts.lb if facts else None,
        lb_id=facts.lb_id if facts else None,
        node_ip=facts.node_ip if facts else None,
        interval_end=facts.interval_end if facts else None,
    )
