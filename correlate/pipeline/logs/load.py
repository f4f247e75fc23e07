"""`ingest logs` as one call: sources listed, objects skipped or loaded run by run, changes rebuilt."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from correlate.errors import CorrelateError, NoInputFound
from correlate.parse.kinds import TEST_FILE_NAME, NameFacts, facts_from_name, outside_window
from correlate.parse.layout import log_pruning
from correlate.parse.sniff import cloudtrail_by_name
from correlate.pipeline.changes import rebuild_changes
from correlate.pipeline.logs.checkers import CHECK_WORKERS, Checkers
from correlate.pipeline.logs.progress import IngestSummary, Meter, Progress
from correlate.pipeline.logs.readers import LARGE, Load, Readers
from correlate.pipeline.logs.runs import LargeRun, Peekable, Replacements, Run, SmallRun, write_run
from correlate.sources import expand_sources
from correlate.sources.aws import AwsClients, AwsOptions
from correlate.sources.elb import find_log_locations
from correlate.sources.streams import InputObject
from correlate.store.cloudtrail import CloudTrailStore
from correlate.store.database import Database
from correlate.store.logs import LogStore, RowFilter, filter_variables

LOG_SUFFIXES = (".log", ".log.gz")
DEFAULT_WORKERS = 8


@dataclass(frozen=True, slots=True)
class LogsOptions:
    """What `correlate ingest logs` is asked to load: SOURCE (or, with none, the log locations AWS
    gives for `--lb`), the row filter, the download workers, and the AWS profile and region."""

    sources: tuple[str, ...] = ()
    row_filter: RowFilter = field(default_factory=RowFilter)
    workers: int = DEFAULT_WORKERS
    profile: str | None = None
    region: str | None = None


def load_logs(
    db: Database,
    options: LogsOptions,
    on_progress: Callable[[Progress], None] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> IngestSummary:
    """`correlate ingest logs` as one call: find the objects (with `--lb` and no SOURCE, where AWS
    says the load balancer writes its logs; each location is told to `on_note`), load them, and
    rebuild the changes (access logs link target groups to load balancers)."""
    aws = AwsClients(AwsOptions(profile=options.profile, region=options.region, max_connections=options.workers + 2))
    sources = options.sources
    lb = options.row_filter.lb
    if not sources and lb is not None:
        locations = find_log_locations(aws, lb)
        for location in locations:
            if on_note is not None:
                on_note(f"{lb} ({location.lb_type}): {location.logs} logs in {location.uri}")
        sources = tuple(location.uri for location in locations)
    objects = log_objects(sources, options.row_filter, aws)
    summary = ingest_logs(LogStore(db), objects, options.row_filter, on_progress, options.workers)
    rebuild_changes(CloudTrailStore(db))
    return summary


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
    meter = Meter(summary, on_progress)
    variables = filter_variables(row_filter)
    replacements = Replacements()
    with Checkers(CHECK_WORKERS) as checkers, Readers(max(1, workers), checkers) as readers:
        waiting = Peekable(readers.ahead(_loads(store, objects, row_filter, summary, meter, replacements)))
        while (reader := waiting.next()) is not None:
            first = reader.first()
            if reader.other_kind:
                summary.other_kind.append(reader.obj.uri)
                meter.skipped()
                continue
            if first is LARGE:
                run: Run = LargeRun(reader, variables)
            else:
                run = SmallRun(reader, waiting, checkers, variables, replacements)
            write_run(store, run, row_filter, meter, replacements)
            if run.failure is not None:
                raise run.failure  # what was read before the failure is committed
        if leftover := replacements.take():  # earlier loads of files that turned out to be CloudTrail
            with store.transaction():
                store.replace(leftover)
    return summary


LEDGER_LOOKUP = 500


def _loads(
    store: LogStore,
    objects: Iterable[InputObject],
    row_filter: RowFilter,
    summary: IngestSummary,
    meter: Meter,
    replacements: Replacements,
) -> Iterator[Load]:
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
                yield Load(obj, facts, earlier.kind if earlier else None)
        if failure is not None:
            raise failure
        if len(batch) < LEDGER_LOOKUP:
            return
