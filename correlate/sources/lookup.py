"""CloudTrail's LookupEvents API: pages of events, paced and retried (formats.md §5.4).

LookupEvents takes one lookup attribute per call, answers for one region and the last 90 days,
and allows two requests per second per account and region. Pages come through boto3's paginator;
after a ThrottlingException the paginator resumes from the last token it handed out, after an
exponential backoff. The client is passed in.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from correlate.errors import SourceAccessError

MIN_INTERVAL = 0.5  # seconds between requests: 2 per second per account and region
THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"})


def cloudtrail_client(region: str | None) -> Any:
    """A CloudTrail client for one region; our own backoff handles throttling."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    region = region or session.region_name
    if not region:
        raise SourceAccessError(
            "No AWS region for LookupEvents. Pass --region (repeat it for several regions) or set AWS_REGION."
        )
    return session.client("cloudtrail", region_name=region, config=Config(retries={"max_attempts": 2}))


class Pacer:
    """Keeps requests at least MIN_INTERVAL apart."""

    def __init__(self, sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
        self.sleep = sleep
        self.clock = clock
        self.last: float | None = None

    def wait(self) -> None:
        if self.last is not None:
            delay = MIN_INTERVAL - (self.clock() - self.last)
            if delay > 0:
                self.sleep(delay)
        self.last = self.clock()


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
    pacer = Pacer(sleep, clock or time.monotonic)
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
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in THROTTLED:
                message = error.response.get("Error", {}).get("Message", str(error))
                raise SourceAccessError(
                    f"LookupEvents in {region} failed: {code}: {message}. Check the credentials' "
                    "cloudtrail:LookupEvents permission and the region."
                ) from None
            retries += 1
            if retries > max_retries:
                raise SourceAccessError(
                    f"LookupEvents in {region} is still throttled after {max_retries} retries. "
                    "Try again later, or narrow --since/--until."
                ) from None
            sleep(min(0.5 * 2**retries, 30.0))
        except BotoCoreError as error:
            message = f"LookupEvents in {region} failed: {error}. Check credentials and network."
            raise SourceAccessError(message) from None
