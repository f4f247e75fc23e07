#!/usr/bin/env python3
"""Benchmark the Spark path against the embedded DuckDB path on the same generated ALB logs.

    python bench/spark.py                    # about 1,000,000 ALB lines (the demo traffic generator)
    python bench/spark.py --rate 60          # a quicker run (about 180,000 lines)
    python bench/spark.py --master 'local[4]'

Both paths run here on the same gzip objects (the demo incident's web-prod logs, 5-minute files
per load balancer node, written by correlate.demo at --rate requests per second) and time each
stage:

  ingest    DuckDB: `correlate ingest logs` into a new database file
            Spark:  `correlate spark ingest` into a lake (parse in the executors, write Parquet)
  minutes   DuckDB: the views latency_cells, frontend_cells and request_spans computed in full
            Spark:  `correlate spark minutes` over the lake's requests, cells written to the lake

Spark's start-up (a JVM and a first job) is timed on its own. Printed: rows/s of each stage, the
ratio Spark/DuckDB, and the per-core throughput in uncompressed log MiB/s that docs/spark.md
multiplies out to a cluster.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from correlate.demo import Rates, generate  # noqa: E402
from correlate.pipeline.logs import LOG_SUFFIXES, ingest_logs  # noqa: E402
from correlate.sources import expand_sources  # noqa: E402
from correlate.store.database import Database  # noqa: E402
from correlate.store.logs import LogStore  # noqa: E402

KIND, SEED = "deregistered-targets", 3


def logs(rate: float, out: Path) -> tuple[Path, int, int]:
    """The ALB logs of the demo incident at `rate` requests/s: folder, lines, uncompressed bytes."""
    root = out / f"spark-demo-{rate:g}"
    folder = root / "AWSLogs"
    if not folder.exists():
        print(f"generating the demo's web-prod logs at {rate:g} requests/s into {root} ...", file=sys.stderr)
        generate(KIND, SEED, root, Rates(alb=rate, clb=1.0), only="web-prod")
    lines = size = 0
    for path in folder.rglob("*.log.gz"):
        data = gzip.decompress(path.read_bytes())
        lines += data.count(b"\n")
        size += len(data)
    return folder, lines, size


def timed(label: str, work):
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"  {label:<16} {seconds:8.2f} s", file=sys.stderr)
    return seconds, result


def duckdb_path(folder: Path, work: Path) -> dict[str, float]:
    db = Database.open(str(work / "bench.duckdb"))
    try:
        ingest, _ = timed(
            "duckdb ingest", lambda: ingest_logs(LogStore(db), expand_sources([str(folder)], LOG_SUFFIXES))
        )

        def cells() -> None:
            for view in ("latency_cells", "frontend_cells", "request_spans"):
                db.con.execute(f"create or replace table bench_{view} as select * from {view}")

        minutes, _ = timed("duckdb minutes", cells)
    finally:
        db.close()
    return {"ingest": ingest, "minutes": minutes}


def spark_path(folder: Path, work: Path, master: str) -> dict[str, float]:
    from correlate.spark.ingest import spark_ingest
    from correlate.spark.minutes import spark_minutes
    from correlate.spark.session import spark_session

    def start():
        spark = spark_session(master)
        spark.range(1).count()  # the first job starts the executors' machinery
        return spark

    startup, spark = timed("spark start-up", start)
    lake = str(work / "lake")
    try:
        ingest, _ = timed("spark ingest", lambda: spark_ingest(spark, [str(folder)], lake))
        minutes, _ = timed("spark minutes", lambda: spark_minutes(spark, lake))
    finally:
        spark.stop()
    return {"startup": startup, "ingest": ingest, "minutes": minutes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=335.0, help="ALB requests per second (335: ~1 M lines)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="where generated logs are kept")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    folder, lines, size = logs(args.rate, args.out)
    cores = os.cpu_count() or 1
    if args.master.startswith("local["):
        inside = args.master[len("local[") : -1]
        cores = cores if inside == "*" else int(inside)
    print(f"{lines:,} ALB lines, {size / 2**20:,.0f} MiB uncompressed; Spark on {args.master}:", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="correlate-bench-spark-"))
    try:
        duck = duckdb_path(folder, work)
        spark = spark_path(folder, work, args.master)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{lines:,} ALB lines ({size / 2**20:,.0f} MiB of text), DuckDB vs Spark {args.master}")
    print(f"{'stage':<10}{'duckdb s':>10}{'rows/s':>12}{'spark s':>10}{'rows/s':>12}{'duckdb/spark':>14}")
    for stage in ("ingest", "minutes"):
        d, s = duck[stage], spark[stage]
        print(f"{stage:<10}{d:>10.2f}{lines / d:>12,.0f}{s:>10.2f}{lines / s:>12,.0f}{d / s:>14.2f}")
    print(f"spark start-up {spark['startup']:.1f} s (once per job)")
    per_core = size / 2**20 / (spark["ingest"] + spark["minutes"]) / cores
    print(
        f"spark ingest + minutes: {per_core:.2f} MiB/s of log text per core "
        f"({lines / (spark['ingest'] + spark['minutes']) / cores:,.0f} lines/s per core)"
    )


if __name__ == "__main__":
    main()
