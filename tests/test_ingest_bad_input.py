"""Bad input: every line ends as a row or a reject, and nothing raises a traceback."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import FIXTURES, invoke, load, records

ALB_LINES = (FIXTURES / "alb" / "doc_examples.log").read_bytes().splitlines(keepends=True)
ALB_NAME = (
    "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20181130T2225Z_10.0.0.5_abcd1234"
)


def rejects(db) -> list[dict]:
    return records(db, "select source_line, kind, reason, raw from rejects order by source_line")


def test_truncated_gzip_keeps_the_lines_before_the_break(db, tmp_path):
    whole = gzip.compress(b"".join(ALB_LINES * 400), compresslevel=1)
    path = tmp_path / f"{ALB_NAME}.log.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    summary = load(db, path)
    (reject,) = rejects(db)
    assert reject["kind"] == "alb"
    assert reject["reason"].startswith(f"{path}: gzip data ends early (truncated file?)")
    assert summary.rows == reject["source_line"] - 1 > 1000
    assert summary.rejected == 1
    assert records(db, "select max(source_line) as last from requests") == [{"last": summary.rows}]


def test_gz_that_is_not_gzip_is_one_reject(db, tmp_path):
    path = tmp_path / f"{ALB_NAME}.log.gz"
    path.write_bytes(b"".join(ALB_LINES))
    summary = load(db, path)
    assert (summary.rows, summary.rejected) == (0, 1)
    assert rejects(db) == [
        {"source_line": 1, "kind": "alb", "reason": f"{path}: named .gz but is not gzip data", "raw": ""}
    ]


def test_binary_junk_is_rejected_line_by_line(db, tmp_path):
    path = tmp_path / "junk.log"
    junk = bytes(range(256)).replace(b"\n", b"")
    path.write_bytes(junk * 3 + b"\n" + junk[::-1] + b"\n" + junk[100:] + b"\n")
    summary = load(db, path)
    assert (summary.rows, summary.rejected, summary.lines) == (0, 3, 3)
    assert [r["kind"] for r in rejects(db)] == ["unknown"] * 3
    assert all(r["reason"].startswith("not an ELB log line") for r in rejects(db))


def test_invalid_utf8_in_user_agent_loads_with_replacement(db, tmp_path):
    line = ALB_LINES[0].replace(b"curl/7.46.0", b"curl/\xff\xfe-bad")
    path = tmp_path / "utf8.log"
    path.write_bytes(line + ALB_LINES[1])
    summary = load(db, path)
    assert (summary.rows, summary.rejected, summary.invalid_utf8_lines) == (2, 0, 1)
    assert records(db, "select user_agent from requests order by source_line") == [
        {"user_agent": "curl/\ufffd\ufffd-bad"},
        {"user_agent": "curl/7.46.0"},
    ]
    assert "1 lines had invalid UTF-8 (replaced with U+FFFD)" in summary.line()


def test_nul_bytes_are_rejected(db, tmp_path):
    path = tmp_path / "nul.log"
    path.write_bytes(ALB_LINES[0] + b"\x00" * 40 + b"\n" + ALB_LINES[1].replace(b"curl", b"cu\x00rl"))
    load(db, path)
    assert [(r["source_line"], r["reason"]) for r in rejects(db)] == [
        (2, "line contains NUL bytes (binary data, not a log line)"),
        (3, "line contains NUL bytes (binary data, not a log line)"),
    ]
    assert records(db, "select source_line from requests") == [{"source_line": 1}]


def test_five_megabyte_line_without_newline(db, tmp_path):
    path = tmp_path / "long.log"
    path.write_bytes(ALB_LINES[0] + b"x" * (5 << 20))
    summary = load(db, path)
    (reject,) = rejects(db)
    assert (summary.rows, summary.rejected, reject["source_line"]) == (1, 1, 2)
    assert reject["reason"] == (
        "line is 5,242,880 bytes long, far beyond any ELB log line (user agents are cut "
        "at 8 KB); raw keeps its first 64 KiB"
    )
    assert reject["raw"] == "x" * (64 << 10)


def test_empty_file_loads_nothing_without_error(db, tmp_path):
    path = tmp_path / f"{ALB_NAME}.log"
    path.write_bytes(b"")
    summary = load(db, path)
    assert (summary.loaded, summary.rows, summary.rejected) == (1, 0, 0)
    assert records(db, "select kind, lines, rows from ingested_files") == [{"kind": "alb", "lines": 0, "rows": 0}]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"\n", "blank line"),
        (
            b"http 2018-07-02T22:23:00Z app/x/1 1.2.3.4:5 - 0 0 0\n",
            "8 fields; an ALB log line has at least 18 (type time elb client target request_processing_time "
            "target_processing_time response_processing_time elb_status_code target_status_code received_bytes "
            "sent_bytes request user_agent ssl_cipher ssl_protocol target_group_arn trace_id)",
        ),
        (ALB_LINES[0].replace(b" 200 200 ", b" 2OO 200 "), "elb_status_code: 2OO is not a status code"),
        (ALB_LINES[0].replace(b"2018-07-02T22:23:00.186641Z", b"yesterday"), "time: yesterday is not an ISO 8601 time"),
        (
            ALB_LINES[0].replace(b"192.168.131.39:2817", b"192.168.131.39"),
            "client:port: 192.168.131.39 is not an address with a port",
        ),
        (
            ALB_LINES[0].replace(b'"curl/7.46.0"', b'"curl/7.46.0'),
            "request_creation_time: 10.0.0.1:80 is not an ISO 8601 time",
        ),
        (ALB_LINES[0].rstrip(b'"\n') + b"\n", "a quoted field never closes"),
    ],
)
def test_broken_lines_are_rejected_with_their_reason(db, tmp_path, text, reason):
    path = tmp_path / f"{ALB_NAME}.log"
    path.write_bytes(ALB_LINES[1] + text + ALB_LINES[2])
    summary = load(db, path)
    assert (summary.rows, summary.rejected) == (2, 1)
    assert rejects(db) == [{"source_line": 2, "kind": "alb", "reason": reason, "raw": text.decode().rstrip("\n")}]
    assert records(db, "select source_line from requests order by 1") == [{"source_line": 1}, {"source_line": 3}]


def test_crlf_line_endings_and_a_stray_carriage_return(db, tmp_path):
    path = tmp_path / f"{ALB_NAME}.log"
    path.write_bytes(ALB_LINES[0].replace(b"\n", b"\r\n") + b"junk\rmore junk\n" + ALB_LINES[1])
    summary = load(db, path)
    assert (summary.rows, summary.rejected) == (2, 1)
    assert records(db, "select source_line, user_agent from requests order by 1") == [
        {"source_line": 1, "user_agent": "curl/7.46.0"},
        {"source_line": 3, "user_agent": "curl/7.46.0"},
    ]


def test_missing_path_and_empty_directory_are_clear_errors(runner, tmp_path):
    missing = invoke(runner, "--db", ":memory:", "ingest", "logs", "no/such/dir")
    assert (missing.exit_code, missing.stdout) == (1, "")
    assert missing.stderr == (
        "Error: no/such/dir: no such file or directory. Pass a file, a directory, a glob or an s3:// prefix.\n"
    )
    (tmp_path / "notes.txt").write_text("hello")
    empty = invoke(runner, "--db", ":memory:", "ingest", "logs", str(tmp_path))
    assert (empty.exit_code, empty.stdout) == (1, "")
    assert empty.stderr == (
        f"Error: No log files under {tmp_path} (looked for *.log, *.log.gz). "
        "Pass a directory, a glob or an s3:// prefix.\n"
    )


def test_strict_turns_rejects_into_exit_4(runner, tmp_path):
    path = tmp_path / "some.log"
    path.write_bytes(ALB_LINES[0] + b"\n")
    db_path = tmp_path / "c.duckdb"
    lenient = invoke(runner, "--db", db_path, "ingest", "logs", path)
    assert lenient.exit_code == 0
    assert lenient.stderr.endswith("1 files: 1 loaded, 0 skipped; 1 rows, 1 rejected\n")
    path.write_bytes(ALB_LINES[0] + b"\n\n")
    strict = invoke(runner, "--db", db_path, "ingest", "logs", path, "--strict")
    assert strict.exit_code == 4
    assert strict.stderr.splitlines()[-1] == (
        'Error: 2 lines were rejected and --strict was given. See them with: correlate sql "select * from rejects"'
    )


def test_rejects_keep_the_file_they_came_from(db, tmp_path: Path):
    path = tmp_path / "two.log"
    path.write_bytes(ALB_LINES[0] + b"garbage line\n")
    load(db, path)
    assert records(db, "select source_file, source_line from rejects") == [{"source_file": str(path), "source_line": 2}]
