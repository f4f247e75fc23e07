"""Whatever the bytes, nothing is lost: mutated log files load every line as a row or a reject.

Valid lines of each log kind are mutated (bytes flipped, invalid UTF-8 inserted, lines cut at any
byte, quotes unbalanced, NUL, lone CR, tabs, a 1 MB field, empty lines) and mixed with unmutated
lines in one file, framed into chunks of a few lines or one large chunk, plain or gzipped. For each
file the load must finish without an exception (one would be a traceback from the CLI), account for
every line exactly once, keep each reject's own line number and text, and load every unmutated line
with the values it has in a file without mutants.

The default profile runs a few dozen examples (seconds); `--hypothesis-profile=long` runs thousands
(see docs/ingest.md).
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from unittest import mock

import pytest
from conftest import FIXTURES, invoke, load, records
from hypothesis import given
from hypothesis import strategies as st

from correlate.parse import framing
from correlate.parse.kinds import ALB, CLB, CONNECTION, HEALTH_CHECK, NLB
from correlate.store.database import Database

# AWS object names, so the kind never depends on which lines were mutated
NAMES = {
    ALB.name: "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_"
    "20181130T2225Z_10.0.0.5_abcd1234.log",
    CLB.name: "123456789012_elasticloadbalancing_us-east-2_my-loadbalancer_20140215T2340Z_172.160.1.192_20sg8hgm.log",
    NLB.name: "123456789012_elasticloadbalancing_us-east-2_net.my-network-loadbalancer.c6e77e28c25b2234_"
    "20200501T0000Z_20sg8hgm.log",
    CONNECTION.name: "conn_log_123456789012_elasticloadbalancing_us-east-2_app.web-prod.50dc6c495c0c9188_"
    "20260201T0905Z_10.0.0.5_abcd1234.log",
    HEALTH_CHECK.name: "health_check_log_123456789012_elasticloadbalancing_us-east-2_app.web-prod.50dc6c495c0c9188_"
    "20260201T0905Z_10.0.0.5_abcd1234.log",
}
KINDS = {kind.name: kind for kind in (ALB, CLB, NLB, CONNECTION, HEALTH_CHECK)}
INVALID_UTF8 = (b"\xff", b"\xfe\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80")
BIG_FIELD = b"x" * 1_000_000  # with its line, still below framing's 1 MiB line limit
KEY_COLUMNS = ("source_file", "source_line")


@cache
def valid_lines(kind_name: str) -> tuple[bytes, ...]:
    """The fixture lines of a kind that load as rows (without their line endings)."""
    lines = []
    for path in sorted((FIXTURES / kind_name).glob("*.log")):
        lines += [line for line in path.read_bytes().split(b"\n") if line.strip()]
    with tempfile.TemporaryDirectory() as folder, Database.open(":memory:") as db:
        path = Path(folder) / NAMES[kind_name]
        path.write_bytes(b"\n".join(lines) + b"\n")
        load(db, path)
        loaded = {row["source_line"] for row in records(db, f"select source_line from {KINDS[kind_name].table}")}
    return tuple(line for number, line in enumerate(lines, 1) if number in loaded)


@cache
def baseline(kind_name: str) -> tuple[dict, ...]:
    """Each valid line's row, loaded from a file holding only valid lines."""
    lines = valid_lines(kind_name)
    with tempfile.TemporaryDirectory() as folder, Database.open(":memory:") as db:
        path = Path(folder) / NAMES[kind_name]
        path.write_bytes(b"\n".join(lines) + b"\n")
        load(db, path)
        rows = records(db, f"select * from {KINDS[kind_name].table} order by source_line")
    assert len(rows) == len(lines)
    return tuple({k: v for k, v in row.items() if k not in KEY_COLUMNS} for row in rows)


@st.composite
def mutant(draw, kind_name: str) -> bytes:
    """One valid line, changed by one to four mutations (a byte flip may add line breaks)."""
    line = draw(st.sampled_from(valid_lines(kind_name)))
    if draw(st.integers(0, 15)) == 0:
        return b""  # an empty line
    big_used = False
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(line)))
        operation = draw(
            st.sampled_from(("flip", "invalid", "truncate", "quote", "unquote", "nul", "cr", "tab", "big", "junk"))
        )
        if operation == "flip" and line:
            at = min(at, len(line) - 1)
            line = line[:at] + bytes([draw(st.integers(0, 255))]) + line[at + 1 :]
        elif operation == "invalid":
            line = line[:at] + draw(st.sampled_from(INVALID_UTF8)) + line[at:]
        elif operation == "truncate":
            line = line[:at]
        elif operation == "quote":
            line = line[:at] + b'"' + line[at:]
        elif operation == "unquote" and b'"' in line:
            quote = line.index(b'"', min(at, line.rindex(b'"')))
            line = line[:quote] + line[quote + 1 :]
        elif operation == "nul":
            line = line[:at] + b"\x00" + line[at:]
        elif operation == "cr":
            line = line[:at] + b"\r" + line[at:]
        elif operation == "tab":
            space = line.find(b" ", at)
            line = line[:space] + b"\t" + line[space + 1 :] if space != -1 else line + b"\t"
        elif operation == "big" and not big_used:
            big_used = True
            line = line[:at] + BIG_FIELD + line[at:]
        elif operation == "junk":
            line = line[:at] + draw(st.binary(max_size=12)) + line[at:]
    return line


@st.composite
def mutated_file(draw) -> tuple[str, list[int | bytes], int, bool]:
    """(kind, the file's items: an index of a valid line or a mutant's bytes, chunk size, gzip)."""
    kind_name = draw(st.sampled_from(sorted(KINDS)))
    count = len(valid_lines(kind_name))
    items = draw(st.lists(st.one_of(st.integers(0, count - 1), mutant(kind_name)), max_size=24))
    items.insert(draw(st.integers(0, len(items))), draw(mutant(kind_name)))  # at least one mutant
    chunk_bytes = draw(st.sampled_from((200, 1500, framing.CHUNK_BYTES)))
    return kind_name, items, chunk_bytes, draw(st.booleans())


@pytest.fixture(scope="module")
def shared_db() -> Iterator[Database]:
    """One database for every example (opening one costs more than loading a file into it); each
    example's file has its own path, so its rows, rejects and ledger row are told apart."""
    with Database.open(":memory:") as db:
        yield db


@given(mutated_file())
def test_every_line_of_a_mutated_file_is_a_row_or_a_reject(shared_db, tmp_path_factory, case):
    kind_name, items, chunk_bytes, compressed = case
    kind = KINDS[kind_name]
    lines = valid_lines(kind_name)
    text = b"".join((lines[item] if isinstance(item, int) else item) + b"\n" for item in items)
    physical = text.split(b"\n")[:-1]  # the lines as framing counts them
    unmutated: dict[int, int] = {}  # line number -> valid line index
    number = 1
    for item in items:
        if isinstance(item, int):
            unmutated[number] = item
        number += 1 if isinstance(item, int) else item.count(b"\n") + 1
    path = tmp_path_factory.mktemp("mutated") / (NAMES[kind_name] + (".gz" if compressed else ""))
    path.write_bytes(gzip.compress(text, compresslevel=1) if compressed else text)
    unraisable: list[str] = []  # exceptions Python could only print (say, raised in pyarrow's callbacks)

    with (
        mock.patch.object(framing, "CHUNK_BYTES", chunk_bytes),
        mock.patch.object(sys, "unraisablehook", lambda hooked: unraisable.append(repr(hooked.exc_value))),
    ):
        summary = load(shared_db, path)  # raises on any failure: the CLI would print a traceback

    assert unraisable == []
    where = [str(path)]
    rows = records(shared_db, f"select * from {kind.table} where source_file = ? order by source_line", where)
    rejects = records(shared_db, "select source_line, raw from rejects where source_file = ? order by 1", where)
    row_lines = [row["source_line"] for row in rows]
    reject_lines = [reject["source_line"] for reject in rejects]
    assert sorted(row_lines + reject_lines) == list(range(1, len(physical) + 1))
    assert (summary.lines, summary.rows, summary.rejected) == (len(physical), len(rows), len(rejects))
    for reject in rejects:
        assert reject["raw"] == physical[reject["source_line"] - 1].decode("utf-8", errors="replace").rstrip("\r\n")
    loaded = {row["source_line"]: {k: v for k, v in row.items() if k not in KEY_COLUMNS} for row in rows}
    expected = baseline(kind_name)
    for line_number, index in unmutated.items():
        assert loaded.get(line_number) == expected[index], f"line {line_number} (valid line {index})"
    for table in (kind.table, "rejects", "ingested_files"):  # a long run would fill memory otherwise
        shared_db.con.execute(f"delete from {table} where source_file = ?", where)


def test_a_line_of_junk_in_a_gzipped_alb_file_costs_only_that_line(runner, tmp_path):
    """The crash the property test was written for: a line both invalid UTF-8 and short made
    pyarrow fail the whole chunk (it decodes odd rows inside a callback), and the load died."""
    lines = valid_lines(ALB.name)
    path = tmp_path / (NAMES[ALB.name] + ".gz")
    path.write_bytes(gzip.compress(b"\n".join([*lines[:3], b"\xff\xfe junk \xc3 x y", *lines[3:6]]) + b"\n"))
    result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", "logs", path)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.splitlines()[-1] == (
        "1 files: 1 loaded, 0 skipped; 6 rows, 1 rejected; 1 lines had invalid UTF-8 (replaced with U+FFFD)"
    )
    with Database.open(str(tmp_path / "c.duckdb"), read_only=True) as db:
        assert records(db, "select source_line, raw from rejects") == [
            {"source_line": 4, "raw": "\ufffd\ufffd junk \ufffd x y"}
        ]
        assert records(db, "select source_line from requests order by 1") == [
            {"source_line": line} for line in (1, 2, 3, 5, 6, 7)
        ]
