"""What an S3 walk may skip, and what it did: plain values, free of boto3 (so the parse and
pipeline stages can describe a listing without importing the AWS SDK)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

SCHEME = "s3://"


def is_s3(source: str) -> bool:
    return source.startswith(SCHEME)


@dataclass(frozen=True, slots=True)
class DayRange:
    """Delivery-date folders (inclusive) worth listing; None leaves that end open."""

    first: dt.date | None = None
    last: dt.date | None = None

    def holds(self, year: int, month: int | None = None, day: int | None = None) -> bool:
        """Whether the folder of this year, year/month or date can hold a day of the range."""
        latest = (year, month or 12, day or 31)
        earliest = (year, month or 1, day or 1)
        if self.first is not None and latest < (self.first.year, self.first.month, self.first.day):
            return False
        return not (self.last is not None and earliest > (self.last.year, self.last.month, self.last.day))


@dataclass(frozen=True, slots=True)
class S3Pruning:
    """Which folders under AWSLogs/ a walk enters (found by the walk; a prefix given by the user is
    always entered). Empty tuples and None mean no restriction."""

    services: tuple[str, ...] = ()  # folders under AWSLogs/ACCOUNT/: elasticloadbalancing, CloudTrail
    regions: tuple[str, ...] = ()
    days: DayRange | None = None
    # (account, service, region) → the key-name prefixes to list inside that day folder, or None
    name_prefixes: Callable[[str, str, str], Sequence[str] | None] | None = None


@dataclass
class ListingStats:
    """What a walk did; tests and the summary read it."""

    requests: int = 0  # ListObjectsV2 pages fetched
    keys: int = 0  # keys seen
    matched: int = 0  # keys yielded
    folders_pruned: int = 0  # by region or delivery day
    other_services: set[str] = field(default_factory=set)  # AWSLogs/ACCOUNT/ folders not entered
    narrowed: int = 0  # day folders listed by name prefix
    prefixes: list[str] = field(default_factory=list)  # every prefix listed, in order
