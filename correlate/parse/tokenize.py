"""Chunks of lines → Arrow tables of text tokens, one column per declared field.

The fast path hands a chunk to pyarrow's C++ CSV tokenizer (space-delimited, quote-aware), which is
several times faster than DuckDB's own CSV reader on ELB logs (see bench/ingest.py). Lines whose
token count differs from the chunk's first line come back to `split_fields`, a Python tokenizer with
the same rules; a chunk whose line accounting does not add up (a stray carriage return, a quote
that never closes) or that pyarrow refuses is tokenized entirely in Python. Invalid UTF-8 is
replaced with U+FFFD first (`repair_utf8`), so it costs bytes, not lines. Typing and validation
happen later, in SQL.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from correlate.parse.framing import Chunk, Reject, repair_utf8
from correlate.parse.kinds import LogKind

TOKEN = "tok_"  # column of field F is tok_F, so SQL can name the typed value F
EXTRA = "extra_fields"
LINE = "source_line"
RAW = "raw"
_EXTRA_TYPE = pa.list_(pa.string())


@dataclass(frozen=True, slots=True)
class Tokens:
    """A chunk as a table (source_line, raw, tok_<field> for each field, extra_fields) plus the lines
    that could not be split into fields."""

    table: pa.Table
    rejects: list[Reject]
    replaced_lines: int = 0  # lines loaded with invalid UTF-8 replaced by U+FFFD


def split_fields(line: str, quote: str | None, escape: str | None) -> list[str] | None:
    """Split one line the way pyarrow's tokenizer does; None when a quote never closes."""
    fields: list[str] = []
    i, n = 0, len(line)
    while True:
        if quote is not None and i < n and line[i] == quote:
            parts = []
            i += 1
            while True:
                end = line.find(quote, i)
                if end == -1:
                    return None
                if escape is not None:
                    escaped = line.find(escape, i, end)
                    if escaped != -1 and escaped + 1 < n:
                        parts.append(line[i:escaped])
                        parts.append(line[escaped + 1])
                        i = escaped + 2
                        continue
                parts.append(line[i:end])
                i = end + 1
                break
            stop = line.find(" ", i)
            stop = n if stop == -1 else stop
            parts.append(line[i:stop])
            fields.append("".join(parts))
            i = stop
        else:
            stop = line.find(" ", i)
            stop = n if stop == -1 else stop
            fields.append(line[i:stop])
            i = stop
        if i >= n:
            return fields
        i += 1


def line_reject_reason(line: str, fields: list[str] | None, kind: LogKind) -> str | None:
    """Why a line cannot be a `kind` line before any field is typed, or None if it may be."""
    if not line.strip():
        return "blank line"
    if "\x00" in line:
        return "line contains NUL bytes (binary data, not a log line)"
    if fields is None:
        return "a quoted field never closes"
    if len(fields) < kind.min_fields:
        known = " ".join(kind.fields[: kind.min_fields])
        return f"{len(fields)} fields; {kind.a_line} has at least {kind.min_fields} ({known})"
    return None


def tokenize(chunk: Chunk, kind: LogKind) -> Tokens:
    """Tokenize every line of `chunk`; each line is a row of the table or one reject.

    A problem of the tokenizer never costs more than the lines it concerns: invalid UTF-8 is
    replaced first (pyarrow decodes the lines it cannot split inside a Python callback, where a bad
    byte would fail the whole chunk), and a chunk pyarrow still refuses for any reason is tokenized
    line by line in Python."""
    chunk = repair_utf8(chunk)
    data = chunk.data
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return _tokenize_python(chunk, kind, range(chunk.line_count))
    fast = _tokenize_fast_or_none(chunk, kind)
    if fast is None:
        return _tokenize_python(chunk, kind, range(chunk.line_count))
    table, slow_indices = fast
    table = _unescape(table, _escaped_rows(chunk, table, kind))
    if not slow_indices:
        return Tokens(table, [], chunk.replaced_lines)
    slow = _tokenize_python(chunk, kind, slow_indices)
    return Tokens(pa.concat_tables([table, slow.table]), slow.rejects, slow.replaced_lines)


def _tokenize_fast_or_none(chunk: Chunk, kind: LogKind) -> tuple[pa.Table, list[int]] | None:
    """The fast path's result, or None when it fails in any way: the Python tokenizer applies the
    same rules, so a failure here costs speed, never lines."""
    try:
        return _tokenize_fast(chunk, kind)
    except Exception:  # any failure: the line-by-line tokenizer takes the chunk (see tokenize)
        return None


def _tokenize_fast(chunk: Chunk, kind: LogKind) -> tuple[pa.Table, list[int]] | None:
    first = split_fields(chunk.line(0), kind.quote, kind.escape)
    width = len(first) if first is not None and len(first) >= kind.min_fields else len(kind.fields)
    names = [f"c{i}" for i in range(width)]
    invalid: list[int] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        invalid.append(row.number - 1)
        return "skip"

    parsed = pcsv.read_csv(
        io.BytesIO(chunk.data),
        # Small blocks tokenize about 3x faster than one large block (measured on 32 MiB chunks).
        read_options=pcsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 20),
        parse_options=pcsv.ParseOptions(
            delimiter=" ",
            quote_char=kind.quote or False,
            double_quote=False,
            escape_char=kind.escape or False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if parsed.num_rows + len(invalid) != chunk.line_count:
        return None  # a quote swallowed a line ending: let the line-by-line path sort it out
    indices = np.arange(chunk.line_count)
    if invalid:
        indices = np.delete(indices, invalid)
    columns = {LINE: pa.array(indices + chunk.first_line, pa.int64()), RAW: _raw_lines(chunk, indices)}
    count = parsed.num_rows
    known = len(kind.fields)
    for position, field in enumerate(kind.fields):
        columns[TOKEN + field] = (
            parsed.column(position).combine_chunks() if position < width else pa.nulls(count, pa.string())
        )
    extra_columns = [parsed.column(i).combine_chunks() for i in range(known, width)]
    columns[EXTRA] = _interleave(extra_columns, count)
    return pa.table(columns), invalid


def _tokenize_python(chunk: Chunk, kind: LogKind, indices) -> Tokens:
    known = len(kind.fields)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    raws: list[str] = []
    extras: list[list[str | None]] = []
    rejects: list[Reject] = []
    for index in indices:
        line = chunk.line(index)
        fields = split_fields(line, kind.quote, kind.escape)
        reason = line_reject_reason(line, fields, kind)
        if reason is not None:
            rejects.append(Reject(chunk.first_line + index, reason, line))
            continue
        assert fields is not None
        rows.append(fields[:known] + [None] * (known - len(fields)))
        extras.append([None if token == "-" else token for token in fields[known:]])
        lines.append(chunk.first_line + index)
        raws.append(line)
    columns: dict[str, pa.Array] = {LINE: pa.array(lines, pa.int64()), RAW: pa.array(raws, pa.large_string())}
    for position, field in enumerate(kind.fields):
        columns[TOKEN + field] = pa.array([row[position] for row in rows], pa.string())
    columns[EXTRA] = pa.array(extras, _EXTRA_TYPE)
    table = pa.table(columns)
    if kind.hex_escapes:
        table = _unescape(table, np.flatnonzero([raw is not None and "\\x" in raw for raw in raws]))
    return Tokens(table, rejects, chunk.replaced_lines)


def _raw_lines(chunk: Chunk, indices: np.ndarray) -> pa.Array:
    """Every line of the chunk as text (newline included), without copying, then the kept rows."""
    lines = pa.LargeStringArray.from_buffers(chunk.line_count, pa.py_buffer(chunk.offsets), pa.py_buffer(chunk.data))
    return lines if len(indices) == chunk.line_count else lines.take(pa.array(indices))


def _interleave(columns: list[pa.Array], count: int) -> pa.Array:
    """Columns of trailing tokens → one list per row, '-' as NULL."""
    if not columns:
        return pa.ListArray.from_arrays(pa.array(np.zeros(count + 1, np.int32)), pa.array([], pa.string()))
    width = len(columns)
    stacked = pa.concat_arrays(columns)
    order = (np.arange(count)[:, None] + np.arange(width)[None, :] * count).ravel()
    values = stacked.take(pa.array(order))
    values = pc.if_else(pc.equal(values, "-"), pa.scalar(None, pa.string()), values)
    offsets = pa.array(np.arange(0, count * width + 1, width, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, values)


_HEX_RUN = re.compile(r"(?:\\x[0-9A-Fa-f]{2})+")


def decode_hex_escapes(text: str) -> str:
    """ALB writes awkward bytes as \\xHH (`\\x22` for a quote, UTF-8 sequences byte by byte)."""
    return _HEX_RUN.sub(
        lambda run: bytes.fromhex(run.group(0).replace("\\x", "")).decode("utf-8", errors="replace"), text
    )


def _escaped_rows(chunk: Chunk, table: pa.Table, kind: LogKind) -> np.ndarray:
    """Rows of `table` (in line order) whose line holds a \\x escape, found with bytes.find."""
    if not kind.hex_escapes:
        return np.empty(0, np.int64)
    positions = []
    data = chunk.data
    at = data.find(b"\\")  # one byte: a memchr scan, much faster than searching for two
    while at != -1:
        if data[at + 1 : at + 2] == b"x":
            positions.append(at)
        at = data.find(b"\\", at + 1)
    if not positions:
        return np.empty(0, np.int64)
    lines = np.searchsorted(chunk.offsets, positions, side="right") - 1 + chunk.first_line
    return np.flatnonzero(np.isin(table.column(LINE).to_numpy(), lines))


def _unescape(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """Decode \\xHH in the given rows: ALB writes quotes, backslashes and non-ASCII bytes that way."""
    if len(rows) == 0:
        return table
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    names = [name for name in table.column_names if name not in (LINE, RAW, EXTRA)]
    for field in names:
        values = table.column(field).take(pa.array(rows)).to_pylist()
        if not any(value and "\\x" in value for value in values):
            continue
        decoded = [decode_hex_escapes(value) if value else value for value in values]
        fixed = pc.replace_with_mask(
            table.column(field).combine_chunks(), pa.array(mask), pa.array(decoded, pa.string())
        )
        table = table.set_column(table.schema.get_field_index(field), field, fixed)
    return table
