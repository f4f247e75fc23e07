"""`correlate timeline --from-aws`: what AWS holds about one load balancer's window, into the database,
then its timeline; one command from zero, with no setup.

Four sources are read, each through its own ingest command's library call, so each lands where that
command puts it and a second `correlate timeline` (or `correlate report`) over the window reads the
database alone:

1. the Describe* inventory of the region (`ingest inventory`): which load balancers a target group
   serves, listener ports, certificates;
2. CloudWatch's one-minute metrics of the load balancer, its target groups and zones (`ingest
   metrics`);
3. its access logs, from where its attributes say it writes them, when they are enabled and readable
   (`ingest logs --lb`; a re-run skips the objects already loaded);
4. CloudTrail's LookupEvents for the window and `LOOKBACK` before it (`ingest cloudtrail --lookup`):
   the change model replays the calls before the window too, and a change shortly before it can
   move the window's first minutes.

Each source that cannot be read (a refused permission, logs not enabled, a load balancer another
region has) is said in one line and the others are read; only when none could be read is it an error.
Missing credentials (or region) stop at the first source: no other could be read either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from correlate.analysis.scoring import OTHER_LAG
from correlate.analysis.timeline import Timeline, build_timeline
from correlate.errors import NoCredentials, NoInputFound, SourceAccessError, UnknownLoadBalancer
from correlate.pipeline.cloudtrail import ingest_lookup
from correlate.pipeline.inventory import ingest_inventory
from correlate.pipeline.logs import LogsOptions, load_logs
from correlate.pipeline.metrics import MetricsRequest, ingest_metrics
from correlate.sources.aws import AwsClients
from correlate.sources.inventory import describe_inventory
from correlate.sources.lookup import lookup_clients
from correlate.store.cloudtrail import CloudTrailStore
from correlate.store.database import Database
from correlate.store.logs import RowFilter
from correlate.store.metrics import MetricsStore
from correlate.timeparse import Window, utcnow

Say = Callable[[str], None]
# The longest the scoring lets a change take to show (a change it does not recognise: 10 minutes,
# fading to nothing over another 10): CloudTrail is read this long before the window.
LOOKBACK = dt.timedelta(seconds=2 * OTHER_LAG)


@dataclass(frozen=True, slots=True)
class FromAws:
    """What `timeline --from-aws` reads: one load balancer's window, in one region."""

    lb: str
    since: dt.datetime
    until: dt.datetime
    region: str | None = None  # None: the configured one
    profile: str | None = None


@dataclass
class Fetched:
    """What was read (each source's summary line) and what could not be (one line each)."""

    read: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def fetch_from_aws(
    db: Database,
    aws: AwsClients,
    request: FromAws,
    say: Say | None = None,
    warn: Say | None = None,
    *,
    now: dt.datetime | None = None,
    other_regions: Sequence[str] | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> Fetched:
    """Read the four sources into `db`: `say` gets the progress and each source's summary, `warn`
    each problem (a source not read, partial CloudWatch data). `other_regions` is where a load
    balancer the region lacks is looked for; `sleep` and `clock` pace the APIs (tests)."""
    say = say or (lambda _text: None)
    warn = warn or (lambda _text: None)
    region = request.region or aws.region
    if not region:
        raise NoCredentials(f"No AWS region to read {request.lb} from. Pass --region or set AWS_REGION.")
    now = now or utcnow()
    lb, since, until = request.lb, request.since, request.until
    cloudtrail = CloudTrailStore(db)
    paced = {"sleep": sleep, "clock": clock}
    sources: list[tuple[str, Callable[[], str]]] = [
        (
            f"the Describe* inventory of {region}",
            lambda: ingest_inventory(cloudtrail, region, describe_inventory(aws, region), now).line(),
        ),
        (
            f"CloudWatch's metrics of {lb}",
            lambda: ingest_metrics(
                MetricsStore(db),
                aws,
                MetricsRequest(lb, since, until, region),
                warn,
                now=now,
                other_regions=other_regions,
                **paced,
            ).line(),
        ),
        (
            f"the access logs of {lb}",
            lambda: load_logs(
                db, LogsOptions((), RowFilter(since, until, lb), profile=request.profile, region=region), on_note=say
            ).line(),
        ),
        (
            f"CloudTrail's LookupEvents in {region}",
            lambda: ingest_lookup(
                cloudtrail, lookup_clients(aws, [region]), Window(since - LOOKBACK, until), **paced
            ).line(),
        ),
    ]
    fetched = Fetched()
    for name, read in sources:
        say(f"Reading {name}...")
        try:
            line = read()
        except NoCredentials:
            raise
        except (SourceAccessError, NoInputFound) as error:
            fetched.failed.append(str(error))
            warn(str(error))
            continue
        fetched.read.append(line)
        say(line)
    if not fetched.read:
        raise SourceAccessError(f"Nothing could be read from AWS for {lb} in {region} (see the lines above).")
    return fetched


def timeline_from_aws(
    db: Database,
    aws: AwsClients,
    request: FromAws,
    say: Say | None = None,
    warn: Say | None = None,
    **options: Any,
) -> Timeline:
    """`fetch_from_aws` (`options` are its keywords), then the load balancer's timeline over the window.
    When AWS had nothing of the load balancer, the error is what the sources said of it (a region that
    has one), not the database's."""
    fetched = fetch_from_aws(db, aws, request, say, warn, **options)
    try:
        return build_timeline(db, request.lb, request.since, request.until)
    except UnknownLoadBalancer:
        named = [line for line in fetched.failed if line.startswith(f"No load balancer named {request.lb} ")]
        if named:
            raise NoInputFound(named[0]) from None
        raise
