"""`correlate ingest cloudtrail`: objects (or LookupEvents pages) → records → api_calls → changes.

Each object is read whole when it is one JSON document (a trail file, an array, lookup-events
output; a trail file is a few MB) and line by line when it is JSON lines (cloudtrail_read.py), in
worker processes when there are many. Kept records, rejects and ledger rows of a batch of objects
commit together. After the last object, `changes` is rebuilt from all
kept calls (and the change events, pipeline/changes.py), so an event loaded late (CloudTrail files
are unordered) still lands in its place.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from correlate.errors import StreamBroken
from correlate.model.changes import lookup_attributes
from correlate.parse.cloudtrail import (
    Parsed,
    RecordReject,
    collect_records,
    skipped_object,
)
from correlate.parse.layout import trail_outside_window, trail_pruning
from correlate.parse.sniff import ACCESS_LOGS, OtherKindFiles, access_log_by_name
from correlate.pipeline.changes import rebuild_changes
from correlate.pipeline.cloudtrail_read import KEPT, ignore_interrupts, parse_bytes, read_object
from correlate.sources import expand_sources
from correlate.sources.lookup import lookup_pages
from correlate.sources.streams import InputObject
from correlate.store.cloudtrail import KIND, CloudTrailStore, ObjectEntry
from correlate.store.ledger import EarlierLoad
from correlate.timeparse import Window

if TYPE_CHECKING:
    from correlate.sources.aws import AwsClients

CLOUDTRAIL_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
OUTSIDE_WINDOW = "delivered outside --since/--until"


def trail_objects(sources: Sequence[str], window: Window, aws: AwsClients | None = None) -> Iterator[InputObject]:
    """The objects SOURCE names: files, directories, globs, s3:// prefixes of a trail. In S3 only
    CloudTrail/ folders are entered (not CloudTrail-Digest or CloudTrail-Insight), accounts and
    organisation folders are discovered, and only the delivery days of the window are listed."""
    pruning = trail_pruning(window.since, window.until)
    return expand_sources(sources, CLOUDTRAIL_SUFFIXES, also_names=(), aws=aws, pruning=pruning)


@dataclass
class CloudTrailSummary(OtherKindFiles):
    """What one ingest did; `line()` is the one-line summary printed on stderr."""

    looks_like: ClassVar[str] = ACCESS_LOGS

    files: int = 0
    loaded: int = 0
    already_loaded: int = 0
    skipped_objects: dict[str, int] = field(default_factory=dict)  # CloudTrail-Digest / CloudTrail-Insight
    records: int = 0
    kept: int = 0
    unrelated: int = 0
    outside: int = 0
    rejected: int = 0
    duplicates: int = 0
    lookup_regions: int = 0
    changes: int = 0
    lbs_changed: int = 0
    unattributed: int = 0
    other_kind: list[str] = field(default_factory=list)  # access logs: not loaded, not recorded

    def add(self, parsed: Parsed, duplicates: int) -> None:
        self.records += parsed.records
        self.kept += len(parsed.calls)
        self.unrelated += parsed.unrelated
        self.outside += parsed.outside
        self.rejected += len(parsed.rejects)
        self.duplicates += duplicates
        if parsed.digests:
            self.skipped_objects["CloudTrail-Digest"] = self.skipped_objects.get("CloudTrail-Digest", 0) + 1

    def line(self) -> str:
        if self.lookup_regions:
            head = f"LookupEvents in {self.lookup_regions} region{'s' if self.lookup_regions != 1 else ''}"
        else:
            skipped = self.already_loaded + sum(self.skipped_objects.values()) + len(self.other_kind)
            reasons = []
            if self.already_loaded:
                reasons.append(f"{self.already_loaded:,} already loaded")
            if self.other_kind:
                reasons.append(f"{len(self.other_kind):,} access logs")
            reasons += [f"{count:,} {name}" for name, count in sorted(self.skipped_objects.items())]
            skipped_text = f"{skipped:,} skipped" + (f" ({', '.join(reasons)})" if reasons else "")
            head = f"{self.files:,} files: {self.loaded:,} loaded, {skipped_text}"
        text = (
            f"{head}; {self.records:,} records: {self.kept:,} kept, {self.unrelated:,} unrelated, "
            f"{self.rejected:,} rejected, {self.duplicates:,} duplicates"
        )
        if self.outside:
            text += f", {self.outside:,} outside --since/--until"
        text += f"; {self.changes:,} changes on {self.lbs_changed:,} load balancers"
        if self.unattributed:
            text += f" ({self.unattributed:,} calls not linked to a load balancer: see the unattributed_calls view)"
        return text


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported before each object is read: which one, and how many objects so far (1-based)."""

    uri: str
    objects: int


BATCH_CALLS = 20_000  # kept records held before a batch of objects is written
BATCH_OBJECTS = 256
POOL_MIN_OBJECTS = 8  # fewer objects than this are parsed in this process
POOL_MAX_BYTES = 64 << 20  # bigger objects are streamed in this process rather than shipped whole


def ingest_cloudtrail(
    store: CloudTrailStore,
    objects: Iterable[InputObject],
    window: Window | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    workers: int = 1,
) -> CloudTrailSummary:
    """Load every object, then rebuild `changes`. Re-runs skip objects already loaded unchanged.

    With `workers` > 1 (the CLI passes one per core), parsing (gzip, JSON, keep/skip) runs in that
    many spawned processes when there are enough objects; only the kept records come back. A
    script that passes workers > 1 needs the `if __name__ == "__main__":` guard that spawned
    processes require. Objects are written in batches (one
    transaction each): a trail file keeps a handful of records, and one transaction per file would
    cost more than reading it."""
    window = window or Window()
    summary = CloudTrailSummary()
    loaded = store.loaded_objects()
    todo: list[InputObject] = []
    for obj in objects:
        summary.files += 1
        marker = skipped_object(obj.uri)
        if marker is None and trail_outside_window(obj.name, window.since, window.until):
            marker = OUTSIDE_WINDOW  # named for a delivery time that cannot hold events of the window
        earlier = loaded.get(obj.uri)
        if marker is not None:
            summary.skipped_objects[marker] = summary.skipped_objects.get(marker, 0) + 1
        elif access_log_by_name(obj.name):
            summary.other_kind.append(obj.uri)
        elif earlier is not None and earlier.covers(obj.fingerprint, window.describe()):
            summary.already_loaded += 1
        else:
            todo.append(obj)
    store.forget([uri for uri in summary.other_kind if uri in loaded and loaded[uri].stored_nothing])
    batch = _Batch()
    done = summary.files - len(todo)
    for obj, parsed in _parsed(todo, window, workers):
        done += 1
        if on_progress:
            on_progress(Progress(obj.uri, done))
        previous = loaded.get(obj.uri)
        if parsed.access_log:
            summary.other_kind.append(obj.uri)
            store.forget([obj.uri] if previous is not None else [])
            continue
        batch.add(
            ObjectEntry(
                source_file=obj.uri,
                fingerprint=obj.fingerprint,
                filter=window.describe(),
                size_bytes=obj.size,
                records=parsed.records,
                kept=len(parsed.calls),
                rejected=len(parsed.rejects),
                skipped=parsed.unrelated + parsed.outside,
                reload=previous is not None,
            ),
            parsed,
        )
        loaded[obj.uri] = EarlierLoad(KIND, obj.fingerprint, window.describe(), stored_nothing=False)
        summary.loaded += 1
        if len(batch.calls) >= BATCH_CALLS or len(batch.entries) >= BATCH_OBJECTS:
            batch.write(store, summary)
    batch.write(store, summary)
    _finish(store, summary)
    return summary


def _parsed(objects: list[InputObject], window: Window, workers: int) -> Iterator[tuple[InputObject, Parsed]]:
    """(object, its records) in object order; parsed in worker processes when that pays. S3 objects
    are downloaded `DOWNLOADS` at a time ahead of the parsing (a request mostly waits)."""
    with ThreadPoolExecutor(max_workers=DOWNLOADS, thread_name_prefix="correlate-fetch") as fetch:
        if workers < 2 or len(objects) < POOL_MIN_OBJECTS:
            pending: deque[tuple[InputObject, object]] = deque()
            for obj in objects:
                pending.append((obj, fetch.submit(read_object, obj, window) if _remote(obj) else None))
                while len(pending) > DOWNLOADS * 2:
                    yield _settled(*pending.popleft(), window)
            while pending:
                yield _settled(*pending.popleft(), window)
            return
        # spawn, not fork: the parent holds DuckDB's threads
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=spawn, initializer=ignore_interrupts) as pool:
            pending = deque()
            for obj in objects:
                if obj.size > POOL_MAX_BYTES:
                    pending.append((obj, None))
                elif _remote(obj):
                    pending.append((obj, fetch.submit(_submit_bytes, pool, obj, window)))
                else:
                    pending.append((obj, _submit_bytes(pool, obj, window)))
                while len(pending) > workers * 4:
                    yield _settled(*pending.popleft(), window)
            while pending:
                yield _settled(*pending.popleft(), window)


DOWNLOADS = 8


def _remote(obj: InputObject) -> bool:
    return obj.uri.startswith("s3://")


def _submit_bytes(pool: ProcessPoolExecutor, obj: InputObject, window: Window) -> Future[Parsed] | Parsed:
    """Read the object whole and hand it to a worker process; an object that cannot be read is
    read here instead, where the break becomes its reject."""
    try:
        with obj.opener() as raw:
            data = raw.read()
    except StreamBroken:
        return read_object(obj, window)
    return pool.submit(parse_bytes, obj.uri, obj.name, data, window)


def _settled(obj: InputObject, outcome: object, window: Window) -> tuple[InputObject, Parsed]:
    """The object's records from whatever is pending for it: nothing yet (read it now), a parse
    result, or futures of either."""
    while isinstance(outcome, Future):
        outcome = outcome.result()
    return obj, outcome if isinstance(outcome, Parsed) else read_object(obj, window)


class _Batch:
    """Parsed objects waiting to be written together."""

    def __init__(self) -> None:
        self.entries: list[ObjectEntry] = []
        self.parsed: list[Parsed] = []
        self.calls: list = []
        self.rejects: list[tuple[str, RecordReject]] = []

    def add(self, entry: ObjectEntry, parsed: Parsed) -> None:
        self.entries.append(entry)
        self.parsed.append(parsed)
        self.calls += parsed.calls
        self.rejects += [(entry.source_file, reject) for reject in parsed.rejects]

    def write(self, store: CloudTrailStore, summary: CloudTrailSummary) -> None:
        if not self.entries:
            return
        duplicates = store.load_objects(self.entries, self.calls, self.rejects)
        for entry, parsed in zip(self.entries, self.parsed, strict=True):
            summary.add(parsed, duplicates.get(entry.source_file, 0))
        self.__init__()  # type: ignore[misc]


def ingest_events(
    store: CloudTrailStore,
    pages: Iterable[tuple[str, list[dict]]],
    regions: int,
    window: Window | None = None,
) -> CloudTrailSummary:
    """Load LookupEvents pages: (source label such as `lookup-events:us-east-1`, Events[])."""
    window = window or Window()
    summary = CloudTrailSummary(lookup_regions=regions)
    positions: dict[str, int] = {}
    for source, events in pages:
        first = positions.get(source, 0)
        parsed = Parsed()
        for offset, event in enumerate(events, 1):
            collect_records(parsed, [event], first + offset, source, KEPT, window)
        positions[source] = first + len(events)
        duplicates = store.load_calls(parsed.calls, [(source, reject) for reject in parsed.rejects])
        summary.add(parsed, duplicates)
    _finish(store, summary)
    return summary


def ingest_lookup(
    store: CloudTrailStore, clients: dict[str, object], window: Window | None = None, **pacing: object
) -> CloudTrailSummary:
    """LookupEvents in each region (clients by region name), then rebuild `changes`."""
    window = window or Window()
    attributes = lookup_attributes()
    pages = (
        (f"lookup-events:{region}", page)
        for region, client in clients.items()
        for page in lookup_pages(client, attributes, window.since, window.until, **pacing)  # type: ignore[arg-type]
    )
    return ingest_events(store, pages, len(clients), window)


def _finish(store: CloudTrailStore, summary: CloudTrailSummary) -> None:
    rebuild_changes(store)
    summary.changes, summary.lbs_changed = store.change_counts()
    summary.unattributed = store.unattributed_calls()
