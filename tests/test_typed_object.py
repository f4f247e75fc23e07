"""`parse_log_object`: one object's typed rows and rejects without a database file, the same as
`ingest logs` stores."""

from __future__ import annotations

import io

import pytest
from conftest import FIXTURES, load, records

from correlate.pipeline.logs import parse_log_object
from correlate.store.logs import RowFilter

CONNECTION_NAME = (
    "conn_log_123456789012_elasticloadbalancing_us-east-1_app.web-prod.50dc6c495c0c9188_20231004T1710Z_10.0.0.5_x.log"
)


@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        ("alb/doc_examples.log", "doc_examples.log"),
        ("clb/listeners.log", "listeners.log"),
        ("nlb/doc_examples.log", "doc_examples.log"),
        ("connection/mtls_and_plain.log", CONNECTION_NAME),
        ("health_check/pass_fail.log", "pass_fail.log"),
    ],
)
def test_rows_and_rejects_are_those_ingest_stores(db, tmp_path, fixture, name):
    data = (FIXTURES / fixture).read_bytes() + b"a line of junk\n\n"
    path = tmp_path / name
    path.write_bytes(data)
    load(db, path)
    typed = parse_log_object(str(path), name, io.BytesIO(data))
    stored = records(db, f"select * from {typed.table} order by source_line")
    assert typed.rows.to_pylist() == stored
    assert typed.rejects.to_pylist() == records(
        db, "select source_file, source_line, reason, raw from rejects order by source_line"
    )
    (ledger,) = records(db, "select kind, lines, rejected, filtered, invalid_utf8_lines from ingested_files")
    assert ledger == {
        "kind": typed.kind,
        "lines": typed.lines,
        "rejected": typed.rejected,
        "filtered": typed.filtered,
        "invalid_utf8_lines": typed.invalid_utf8_lines,
    }
    assert (typed.lines, typed.rejected) == (len(stored) + 2, 2)


def test_a_row_filter_leaves_rows_out_and_counts_them():
    data = (FIXTURES / "alb" / "doc_examples.log").read_bytes()
    typed = parse_log_object("x", "x.log", io.BytesIO(data), RowFilter(lb="nobody"))
    assert (typed.kind, typed.rows.num_rows, typed.filtered, typed.lines) == ("alb", 0, 7, 7)


def test_a_file_of_no_known_kind_is_all_rejects():
    typed = parse_log_object("x", "x.log", io.BytesIO(b"hello\nworld\n"))
    assert (typed.kind, typed.table, typed.rows.num_rows, typed.lines, typed.rejected) == ("unknown", None, 0, 2, 2)
    assert typed.rejects.column("source_line").to_pylist() == [1, 2]
