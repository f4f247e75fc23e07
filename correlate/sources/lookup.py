"""CloudTrail's LookupEvents API: pages of events, paced and retried (docs/formats.md, "CloudTrail").

LookupEvents takes one lookup attribute per call, answers for one region and the last 90 days,
and allows two requests per second per account and region. Pages come through boto3's paginator;
after a ThrottlingException the paginator resumes from the last token it handed out, after an
exponential backoff. The clients come from `AwsClients` (profile, timeouts, endpoint) and are
passed in; failures read as the other AWS sources' one-line errors (`explain`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from correlate.errors import SourceAccessError
from correlate.sources.aws import AWS_ERRORS, THROTTLED, AwsClients, Pacer, error_code, explain

MIN_INTERVAL = 0.5  # seconds between requests: 2 per second per account and region
PERMISSION = "cloudtrail:LookupEvents"


def lookup_clients(aws: AwsClients, regions: Sequence[str]) -> dict[str, Any]:
    """A CloudTrail client per region (none given: the configured region), by region name. botocore
    retries twice at most: `lookup_pages` paces the requests and backs off from throttling itself."""
    names = list(dict.fromkeys(regions)) or [aws.region]
    if not all(names):
        raise SourceAccessError(
            "No AWS region for LookupEvents. Pass --region (repeat it for several regions) or set AWS_REGION."
        )
    return {str(name): aws.client("cloudtrail", name, max_attempts=2) for name in names}


def lookup_pages(
    client: Any,
    attributes: Sequence[tuple[str, str]],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    *,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    max_retries: int = 8,
) -> Iterator[list[dict[str, Any]]]:
    """Every page of Events[] for each (AttributeKey, AttributeValue), one lookup after the other."""
    sleep = sleep or time.sleep
    pacer = Pacer(MIN_INTERVAL, sleep, clock or time.monotonic)
    region = getattr(getattr(client, "meta", None), "region_name", "?")
    for key, value in attributes:
        yield from _attribute_pages(client, key, value, since, until, pacer, sleep, max_retries, region)


def _attribute_pages(
    client: Any,
    key: str,
    value: str,
    since: dt.datetime | None,
    until: dt.datetime | None,
    pacer: Pacer,
    sleep: Callable[[float], None],
    max_retries: int,
    region: str,
) -> Iterator[list[dict[str, Any]]]:
    paginator = client.get_paginator("lookup_events")
    token: str | None = None
    retries = 0
    while True:
        arguments: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}],
            "PaginationConfig": {"PageSize": 50, **({"StartingToken": token} if token else {})},
        }
        if since is not None:
            arguments["StartTime"] = since.replace(tzinfo=dt.UTC)
        if until is not None:
            arguments["EndTime"] = until.replace(tzinfo=dt.UTC)
        pages = iter(paginator.paginate(**arguments))
        try:
            while True:
                pacer.wait()
                page = next(pages, None)
                if page is None:
                    return
                retries = 0
                yield list(page.get("Events") or [])
                token = page.get("NextToken")
                if not token:
                    return
        except AWS_ERRORS as error:
            if not isinstance(error, ClientError) or error_code(error) not in THROTTLED:
                raise explain(error, f"LookupEvents in {region}", "looking up events", PERMISSION) from None
            retries += 1
            if retries > max_retries:
                raise SourceAccessError(
                    f"LookupEvents in {region} is still throttled after {max_retries} retries. "
                    "Try again later, or narrow --since/--until."
                ) from None
            sleep(min(0.5 * 2**retries, 30.0))
