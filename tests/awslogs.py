"""AWS-layout log trees for the S3 tests: objects named and foldered as ELB delivers them
(docs/formats.md, "Object names"), holding ALB and Classic ELB lines whose times fall inside each file's interval.

The lines follow the AWS documentation examples (fixtures/alb/doc_examples.log,
fixtures/clb/listeners.log) with the time, load balancer and path filled in.
"""

from __future__ import annotations

import datetime as dt
import gzip
from dataclasses import dataclass
from pathlib import Path

ACCOUNT = "123456789012"
REGION = "us-east-1"
ALB_ID = "50dc6c495c0c9188"
ALB_LINE = (
    "http {time} app/{lb}/" + ALB_ID + " 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "
    '"GET http://www.example.com:80/{path} HTTP/1.1" "curl/7.46.0" - - '
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "
    '"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 {request_at} "forward" "-" "-" "10.0.0.1:80" "200" '
    '"-" "-"'
)
CLB_LINE = (
    '{time} {lb} 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET '
    'http://www.example.com:80/{path} HTTP/1.1" "curl/7.38.0" - -'
)


@dataclass(frozen=True, slots=True)
class LogObject:
    key: str  # below the bucket (or the local root)
    body: bytes
    rows: int
    lb: str
    interval_end: dt.datetime
    times: tuple[dt.datetime, ...]  # request times of the rows


def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def alb_object(lb: str, end: dt.datetime, node: str, lines: int = 3, prefix: str = "", kind: str = "alb") -> LogObject:
    """One 5-minute file of `lb` whose interval ends at `end`, delivered five minutes later."""
    delivered = end + dt.timedelta(minutes=5)
    folder = f"{prefix}AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/{delivered:%Y/%m/%d}/"
    stamp = f"{end:%Y%m%dT%H%MZ}"
    random = f"r{abs(hash((lb, stamp, node))) % 10**8:08d}"
    times = tuple(end - dt.timedelta(minutes=4, seconds=50) + dt.timedelta(seconds=60 * i + 7) for i in range(lines))
    if kind == "alb":
        name = f"{ACCOUNT}_elasticloadbalancing_{REGION}_app.{lb}.{ALB_ID}_{stamp}_{node}_{random}.log.gz"
        text = "".join(
            ALB_LINE.format(
                time=_iso(t + dt.timedelta(milliseconds=40)), request_at=_iso(t), lb=lb, path=f"{stamp}/{node}/{i}"
            )
            + "\n"
            for i, t in enumerate(times)
        )
        body = gzip.compress(text.encode(), mtime=0)
    else:
        name = f"{ACCOUNT}_elasticloadbalancing_{REGION}_{lb}_{stamp}_{node}_{random}.log"
        body = "".join(
            CLB_LINE.format(time=_iso(t), lb=lb, path=f"{stamp}/{node}/{i}") + "\n" for i, t in enumerate(times)
        ).encode()
    return LogObject(folder + name, body, lines, lb, end, times)


def elb_tree(
    start: dt.datetime, hours: float, lbs: tuple[str, ...] = ("web-prod", "api-prod"), prefix: str = ""
) -> list[LogObject]:
    """Every 5-minute file of each load balancer from `start` for `hours`, two nodes each; the last
    load balancer is a Classic ELB when its name starts with 'classic'."""
    objects = []
    steps = int(hours * 12)
    for step in range(1, steps + 1):
        end = start + dt.timedelta(minutes=5 * step)
        for lb in lbs:
            kind = "clb" if lb.startswith("classic") else "alb"
            for node in ("10.0.0.5", "10.0.1.7"):
                objects.append(alb_object(lb, end, node, prefix=prefix, kind=kind))
    return objects


def write_tree(root: Path, objects: list[LogObject]) -> Path:
    for obj in objects:
        path = root / obj.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(obj.body)
    return root


def upload_tree(s3, bucket: str, objects: list[LogObject], extra: dict[str, bytes] | None = None) -> None:
    s3.create_bucket(Bucket=bucket)
    for obj in objects:
        s3.put_object(Bucket=bucket, Key=obj.key, Body=obj.body)
    for key, body in (extra or {}).items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
