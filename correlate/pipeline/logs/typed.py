"""One log object's bytes → its typed rows and its rejects, without a database file.

The entry point for code that parses logs outside correlate's database, such as a Spark executor:
the same framing, tokenizing and SQL typing as `ingest logs` (the SQL runs on a private in-memory
DuckDB connection), for one object held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import pyarrow as pa

from correlate.parse.framing import Chunk, Reject, frame, repair_utf8
from correlate.parse.kinds import UNKNOWN_KIND, facts_from_name
from correlate.pipeline.logs.checkers import check_work
from correlate.pipeline.logs.readers import sniff
from correlate.store.logs import ChunkChecker, RowFilter, filter_variables


@dataclass(frozen=True, slots=True)
class TypedObject:
    """What one object holds: `rows` has the columns of `table` (requests, tls_connections,
    connections or health_checks; None for a file of unknown kind), `rejects` the columns of the
    rejects table without `kind`. `lines = rows + rejected + filtered`."""

    kind: str  # ingested_files.kind
    table: str | None
    rows: pa.Table
    rejects: pa.Table  # source_file, source_line, reason, raw; in line order
    lines: int
    rejected: int
    filtered: int  # lines outside `row_filter`
    invalid_utf8_lines: int


def parse_log_object(source_file: str, name: str, stream: BinaryIO, row_filter: RowFilter | None = None) -> TypedObject:
    """Frame, tokenize and type every line of one decompressed object. `name` is the object's file
    name (its AWS name gives the kind and load balancer; otherwise its first lines do);
    `source_file` labels its rows and rejects."""
    facts = facts_from_name(name)
    kind = facts.kind if facts else None
    pieces: list[Chunk | Reject] = []
    for piece in frame(stream):
        if kind is None and isinstance(piece, Chunk):
            piece = repair_utf8(piece)
            kind = sniff(piece)
        pieces.append(piece)
    variables = filter_variables(row_filter or RowFilter())
    lb_hint = (facts.lb, facts.lb_id) if facts else None
    checker = ChunkChecker()
    try:
        checked = check_work(kind, [(source_file, lb_hint, pieces)], variables)(checker)
        tokens = checked.chunk.tokens
        rows = checker.typed(kind, tokens, variables) if kind is not None and tokens.num_columns else pa.table({})
    finally:
        checker.close()
    return TypedObject(
        kind=kind.name if kind else UNKNOWN_KIND,
        table=kind.table if kind else None,
        rows=rows,
        rejects=checked.chunk.rejects.sort_by("source_line"),
        lines=checked.lines.get(source_file, 0),
        rejected=checked.chunk.rejected.get(source_file, 0),
        filtered=checked.chunk.filtered.get(source_file, 0),
        invalid_utf8_lines=checked.replaced.get(source_file, 0),
    )
