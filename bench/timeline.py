#!/usr/bin/env python3
"""Benchmark `correlate timeline` against full scans of `requests`, measured in the same run.

    python bench/timeline.py                    # 10,000,000 requests
    python bench/timeline.py --rows 2000000     # a quicker run
    python bench/timeline.py --db /tmp/b.duckdb --keep   # build once, re-run later with --reuse

The rows are built directly in DuckDB (generate_series and hash arithmetic): one ALB, `web-prod`,
receiving them over 24 hours on two listeners, three domains, two target groups (8 targets), five TLS
ciphers; at 14:00:23 four of the six `web` targets are deregistered, and from then on that target
group is slow and answers some 502s. The `changes` table gets that DeregisterTargets plus decoys (tags,
a failed call), so the scoring runs too.

Timed, best of --repeat, in this process and then as CLI processes:

  scan          select count(*), sum(target_processing_time) from requests   (the narrow full scan)
  scan-columns  one aggregate over every column the timeline reads, all rows (a full scan of what it needs)
  lb_minute     the contract view lb_minute for the load balancer (exact per-minute quantiles)
  timeline      correlate timeline --lb web-prod (library call / CLI with --format json): finds the
                incidents in all of the data, then builds the timeline of the most recent one's window
  timeline-day  the same with --since/--until of the whole day given (no incidents to find)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from correlate.analysis.timeline import build_timeline  # noqa: E402
from correlate.store.database import Database  # noqa: E402

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup"
DAY = dt.datetime(2026, 11, 20)  # the day the requests fill
BUILD = f"""
insert into requests (
    lb, lb_type, lb_id, type, time, request_at, client_ip, client_port, target_ip, target_port,
    request_processing_time, target_processing_time, response_processing_time, elb_status_code,
    target_status_code, received_bytes, sent_bytes, http_method, url, http_version, user_agent, ssl_cipher,
    ssl_protocol, target_group_arn, domain_name, matched_rule_priority, actions_executed, extra_fields,
    source_file, source_line
)
with numbered as (
    select
        i,
        hash(i) as h,
        timestamp '2026-11-20 00:00:00' + to_microseconds((i * 86400000000 // $rows)::bigint) as arrived
    from generate_series(0, $rows - 1) as t(i)
),
shaped as (
    select
        *,
        arrived >= timestamp '2026-11-20 14:00:23' as after,
        h % 100 < 8 as plain_http,
        h % 10 < 3 as api,
        (h >> 8) % 1000 as roll,
        (h >> 20) % 1000 as jitter
    from numbered
),
routed as (
    select
        *,
        case
            when plain_http then null
            when api then '10.0.2.' || (21 + (h >> 30) % 2)
            when after then '10.0.1.' || (11 + (h >> 30) % 2)
            else '10.0.1.' || (11 + (h >> 30) % 6)
        end as target,
        not plain_http and not api and after and roll < 60 as failed
    from shaped
)
select
    'web-prod', 'alb', 'app/web-prod/50dc6c495c0c9188',
    case when plain_http then 'http' when h % 2 = 0 then 'h2' else 'https' end,
    arrived + to_microseconds((5000 + jitter * 40)::bigint),
    arrived,
    '198.51.' || (h % 200) || '.' || ((h >> 12) % 250),
    1024 + (h >> 16) % 60000,
    target,
    case when plain_http then null when api then 8080 else 80 end,
    case when plain_http then null else 0.0 end,
    case
        when plain_http or failed then null
        when api then 0.020 + jitter / 20000.0
        when after then 0.150 + jitter / 2000.0
        else 0.025 + jitter / 25000.0
    end,
    case when plain_http or failed then null else 0.0 end,
    case when plain_http then 301 when failed then 502 when roll < 3 then 500 when roll < 20 then 404 else 200 end,
    case when plain_http or failed then null when roll < 3 then 500 when roll < 20 then 404 else 200 end,
    300 + jitter, 2000 + jitter * 20, 'GET',
    case
        when plain_http then 'http://www.example.com:80/p/' || (h % 5000)
        when api then 'https://api.example.com:443/v1/items/' || (h % 5000)
        else 'https://www.example.com:443/p/' || (h % 5000)
    end,
    'HTTP/1.1', 'Mozilla/5.0',
    case when plain_http then null else ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384',
        'TLS_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
        'ECDHE-RSA-AES256-GCM-SHA384'][(1 + (h >> 40) % 5)::bigint]
    end,
    case when plain_http then null when (h >> 40) % 5 < 3 then 'TLSv1.3' else 'TLSv1.2' end,
    case when plain_http then null when api then '{TG}/api/9f8e7d6c5b4a3921' else '{TG}/web/73e2d6bc24d8a067' end,
    case
        when plain_http then null when api then 'api.example.com' when h % 5 = 0 then 'example.com'
        else 'www.example.com'
    end,
    case when plain_http then null when api then 10 else 0 end,
    case when plain_http then 'redirect' else 'forward' end,
    [], 'bench', i
from routed
"""
CHANGES = """
insert into changes (event_id, event_time, event_name, lb, actor, actor_kind, error_code, summary, category,
                     target_group, target_group_arn, targets)
values
    ('e1', timestamp '2026-11-20 14:00:23', 'DeregisterTargets', 'web-prod', 'arn:aws:iam::123456789012:user/bob',
     'cli', null, 'DeregisterTargets: 10.0.1.13-16 from target group web', 'targets', 'web',
     'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067',
     ['10.0.1.13', '10.0.1.14', '10.0.1.15', '10.0.1.16']),
    ('e2', timestamp '2026-11-20 14:00:27', 'ModifyListener', 'web-prod', 'arn:aws:iam::123456789012:user/alice',
     'console', 'AccessDenied', 'ModifyListener: HTTPS:443', 'routing', null, null, []),
    ('e3', timestamp '2026-11-20 14:00:32', 'AddTags', 'web-prod', 'arn:aws:iam::123456789012:user/terraform',
     'terraform', null, 'AddTags: CostCenter=web-4411', 'tags', null, null, [])
"""
SCAN = "select count(*), sum(target_processing_time) from requests"
SCAN_COLUMNS = """
select count(*), max(lb), max(time), max(request_at), sum(target_processing_time), sum(request_processing_time),
       sum(response_processing_time), sum(elb_status_code), sum(target_status_code), max(target_ip),
       sum(target_port), max(target_group_arn), max(url), max(domain_name), max(ssl_protocol), max(ssl_cipher),
       max(actions_executed)
from requests
"""
LB_MINUTE = "select * from lb_minute where lb = 'web-prod'"


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def run(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--db", help="database file (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use the --db as it is (built by an earlier --keep run)")
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="correlate-bench-")
    path = args.db or os.path.join(folder, "bench.duckdb")
    if not args.reuse:
        if os.path.exists(path):
            os.remove(path)
        start = time.perf_counter()
        with Database.open(path) as db:
            db.con.execute(BUILD, {"rows": args.rows})
            db.con.execute(CHANGES)
        print(f"built {args.rows:,} requests in {time.perf_counter() - start:.1f} s ({path})")
    with Database.open(path, read_only=True) as db:
        rows = db.con.execute("select count(*) from requests").fetchone()[0]
        timeline = build_timeline(db, "web-prod")
        top = timeline.changes[0]
        print(
            f"{rows:,} requests; timeline: {len(timeline.shifts)} shifts, {timeline.bucket_minutes}-minute buckets, "
            f"most suspect {top.change.event_name} {top.suspicion:.2f}; window {timeline.since} to {timeline.until}"
        )
        figures = {
            "scan": best(lambda: db.con.execute(SCAN).fetchall(), args.repeat),
            "scan-columns": best(lambda: db.con.execute(SCAN_COLUMNS).fetchall(), args.repeat),
            "lb_minute": best(lambda: db.con.execute(LB_MINUTE).fetchall(), args.repeat),
            "timeline": best(lambda: build_timeline(db, "web-prod"), args.repeat),
            "timeline-day": best(lambda: build_timeline(db, "web-prod", DAY, DAY + dt.timedelta(days=1)), args.repeat),
        }
    print(f"\nin process (best of {args.repeat}):")
    for name, seconds in figures.items():
        print(f"  {name:13s} {seconds:7.3f} s   timeline / this = {figures['timeline'] / seconds:5.2f}")
    env = dict(os.environ, PYTHONPATH=str(ROOT), CORRELATE_DB=path)
    python = [sys.executable, "-m", "correlate", "-q"]
    cli = {
        "scan": best(lambda: run([*python, "sql", SCAN, "--format", "csv"], env), args.repeat),
        "scan-columns": best(lambda: run([*python, "sql", SCAN_COLUMNS, "--format", "csv"], env), args.repeat),
        "timeline": best(lambda: run([*python, "timeline", "--lb", "web-prod", "--format", "json"], env), args.repeat),
    }
    print(f"\nCLI processes, start-up included (best of {args.repeat}):")
    for name, seconds in cli.items():
        print(f"  {name:13s} {seconds:7.3f} s   timeline / this = {cli['timeline'] / seconds:5.2f}")
    if not args.keep and not args.db:
        os.remove(path)
        os.rmdir(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
