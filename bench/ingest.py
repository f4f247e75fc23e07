#!/usr/bin/env python3
"""Benchmark `correlate ingest logs` against two baselines measured in the same run.

    python bench/ingest.py                   # 1,000,000 ALB lines
    python bench/ingest.py --lines 200000    # a quicker run
    python bench/ingest.py --memory-check    # also 4x the lines, to compare peak memory

Each contender runs in its own process (so its peak memory is its own) on the same generated file:

  correlate    `correlate ingest logs FILE` into a new database file
  read_csv     DuckDB's own CSV reader, every field as text, into a table (no typing, no checks)
  python       a straightforward Python parser: one regex per line, columns into Arrow, into DuckDB

Ratios are read_csv time / contender time: 1.0 means as fast as DuckDB's raw reader.
The ALB lines come from bench/gen_elb_logs.py (deterministic for a seed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "bench" / "gen_elb_logs.py"

READ_CSV = """
import sys, duckdb
path, db = sys.argv[1], sys.argv[2]
columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(40))
con = duckdb.connect(db)
con.execute(f'''create table raw as select * from read_csv(?, all_varchar=true, delim=' ', quote='"',
    escape='"', header=false, auto_detect=false, null_padding=true, columns={{{columns}}})''', [path])
"""

PYTHON_PARSER = r"""
import re, sys, duckdb, pyarrow as pa
path, db = sys.argv[1], sys.argv[2]
token = re.compile(r'"([^"]*)"|(\S+)')
con = duckdb.connect(db)
con.execute("create table requests (line bigint, fields varchar[])")
names = [f"f{i}" for i in range(30)]
def flush(rows):
    columns = {name: pa.array([row[i] if i < len(row) else None for row in rows], pa.string())
               for i, name in enumerate(names)}
    con.register("batch", pa.table(columns))
    con.execute("create table if not exists parsed as select * from batch where false")
    con.execute("insert into parsed select * from batch")
    con.unregister("batch")
rows = []
with open(path, encoding="utf-8", errors="replace") as lines:
    for line in lines:
        rows.append([quoted if quoted or bare == "" else bare for quoted, bare in token.findall(line)])
        if len(rows) == 100_000:
            flush(rows)
            rows = []
if rows:
    flush(rows)
"""


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{argv[:4]} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def generate(lines: int, out: Path) -> Path:
    path = out / f"alb-{lines}.log"
    if not path.exists():
        if not GENERATOR.exists():
            raise SystemExit(f"The log generator is missing: {GENERATOR}")
        print(f"generating {lines:,} ALB lines into {path} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(GENERATOR), "--lines", str(lines), "--rate", "300", "--out", str(path)], check=True
        )
    return path


def measure(log: Path, work: Path) -> dict[str, tuple[float, float]]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    results = {}
    for name, argv in (
        ("read_csv", [sys.executable, "-c", READ_CSV, str(log), str(work / "read_csv.duckdb")]),
        (
            "correlate",
            [
                sys.executable,
                "-m",
                "correlate",
                "--db",
                str(work / "correlate.duckdb"),
                "-q",
                "ingest",
                "logs",
                str(log),
            ],
        ),
        ("python", [sys.executable, "-c", PYTHON_PARSER, str(log), str(work / "python.duckdb")]),
    ):
        results[name] = run(argv, env)
        print(f"  {name:<10} {results[name][0]:7.2f} s  {results[name][1]:7.0f} MiB peak", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--memory-check", action="store_true", help="also run correlate on 4x the lines")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="where generated logs are kept")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    log = generate(args.lines, args.out)
    with tempfile.TemporaryDirectory(prefix="correlate-bench-") as work:
        print(f"{args.lines:,} ALB lines, {log.stat().st_size / 2**20:,.0f} MiB:", file=sys.stderr)
        results = measure(log, Path(work))
    baseline = results["read_csv"][0]
    print(f"ingest of {args.lines:,} ALB lines ({log.stat().st_size / 2**20:,.0f} MiB)")
    print(f"{'contender':<12}{'seconds':>9}{'peak MiB':>10}{'read_csv/this':>15}")
    for name, (seconds, peak) in results.items():
        print(f"{name:<12}{seconds:>9.2f}{peak:>10.0f}{baseline / seconds:>15.2f}")
    speedup = results["python"][0] / results["correlate"][0]
    print(
        f"correlate is {speedup:.1f}x faster than the per-line Python parser "
        f"(target >= 5x); ratio to read_csv {baseline / results['correlate'][0]:.2f} (target >= 0.5)"
    )
    if args.memory_check:
        big = generate(args.lines * 4, args.out)
        with tempfile.TemporaryDirectory(prefix="correlate-bench-") as work:
            env = os.environ | {"PYTHONPATH": str(ROOT)}
            seconds, peak = run(
                [
                    sys.executable,
                    "-m",
                    "correlate",
                    "--db",
                    str(Path(work) / "c.duckdb"),
                    "-q",
                    "ingest",
                    "logs",
                    str(big),
                ],
                env,
            )
        small_peak = results["correlate"][1]
        print(
            f"memory: {args.lines:,} lines peak {small_peak:.0f} MiB; {args.lines * 4:,} lines peak "
            f"{peak:.0f} MiB ({peak / small_peak:.2f}x) in {seconds:.1f} s"
        )


if __name__ == "__main__":
    main()
