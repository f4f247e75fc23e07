"""`correlate spark ingest`: raw access logs → the lake, parsed by correlate's own code on Spark.

The driver lists the objects (the listing of `ingest logs`) and deals them out to tasks, a few tens
of MiB each. A task (`parse_objects`, run by `mapInArrow`) loads its objects with the library call
of `ingest logs` into an in-memory DuckDB: the same framing, tokenizer and per-kind typing SQL, so
the same rows and the same rejects, each with its file and line. Its tables come back as Arrow
batches, one struct column per table; Spark then writes each table into the lake's partitions.

An object that cannot be read at all (access denied, say) becomes one reject with no line number,
and the job goes on; a corrupt or truncated object gives its rejects as in `ingest logs`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from correlate.errors import CorrelateError
from correlate.lake.layout import BY_NAME, LOG_TABLES
from correlate.pipeline.logs import IngestSummary, ingest_logs, log_objects
from correlate.sources import TEST_FILE_NAME, reopen
from correlate.sources.streams import InputObject
from correlate.store.database import Database
from correlate.store.logs import LedgerEntry, LogStore, RowFilter

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from correlate.sources.aws import AwsClients

# A task's share of the objects (listed, compressed size); a task loads up to GROUP_BYTES of it
# into its in-memory database at a time, then hands the rows on.
TASK_BYTES = 64 << 20
GROUP_BYTES = 16 << 20
BATCH_ROWS = 16_384
LEDGER = "ingested_files"
OUTPUTS = (*LOG_TABLES, LEDGER)
OBJECT_SCHEMA = "uri string, size long, fingerprint string"


def output_schema() -> pa.Schema:
    """One nullable struct column per table a task returns (each batch fills one of them)."""
    with Database.open(":memory:") as db:
        return pa.schema(
            [
                pa.field(name, pa.struct(db.con.sql(f"select * from {name} limit 0").to_arrow_table().schema))
                for name in OUTPUTS
            ]
        )


def parse_objects(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The task: load its objects as `ingest logs` does, into an in-memory database, and return
    every table's rows (mapInArrow's function; runs in the executors)."""
    described = [row for batch in batches for row in batch.to_pylist()]
    if not described:
        return
    schema = output_schema()
    aws = None
    if any(row["uri"].startswith("s3://") for row in described):
        from correlate.sources.aws import AwsClients

        aws = AwsClients()
    with Database.open(":memory:") as db:
        store = LogStore(db)
        for group in _groups(described, GROUP_BYTES):
            objects = [reopen(row["uri"], row["size"], row["fingerprint"], aws) for row in group]
            unreadable = _load(store, objects)
            if unreadable:
                _reject_objects(db, unreadable)
            yield from _drain(db, schema)


def _groups(described: list[dict], limit: int) -> Iterator[list[dict]]:
    group: list[dict] = []
    held = 0
    for row in described:
        if group and held + row["size"] > limit:
            yield group
            group, held = [], 0
        group.append(row)
        held += row["size"]
    if group:
        yield group


def _load(store: LogStore, objects: list[InputObject]) -> list[tuple[str, str]]:
    """Load the objects; one that fails to be read is skipped and returned with why. `ingest_logs`
    writes objects in order and stops at the first that fails, after committing those before it,
    so the failed object is the first one the ledger lacks."""
    unreadable: list[tuple[str, str]] = []
    remaining = objects
    while remaining:
        try:
            ingest_logs(store, remaining, workers=4)
            break
        except CorrelateError as error:
            loaded = set(store.previous_loads([obj.uri for obj in remaining]))
            rest = [obj for obj in remaining if obj.uri not in loaded and obj.name != TEST_FILE_NAME]
            if not rest:
                raise
            unreadable.append((rest[0].uri, str(error)))
            remaining = rest[1:]
    return unreadable


def _reject_objects(db: Database, unreadable: list[tuple[str, str]]) -> None:
    db.con.executemany(
        "insert into rejects (source_file, source_line, kind, reason, raw) values (?, null, 'unknown', ?, '')",
        [[uri, reason] for uri, reason in unreadable],
    )


def _drain(db: Database, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Every table's rows as batches of the output schema; the tables are emptied for the next group."""
    for index, name in enumerate(schema.names):
        struct = schema.field(name).type
        reader = db.con.sql(f"select * from {name}").to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            if not batch.num_rows:
                continue
            filled = pa.StructArray.from_arrays(
                [batch.column(i).cast(struct.field(i).type) for i in range(batch.num_columns)], fields=list(struct)
            )
            columns = [
                filled if i == index else pa.nulls(batch.num_rows, schema.field(i).type) for i in range(len(schema))
            ]
            yield pa.RecordBatch.from_arrays(columns, schema=schema)
        db.con.execute(f"delete from {name}")


def _tasks(objects: Sequence[InputObject], slots: int) -> list[list[dict]]:
    """Objects dealt to tasks of about TASK_BYTES each (at least `slots` tasks when there are enough
    objects), largest first onto the lightest task."""
    total = sum(obj.size for obj in objects)
    count = max(1, min(len(objects), max(slots, math.ceil(total / TASK_BYTES))))
    tasks: list[list[dict]] = [[] for _ in range(count)]
    loads = [0] * count
    for obj in sorted(objects, key=lambda o: (-o.size, o.uri)):
        lightest = loads.index(min(loads))
        tasks[lightest].append({"uri": obj.uri, "size": obj.size, "fingerprint": obj.fingerprint})
        loads[lightest] += obj.size
    return [sorted(task, key=lambda row: row["uri"]) for task in tasks if task]


@dataclass
class SparkIngestSummary:
    lake: str
    logs: IngestSummary = field(default_factory=IngestSummary)
    unreadable: int = 0
    written: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        text = self.logs.line()
        if self.unreadable:
            text += f"; {self.unreadable:,} objects could not be read (rejects without a line number)"
        return f"{text}; written to {self.lake}"


def spark_ingest(
    spark: SparkSession, sources: Sequence[str], lake_root: str, aws: AwsClients | None = None
) -> SparkIngestSummary:
    """List the sources, parse them on Spark, and write the log tables into the lake."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    from correlate.spark.lake import write_table

    objects = list(log_objects(sources, RowFilter(), aws))
    summary = SparkIngestSummary(lake_root)
    summary.logs.files = len(objects)
    summary.logs.test_files = sum(obj.name == TEST_FILE_NAME for obj in objects)
    tasks = _tasks(objects, spark.sparkContext.defaultParallelism)
    described = spark.sparkContext.parallelize(tasks, len(tasks)).flatMap(lambda task: task)
    listing = spark.createDataFrame(described, OBJECT_SCHEMA)
    # parsed once, kept on the executors' disks (not their heaps) while each table is written from it
    parsed = listing.mapInArrow(parse_objects, from_arrow_schema(output_schema())).persist(StorageLevel.DISK_ONLY)
    try:
        counts = parsed.select(*[F.count(name).alias(name) for name in OUTPUTS]).first()
        for row in parsed.where(F.col(LEDGER).isNotNull()).select(f"{LEDGER}.*").collect():
            summary.logs.add(LedgerEntry(**{name: row[name] for name in LedgerEntry.__dataclass_fields__}))
        summary.unreadable = counts["rejects"] - summary.logs.rejected
        uris = [obj.uri for obj in objects]
        for name in LOG_TABLES:
            summary.written[name] = counts[name]
            if counts[name]:
                rows = parsed.where(F.col(name).isNotNull()).select(f"{name}.*")
                write_table(spark, lake_root, BY_NAME[name], rows, uris)
    finally:
        parsed.unpersist()
    return summary
