"""Benchmark: `correlate ingest cloudtrail` against DuckDB's own read_json on the same trail files.

    python bench/cloudtrail.py                  # 1,000,000 records (generated once, then reused)
    python bench/cloudtrail.py --records 200000 --data /tmp/ct-bench

Generates gzip trail files ({"Records": [...]}, 1,000 records each, as CloudTrail writes them)
where about 1 record in 100 is an Elastic Load Balancing or related event and the rest is the usual
noise of a busy account (EC2 and S3 reads, STS, KMS, Lambda, ...). Then, in the same run, times:

  - correlate: the library path of `correlate ingest cloudtrail DIR` into a new database file
    (parse, keep/skip, normalise, store, rebuild changes);
  - read_json: DuckDB reading the same files with read_json, unnesting Records and keeping the
    ELB records (the least a loader has to do).

alternating for --rounds rounds (the machine is shared: the best time of each is compared), and
prints the times and the ratio read_json / correlate (1.0 = as fast as read_json).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import duckdb
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from correlate.pipeline.cloudtrail import CLOUDTRAIL_SUFFIXES, ingest_cloudtrail
from correlate.sources.local import expand_local
from correlate.store.cloudtrail import CloudTrailStore
from correlate.store.database import Database

ACCOUNT = "123456789012"
PER_FILE = 1000
NOISE = [
    ("ec2.amazonaws.com", "DescribeInstances", True, 18),
    ("ec2.amazonaws.com", "DescribeNetworkInterfaces", True, 8),
    ("s3.amazonaws.com", "GetObject", True, 20),
    ("s3.amazonaws.com", "PutObject", False, 8),
    ("sts.amazonaws.com", "AssumeRole", False, 12),
    ("kms.amazonaws.com", "Decrypt", True, 14),
    ("lambda.amazonaws.com", "Invoke", False, 6),
    ("logs.amazonaws.com", "CreateLogStream", False, 5),
    ("dynamodb.amazonaws.com", "DescribeTable", True, 5),
    ("ec2.amazonaws.com", "RunInstances", False, 1),
]
LB = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/web-{{n}}/50dc6c495c0c91{{n:02d}}"
TG = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/web-{{n}}/73e2d6bc24d8a0{{n:02d}}"
LISTENER = (
    f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:listener/app/web-{{n}}/50dc6c495c0c91{{n:02d}}/f2f7dc8efc522ab2"
)


def identity(rng: random.Random) -> dict:
    who = rng.choice(["alice", "bob", "ci", "i-0a1b2c3d4e5f60718"])
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE:{who}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/{who}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLE" + str(rng.randrange(10**6)),
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLE",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/app",
                "accountId": ACCOUNT,
                "userName": "app",
            },
            "attributes": {"creationDate": "2026-11-20T10:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def elb_record(rng: random.Random) -> tuple[str, str, dict, bool]:
    n = rng.randrange(20)
    kind = rng.random()
    if kind < 0.5:
        return "elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", {"targetGroupArn": TG.format(n=n)}, True
    if kind < 0.8:
        name = rng.choice(["RegisterTargets", "DeregisterTargets"])
        targets = [{"id": f"10.0.{rng.randrange(255)}.{rng.randrange(255)}", "port": 8080} for _ in range(3)]
        return "elasticloadbalancing.amazonaws.com", name, {"targetGroupArn": TG.format(n=n), "targets": targets}, False
    if kind < 0.9:
        actions = [{"type": "forward", "targetGroupArn": TG.format(n=rng.randrange(20))}]
        return (
            "elasticloadbalancing.amazonaws.com",
            "ModifyListener",
            {"listenerArn": LISTENER.format(n=n), "defaultActions": actions},
            False,
        )
    if kind < 0.95:
        attributes = [{"key": "idle_timeout.timeout_seconds", "value": str(rng.choice([60, 120, 300]))}]
        return (
            "elasticloadbalancing.amazonaws.com",
            "ModifyLoadBalancerAttributes",
            {"loadBalancerArn": LB.format(n=n), "attributes": attributes},
            False,
        )
    return (
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
        {
            "groupId": f"sg-0{n:04d}",
            "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443}]},
        },
        False,
    )


def record(rng: random.Random, index: int) -> dict:
    if rng.random() < 0.01:
        source, name, request, read_only = elb_record(rng)
    else:
        source, name, read_only, _ = rng.choices(NOISE, weights=[w for *_, w in NOISE])[0]
        request = {
            "instancesSet": {"items": [{"instanceId": f"i-{rng.randrange(16**12):012x}"}]},
            "bucketName": "data-lake-prod",
            "key": f"raw/2026/11/20/{uuid.UUID(int=rng.getrandbits(128))}.parquet",
            "roleSessionName": f"session-{index}",
        }
    second = index // 1000 % 3600
    return {
        "eventVersion": "1.10",
        "userIdentity": identity(rng),
        "eventTime": f"2026-11-20T{10 + second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": f"10.0.{rng.randrange(255)}.{rng.randrange(255)}",
        "userAgent": rng.choice(
            [
                "aws-sdk-go/1.44.1 (go1.20; linux; amd64)",
                "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8",
                "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2023",
                "ecs.amazonaws.com",
            ]
        ),
        "requestParameters": request,
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128))),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "apiVersion": "2015-12-01" if source.startswith("elastic") else None,
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.us-east-1.amazonaws.com",
        },
    }


def generate(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f".complete-{count}"
    files = sorted(folder.glob("*.json.gz"))
    if marker.exists():
        return files
    for old in files:
        old.unlink()
    rng = random.Random(42)
    started = time.perf_counter()
    for number in range(count // PER_FILE):
        records = [record(rng, number * PER_FILE + i) for i in range(PER_FILE)]
        name = (
            f"{ACCOUNT}_CloudTrail_us-east-1_20261120T{number // 60 % 24:02d}{number % 60:02d}Z_{number:016d}.json.gz"
        )
        (folder / name).write_bytes(gzip.compress(orjson.dumps({"Records": records}), compresslevel=6))
    marker.touch()
    print(f"generated {count:,} records in {count // PER_FILE:,} files in {time.perf_counter() - started:.1f} s")
    return sorted(folder.glob("*.json.gz"))


def time_correlate(folder: Path, workdir: Path) -> tuple[float, str]:
    db_path = workdir / "bench.duckdb"
    db_path.unlink(missing_ok=True)
    started = time.perf_counter()
    with Database.open(str(db_path)) as db:
        objects = expand_local(str(folder), CLOUDTRAIL_SUFFIXES)
        summary = ingest_cloudtrail(CloudTrailStore(db), objects, workers=os.cpu_count() or 1)  # as the CLI does
    return time.perf_counter() - started, summary.line()


def time_read_json(folder: Path) -> tuple[float, int]:
    con = duckdb.connect()
    started = time.perf_counter()
    (kept,) = con.execute(
        """
        select count(*)
        from (select unnest(Records) as r from read_json(?, maximum_object_size = 268435456))
        where r.eventSource = 'elasticloadbalancing.amazonaws.com'
        """,
        [str(folder / "*.json.gz")],
    ).fetchone()
    return time.perf_counter() - started, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "correlate-bench-cloudtrail")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each; the best of each counts")
    args = parser.parse_args()
    files = generate(args.data / f"{args.records}", args.records)
    size = sum(path.stat().st_size for path in files)
    print(f"{len(files):,} trail files, {size / 2**20:,.0f} MiB gzip, {args.records:,} records, {os.cpu_count()} cores")
    read_json_times: list[float] = []
    correlate_times: list[float] = []
    with tempfile.TemporaryDirectory() as workdir:
        for round_number in range(args.rounds):
            # alternate which goes first, so neither always meets a warmer or busier machine
            order = ("read_json", "correlate") if round_number % 2 == 0 else ("correlate", "read_json")
            for which in order:
                if which == "read_json":
                    seconds, elb = time_read_json(files[0].parent)
                    read_json_times.append(seconds)
                else:
                    seconds, line = time_correlate(files[0].parent, Path(workdir))
                    correlate_times.append(seconds)
                print(f"  round {round_number + 1}: {which} {seconds:.2f} s", flush=True)
    best_read_json, best_correlate = min(read_json_times), min(correlate_times)
    print(f"read_json: {best_read_json:.2f} s best of {args.rounds} ({elb:,} ELB records)")
    print(f"correlate: {best_correlate:.2f} s best of {args.rounds} ({line})")
    print(f"ratio read_json / correlate: {best_read_json / best_correlate:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
