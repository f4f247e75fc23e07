"""`correlate ingest logs`: sources → framing → tokens → typed rows → DuckDB.

Three kinds of threads overlap:

1. readers (`workers` of them, default 8: a download mostly waits) open objects ahead of the
   writer, decompress them and frame them into chunks of lines (`_ObjectReader`). An object that
   fits in one chunk is read whole; a larger one reads its first two chunks and waits for its turn,
   so memory stays bounded however many objects are ahead;
2. checkers (two: the work is CPU-bound) tokenize (pyarrow) and check (DuckDB, in memory) the
   lines, to find the rejects and the rows outside `--since/--until/--lb`;
3. the calling thread lists the sources, skips objects already loaded or ruled out by their names
   (`_loads`), and writes one *run* per transaction (`_write`): a large object streamed chunk by
   chunk, or a run of small objects of one kind (up to `RUN_BYTES` of text or `RUN_OBJECTS`
   objects) whose chunks are checked several at a time. Either way the rows go in by one INSERT.

Runs matter at S3 scale: planning the typing SQL and committing cost tens of milliseconds each,
which is most of the work for an object of a few thousand lines, and ELB writes thousands of such
objects a day per load balancer. Measured on 500 objects of 2,000 ALB lines: 135 s one transaction
per object, 24 s in runs (1 M lines in one file: 9 s). A run's rows, rejects and ledger rows commit
together; a failure to list or read an object ends the run before it, commits it, and is raised.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from correlate.errors import CorrelateError, NoInputFound, SourceAccessError
from correlate.parse.framing import Chunk, Reject, frame, repair_utf8
from correlate.parse.kinds import (
    TEST_FILE_NAME,
    UNKNOWN_KIND,
    LogKind,
    NameFacts,
    facts_from_name,
    kind_from_line,
    outside_window,
)
from correlate.parse.layout import log_pruning
from correlate.parse.sniff import CLOUDTRAIL, cloudtrail_by_name, looks_like_cloudtrail, other_command
from correlate.parse.tokenize import tokenize
from correlate.sources import expand_sources
from correlate.sources.streams import InputObject, open_decompressed
from correlate.store.logs import (
    CheckedChunk,
    ChunkChecker,
    LedgerEntry,
    LogStore,
    RejectSpool,
    RowFilter,
    filter_variables,
    label,
    reject_table,
)

if TYPE_CHECKING:
    from correlate.sources.aws import AwsClients

LOG_SUFFIXES = (".log", ".log.gz")
DEFAULT_WORKERS = 8
CHECK_WORKERS = 2
# Objects opened ahead of the writer may hold up to this much (by listed size) between them.
PREFETCH_BYTES = 64 << 20
# Objects queued for the readers per reader thread: the writer takes small objects a few MiB at a
# time, so a window of one object per thread would leave the threads idle between takes.
AHEAD = 4


def log_objects(sources: Sequence[str], row_filter: RowFilter, aws: AwsClients | None = None) -> Iterator[InputObject]:
    """The objects SOURCE names (files, directories, globs, s3:// prefixes). S3 prefixes are listed
    lazily, entering only the delivery-day folders of `--since/--until` and listing only the files
    of `--lb`."""
    if not sources:
        raise NoInputFound(
            "Nothing to load: pass SOURCE (files, directories, globs or s3://bucket/prefix), or --lb NAME to read "
            "the load balancer's access-log location from AWS."
        )
    pruning = log_pruning(row_filter.since, row_filter.until, row_filter.lb)
    return expand_sources(sources, LOG_SUFFIXES, also_names=(TEST_FILE_NAME,), aws=aws, pruning=pruning)


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
    bytes_read: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    other_kind: list[str] = field(default_factory=list)  # CloudTrail files: not loaded, not recorded

    def add(self, entry: LedgerEntry) -> None:
        self.loaded += 1
        self.lines += entry.lines
        self.rows += entry.rows
        self.rejected += entry.rejected
        self.filtered += entry.filtered
        self.invalid_utf8_lines += entry.invalid_utf8_lines
        self.by_kind[entry.kind] = self.by_kind.get(entry.kind, 0) + 1

    def line(self) -> str:
        if not self.files:
            return "0 files: no object under the sources can hold rows of --since/--until/--lb; nothing loaded"
        skipped = []
        if self.already_loaded:
            skipped.append(f"{self.already_loaded:,} already loaded")
        if self.pruned:
            skipped.append(f"{self.pruned:,} outside --since/--until/--lb")
        if self.test_files:
            skipped.append(f"{self.test_files:,} ELBAccessLogTestFile")
        if self.other_kind:
            skipped.append(f"{len(self.other_kind):,} CloudTrail")
        skipped_count = sum((self.already_loaded, self.pruned, self.test_files, len(self.other_kind)))
        skipped_text = f"{skipped_count:,} skipped"
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

    def other_kind_line(self) -> str | None:
        """What to run for the files that look like CloudTrail, if there were any."""
        return other_command(self.other_kind, CLOUDTRAIL) if self.other_kind else None

    @property
    def all_other_kind(self) -> bool:
        """Every file of the sources looks like CloudTrail: the wrong command was run."""
        return bool(self.other_kind) and len(self.other_kind) == self.files


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported as loading goes: objects listed so far, objects finished (loaded or skipped),
    compressed bytes read, rows stored, and the object being read."""

    objects_seen: int
    objects_done: int
    bytes_read: int
    rows: int
    current: str


def ingest_logs(
    store: LogStore,
    objects: Iterable[InputObject],
    row_filter: RowFilter | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    workers: int = DEFAULT_WORKERS,
) -> IngestSummary:
    """Load every object; re-runs skip objects already loaded with the same content and filter, so
    a run that was interrupted continues where it stopped."""
    row_filter = row_filter or RowFilter()
    summary = IngestSummary()
    meter = _Meter(summary, on_progress)
    variables = filter_variables(row_filter)
    replacements = _Replacements()
    with _Checkers(CHECK_WORKERS) as checkers, _Readers(max(1, workers), checkers) as readers:
        waiting = _Peekable(readers.ahead(_loads(store, objects, row_filter, summary, meter, replacements)))
        while (reader := waiting.next()) is not None:
            first = reader.first()
            if reader.other_kind:
                summary.other_kind.append(reader.obj.uri)
                meter.skipped()
                continue
            if first is _LARGE:
                run: _Run = _LargeRun(reader, variables)
            else:
                run = _SmallRun(reader, waiting, checkers, variables, replacements)
            _write(store, run, row_filter, meter, replacements)
            if run.failure is not None:
                raise run.failure  # what was read before the failure is committed
        if leftover := replacements.take():  # earlier loads of files that turned out to be CloudTrail
            with store.transaction():
                store.replace(leftover)
    return summary


@dataclass(frozen=True, slots=True)
class _Load:
    obj: InputObject
    facts: NameFacts | None
    previous_kind: str | None  # set when an earlier load of this URI is replaced


LEDGER_LOOKUP = 500


def _loads(
    store: LogStore,
    objects: Iterable[InputObject],
    row_filter: RowFilter,
    summary: IngestSummary,
    meter: _Meter,
    replacements: _Replacements,
) -> Iterator[_Load]:
    """The objects to load, in order; the others are counted as skipped. The ledger is asked about
    a few hundred objects at a time."""
    described = row_filter.describe()
    objects = iter(objects)
    while True:
        batch: list[InputObject] = []
        failure: CorrelateError | None = None
        try:
            batch.extend(itertools.islice(objects, LEDGER_LOOKUP))  # keeps what came before a failure
        except CorrelateError as error:  # a listing failed: load what it found, then stop
            failure = error
        candidates: list[tuple[InputObject, NameFacts | None]] = []
        for obj in batch:
            summary.files += 1
            facts = facts_from_name(obj.name)
            if obj.name == TEST_FILE_NAME:
                summary.test_files += 1
                meter.skipped()
            elif facts is not None and outside_window(facts, row_filter.since, row_filter.until, row_filter.lb):
                summary.pruned += 1
                meter.skipped()
            else:
                candidates.append((obj, facts))
        previous = store.previous_loads([obj.uri for obj, _ in candidates])
        for obj, facts in candidates:
            earlier = previous.get(obj.uri)
            if earlier is not None and earlier.covers(obj.fingerprint, described):
                summary.already_loaded += 1
                meter.skipped()
                continue
            if earlier is not None:  # its earlier rows go in the transaction that loads it again
                replacements.note(obj.uri, earlier.kind)
            if facts is None and cloudtrail_by_name(obj.name):
                summary.other_kind.append(obj.uri)
                meter.skipped()
            else:
                yield _Load(obj, facts, earlier.kind if earlier else None)
        if failure is not None:
            raise failure
        if len(batch) < LEDGER_LOOKUP:
            return


# -- checking -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Checked:
    """A checked chunk plus, per object, how many lines it covered and how many had bad UTF-8."""

    chunk: CheckedChunk
    lines: dict[str, int]
    replaced: dict[str, int]


class _Checkers:
    """A thread pool whose threads each own a ChunkChecker (a private DuckDB connection)."""

    def __init__(self, count: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="correlate-check")
        self._local = threading.local()
        self._checkers: list[ChunkChecker] = []
        self._lock = threading.Lock()
        self.count = count

    def __enter__(self) -> _Checkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for checker in self._checkers:
            checker.close()

    def submit(self, work: Callable[[ChunkChecker], _Checked]) -> Future[_Checked]:
        return self._pool.submit(self._run, work)

    def _run(self, work: Callable[[ChunkChecker], _Checked]) -> _Checked:
        checker = getattr(self._local, "checker", None)
        if checker is None:
            checker = ChunkChecker()
            self._local.checker = checker
            with self._lock:
                self._checkers.append(checker)
        return work(checker)


_Part = tuple["_ObjectReader", list[Chunk | Reject]]


def _check_work(
    kind: LogKind | None, parts: list[_Part], variables: dict[str, object], check: bool = True
) -> Callable[[ChunkChecker], _Checked]:
    """Tokenize the pieces of one or more objects of `kind`, label each row with its object, and
    (if `check`) check them all with one statement."""

    def work(checker: ChunkChecker) -> _Checked:
        tables: list[pa.Table] = []
        early: list[pa.Table] = []
        lines: dict[str, int] = {}
        replaced: dict[str, int] = {}
        rejected: dict[str, int] = {}
        for reader, pieces in parts:
            uri = reader.obj.uri
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
                        tables.append(label(tokens.table, uri, reader.lb_hint))
                    rejects = tokens.rejects
                if rejects:
                    early.append(reject_table(uri, rejects))
                    lines[uri] += len(rejects)
                    rejected[uri] = rejected.get(uri, 0) + len(rejects)
        if not tables:
            rejects_table = _concat_rejects(early)
            return _Checked(CheckedChunk(pa.table({}), rejects_table, rejected, {}), lines, replaced)
        assert kind is not None
        if not check:  # the INSERT leaves out what fails (see _write)
            chunk = CheckedChunk(pa.concat_tables(tables), _concat_rejects(early), rejected, {})
            return _Checked(chunk, lines, replaced)
        checked = checker.check(kind, pa.concat_tables(tables), variables)
        for uri, count in checked.rejected.items():
            rejected[uri] = rejected.get(uri, 0) + count
        chunk = CheckedChunk(checked.tokens, _concat_rejects([checked.rejects, *early]), rejected, checked.filtered)
        return _Checked(chunk, lines, replaced)

    return work


def _concat_rejects(tables: list[pa.Table]) -> pa.Table:
    tables = [table for table in tables if table.num_rows]
    if not tables:
        return reject_table("", [])
    return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]


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


# -- reading ------------------------------------------------------------------------------------

_DONE = object()
_HEAD_BYTES = 4096  # what the kind of an unnamed file is told from
_LARGE = object()  # a reader's first message for an object of more than one chunk
_TAKEN = object()


@dataclass(frozen=True, slots=True)
class _Whole:
    """A small object read to its end: its chunk (at most one) and its line events, in order."""

    pieces: list[Chunk | Reject]

    @property
    def nbytes(self) -> int:
        return sum(len(piece.data) for piece in self.pieces if isinstance(piece, Chunk))


class _ObjectReader:
    """Reads one object on a reader thread: opens it (a download starts), decompresses and frames
    it. A small object ends as one `_Whole`. A large one announces `_LARGE` after its first two
    chunks and waits for `release()`; then each chunk is submitted for checking and the futures
    are handed over in line order through a small queue, so memory stays bounded."""

    def __init__(self, load: _Load, checkers: _Checkers) -> None:
        self.load = load
        self.obj = load.obj
        self.kind: LogKind | None = load.facts.kind if load.facts else None
        self.other_kind = False  # the object looks like CloudTrail: neither loaded nor recorded
        self.lb_hint = (load.facts.lb, load.facts.lb_id) if load.facts else None
        self.checkers = checkers
        self.variables: dict[str, object] = {}
        self.check = True
        self.bytes_read = 0
        self.nbytes = 0  # a small object's framed text
        self.done = False
        self._first: object = None
        self._queue: queue.Queue = queue.Queue(maxsize=checkers.count + 2)
        self._released = threading.Event()
        self._stopped = threading.Event()

    @property
    def kind_name(self) -> str:
        return self.kind.name if self.kind else UNKNOWN_KIND

    def first(self) -> _Whole | object:
        """`_Whole` for a small object, `_LARGE` for a large one; blocks until the reader knows."""
        if self._first is None:
            self._first = self._queue.get()
        if isinstance(self._first, BaseException):
            raise self._first
        return self._first

    def take_whole(self) -> _Whole:
        """A small object's pieces, handed over once (the reader keeps no reference)."""
        whole = self.first()
        assert isinstance(whole, _Whole)
        self._first = _TAKEN
        return whole

    def release(self, variables: dict[str, object], check: bool) -> None:
        self.variables = variables
        self.check = check
        self._released.set()

    def futures(self) -> Iterator[Future[_Checked]]:
        """A large object's checked chunks in line order (after `release()`)."""
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self) -> None:
        self._stopped.set()

    def run(self) -> None:
        try:
            self._read()
        except BaseException as error:  # handed to the writer thread, which re-raises it
            self._put(error)
        finally:
            self.done = True

    def _read(self) -> None:
        with open_decompressed(self.obj) as stream:
            pieces = frame(stream)
            held: list[Chunk | Reject] = []
            chunks = 0
            for piece in pieces:
                if isinstance(piece, Chunk):
                    if self.kind is None:
                        piece = repair_utf8(piece)
                        self.kind = _sniff(piece)
                        if self.kind is None and looks_like_cloudtrail(self.obj.name, piece.data[:_HEAD_BYTES]):
                            self.other_kind = True
                            self._put(_Whole([]))
                            return
                    chunks += 1
                held.append(piece)
                self.bytes_read = stream.bytes_in
                if chunks == 2:
                    break
            else:
                self.bytes_read = stream.bytes_in
                whole = _Whole(held)
                self.nbytes = whole.nbytes
                self._put(whole)
                return
            if not self._put(_LARGE) or not self._wait_release():
                return
            for piece in itertools.chain(held, pieces):
                held = []
                work = _check_work(self.kind, [(self, [piece])], self.variables, self.check)
                if not self._put(self.checkers.submit(work)):
                    return
                self.bytes_read = stream.bytes_in
        self._put(_DONE)

    def _wait_release(self) -> bool:
        while not self._stopped.is_set():
            if self._released.wait(timeout=0.2):
                return True
        return False

    def _put(self, item: object) -> bool:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False


class _Readers:
    """The reader threads, and the window of objects opened ahead of the writer."""

    def __init__(self, count: int, checkers: _Checkers) -> None:
        self.count = count
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="correlate-read")
        self._checkers = checkers
        self._running: list[_ObjectReader] = []

    def __enter__(self) -> _Readers:
        return self

    def __exit__(self, *exc: object) -> None:
        for reader in self._running:
            reader.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def ahead(self, loads: Iterator[_Load]) -> Iterator[_ObjectReader]:
        """Readers in object order, each started up to `AHEAD` x `count` objects (and
        `PREFETCH_BYTES` of listed size) before the writer takes it; `count` threads read at once."""
        window: deque[_ObjectReader] = deque()
        held = 0
        failure: CorrelateError | None = None
        try:
            for load in loads:
                while window and (len(window) >= self.count * AHEAD or held + load.obj.size > PREFETCH_BYTES):
                    reader = window.popleft()
                    held -= reader.obj.size
                    yield reader
                reader = _ObjectReader(load, self._checkers)
                self._running = [running for running in self._running if not running.done] + [reader]
                self._pool.submit(reader.run)
                window.append(reader)
                held += load.obj.size
        except CorrelateError as error:  # the listing failed: what was opened ahead goes first
            failure = error
        yield from window
        if failure is not None:
            raise failure


# -- runs ---------------------------------------------------------------------------------------

# A run of small objects is checked in parts of about this much text, so both checkers work.
CHECK_BYTES = 4 << 20
# A run of small objects is one transaction up to this much text or this many objects. Measured on
# 500 objects of 2,000 ALB lines: a transaction per 24,000 rows spent 0.1-0.3 s in each commit (the
# rows go through DuckDB's write-ahead log); past a row group (122,880 rows) DuckDB writes the rows
# straight to the file and the commit is free.
RUN_BYTES = 128 << 20
RUN_OBJECTS = 5000


class _Peekable:
    def __init__(self, items: Iterator[_ObjectReader]) -> None:
        self._items = items
        self._head: _ObjectReader | None = None

    def peek(self) -> _ObjectReader | None:
        if self._head is None:
            self._head = next(self._items, None)
        return self._head

    def next(self) -> _ObjectReader | None:
        item = self.peek()
        self._head = None
        return item

    def drop(self) -> None:
        self._head = None


class _Replacements:
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

    def ready(self, load: _Load) -> bool:
        with self._lock:
            return load.previous_kind is None or load.obj.uri in self._cleared


class _Run:
    """What one transaction loads: a large object, or a run of small objects of one kind. `items`
    yields its checked chunks as they are ready, so a run streams into one INSERT."""

    kind: LogKind | None
    readers: list[_ObjectReader]
    failure: CorrelateError | None = None
    checked = True  # checkers took out the lines that will not be stored

    def items(self) -> Iterator[_Checked]:
        raise NotImplementedError


class _LargeRun(_Run):
    """One object of more than a chunk, streamed unchecked: the INSERT itself leaves out rejected
    lines and those outside the filter. Checking every line first cost as much again as the INSERT
    (1 M ALB lines: 6.2 s with the checks, 4.9 s without); when the INSERT stores fewer rows than it
    was given, `recheck` reads the object again through the checkers to say which lines, and why."""

    checked = False

    def __init__(self, reader: _ObjectReader, variables: dict[str, object]) -> None:
        self.kind = reader.kind
        self.readers = [reader]
        self._variables = variables

    def items(self) -> Iterator[_Checked]:
        reader = self.readers[0]
        reader.release(self._variables, check=False)
        for future in reader.futures():
            yield future.result()

    def recheck(self) -> Iterator[_Checked]:
        """The object read, framed and checked again, chunk by chunk, a few chunks ahead."""
        reader = self.readers[0]
        checkers = reader.checkers
        ahead: deque[Future[_Checked]] = deque()
        with open_decompressed(reader.obj) as stream:
            for piece in frame(stream):
                ahead.append(checkers.submit(_check_work(self.kind, [(reader, [piece])], self._variables)))
                if len(ahead) > checkers.count:
                    yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


class _SmallRun(_Run):
    """Small objects of one kind, in order, while they fit: each object's chunk joins a part, and
    each part is checked by one statement, a few parts ahead of the writer."""

    def __init__(
        self,
        reader: _ObjectReader,
        waiting: _Peekable,
        checkers: _Checkers,
        variables: dict[str, object],
        replacements: _Replacements,
    ) -> None:
        self.kind = reader.kind
        self.readers = [reader]
        self._waiting = waiting
        self._checkers = checkers
        self._variables = variables
        self._replacements = replacements

    def items(self) -> Iterator[_Checked]:
        ahead: deque[Future[_Checked]] = deque()
        for work in self._parts():
            ahead.append(self._checkers.submit(work))
            if len(ahead) > self._checkers.count:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()

    def _parts(self) -> Iterator[Callable[[ChunkChecker], _Checked]]:
        first = self.readers[0]
        part: list[_Part] = [(first, first.take_whole().pieces)]
        part_bytes = total = first.nbytes
        while True:
            try:  # a failure to list or read the next object ends the run; raised once it is committed
                reader = self._waiting.peek()
                if reader is None:
                    break
                is_large = reader.first() is _LARGE
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
            part.append((reader, reader.take_whole().pieces))
            part_bytes += reader.nbytes
            total += reader.nbytes
            if part_bytes >= CHECK_BYTES:
                yield _check_work(self.kind, part, self._variables)
                part, part_bytes = [], 0
        if part:
            yield _check_work(self.kind, part, self._variables)


# -- writing ------------------------------------------------------------------------------------


@dataclass
class _Tally:
    lines: int = 0
    rejected: int = 0
    filtered: int = 0
    replaced: int = 0


def _write(store: LogStore, run: _Run, row_filter: RowFilter, meter: _Meter, replacements: _Replacements) -> None:
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
                    assert isinstance(run, _LargeRun)
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


def _rechecked(run: _LargeRun, stored: int) -> tuple[dict[str, _Tally], RejectSpool]:
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


def _guarded(items: Iterator[_Checked], failed: list[BaseException]) -> Iterator[_Checked]:
    """`items`, ending quietly at the first exception, which is kept in `failed`: raised inside the
    INSERT's batch stream it would reach the caller as a DuckDB error, without its type."""
    try:
        yield from items
    except BaseException as error:
        failed.append(error)


def _tallied(
    result: _Checked, tallies: dict[str, _Tally], spool: RejectSpool, meter: _Meter, run: _Run
) -> CheckedChunk:
    chunk = result.chunk
    _count(result, tallies)
    spool.add(chunk.rejects)
    # a small object's lines are all in one chunk; a large object is done when its run is
    finished = len(result.lines) if isinstance(run, _SmallRun) else 0
    meter.chunk(run.readers, chunk.tokens.num_rows, finished)
    return chunk


def _count(result: _Checked, tallies: dict[str, _Tally]) -> None:
    for uri, count in result.lines.items():
        tallies[uri].lines += count
    for uri, count in result.replaced.items():
        tallies[uri].replaced += count
    for uri, count in result.chunk.rejected.items():
        tallies[uri].rejected += count
    for uri, count in result.chunk.filtered.items():
        tallies[uri].filtered += count


def _entry(reader: _ObjectReader, tally: _Tally, row_filter: RowFilter) -> LedgerEntry:
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


class _Meter:
    """Progress: counts what is done and reports it."""

    def __init__(self, summary: IngestSummary, on_progress: Callable[[Progress], None] | None) -> None:
        self.summary = summary
        self.on_progress = on_progress
        self.done = 0
        self.pending_done = 0  # objects of the run being written whose lines are all in
        self.pending_rows = 0

    def skipped(self) -> None:
        self.done += 1
        self._report("")

    def chunk(self, readers: list[_ObjectReader], rows: int, finished: int) -> None:
        self.pending_rows += rows
        self.pending_done += finished
        self._report(readers[-1].obj.uri, sum(reader.bytes_read for reader in readers))

    def loaded(self, readers: list[_ObjectReader], entries: list[LedgerEntry]) -> None:
        for entry in entries:
            self.summary.add(entry)
        self.summary.bytes_read += sum(reader.bytes_read for reader in readers)
        self.done += len(readers)
        self.pending_done = 0
        self.pending_rows = 0
        self._report(readers[-1].obj.uri)

    def _report(self, current: str, bytes_pending: int = 0) -> None:
        if self.on_progress is None:
            return
        self.on_progress(
            Progress(
                objects_seen=self.summary.files,
                objects_done=self.done + self.pending_done,
                bytes_read=self.summary.bytes_read + bytes_pending,
                rows=self.summary.rows + self.pending_rows,
                current=current,
            )
        )
