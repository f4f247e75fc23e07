"""CloudWatch's ELB metrics in GetMetricData's own shapes, no I/O.

The queries correlate asks for each kind of load balancer (`metric_queries`), and the way back:
a query's `MetricStat` says which series it is (`series_of`: load balancer, scope, metric,
statistic), and its `MetricDataResult` pages hold the points (`result_points`). The API path and a
saved document (`read_metric_document`: the request's `MetricDataQueries` beside the responses'
`MetricDataResults`) go through the same two functions, so a file written by hand, by
`aws cloudwatch get-metric-data`, or by a generator reads exactly as the API's answer would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from correlate.errors import ParseError

NAMESPACES = {"alb": "AWS/ApplicationELB", "nlb": "AWS/NetworkELB", "clb": "AWS/ELB"}
LB_TYPES = {namespace: lb_type for lb_type, namespace in NAMESPACES.items()}
PERIOD = 60  # seconds: metrics_minute holds one-minute data only
MAX_QUERIES = 500  # MetricDataQuery structures per GetMetricData request

LB, TARGET_GROUP, AZ = "lb", "target_group", "az"
ZONE_DIMENSION = "AvailabilityZone"
GROUP_DIMENSION = "TargetGroup"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric correlate reads: the statistics it asks for, and at which scopes the namespace
    publishes it (ELB-generated codes have no target group; host counts exist only per group on
    ALB and NLB)."""

    metric: str
    statistics: tuple[str, ...] = ("Sum",)
    scopes: tuple[str, ...] = (LB, AZ)


_ALL = (LB, AZ, TARGET_GROUP)
_HOSTS = (TARGET_GROUP,)
_PERCENTILES = ("p50", "p90", "p99")

CATALOGUE: dict[str, tuple[MetricSpec, ...]] = {
    "alb": (
        MetricSpec("RequestCount", scopes=_ALL),
        MetricSpec("HTTPCode_ELB_5XX_Count"),
        MetricSpec("HTTPCode_ELB_4XX_Count"),
        MetricSpec("HTTPCode_Target_5XX_Count", scopes=_ALL),
        MetricSpec("HTTPCode_Target_4XX_Count", scopes=_ALL),
        MetricSpec("TargetResponseTime", _PERCENTILES, _ALL),
        MetricSpec("HealthyHostCount", ("Average",), _HOSTS),
        MetricSpec("UnHealthyHostCount", ("Average",), _HOSTS),
        MetricSpec("RejectedConnectionCount"),
        MetricSpec("ClientTLSNegotiationErrorCount"),
        MetricSpec("TargetConnectionErrorCount", scopes=_ALL),
        MetricSpec("ActiveConnectionCount"),
    ),
    "clb": (
        MetricSpec("RequestCount"),
        MetricSpec("Latency", _PERCENTILES),
        MetricSpec("HTTPCode_ELB_5XX"),
        MetricSpec("HTTPCode_ELB_4XX"),
        MetricSpec("HTTPCode_Backend_5XX"),
        MetricSpec("HTTPCode_Backend_4XX"),
        MetricSpec("HealthyHostCount", ("Average",)),
        MetricSpec("UnHealthyHostCount", ("Average",)),
        MetricSpec("SurgeQueueLength", ("Maximum",)),
        MetricSpec("SpilloverCount"),
        MetricSpec("BackendConnectionErrors"),
    ),
    "nlb": (
        MetricSpec("NewFlowCount"),
        MetricSpec("ActiveFlowCount", ("Average",)),
        MetricSpec("TCP_Client_Reset_Count"),
        MetricSpec("TCP_Target_Reset_Count"),
        MetricSpec("TCP_ELB_Reset_Count"),
        MetricSpec("HealthyHostCount", ("Average",), _HOSTS),
        MetricSpec("UnHealthyHostCount", ("Average",), _HOSTS),
        MetricSpec("ClientTLSNegotiationErrorCount"),
        MetricSpec("TargetTLSNegotiationErrorCount"),
    ),
}


@dataclass(frozen=True, slots=True)
class MetricSubject:
    """One load balancer as CloudWatch names it: the dimension values to ask for."""

    lb_type: str  # alb, nlb, clb
    lb_id: str  # app/NAME/ID, net/NAME/ID, or the Classic ELB's name
    zones: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()  # targetgroup/NAME/ID


@dataclass(frozen=True, slots=True)
class Series:
    """What one query asks for, in metrics_minute's terms."""

    lb: str
    lb_type: str
    namespace: str
    scope: str  # lb, target_group, az
    scope_name: str  # '' for the load balancer, the target group's name, or the zone
    metric: str
    statistic: str
    dimensions: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class SeriesPoints:
    """The points of one series in one result page, as Arrow arrays: a page holds up to 100,800."""

    series: Series
    minutes: pa.TimestampArray  # naive UTC, whole minutes
    values: pa.DoubleArray


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A query or result correlate cannot store, with the reason and its JSON text."""

    reason: str
    raw: str


@dataclass
class SeriesStatus:
    """What the pages said about one query: its datapoints, and the status of the last page that
    carried it (Complete, PartialData, InternalError, Forbidden)."""

    datapoints: int = 0
    status: str | None = None
    messages: list[str] = field(default_factory=list)


def _lb_dimension(lb_type: str) -> str:
    return "LoadBalancerName" if lb_type == "clb" else "LoadBalancer"


def metric_queries(subject: MetricSubject) -> list[dict[str, Any]]:
    """The MetricDataQueries for `subject`: load balancer scope first, then each target group, then
    each zone, so the series that matter most come in the first request. Ids are q0, q1, ..."""
    base = [{"Name": _lb_dimension(subject.lb_type), "Value": subject.lb_id}]
    scopes = (
        (LB, [base]),
        (TARGET_GROUP, [[*base, {"Name": GROUP_DIMENSION, "Value": group}] for group in subject.target_groups]),
        (AZ, [[*base, {"Name": ZONE_DIMENSION, "Value": zone}] for zone in subject.zones]),
    )
    queries: list[dict[str, Any]] = []
    for scope, dimension_sets in scopes:
        for spec in CATALOGUE[subject.lb_type]:
            if scope not in spec.scopes:
                continue
            for dimensions in dimension_sets:
                for statistic in spec.statistics:
                    metric = {"Namespace": NAMESPACES[subject.lb_type], "MetricName": spec.metric}
                    stat = {"Metric": {**metric, "Dimensions": dimensions}, "Period": PERIOD, "Stat": statistic}
                    queries.append({"Id": f"q{len(queries)}", "MetricStat": stat, "ReturnData": True})
    return queries


class NotAMetric(ValueError):
    """A query that is not one load balancer series at one minute."""


def series_of(query: Mapping[str, Any]) -> Series:
    """The series a MetricDataQuery asks for; NotAMetric says why it is not one correlate stores."""
    stat = query.get("MetricStat")
    if not isinstance(stat, Mapping) or not isinstance(stat.get("Metric"), Mapping):
        raise NotAMetric("not a MetricStat query (an expression or a Metrics Insights query)")
    metric = stat["Metric"]
    namespace = metric.get("Namespace")
    lb_type = LB_TYPES.get(namespace)
    if lb_type is None:
        raise NotAMetric(f"namespace {namespace} is not one of {', '.join(LB_TYPES)}")
    if stat.get("Period") != PERIOD:
        raise NotAMetric(f"period {stat.get('Period')} s: metrics_minute holds one-minute data (Period 60)")
    pairs = tuple((str(d.get("Name")), str(d.get("Value"))) for d in metric.get("Dimensions") or [])
    dimensions = dict(pairs)
    lb_id = dimensions.pop(_lb_dimension(lb_type), None)
    if not lb_id:
        raise NotAMetric(f"no {_lb_dimension(lb_type)} dimension")
    group, zone = dimensions.pop(GROUP_DIMENSION, None), dimensions.pop(ZONE_DIMENSION, None)
    if dimensions or (group and zone):
        extra = sorted(dimensions) or [GROUP_DIMENSION, ZONE_DIMENSION]
        raise NotAMetric(
            f"dimensions {' and '.join(extra)}: correlate keeps load balancer, target group and zone series"
        )
    if group:
        scope, scope_name = TARGET_GROUP, group.split("/")[1] if group.count("/") == 2 else group
    elif zone:
        scope, scope_name = AZ, zone
    else:
        scope, scope_name = LB, ""
    name = lb_id.split("/")[1] if lb_type != "clb" and lb_id.count("/") == 2 else lb_id
    statistic = str(stat.get("Stat"))
    return Series(name, lb_type, namespace, scope, scope_name, str(metric.get("MetricName")), statistic, pairs)


@dataclass(frozen=True, slots=True)
class Queries:
    """A request's queries read: the series of each stored query by Id, and the rest."""

    series: dict[str, Series]
    unreadable: list[Unreadable]
    not_stored: frozenset[str]


def read_queries(queries: Iterable[Mapping[str, Any]]) -> Queries:
    """Each query's series by Id, and the queries correlate cannot store."""
    series: dict[str, Series] = {}
    unreadable, not_stored = [], set()
    for query in queries:
        try:
            series[str(query["Id"])] = series_of(query)
        except (NotAMetric, KeyError, TypeError, AttributeError) as error:
            reason = str(error) if isinstance(error, NotAMetric) else "not a MetricDataQuery (Id and MetricStat)"
            unreadable.append(Unreadable(f"query {query.get('Id', '?')}: {reason}", _text(query)))
            not_stored.add(str(query.get("Id")))
    return Queries(series, unreadable, frozenset(not_stored))


def result_points(
    results: Iterable[Mapping[str, Any]],
    series: Mapping[str, Series],
    statuses: dict[str, SeriesStatus],
    not_stored: Container[str] = (),
) -> tuple[list[SeriesPoints], list[Unreadable]]:
    """The points of one page's MetricDataResults; `statuses` (by Id) accumulates over the pages.
    `not_stored` are the Ids of queries correlate could not read (each one a reject already)."""
    points, unreadable = [], []
    for result in results:
        key = str(result.get("Id"))
        if key not in series:
            why = "its query is not stored (see that query's reject)" if key in not_stored else "no query with this Id"
            unreadable.append(Unreadable(f"result {key}: {why}", _text(result)))
            continue
        timestamps, values = list(result.get("Timestamps") or []), list(result.get("Values") or [])
        minutes, numbers = _minutes(timestamps), _numbers(values)
        if minutes is None or numbers is None or len(minutes) != len(numbers):
            unreadable.append(
                Unreadable(f"result {key}: Timestamps and Values are not pairs of a time and a number", _text(result))
            )
            continue
        status = statuses.setdefault(key, SeriesStatus())
        status.datapoints += len(numbers)
        status.status = result.get("StatusCode") or status.status
        status.messages += [f"{m.get('Code')}: {m.get('Value')}" for m in result.get("Messages") or []]
        if len(numbers):
            points.append(SeriesPoints(series[key], minutes, numbers))
    return points, unreadable


def _minutes(timestamps: list[Any]) -> pa.Array | None:
    """The timestamps' minutes as naive UTC (Arrow converts boto3's datetimes and ISO 8601 text with
    a zone in C++); None when one is not a time."""
    try:
        stamps = pa.array(timestamps)
        if pa.types.is_string(stamps.type):
            stamps = stamps.cast(pa.timestamp("us", "UTC"))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        stamps = None
    if stamps is None or not pa.types.is_timestamp(stamps.type) or stamps.null_count:
        instants = [_instant(value) for value in timestamps]  # text without a zone, epoch seconds
        if None in instants:
            return None
        stamps = pa.array(instants, pa.timestamp("us"))
    return pc.floor_temporal(stamps, unit="minute").cast(pa.timestamp("us"))


def _numbers(values: list[Any]) -> pa.Array | None:
    """The values as doubles; None when one is not a number."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return None
    if pa.types.is_null(array.type):  # no values at all (or only nulls)
        return None if len(array) else pa.array([], pa.float64())
    if not (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)) or array.null_count:
        return None
    return array.cast(pa.float64())


@dataclass(frozen=True, slots=True)
class MetricDocument:
    """A saved GetMetricData exchange: the request's queries and window, the responses' results."""

    queries: list[Mapping[str, Any]]
    results: list[Mapping[str, Any]]
    start: dt.datetime | None
    end: dt.datetime | None
    messages: list[Mapping[str, Any]] = field(default_factory=list)  # the responses' Messages


def read_metric_document(data: bytes, path: str) -> MetricDocument:
    """One JSON object with `MetricDataQueries` (and optionally `StartTime`, `EndTime`) from the
    request and `MetricDataResults` (an Id may repeat: the pages one after the other) from the
    responses; `jq -s '.[0] + .[1]' request.json response.json` makes one."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise ParseError(
            path, None, f"not JSON ({error}). Pass a GetMetricData request and response as one object."
        ) from None
    if not isinstance(document, dict):
        raise ParseError(path, None, "not a JSON object. Pass a GetMetricData request and response as one object.")
    queries, results = document.get("MetricDataQueries"), document.get("MetricDataResults")
    if not isinstance(queries, list) or not isinstance(results, list):
        missing = " and ".join(
            key for key, value in (("MetricDataQueries", queries), ("MetricDataResults", results))
            if not isinstance(value, list)
        )  # fmt: skip
        raise ParseError(
            path,
            None,
            f"no {missing} list. Give the request's MetricDataQueries beside the response's MetricDataResults "
            "(jq -s '.[0] + .[1]' request.json response.json).",
        )
    start, end = (document.get(key) for key in ("StartTime", "EndTime"))
    window = [_instant(value) if value is not None else None for value in (start, end)]
    if (start is not None and window[0] is None) or (end is not None and window[1] is None):
        raise ParseError(path, None, f"StartTime {start!r} / EndTime {end!r}: not ISO 8601 times or epoch seconds.")
    messages = [m for m in document.get("Messages") or [] if isinstance(m, dict)]
    return MetricDocument(
        [q if isinstance(q, dict) else {"Id": None} for q in queries],
        [r if isinstance(r, dict) else {"Id": None} for r in results],
        window[0],
        window[1],
        messages,
    )


def _instant(value: Any) -> dt.datetime | None:
    """A naive UTC datetime from a timezone-aware datetime (boto3), ISO 8601 text or epoch seconds."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        text = value.strip()
        text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        try:
            return _instant(dt.datetime.fromisoformat(text))
        except ValueError:
            return None
    return None


def _text(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def batches(queries: Sequence[dict[str, Any]], size: int = MAX_QUERIES) -> list[Sequence[dict[str, Any]]]:
    """The queries in requests of at most `size` (GetMetricData takes 500)."""
    return [queries[start : start + size] for start in range(0, len(queries), size)]
