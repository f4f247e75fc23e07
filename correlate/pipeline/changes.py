"""The `changes` table: `correlate ingest changes` (change events of other systems → change_events)
and the rebuild of `changes` from everything it is made of.

`changes` is derived data, rebuilt whole: the change model replays CloudTrail's mutating calls
(`api_calls`) in time order and places the change events (`change_events`) in between, on the load
balancers their scope hints reach at their time (model/feed.py). A rebuild after `ingest
cloudtrail`, `ingest logs` or `ingest inventory` therefore keeps every feed row, and an event
loaded before the access logs that place it lands on its load balancer once they are loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from correlate.errors import NoInputFound
from correlate.model.changes import Knowledge, build_changes
from correlate.parse.feed import FeedParsed, parse_feed
from correlate.sources import expand_sources
from correlate.sources.aws import AwsClients, AwsOptions
from correlate.sources.local import stdin_object
from correlate.sources.streams import InputObject, open_decompressed
from correlate.store.cloudtrail import CloudTrailStore
from correlate.store.database import Database
from correlate.store.feed import KIND, FeedEntry, FeedStore
from correlate.store.ledger import EarlierLoad

FEED_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".json", ".json.gz", ".csv", ".csv.gz")
STDIN_SOURCE = "-"


@dataclass(frozen=True, slots=True)
class ChangesOptions:
    """What `correlate ingest changes` is asked to load: files, directories, globs, s3:// prefixes,
    and `-` for standard input (read from `stdin`)."""

    sources: tuple[str, ...]
    stdin: BinaryIO | None = None
    profile: str | None = None


@dataclass
class FeedSummary:
    """What one `ingest changes` did; `line()` is the one-line summary printed on stderr."""

    files: int = 0
    loaded: int = 0
    already_loaded: int = 0
    records: int = 0
    events: int = 0
    rejected: int = 0
    duplicates: int = 0
    unknown_kinds: int = 0
    changes: int = 0
    lbs_changed: int = 0
    stored: int = 0  # events in change_events, from this and every earlier load
    unscoped: int = 0  # of them, placed on every load balancer (no scope hint placed them)
    unplaced: int = 0  # of them, on no load balancer (the database knows none yet)

    def add(self, parsed: FeedParsed, duplicates: int) -> None:
        self.records += parsed.records
        self.events += len(parsed.events)
        self.rejected += len(parsed.rejects)
        self.duplicates += duplicates
        self.unknown_kinds += parsed.unknown_kinds

    def line(self) -> str:
        skipped = f" ({self.already_loaded:,} already loaded)" if self.already_loaded else ""
        text = (
            f"{self.files:,} file{_s(self.files)}: {self.loaded:,} loaded, {self.already_loaded:,} skipped{skipped}; "
            f"{self.records:,} records: {self.events:,} events, {self.rejected:,} rejected, "
            f"{self.duplicates:,} duplicate{_s(self.duplicates)}"
        )
        if self.unknown_kinds:
            text += f" ({self.unknown_kinds:,} of a kind correlate does not know, stored as other)"
        text += f"; {self.changes:,} changes on {self.lbs_changed:,} load balancers"
        notes = []
        if self.unscoped:
            notes.append(f"{self.unscoped:,} event{_s(self.unscoped)} with no scope hint on every load balancer")
        if self.unplaced:
            notes.append(
                f"{self.unplaced:,} event{_s(self.unplaced)} on no load balancer yet: load access logs or CloudTrail"
            )
        return text + (f" ({'; '.join(notes)})" if notes else "")


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def load_changes(db: Database, options: ChangesOptions) -> FeedSummary:
    """`correlate ingest changes` as one call: read every source, store its events, then rebuild
    `changes` with them."""
    objects = feed_objects(options.sources, options.stdin, AwsClients(AwsOptions(profile=options.profile)))
    summary = ingest_changes(FeedStore(db), objects)
    finish(db, summary)
    return summary


def finish(db: Database, summary: FeedSummary) -> None:
    """Rebuild `changes` and count what became of the events."""
    store = CloudTrailStore(db)
    rebuild_changes(store)
    summary.changes, summary.lbs_changed = store.change_counts()
    summary.stored, placed, summary.unscoped = FeedStore(db).counts()
    summary.unplaced = summary.stored - placed


def feed_objects(
    sources: Sequence[str], stdin: BinaryIO | None, aws: AwsClients | None = None
) -> Iterator[InputObject]:
    """The inputs SOURCE names, in order: `-` is standard input (once), the rest files, directories
    (searched for *.jsonl, *.ndjson, *.json, *.csv, gzipped or not), globs and s3:// prefixes."""
    for source in sources:
        if source == STDIN_SOURCE:
            if stdin is None:
                raise NoInputFound("-: no standard input to read change events from. Pass a file instead.")
            yield stdin_object(stdin)
        else:
            yield from expand_sources([source], FEED_SUFFIXES, also_names=(), aws=aws)


def ingest_changes(store: FeedStore, objects: Iterable[InputObject]) -> FeedSummary:
    """Load every input: its events (upserted by id), rejects and ledger row together. A file loaded
    before unchanged is skipped; standard input is always read (its events dedupe by id)."""
    summary = FeedSummary()
    loaded = store.loaded_objects()
    for obj in objects:
        summary.files += 1
        earlier = loaded.get(obj.uri)
        ledgered = obj.fingerprint != ""
        if ledgered and earlier is not None and earlier.covers(obj.fingerprint, ""):
            summary.already_loaded += 1
            continue
        with open_decompressed(obj) as stream:
            parsed = parse_feed(stream, obj.name, obj.uri)
        entry = None
        if ledgered:
            entry = FeedEntry(
                obj.uri,
                obj.fingerprint,
                obj.size,
                parsed.records,
                len(parsed.events),
                len(parsed.rejects),
                reload=earlier is not None,
            )
            loaded[obj.uri] = EarlierLoad(KIND, obj.fingerprint, "", stored_nothing=False)
        duplicates = store.load(obj.uri, parsed.events, parsed.rejects, entry)
        summary.add(parsed, duplicates)
        summary.loaded += 1
    return summary


def rebuild_changes(store: CloudTrailStore) -> int:
    """Recompute `changes` from every kept call and change event; returns the number of rows.

    Cheap when there is neither (one query), so `ingest logs` and `ingest inventory` run it too:
    target groups seen in access logs or an inventory can attribute changes, and place events."""
    if not store.has_changes_to_build():
        if store.change_counts()[0]:
            store.replace_changes([])
        return 0
    events = store.feed_events()
    named_targets = sorted({target for event in events for target in event.targets})
    knowledge = Knowledge(
        store.inventory(),
        store.log_links(),
        store.known_load_balancers() if events else (),
        store.target_links(named_targets),
    )
    changes = build_changes(store.replay_calls(), knowledge, events)
    store.replace_changes(changes)
    return len(changes)
