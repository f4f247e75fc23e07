"""CloudTrail records shaped as CloudTrail writes them (docs/formats.md, "CloudTrail"), and trail files in the S3
key layout: `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16>.json.gz`.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import random
import string
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from correlate.demo.fleet import ACCOUNT, REGION, Principal

ELB_SOURCE = "elasticloadbalancing.amazonaws.com"
CLASSIC_API = "2012-06-01"
V2_API = "2015-12-01"
DELIVERY_MINUTES = 5


@dataclass(frozen=True, slots=True)
class Call:
    """One API call: what CloudTrail records about it."""

    at: dt.datetime
    principal: Principal
    event_name: str
    request: dict | None
    response: dict | None = None
    source: str = ELB_SOURCE
    api_version: str | None = V2_API
    read_only: bool = False
    error_code: str | None = None
    error_message: str | None = None


def record(call: Call, rng: random.Random) -> dict[str, Any]:
    """The CloudTrail record of a call; ids come from `rng`, so a seed gives the same records."""
    principal = call.principal
    identity = copy.deepcopy(principal.identity)
    attributes = identity.get("sessionContext", {}).get("attributes")
    if attributes is not None:  # the session began a while before the call
        attributes["creationDate"] = (call.at - dt.timedelta(minutes=47)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body: dict[str, Any] = {
        "eventVersion": "1.11",
        "userIdentity": identity,
        "eventTime": call.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": call.source,
        "eventName": call.event_name,
        "awsRegion": REGION,
        "sourceIPAddress": principal.source_ip,
        "userAgent": principal.user_agent,
    }
    if call.error_code:
        body["errorCode"] = call.error_code
        body["errorMessage"] = call.error_message or ""
    body["requestParameters"] = call.request
    body["responseElements"] = None if call.error_code else call.response
    body["requestID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    body["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    body["readOnly"] = call.read_only
    body["eventType"] = "AwsApiCall"
    if call.api_version:
        body["apiVersion"] = call.api_version
    body["managementEvent"] = True
    body["recipientAccountId"] = ACCOUNT
    body["eventCategory"] = "Management"
    if principal.actor_kind != "aws-service":
        body["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{call.source.split('.')[0]}.{REGION}.amazonaws.com",
        }
    if principal.console:
        body["sessionCredentialFromConsole"] = "true"
    return body


def unique_string(rng: random.Random, length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(length))


def write_trail(records: Iterable[dict[str, Any]], root: Path, rng: random.Random) -> list[Path]:
    """Group records into files as CloudTrail delivers them: one file per 5-minute delivery, named for
    the delivery time (after its records), records in no particular order. Returns the files written."""
    by_delivery: dict[dt.datetime, list[dict[str, Any]]] = {}
    for item in records:
        at = dt.datetime.strptime(item["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
        slot = at.replace(second=0, microsecond=0) - dt.timedelta(minutes=at.minute % DELIVERY_MINUTES)
        delivery = slot + dt.timedelta(minutes=DELIVERY_MINUTES + 2)
        by_delivery.setdefault(delivery, []).append(item)
    written = []
    for delivery in sorted(by_delivery):
        batch = by_delivery[delivery]
        rng.shuffle(batch)
        folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / delivery.strftime("%Y/%m/%d")
        name = f"{ACCOUNT}_CloudTrail_{REGION}_{delivery.strftime('%Y%m%dT%H%MZ')}_{unique_string(rng)}.json.gz"
        written.append(write_if_changed(folder / name, gzip_bytes(orjson.dumps({"Records": batch}))))
    return written


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def write_if_changed(path: Path, data: bytes) -> Path:
    """Write unless the file already holds exactly these bytes (keeps its mtime, so a re-run of the
    demo loads nothing twice)."""
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
