"""Reader threads: objects opened ahead of the writer (a download starts), decompressed, framed into
chunks of lines, and handed over small-object-whole or large-object-chunk-by-chunk."""

from __future__ import annotations

import itertools
import queue
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from correlate.errors import CorrelateError
from correlate.parse.framing import Chunk, Reject, frame, repair_utf8
from correlate.parse.kinds import UNKNOWN_KIND, LogKind, NameFacts, kind_from_line
from correlate.parse.sniff import HEAD_BYTES, looks_like_cloudtrail
from correlate.pipeline.logs.checkers import Checked, Checkers, Part, check_work
from correlate.sources.streams import InputObject, open_decompressed

# Objects opened ahead of the writer may hold up to this much (by listed size) between them.
PREFETCH_BYTES = 64 << 20
# Objects queued for the readers per reader thread: the writer takes small objects a few MiB at a
# time, so a window of one object per thread would leave the threads idle between takes.
AHEAD = 4


@dataclass(frozen=True, slots=True)
class Load:
    """An object to load, what its name told, and the kind of its earlier load to replace."""

    obj: InputObject
    facts: NameFacts | None
    previous_kind: str | None  # set when an earlier load of this URI is replaced


_DONE = object()
LARGE = object()  # a reader's first message for an object of more than one chunk
_TAKEN = object()


@dataclass(frozen=True, slots=True)
class Whole:
    """A small object read to its end: its chunk (at most one) and its line events, in order."""

    pieces: list[Chunk | Reject]

    @property
    def nbytes(self) -> int:
        return sum(len(piece.data) for piece in self.pieces if isinstance(piece, Chunk))


class ObjectReader:
    """Reads one object on a reader thread: opens it (a download starts), decompresses and frames
    it. A small object ends as one `Whole`. A large one announces `LARGE` after its first two
    chunks and waits for `release()`; then each chunk is submitted for checking and the futures
    are handed over in line order through a small queue, so memory stays bounded."""

    def __init__(self, load: Load, checkers: Checkers) -> None:
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

    def part(self, pieces: list[Chunk | Reject]) -> Part:
        """Pieces of this object, labelled for `check_work`."""
        return (self.obj.uri, self.lb_hint, pieces)

    @property
    def kind_name(self) -> str:
        return self.kind.name if self.kind else UNKNOWN_KIND

    def first(self) -> Whole | object:
        """`Whole` for a small object, `LARGE` for a large one; blocks until the reader knows."""
        if self._first is None:
            self._first = self._queue.get()
        if isinstance(self._first, BaseException):
            raise self._first
        return self._first

    def take_whole(self) -> Whole:
        """A small object's pieces, handed over once (the reader keeps no reference)."""
        whole = self.first()
        assert isinstance(whole, Whole)
        self._first = _TAKEN
        return whole

    def release(self, variables: dict[str, object], check: bool) -> None:
        self.variables = variables
        self.check = check
        self._released.set()

    def futures(self) -> Iterator[Future[Checked]]:
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
                        self.kind = sniff(piece)
                        if self.kind is None and looks_like_cloudtrail(self.obj.name, piece.data[:HEAD_BYTES]):
                            self.other_kind = True
                            self._put(Whole([]))
                            return
                    chunks += 1
                held.append(piece)
                self.bytes_read = stream.bytes_in
                if chunks == 2:
                    break
            else:
                self.bytes_read = stream.bytes_in
                whole = Whole(held)
                self.nbytes = whole.nbytes
                self._put(whole)
                return
            if not self._put(LARGE) or not self._wait_release():
                return
            for piece in itertools.chain(held, pieces):
                held = []
                work = check_work(self.kind, [self.part([piece])], self.variables, self.check)
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


class Readers:
    """The reader threads, and the window of objects opened ahead of the writer."""

    def __init__(self, count: int, checkers: Checkers) -> None:
        self.count = count
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="correlate-read")
        self._checkers = checkers
        self._running: list[ObjectReader] = []

    def __enter__(self) -> Readers:
        return self

    def __exit__(self, *exc: object) -> None:
        for reader in self._running:
            reader.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def ahead(self, loads: Iterator[Load]) -> Iterator[ObjectReader]:
        """Readers in object order, each started up to `AHEAD` x `count` objects (and
        `PREFETCH_BYTES` of listed size) before the writer takes it; `count` threads read at once."""
        window: deque[ObjectReader] = deque()
        held = 0
        failure: CorrelateError | None = None
        try:
            for load in loads:
                while window and (len(window) >= self.count * AHEAD or held + load.obj.size > PREFETCH_BYTES):
                    reader = window.popleft()
                    held -= reader.obj.size
                    yield reader
                reader = ObjectReader(load, self._checkers)
                self._running = [running for running in self._running if not running.done] + [reader]
                self._pool.submit(reader.run)
                window.append(reader)
                held += load.obj.size
        except CorrelateError as error:  # the listing failed: what was opened ahead goes first
            failure = error
        yield from window
        if failure is not None:
            raise failure


def sniff(chunk: Chunk) -> LogKind | None:
    """The kind of the first recognisable line among the chunk's first 20."""
    for index in range(min(chunk.line_count, 20)):
        kind = kind_from_line(chunk.line(index))
        if kind is not None:
            return kind
    return None
