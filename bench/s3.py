#!/usr/bin/env python3
"""Benchmark `correlate ingest logs s3://...`: one download worker against the default, same run.

    python bench/s3.py                      # 500 objects of 1,000 ALB lines, local moto server
    python bench/s3.py --latency-ms 30      # each request answered 30 ms late, as S3 roughly is
    python bench/s3.py --objects 200 --lines 500 --repeat 3

It starts moto's S3 server on 127.0.0.1 (a free port), uploads an AWS-layout tree of gzipped ALB
access logs (lines from bench/gen_elb_logs.py, deterministic for a seed; one 5-minute
file per load balancer node), then runs the real CLI in its own process with AWS_ENDPOINT_URL for
each worker count, into a new database each time. It reports objects/s, MB/s (compressed bytes
downloaded) and rows/s, and the ratio of the default to one worker. With --repeat, runs alternate
between the worker counts and the best time of each counts (the machine is shared; noise is high).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "bench" / "gen_elb_logs.py"
sys.path.insert(0, str(ROOT))

from correlate.pipeline.logs import DEFAULT_WORKERS  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "bench-elb-logs"
KEYS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=500)
    parser.add_argument("--lines", type=int, default=1000, help="ALB lines per object")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every S3 request")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="the worker count to compare with 1")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory(prefix="correlate-bench-s3-") as scratch:
        work = Path(scratch)
        endpoint = start_server(args.latency_ms / 1000)
        started = time.perf_counter()
        objects = make_objects(work, args.objects, args.lines)
        upload(endpoint, objects)
        total_bytes = sum(len(body) for _, body in objects)
        print(
            f"{len(objects)} objects, {args.objects * args.lines:,} lines, {total_bytes / 1e6:.1f} MB gzipped, "
            f"uploaded to {endpoint} in {time.perf_counter() - started:.1f} s; added latency {args.latency_ms:g} ms",
            flush=True,
        )
        best: dict[int, float] = {}
        counts = (1, args.workers)
        for round_ in range(args.repeat):
            for workers in counts if round_ % 2 == 0 else counts[::-1]:
                seconds, summary = run(endpoint, work / f"w{workers}-{round_}.duckdb", workers)
                print(f"  workers={workers:<3} {seconds:6.2f} s  {summary}", flush=True)
                best[workers] = min(best.get(workers, seconds), seconds)
        print()
        print(f"{'workers':>8} {'seconds':>8} {'objects/s':>10} {'MB/s':>7} {'rows/s':>10}")
        for workers in counts:
            seconds = best[workers]
            print(
                f"{workers:>8} {seconds:>8.2f} {len(objects) / seconds:>10.1f} {total_bytes / 1e6 / seconds:>7.2f} "
                f"{args.objects * args.lines / seconds:>10,.0f}"
            )
        print(f"\nratio (workers={args.workers} vs 1): {best[1] / best[args.workers]:.2f}x")


def start_server(latency: float) -> str:
    """moto's S3 on 127.0.0.1, in a thread of this process, answering each request `latency` late."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)

    def delayed(environ, start_response):
        if latency:
            time.sleep(latency)
        return app(environ, start_response)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, delayed, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}"


def make_objects(work: Path, count: int, lines: int) -> list[tuple[str, bytes]]:
    """`count` gzipped ALB files of `lines` lines each, named and foldered as ELB delivers them."""
    source = work / "alb.log"
    start = dt.datetime(2026, 11, 20, 0, 0)
    subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            "--lines",
            str(count * lines),
            "--rate",
            str(max(1, lines // 150)),
            "--start",
            start.isoformat() + "Z",
            "--out",
            str(source),
        ],
        check=True,
    )
    all_lines = source.read_bytes().splitlines(keepends=True)
    objects = []
    for index in range(count):
        end = start + dt.timedelta(minutes=5 * (index // 2 + 1))
        delivered = end + dt.timedelta(minutes=5)
        node = f"10.0.{index % 2}.5"
        key = (
            f"AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/{delivered:%Y/%m/%d}/"
            f"{ACCOUNT}_elasticloadbalancing_{REGION}_app.bench-alb.50dc6c495c0c9188_{end:%Y%m%dT%H%MZ}_{node}_"
            f"b{index:06d}.log.gz"
        )
        body = gzip.compress(b"".join(all_lines[index * lines : (index + 1) * lines]), compresslevel=6, mtime=0)
        objects.append((key, body))
    return objects


def upload(endpoint: str, objects: list[tuple[str, bytes]]) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    s3.create_bucket(Bucket=BUCKET)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: s3.put_object(Bucket=BUCKET, Key=item[0], Body=item[1]), objects))


def run(endpoint: str, db_path: Path, workers: int) -> tuple[float, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env |= KEYS | {"AWS_ENDPOINT_URL": endpoint, "PYTHONPATH": str(ROOT), "AWS_EC2_METADATA_DISABLED": "true"}
    command = [sys.executable, "-m", "correlate", "--db", str(db_path), "ingest", "logs", f"s3://{BUCKET}/"]
    started = time.perf_counter()
    result = subprocess.run([*command, "--workers", str(workers)], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"correlate failed: {result.stderr}")
    return seconds, result.stderr.strip().splitlines()[-1]


if __name__ == "__main__":
    main()
