"""`correlate ingest metrics`: a load balancer's one-minute CloudWatch metrics into `metrics_minute`,
from the API (`ingest_metrics`) or from saved GetMetricData documents (`ingest_metric_files`).

Both paths turn queries into series and results into points with the same functions
(`parse/cloudwatch.py`) and write them with the same store, so a generated document loads exactly
as CloudWatch's answer would. Problems that leave something to read (one API denied, partial data,
metrics without datapoints, a window partly past retention) are said as they happen, one line each,
through `say`; an error is raised only when nothing at all could be read. Then `changes` is rebuilt:
a target group read with its load balancer links CloudTrail's changes of the group to it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc

from correlate.errors import (
    AccessDenied,
    BadTimeExpression,
    NoInputFound,
    ParseError,
    SourceAccessError,
    StreamBroken,
)
from correlate.parse.arns import lb_name, parse_elb_arn
from correlate.parse.cloudwatch import (
    NAMESPACES,
    MetricSubject,
    Queries,
    Series,
    SeriesStatus,
    Unreadable,
    batches,
    metric_queries,
    read_metric_document,
    read_queries,
    result_points,
)
from correlate.pipeline.cloudtrail import rebuild_changes
from correlate.sources import expand_sources
from correlate.sources.aws import AwsClients, Pacer
from correlate.sources.cloudwatch import (
    MIN_INTERVAL,
    DescribedLoadBalancer,
    cloudwatch_client,
    describe_load_balancers,
    metric_data_pages,
    regions_with,
    target_groups,
)
from correlate.sources.streams import open_decompressed
from correlate.store.cloudtrail import CloudTrailStore
from correlate.store.metrics import Fetch, FileEntry, MetricsStore
from correlate.timeparse import iso, utcnow

Say = Callable[[str], None]
MINUTE = dt.timedelta(minutes=1)
# How long CloudWatch keeps each resolution (GetMetricData's documented retention).
ONE_MINUTE_DAYS, FIVE_MINUTE_DAYS, ONE_HOUR_DAYS = 15, 63, 455
METRIC_SUFFIXES = (".json", ".json.gz")


@dataclass(frozen=True, slots=True)
class MetricsRequest:
    """What `ingest metrics --lb` asks for."""

    lb: str  # NAME, app/NAME/ID, net/NAME/ID, or the load balancer's ARN
    since: dt.datetime
    until: dt.datetime
    region: str | None = None  # None: the ARN's region, else the configured one


@dataclass
class MetricsSummary:
    source: str
    load_balancers: list[str] = field(default_factory=list)
    series: int = 0
    datapoints: int = 0
    new: int = 0
    empty: int = 0
    rejected: int = 0
    requests: int = 0
    skipped: int = 0  # saved documents loaded before, unchanged

    def line(self) -> str:
        lbs = ", ".join(self.load_balancers) or "no load balancer"
        skipped = f"; {self.skipped:,} already loaded" if self.skipped else ""
        if self.skipped and not self.requests:
            return f"{self.source}{skipped}: nothing new"
        return (
            f"{self.source}{skipped}: {lbs}: {self.series:,} series, {self.datapoints:,} datapoints "
            f"({self.new:,} new), {self.empty:,} series without datapoints, {self.rejected:,} rejected"
        )


def one_minute_window(
    since: dt.datetime, until: dt.datetime, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime, str | None]:
    """The whole minutes [start, end) to ask for (the minute of `until` included), cut to what
    CloudWatch still holds at one-minute resolution, with a line saying so when it cuts."""
    if since >= until:
        raise BadTimeExpression(f"--since {iso(since)} is not before --until {iso(until)}. Swap them.")
    start, end = _floor(since), _floor(until) + MINUTE
    oldest = _floor(now - dt.timedelta(days=ONE_MINUTE_DAYS)) + MINUTE
    if end <= oldest:
        raise SourceAccessError(
            f"The window {iso(start)} to {iso(end)} is older than {ONE_MINUTE_DAYS} days: CloudWatch keeps one-minute "
            f"ELB metrics for {ONE_MINUTE_DAYS} days. {_what_is_left(now - start)} Use access logs for this window."
        )
    if start >= oldest:
        return start, end, None
    note = (
        f"The window starts {(now - start).days} days ago; CloudWatch keeps one-minute ELB metrics for "
        f"{ONE_MINUTE_DAYS} days: reading from {iso(oldest)}. {_what_is_left(now - start)}"
    )
    return oldest, end, note


def _what_is_left(age: dt.timedelta) -> str:
    if age <= dt.timedelta(days=FIVE_MINUTE_DAYS):
        return f"Before that it holds 5-minute data (kept {FIVE_MINUTE_DAYS} days), which correlate does not load."
    if age <= dt.timedelta(days=ONE_HOUR_DAYS):
        return (
            f"Before that it holds 5-minute data up to {FIVE_MINUTE_DAYS} days back and 1-hour data up to "
            f"{ONE_HOUR_DAYS} days, which correlate does not load."
        )
    return f"The oldest part is past even 1-hour data ({ONE_HOUR_DAYS} days): CloudWatch holds nothing for it."


def _floor(value: dt.datetime) -> dt.datetime:
    return value.replace(second=0, microsecond=0)


def ingest_metrics(
    store: MetricsStore,
    aws: AwsClients,
    request: MetricsRequest,
    say: Say | None = None,
    *,
    now: dt.datetime | None = None,
    other_regions: Sequence[str] | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    jitter: Callable[[], float] | None = None,
) -> MetricsSummary:
    """Describe the load balancer, then read its metrics (and its target groups' and zones') for the
    window through GetMetricData. `other_regions` (default: every region botocore knows) is where a
    load balancer missing from the region is looked for; `sleep`, `clock`, `jitter` pace and back off."""
    say = say or (lambda _text: None)
    start, end, note = one_minute_window(request.since, request.until, now or utcnow())
    name, given = lb_name(request.lb), _given_id(request.lb)
    region = request.region or (given[2] if given else None) or aws.region
    if not region:
        raise SourceAccessError(f"No AWS region for {name}'s metrics. Pass --region or set AWS_REGION.")
    if note:
        say(note)
    subjects = _subjects(aws, region, name, given, store, say, other_regions)
    summary = MetricsSummary(f"CloudWatch in {region}")
    client = cloudwatch_client(aws, region)
    sleep = sleep or time.sleep
    pacer = Pacer(MIN_INTERVAL, sleep, clock or time.monotonic)
    failures: list[SourceAccessError] = []
    for subject in subjects:
        summary.load_balancers.append(f"{name} ({subject.lb_type} {subject.lb_id})")
        for batch in batches(metric_queries(subject)):
            queries = read_queries(batch)
            pages = metric_data_pages(client, batch, start, end, pacer=pacer, sleep=sleep, jitter=jitter)
            try:
                _load(store, queries, pages, f"cloudwatch:{region}", (start, end), summary, say)
            except SourceAccessError as error:
                failures.append(error)
    if failures and not summary.requests:
        raise failures[0]
    for failure in failures:
        say(str(failure))
    rebuild_changes(CloudTrailStore(store.db))
    return summary


def ingest_metric_files(store: MetricsStore, sources: Sequence[str], say: Say | None = None) -> MetricsSummary:
    """Saved GetMetricData documents (request queries beside response results; `.json`, `.json.gz`,
    directories, globs) through the same parsing and store as the API path. A document loaded
    before, unchanged, is skipped."""
    say = say or (lambda _text: None)
    objects = list(expand_sources(sources, METRIC_SUFFIXES, also_names=()))
    summary = MetricsSummary(f"{len(objects)} file{'s' if len(objects) != 1 else ''}")
    loaded = store.loaded_files()
    unreadable = 0
    for obj in objects:
        if loaded.get(obj.uri) == obj.fingerprint:
            summary.skipped += 1
            continue
        data = b""
        try:
            with open_decompressed(obj) as stream:
                data = stream.read()
            document = read_metric_document(data, obj.uri)
        except (ParseError, StreamBroken) as error:
            unreadable += 1
            summary.rejected += 1
            reason = error.reason if isinstance(error, ParseError) else str(error)
            reject = Unreadable(reason, data[:4096].decode("utf-8", "replace"))
            store.write(obj.uri, [reject], entry=FileEntry(obj.uri, obj.fingerprint, obj.size, 0, 1))
            say(str(error))
            continue
        queries = read_queries(document.queries)
        for lb in dict.fromkeys(f"{one.lb} ({one.lb_type})" for one in queries.series.values()):
            if lb not in summary.load_balancers:
                summary.load_balancers.append(lb)
        page = {"MetricDataResults": document.results, "Messages": document.messages}
        before = (summary.datapoints, summary.rejected)
        _load(store, queries, [page], obj.uri, (document.start, document.end), summary, say)
        rows, rejected = summary.datapoints - before[0], summary.rejected - before[1]
        store.write(obj.uri, entry=FileEntry(obj.uri, obj.fingerprint, obj.size, rows, rejected))
    if objects and unreadable == len(objects):
        raise NoInputFound(f"None of the {len(objects)} metric files could be read (see the lines above).")
    rebuild_changes(CloudTrailStore(store.db))
    return summary


def _load(
    store: MetricsStore,
    queries: Queries,
    pages: Iterable[dict[str, Any]],
    source: str,
    window: tuple[dt.datetime | None, dt.datetime | None],
    summary: MetricsSummary,
    say: Say,
) -> None:
    """One request's result pages → metrics_minute: each page is staged as it comes, then the
    points, one metric_fetches row per series and the rejects are written in one transaction, and
    a line is said for the series that came back incomplete or empty. When a page fails, what came
    before it is written, with fetch rows for the series it covered."""
    series = queries.series
    statuses: dict[str, SeriesStatus] = {}
    pending = list(queries.unreadable)
    summary.rejected += len(pending)
    span: list[dt.datetime] = []
    messages: list[str] = []
    try:
        for page in pages:
            summary.requests += 1
            results = page.get("MetricDataResults") or []
            points, unreadable = result_points(results, series, statuses, queries.not_stored)
            pending += unreadable
            summary.rejected += len(unreadable)
            summary.datapoints += sum(len(chunk.values) for chunk in points)
            store.stage(points, source)
            span += [bound.as_py() for chunk in points for bound in pc.min_max(chunk.minutes).values()]
            messages += [f"{m.get('Code')}: {m.get('Value')}" for m in page.get("Messages") or []]
    except SourceAccessError:
        covered = {key: one for key, one in series.items() if key in statuses}
        summary.new += _record(store, covered, statuses, source, window, span, pending)[1]
        raise
    window, new = _record(store, series, statuses, source, window, span, pending)
    summary.new += new
    summary.series += len(series)
    _report(series, statuses, messages, source, window, summary, say)


def _record(
    store: MetricsStore,
    series: dict[str, Series],
    statuses: dict[str, SeriesStatus],
    source: str,
    window: tuple[dt.datetime | None, dt.datetime | None],
    span: list[dt.datetime],
    rejects: Sequence[Unreadable] = (),
) -> tuple[tuple[dt.datetime | None, dt.datetime | None], int]:
    """Write the staged points with the metric_fetches rows of the series read and the rejects; a
    window the source did not state is the span of its points. Returns the window and the new rows."""
    since, until = window
    since = since or (min(span) if span else None)
    until = until or (max(span) + MINUTE if span else None)
    fetches = []
    for key, one in series.items():
        status = statuses.get(key, SeriesStatus())
        messages = "; ".join(status.messages) or None
        fetches.append(Fetch(one, since, until, status.datapoints, status.status, messages, source))
    return (since, until), store.write(source, rejects, fetches)


def _report(
    series: dict[str, Series],
    statuses: dict[str, SeriesStatus],
    messages: list[str],
    source: str,
    window: tuple[dt.datetime | None, dt.datetime | None],
    summary: MetricsSummary,
    say: Say,
) -> None:
    incomplete: dict[str, list[str]] = {}
    empty = []
    for key, one in series.items():
        status = statuses.get(key, SeriesStatus())
        if status.status in ("PartialData", "InternalError", "Forbidden"):
            incomplete.setdefault(status.status, []).append(_label(one))
        if not status.datapoints:
            empty.append(one)
    for status, labels in incomplete.items():
        say(
            f"{source}: {status} for {len(labels)} series ({_listing(labels)}): some of their minutes may be "
            "missing. Run the same command again to fill them in."
        )
    if empty:
        summary.empty += len(empty)
        since, until = window
        when = f" from {iso(since)} to {iso(until)}" if since and until else ""
        metrics = list(dict.fromkeys(one.metric for one in empty))
        say(
            f"{source}: no datapoints{when} for {len(empty)} series ({_listing(metrics)}). CloudWatch publishes a "
            "count only in minutes where it is not zero, and latencies only in minutes with requests."
        )
    if messages:
        say(f"{source}: CloudWatch says: {_listing(list(dict.fromkeys(messages)))}")


def _label(series: Series) -> str:
    where = "" if series.scope == "lb" else f" {series.scope_name}"
    return f"{series.metric} {series.statistic}{where}"


def _listing(items: list[str], most: int = 6) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def _given_id(text: str) -> tuple[str, str, str | None] | None:
    """(lb_type, lb_id, region) when --lb already says what CloudWatch calls the load balancer:
    app/NAME/ID, net/NAME/ID, or an ARN."""
    text = text.strip()
    if text.startswith("arn:"):
        resource = parse_elb_arn(text)
        if resource and resource.kind == "loadbalancer" and resource.lb_id:
            lb_type = {"app": "alb", "net": "nlb"}.get(resource.lb_id.split("/")[0], "clb")
            if "/" in resource.lb_id and lb_type == "clb":
                return None
            return lb_type, resource.lb_id, resource.region
        return None
    parts = text.split("/")
    if len(parts) == 3 and parts[0] in ("app", "net"):
        return {"app": "alb", "net": "nlb"}[parts[0]], text, None
    return None


def _subjects(
    aws: AwsClients,
    region: str,
    name: str,
    given: tuple[str, str, str | None] | None,
    store: MetricsStore,
    say: Say,
    other_regions: Sequence[str] | None,
) -> list[MetricSubject]:
    """What to ask CloudWatch for: from Describe*, or, where it is denied, from --lb and the database."""
    try:
        described = describe_load_balancers(aws, region, name)
    except AccessDenied as denied:
        known = [given[:2]] if given else store.known_load_balancers(name)
        known = [(lb_type, lb_id) for lb_type, lb_id in known if lb_type in NAMESPACES]
        if not known:
            raise AccessDenied(
                f"{denied} The database knows no ID for {name} either: pass --lb as app/NAME/ID, net/NAME/ID or "
                "the load balancer's ARN."
            ) from None
        groups = _group_dimensions(store.known_target_groups(name))
        ids = ", ".join(lb_id for _, lb_id in known)
        say(f"{denied} Reading the metrics of {ids} without its zones, and of {_seen(len(groups))}.")
        return [MetricSubject(lb_type, lb_id, (), groups if lb_type != "clb" else ()) for lb_type, lb_id in known]
    if not described:
        raise NoInputFound(_not_found(aws, region, name, other_regions))
    subjects = []
    for lb in described:
        if lb.lb_type not in NAMESPACES:
            say(f"{name} in {region} is a gateway load balancer: correlate reads ALB, NLB and Classic ELB metrics.")
            continue
        subjects.append(MetricSubject(lb.lb_type, lb.lb_id, lb.zones, _groups(aws, region, lb, store, say)))
    if not subjects:
        raise NoInputFound(f"No ALB, NLB or Classic ELB named {name} in {region}.")
    return subjects


def _groups(aws: AwsClients, region: str, lb: DescribedLoadBalancer, store: MetricsStore, say: Say) -> tuple[str, ...]:
    if lb.arn is None:
        return ()
    try:
        return target_groups(aws, region, lb)
    except AccessDenied as denied:
        known = _group_dimensions(store.known_target_groups(lb.name))
        say(f"{denied} Reading the metrics of {lb.name} and its zones, and of {_seen(len(known))}.")
        return known


def _seen(count: int) -> str:
    """The target groups read when they may not be listed: those the database has seen."""
    if not count:
        return "no target group (the database has seen none serve it)"
    return f"the {count} target group{'s' if count != 1 else ''} the database has seen serve it"


def _group_dimensions(arns: Iterable[str]) -> tuple[str, ...]:
    return tuple(arn.split(":", 5)[5] for arn in arns)


def _not_found(aws: AwsClients, region: str, name: str, other_regions: Sequence[str] | None) -> str:
    candidates = [r for r in (other_regions if other_regions is not None else aws.regions("elbv2")) if r != region]
    elsewhere = regions_with(aws, name, candidates)
    where = f"No load balancer named {name} in {region} (asked the ELBv2 and Classic ELB APIs)"
    if elsewhere:
        return f"{where}; there is one in {', '.join(elsewhere)}: pass --region {elsewhere[0]}."
    return f"{where}, nor in the {len(candidates)} other regions asked. Check --lb and --profile."
