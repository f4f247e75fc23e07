"""Where AWS delivers logs in S3, and which folders and object names can hold rows of a window.

The layouts (docs/formats.md, "Object names"):

    [prefix/]AWSLogs/ACCOUNT/elasticloadbalancing/REGION/YYYY/MM/DD/<ELB log object name>
    [prefix/]AWSLogs/ACCOUNT/ELBAccessLogTestFile
    [prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
        ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz

`YYYY/MM/DD` is the UTC date the file was **delivered**, not the date of its rows: a file arrives
about five minutes after its interval ends (an ELB file names its interval end, a CloudTrail file its
delivery time), so the last files of a day sit in the next day's folder. The folder range for a
window therefore runs from the day of `since` to the day of `until` plus the interval and a delivery
margin. Digest and Insight folders of CloudTrail hold no records and are never entered.
"""

from __future__ import annotations

import datetime as dt
import re

from correlate.parse.kinds import LOG_INTERVAL_MARGIN
from correlate.sources.listing import DayRange, S3Pruning

ELB_FOLDER = "elasticloadbalancing"
CLOUDTRAIL_FOLDER = "CloudTrail"  # not CloudTrail-Digest, not CloudTrail-Insight
# ELB files usually arrive about five minutes after their interval; an hour covers late deliveries.
DELIVERY_MARGIN = dt.timedelta(hours=1)
# CloudTrail delivers "within an average of about 5 minutes" of a call, without a guarantee.
TRAIL_DELIVERY_MARGIN = dt.timedelta(hours=2)


def log_delivery_days(since: dt.datetime | None, until: dt.datetime | None) -> DayRange:
    """Folders that can hold ELB log files with rows in [since, until)."""
    return DayRange(
        since.date() if since else None,
        (until + LOG_INTERVAL_MARGIN + DELIVERY_MARGIN).date() if until else None,
    )


def trail_delivery_days(since: dt.datetime | None, until: dt.datetime | None) -> DayRange:
    """Folders that can hold CloudTrail files with events in [since, until)."""
    return DayRange(since.date() if since else None, (until + TRAIL_DELIVERY_MARGIN).date() if until else None)


def elb_name_prefixes(lb: str, account: str, region: str) -> tuple[str, ...]:
    """Key-name prefixes, inside a day folder, of every log file of the load balancer named `lb`:
    ALB access, NLB, Classic ELB, ALB connection and health-check logs (docs/formats.md, "Object names"). Listing
    these instead of the whole folder skips the files of every other load balancer."""
    base = f"{account}_elasticloadbalancing_{region}_"
    return (
        f"{base}app.{lb}.",
        f"{base}net.{lb}.",
        f"{base}{lb}_",
        f"conn_log_{base}app.{lb}.",
        f"conn_log.{base}app.{lb}.",
        f"health_check_log_{base}app.{lb}.",
    )


_TRAIL_NAME = re.compile(
    r"^(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+)_(?P<time>\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json(?:\.gz)?$"
)


def trail_delivered_at(name: str) -> dt.datetime | None:
    """The delivery time in a CloudTrail object name, or None for any other name."""
    match = _TRAIL_NAME.match(name)
    return dt.datetime.strptime(match["time"], "%Y%m%dT%H%MZ") if match else None


def trail_outside_window(name: str, since: dt.datetime | None, until: dt.datetime | None) -> bool:
    """True when a CloudTrail object's name shows it holds no event in [since, until): a file holds
    events from before its delivery time, delivered within `TRAIL_DELIVERY_MARGIN`."""
    delivered = trail_delivered_at(name)
    if delivered is None:
        return False
    if since is not None and delivered < since:
        return True
    return until is not None and delivered > until + TRAIL_DELIVERY_MARGIN


def log_pruning(since: dt.datetime | None, until: dt.datetime | None, lb: str | None) -> S3Pruning:
    """How to walk an S3 prefix for `correlate ingest logs` with this window and load balancer."""

    def name_prefixes(account: str, service: str, region: str) -> tuple[str, ...] | None:
        return elb_name_prefixes(lb, account, region) if lb and service == ELB_FOLDER else None

    return S3Pruning(
        services=(ELB_FOLDER,),
        days=log_delivery_days(since, until) if since or until else None,
        name_prefixes=name_prefixes if lb else None,
    )


def trail_pruning(since: dt.datetime | None, until: dt.datetime | None) -> S3Pruning:
    """How to walk an S3 prefix for `correlate ingest cloudtrail`: CloudTrail folders only (not
    CloudTrail-Digest or CloudTrail-Insight), delivery days of the window."""
    return S3Pruning(services=(CLOUDTRAIL_FOLDER,), days=trail_delivery_days(since, until) if since or until else None)
