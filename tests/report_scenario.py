"""A small, deterministic incident for report tests: one hour of ALB logs for `shop-alb`, the
CloudTrail changes around it, and the timeline that `correlate timeline` would hand the report.

The CloudTrail side is trail files for `correlate ingest cloudtrail`. The story: at 14:05:12 bob
(terraform) registers a new target 10.0.20.23:9000 in target group `api`;
half of the requests it gets fail with a 502, the other half take 2.5-4 s. At 14:31:40 alice
(console) deregisters it again. Around it: a CloudFormation tag change at 13:52:03 and a failed
attribute change by carol at 14:20:45. Node 10.0.2.27's log file for 14:15-14:20 is lost.

Attacker-controlled text rides in the logs: a user agent holding a <script>, another one starting
with `=` (spreadsheet formula), a path holding an <img onerror>, an SNI name with markup.
"""

from __future__ import annotations

import datetime as dt
import gzip
import random
from pathlib import Path
from typing import Any

import orjson

LB = "shop-alb"
LB_ID = "app/shop-alb/5d1f3a2b4c6e8f70"
ACCOUNT = "123456789012"
REGION = "us-east-1"
START = dt.datetime(2026, 11, 20, 13, 40)
END = dt.datetime(2026, 11, 20, 14, 40)
NODES = ("10.0.1.15", "10.0.2.27")
LOST_FILE = ("10.0.2.27", dt.datetime(2026, 11, 20, 14, 20))  # (node, interval end)
BAD_TARGET = "10.0.20.23"
BAD_FROM = dt.datetime(2026, 11, 20, 14, 5, 12)
BAD_UNTIL = dt.datetime(2026, 11, 20, 14, 31, 40)

SCRIPT_UA = "<script>window.__pwned = 1</script>"
FORMULA_UA = "=cmd|' /C calc'!A0"
MARKUP_PATH = "/search/<img src=x onerror=window.__pwned_path=1>"
MARKUP_DOMAIN = "<i>shop</i>.example.com"

_TG = {
    "web": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/web/0a1b2c3d4e5f6071",
    "api": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/api/1b2c3d4e5f607182",
}
_USER_AGENTS = (
    ("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", 50),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15", 30),
    ("curl/8.5.0", 8),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 6),
    (SCRIPT_UA, 4),
    (FORMULA_UA, 2),
)
_PATHS = (
    ("/", "web", 20),
    ("/static/app.js", "web", 20),
    ("/api/cart", "api", 25),
    ("/api/checkout", "api", 15),
    ("/api/items/42?color=red", "api", 10),
    (MARKUP_PATH, "web", 2),
)


def _weighted(rng: random.Random, options: tuple) -> Any:
    return rng.choices(options, weights=[option[-1] for option in options])[0]


def _alb_time(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _log_lines() -> list[tuple[dt.datetime, str, str]]:
    """(response time, node, line) for every request, in arrival order."""
    rng = random.Random(20261120)
    lines = []
    minute = START
    while minute < END:
        for _ in range(20):
            arrival = minute + dt.timedelta(milliseconds=rng.randrange(60_000))
            lines.append(_request(rng, arrival))
        minute += dt.timedelta(minutes=1)
    lines.sort(key=lambda item: item[0])
    return [(response, node, line) for _, response, node, line in lines]


def _request(rng: random.Random, arrival: dt.datetime) -> tuple[dt.datetime, dt.datetime, str, str]:
    node = rng.choice(NODES)
    net = rng.random()
    if net < 0.75:
        client = f"198.51.100.{rng.randrange(2, 250)}"
    elif net < 0.9:
        client = f"203.0.113.{rng.randrange(2, 250)}"
    else:
        client = f"2001:db8:abcd:12::{rng.randrange(1, 4000):x}"
    user_agent = _weighted(rng, _USER_AGENTS)[0]
    path, group, _ = _weighted(rng, _PATHS)
    plain_http = rng.random() < 0.05
    domain = MARKUP_DOMAIN if rng.random() < 0.01 else "shop.example.com"
    targets = ["10.0.10.11", "10.0.10.12", "10.0.10.13"] if group == "web" else ["10.0.20.21", "10.0.20.22"]
    if group == "api" and BAD_FROM <= arrival < BAD_UNTIL:
        targets.append(BAD_TARGET)
    target_ip = rng.choice(targets)
    port = 8080 if group == "web" else 9000
    request_time, response_time = 0.001, 0.000
    target_status: int | None
    if plain_http:
        elb_status, target_status, target_seconds, target = 301, None, None, None
        actions, tg_arn = "redirect", None
    elif target_ip == BAD_TARGET and rng.random() < 0.5:
        elb_status, target_status, target_seconds, target = 502, None, None, f"{target_ip}:{port}"
        actions, tg_arn = "forward", _TG[group]
        request_time, response_time = -1, -1
    else:
        target = f"{target_ip}:{port}"
        actions, tg_arn = "forward", _TG[group]
        if target_ip == BAD_TARGET:
            target_seconds = rng.uniform(2.5, 4.0)
        elif rng.random() < 0.01:
            target_seconds = rng.uniform(0.2, 0.4)
        else:
            target_seconds = rng.uniform(0.02, 0.08) if group == "web" else rng.uniform(0.03, 0.12)
        target_status = 500 if rng.random() < 0.003 else 200
        elb_status = target_status
    total = max(request_time, 0) + (target_seconds or 0) + max(response_time, 0)
    response = arrival + dt.timedelta(seconds=round(total + 0.0005, 3))
    scheme, listener_port = ("http", 80) if plain_http else ("https", 443)
    request = f"GET {scheme}://shop.example.com:{listener_port}{path} HTTP/1.1"
    fields = [
        scheme,
        _alb_time(response),
        LB_ID,
        f"{client}:{rng.randrange(1024, 65535)}",
        target or "-",
        f"{request_time:.3f}" if request_time >= 0 else "-1",
        f"{target_seconds:.3f}" if target_seconds is not None else "-1",
        f"{response_time:.3f}" if response_time >= 0 else "-1",
        str(elb_status),
        str(target_status) if target_status is not None else "-",
        str(rng.randrange(200, 900)),
        str(rng.randrange(300, 9000)),
        f'"{request}"',
        f'"{user_agent}"',
        "-" if plain_http else "TLS_AES_128_GCM_SHA256",
        "-" if plain_http else ("TLSv1.3" if rng.random() < 0.7 else "TLSv1.2"),
        tg_arn or "-",
        f'"Root=1-{int(arrival.timestamp()):08x}-{rng.getrandbits(96):024x}"',
        '"-"' if plain_http else f'"{domain}"',
        '"-"' if plain_http else f'"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/9f8e7d6c-5b4a-4321-9fed-cba987654321"',
        "0",
        _alb_time(arrival),
        f'"{actions}"',
        '"https://shop.example.com:443/"' if plain_http else '"-"',
        '"-"',
        f'"{target}"' if target else '"-"',
        f'"{target_status}"' if target_status is not None else '"-"',
        '"-"',
        '"-"',
        f"TID_{rng.getrandbits(128):032x}",
    ]
    return arrival, response, node, " ".join(fields)


def _interval_end(value: dt.datetime) -> dt.datetime:
    floor = value.replace(minute=value.minute - value.minute % 5, second=0, microsecond=0)
    return floor + dt.timedelta(minutes=5)


def write_logs(directory: Path) -> list[Path]:
    """The ALB access-log objects, named as AWS names them; the lost one is not written."""
    files: dict[tuple[str, dt.datetime], list[str]] = {}
    for response, node, line in _log_lines():
        files.setdefault((node, _interval_end(response)), []).append(line)
    folder = directory / "AWSLogs" / ACCOUNT / "elasticloadbalancing" / REGION / "2026" / "11" / "20"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for (node, end), lines in sorted(files.items()):
        if (node, end) == LOST_FILE:
            continue
        name = (
            f"{ACCOUNT}_elasticloadbalancing_{REGION}_app.shop-alb.5d1f3a2b4c6e8f70_"
            f"{end:%Y%m%dT%H%MZ}_{node}_k{end:%H%M}{node.replace('.', '')}.log.gz"
        )
        path = folder / name
        path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
        written.append(path)
    return written


LB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/{LB_ID}"
_PEOPLE = {
    "bob": (
        {"type": "IAMUser", "principalId": "AIDABOB", "arn": f"arn:aws:iam::{ACCOUNT}:user/bob", "userName": "bob"},
        "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0",
    ),
    "alice": (
        {
            "type": "IAMUser",
            "principalId": "AIDAALICE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "userName": "alice",
        },
        "console.amazonaws.com",
    ),
    "carol": (
        {
            "type": "IAMUser",
            "principalId": "AIDACAROL",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/carol",
            "userName": "carol",
        },
        "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.12.6",
    ),
    "cloudformation": (
        {
            "type": "AssumedRole",
            "principalId": "AROACFN:AWSCloudFormation",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deployer/AWSCloudFormation",
            "invokedBy": "cloudformation.amazonaws.com",
        },
        "cloudformation.amazonaws.com",
    ),
    "prober": (
        {
            "type": "AssumedRole",
            "principalId": "AROAMON:prober",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/monitoring/prober",
        },
        "Boto3/1.35.60 md/Botocore#1.35.60 ua/2.0 os/linux#6.8 lang/python#3.12.6",
    ),
}
# (event id, time, who, event name, request parameters, error code)
CALLS = (
    ("1f0c9a4e-0001-4c3b-9d1e-7a1b2c3d4e01", "13:52:03", "cloudformation", "AddTags",
     {"resourceArns": [LB_ARN], "tags": [{"key": "cost-center", "value": "shop"}]}, None),
    ("1f0c9a4e-0002-4c3b-9d1e-7a1b2c3d4e02", "14:05:12", "bob", "RegisterTargets",
     {"targetGroupArn": _TG["api"], "targets": [{"id": BAD_TARGET, "port": 9000}]}, None),
    ("1f0c9a4e-0003-4c3b-9d1e-7a1b2c3d4e03", "14:20:45", "carol", "ModifyLoadBalancerAttributes",
     {"loadBalancerArn": LB_ARN, "attributes": [{"key": "idle_timeout.timeout_seconds", "value": "120"}]},
     "AccessDenied"),
    ("1f0c9a4e-0004-4c3b-9d1e-7a1b2c3d4e04", "14:31:40", "alice", "DeregisterTargets",
     {"targetGroupArn": _TG["api"], "targets": [{"id": BAD_TARGET, "port": 9000}]}, None),
)  # fmt: skip
REGISTER, DEREGISTER = CALLS[1][0], CALLS[3][0]


def _record(event_id: str, at: dt.datetime, who: str, name: str, request: dict, error: str | None) -> dict:
    identity, user_agent = _PEOPLE[who]
    record = {
        "eventVersion": "1.10",
        "userIdentity": identity | {"accountId": ACCOUNT},
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "elasticloadbalancing.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.200",
        "userAgent": user_agent,
        "requestParameters": request,
        "responseElements": None,
        "requestID": f"req-{event_id[-4:]}",
        "eventID": event_id,
        "readOnly": name.startswith("Describe"),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "apiVersion": "2015-12-01",
    }
    if who == "alice":
        record["sessionCredentialFromConsole"] = "true"
    if error:
        record |= {
            "errorCode": error,
            "errorMessage": f"User is not authorized to perform: elasticloadbalancing:{name}",
        }
    return record


def write_trail(directory: Path) -> list[Path]:
    """CloudTrail files, one per 5-minute delivery, in the S3 key layout: a monitoring role's
    Describe calls every 4 minutes from 13:36:30 to 14:36:30, and the four changes of the story."""
    records = []
    at = dt.datetime(2026, 11, 20, 13, 36, 30)
    number = 0
    while at < dt.datetime(2026, 11, 20, 14, 38):
        number += 1
        request = {"targetGroupArn": _TG["api"]}
        records.append(
            _record(f"7c2d0000-0000-4000-8000-{number:012d}", at, "prober", "DescribeTargetHealth", request, None)
        )
        at += dt.timedelta(minutes=4)
    for event_id, clock, who, name, request, error in CALLS:
        at = dt.datetime.combine(START.date(), dt.time.fromisoformat(clock))
        records.append(_record(event_id, at, who, name, request, error))
    files: dict[dt.datetime, list[dict]] = {}
    for record in records:
        at = dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
        files.setdefault(_interval_end(at) + dt.timedelta(minutes=5), []).append(record)
    folder = directory / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / "2026" / "11" / "20"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for delivered, batch in sorted(files.items()):
        path = folder / f"{ACCOUNT}_CloudTrail_{REGION}_{delivered:%Y%m%dT%H%MZ}_Q{delivered:%H%M}x7Ka2PfLmZz.json.gz"
        path.write_bytes(gzip.compress(orjson.dumps({"Records": batch}), mtime=0))
        written.append(path)
    return written


def timeline(changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the timeline library reports for this incident (the contract's JSON shape); the changes'
    own fields come from the `changes` rows CloudTrail ingestion made (`changes`, by event id)."""
    tags, register, modify, deregister = (changes[call[0]] for call in CALLS)
    return {
        "lb": LB,
        "since": "2026-11-20T13:40:00Z",
        "until": "2026-11-20T14:40:00Z",
        "changes": [
            _change(
                register,
                0.91,
                [
                    "p99 target latency 110 ms -> 3,600 ms (x33) from 14:06, 1 min after",
                    "5xx rate 0.3% -> 6.9% from 14:06, 1 min after",
                    "the 502s come from 10.0.20.23:9000, the target it registered",
                ],
            ),
            _change(deregister, 0.34, ["p99 target latency and 5xx rate back to before at 14:32, 1 min after"]),
            _change(modify, 0.0, ["the call failed (AccessDenied): nothing changed"]),
            _change(tags, 0.02, ["tags do not change traffic"]),
        ],
        "shifts": [
            {"metric": "p99_target_ms", "at": "2026-11-20T14:06:00Z", "before": 110.0, "after": 3600.0, "scope": "lb"},
            {"metric": "error_rate", "at": "2026-11-20T14:06:00Z", "before": 0.003, "after": 0.069, "scope": "lb"},
            {"metric": "p99_target_ms", "at": "2026-11-20T14:32:00Z", "before": 3600.0, "after": 112.0, "scope": "lb"},
            {"metric": "error_rate", "at": "2026-11-20T14:32:00Z", "before": 0.069, "after": 0.002, "scope": "lb"},
        ],
    }


def _change(change: dict[str, Any], suspicion: float, evidence: list[str]) -> dict[str, Any]:
    return {
        "event_id": change["event_id"],
        "event_time": change["event_time"].isoformat() + "Z",
        "event_name": change["event_name"],
        "actor": change["actor"],
        "actor_kind": change["actor_kind"],
        "summary": change["summary"],
        "error_code": change["error_code"],
        "suspicion": suspicion,
        "evidence": evidence,
    }
