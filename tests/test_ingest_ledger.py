"""Idempotent, atomic, one writer: the ledger and the transaction around each object."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
from conftest import FIXTURES, load, records

from correlate.store.database import Database
from correlate.store.logs import RowFilter

ALB = FIXTURES / "alb"


def test_rerun_loads_nothing_twice(db):
    first = load(db, ALB)
    second = load(db, ALB)
    assert (first.loaded, first.rows) == (6, 26)
    assert (second.loaded, second.already_loaded, second.rows) == (0, 6, 0)
    assert records(db, "select count(*) as n from requests") == [{"n": 26}]
    assert second.line() == "6 files: 0 loaded, 6 skipped (6 already loaded); 0 rows, 0 rejected"


def test_changed_file_is_reloaded_replacing_its_rows(db, tmp_path):
    path = tmp_path / "a.log"
    lines = (ALB / "doc_examples.log").read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:3]) + b"bad line\n")
    load(db, path)
    path.write_bytes(b"".join(lines[3:5]))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    summary = load(db, path)
    assert (summary.loaded, summary.rows) == (1, 2)
    assert records(db, "select type, source_line from requests order by source_line") == [
        {"type": "ws", "source_line": 1},
        {"type": "wss", "source_line": 2},
    ]
    assert records(db, "select count(*) as n from rejects") == [{"n": 0}]
    assert records(db, "select rows, lines from ingested_files") == [{"rows": 2, "lines": 2}]


def test_a_different_filter_reloads_the_file(db):
    path = ALB / "field_counts.log"
    narrow = load(db, path, row_filter=RowFilter(since=__import__("datetime").datetime(2024, 1, 1)))
    assert (narrow.rows, narrow.filtered) == (4, 6)
    wide = load(db, path)
    assert (wide.loaded, wide.rows) == (1, 10)
    assert records(db, "select count(*) as n from requests") == [{"n": 10}]


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from correlate.store import logs
    original = logs.LogStore.append_rows

    def append_then_die(self, kind, schema, batches, variables, **options):
        def dying():
            for count, batch in enumerate(batches):
                if count == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
                yield batch
        return original(self, kind, schema, dying(), variables, **options)

    logs.LogStore.append_rows = append_then_die
    from correlate.cli import main
    main(sys.argv[1:])
    """
)


def test_kill_9_mid_file_leaves_no_half_file(tmp_path):
    lines = (ALB / "doc_examples.log").read_bytes()
    big = tmp_path / "big.log"
    big.write_bytes(lines * 30000)  # 210,000 lines: several record batches
    small = ALB / "escapes.log"
    db_path = tmp_path / "k.duckdb"
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, "--db", str(db_path), "-q", "ingest", "logs", str(small), str(big)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL
    with Database.open(str(db_path)) as database:
        assert records(database, "select source_file, count(*) as n from requests group by 1") == [
            {"source_file": str(small), "n": 2}
        ]
        assert records(database, "select source_file from ingested_files") == [{"source_file": str(small)}]
        summary = load(database, small, big)
        assert (summary.already_loaded, summary.loaded, summary.rows) == (1, 1, 210000)
        assert records(
            database,
            "select count(*) as n, count(distinct source_line) as lines from requests where source_file = ?",
            [str(big)],
        ) == [{"n": 210000, "lines": 210000}]


def test_second_writer_gets_a_one_line_busy_message(tmp_path):
    db_path = tmp_path / "busy.duckdb"
    holder = duckdb.connect(str(db_path))
    try:
        env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        result = subprocess.run(
            [sys.executable, "-m", "correlate", "--db", str(db_path), "ingest", "logs", str(ALB / "escapes.log")],
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        holder.close()
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: The database {db_path} is busy: process {os.getpid()} (")
    assert result.stderr.endswith(
        ") is writing to it. Wait for it to finish, pass --wait SECONDS, or use another --db.\n"
    )
    assert len(result.stderr.splitlines()) == 1


def test_large_objects_are_checked_by_their_insert_then_rechecked(db, tmp_path, monkeypatch):
    """An object of several chunks goes in unchecked; when its INSERT stores fewer rows than it was
    given, a second read finds the rejects and the rows outside the filter. Same result as the
    checked path small objects take."""
    import datetime as dt

    from correlate.parse import framing

    good = (ALB / "field_counts.log").read_bytes().splitlines(keepends=True)
    lines = []
    for n in range(400):
        lines.append(good[n % len(good)])
        if n % 97 == 5:
            lines.append(b"http 2018-07-02T22:23:00Z app/x/1 1.2.3.4:5 - 0 0 0\n")
        if n % 131 == 7:
            lines.append(good[0].replace(b" 200 200 ", b" 2OO 200 "))
    path = tmp_path / "mixed.log"
    path.write_bytes(b"".join(lines))
    since = RowFilter(since=dt.datetime(2021, 1, 1))

    def ingest(chunk_bytes: int):
        monkeypatch.setattr(framing, "CHUNK_BYTES", chunk_bytes)
        database = Database.open(":memory:")
        summary = load(database, path, row_filter=since)
        found = (
            records(database, "select source_line, reason from rejects order by 1"),
            records(database, "select lines, rows, rejected, filtered from ingested_files"),
            records(database, "select count(*) as n, sum(source_line) as lines from requests"),
        )
        database.close()
        return summary, found

    small_summary, small = ingest(16 << 20)
    large_summary, large = ingest(4096)
    assert large == small
    assert (large_summary.rows, large_summary.rejected, large_summary.filtered) == (
        small_summary.rows,
        small_summary.rejected,
        small_summary.filtered,
    )
    assert large[1] == [{"lines": 408, "rows": 200, "rejected": 8, "filtered": 200}]
