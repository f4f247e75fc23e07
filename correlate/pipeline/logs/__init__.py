"""`correlate ingest logs`: sources → framing → tokens → typed rows → DuckDB.

Three kinds of threads overlap:

1. readers (`readers.py`; `workers` of them, default 8: a download mostly waits) open objects ahead
   of the writer, decompress them and frame them into chunks of lines (`ObjectReader`). An object that
   fits in one chunk is read whole; a larger one reads its first two chunks and waits for its turn,
   so memory stays bounded however many objects are ahead;
2. checkers (`checkers.py`; two: the work is CPU-bound) tokenize (pyarrow) and check (DuckDB, in
   memory) the lines, to find the rejects and the rows outside `--since/--until/--lb`;
3. the calling thread (`load.py`) lists the sources, skips objects already loaded, ruled out by
   their names or of the other command's kind, and writes one *run* per transaction (`runs.py`,
   `write_run`): a large object streamed chunk by
   chunk, or a run of small objects of one kind (up to `RUN_BYTES` of text or `RUN_OBJECTS`
   objects) whose chunks are checked several at a time. Either way the rows go in by one INSERT.

Runs matter at S3 scale: planning the typing SQL and committing cost tens of milliseconds each,
which is most of the work for an object of a few thousand lines, and ELB writes thousands of such
objects a day per load balancer. Measured on 500 objects of 2,000 ALB lines: 135 s one transaction
per object, 24 s in runs (1 M lines in one file: 9 s). A run's rows, rejects and ledger rows commit
together; a failure to list or read an object ends the run before it, commits it, and is raised.
`progress.py` holds the summary and the progress reports.

`load_logs` is the whole command as one call (options in, summary out); `ingest_logs` loads given
objects into a `LogStore`. Parsing one object's bytes into typed rows and rejects without a database
file (for a Spark executor, say): `parse_log_object` (`typed.py`).
"""

from __future__ import annotations

from correlate.pipeline.logs.load import DEFAULT_WORKERS, LOG_SUFFIXES, LogsOptions, ingest_logs, load_logs, log_objects
from correlate.pipeline.logs.progress import IngestSummary, Progress
from correlate.pipeline.logs.typed import TypedObject, parse_log_object

__all__ = [
    "DEFAULT_WORKERS",
    "LOG_SUFFIXES",
    "IngestSummary",
    "LogsOptions",
    "Progress",
    "TypedObject",
    "ingest_logs",
    "load_logs",
    "log_objects",
    "parse_log_object",
]
