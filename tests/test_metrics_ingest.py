"""`ingest metrics` through the library: Describe* and GetMetricData with botocore's Stubber (exact
control of pages, PartialData, throttling and refusals), the window's retention, and what lands in
metrics_minute and metric_fetches."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import Stubber
from conftest import FakeTime, records, ts
from timeline_support import insert

from correlate.errors import AccessDenied, BadTimeExpression, NoInputFound, SourceAccessError
from correlate.parse.cloudwatch import MetricSubject, Series, metric_queries
from correlate.pipeline.metrics import MetricsRequest, ingest_metrics, one_minute_window
from correlate.sources.aws import AwsClients, AwsOptions, Pacer
from correlate.sources.cloudwatch import metric_data_pages
from correlate.store.metrics import MetricsStore

REGION = "us-east-1"
NLB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/tls-front/c6e77e28c25b2234"
NLB_ID = "net/tls-front/c6e77e28c25b2234"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tls-app/73e2d6bc24d8a067"
TG = "targetgroup/tls-app/73e2d6bc24d8a067"
NOW = dt.datetime(2026, 11, 20, 15, 0)
SINCE, UNTIL = dt.datetime(2026, 11, 20, 14, 0, 30), dt.datetime(2026, 11, 20, 14, 4, 10)
START, END = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.UTC), dt.datetime(2026, 11, 20, 14, 5, tzinfo=dt.UTC)
SUBJECT = MetricSubject("nlb", NLB_ID, ("us-east-1a",), (TG,))


class StubbedClients(AwsClients):
    """AwsClients whose clients are made here, one per (service, region), for Stubber."""

    def __init__(self) -> None:
        super().__init__(AwsOptions(region=REGION))
        self.made: dict[tuple[str, str], object] = {}
        self.stubbers: dict[tuple[str, str], Stubber] = {}

    @property
    def region(self) -> str:
        return REGION

    def client(self, service, region=None, *, max_attempts=5):
        key = (service, region or REGION)
        if key not in self.made:
            self.made[key] = boto3.client(service, region_name=key[1], aws_access_key_id="x", aws_secret_access_key="x")
        return self.made[key]

    def stub(self, service: str, region: str = REGION) -> Stubber:
        """The client's one Stubber, active."""
        if (service, region) not in self.stubbers:
            self.stubbers[service, region] = Stubber(self.client(service, region))
            self.stubbers[service, region].activate()
        return self.stubbers[service, region]

    def all_used(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def clients():
    made = StubbedClients()
    yield made
    for stubber in made.stubbers.values():
        stubber.deactivate()


def minute(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-11-20T{text}").replace(tzinfo=dt.UTC)


def result(key: str, points: dict[str, float] | None = None, status: str = "Complete") -> dict:
    points = points or {}
    return {
        "Id": key,
        "Label": key,
        "Timestamps": [minute(at) for at in points],
        "Values": list(points.values()),
        "StatusCode": status,
    }


def query_id(name: str, scope: str = "lb", statistic: str | None = None) -> str:
    """The Id metric_queries gives a series of SUBJECT."""
    for query in metric_queries(SUBJECT):
        stat = query["MetricStat"]
        names = {d["Name"] for d in stat["Metric"]["Dimensions"]}
        where = "target_group" if "TargetGroup" in names else "az" if "AvailabilityZone" in names else "lb"
        if stat["Metric"]["MetricName"] == name and where == scope and statistic in (None, stat["Stat"]):
            return query["Id"]
    raise KeyError(name)


def stub_describe(clients: StubbedClients, *, groups: bool = True) -> None:
    elbv2 = clients.stub("elbv2")
    elbv2.add_response(
        "describe_load_balancers",
        {
            "LoadBalancers": [
                {
                    "LoadBalancerArn": NLB_ARN,
                    "LoadBalancerName": "tls-front",
                    "Type": "network",
                    "AvailabilityZones": [{"ZoneName": "us-east-1a"}],
                }
            ]
        },
        {"Names": ["tls-front"]},
    )
    clients.stub("elb").add_client_error(
        "describe_load_balancers", "LoadBalancerNotFound", "not found", 400, {"LoadBalancerNames": ["tls-front"]}
    )
    if groups:
        elbv2.add_response(
            "describe_target_groups", {"TargetGroups": [{"TargetGroupArn": TG_ARN}]}, {"LoadBalancerArn": NLB_ARN}
        )


def expected_call(token: str | None = None) -> dict:
    call = {
        "MetricDataQueries": metric_queries(SUBJECT),
        "StartTime": START,
        "EndTime": END,
        "ScanBy": "TimestampAscending",
    }
    return {**call, "NextToken": token} if token else call


def run(db, clients, lb: str = "tls-front", since=SINCE, until=UNTIL, **options):
    lines: list[str] = []
    fake = FakeTime()
    summary = ingest_metrics(
        MetricsStore(db),
        clients,
        MetricsRequest(lb, since, until),
        lines.append,
        now=NOW,
        sleep=fake.sleep,
        clock=fake.clock,
        jitter=lambda: 0.5,
        **options,
    )
    return summary, lines


def test_nlb_queries():
    shapes = [
        (
            query["Id"],
            query["MetricStat"]["Metric"]["Namespace"],
            query["MetricStat"]["Metric"]["MetricName"],
            query["MetricStat"]["Stat"],
            query["MetricStat"]["Period"],
            tuple(f"{d['Name']}={d['Value']}" for d in query["MetricStat"]["Metric"]["Dimensions"]),
        )
        for query in metric_queries(SUBJECT)
    ]
    lb = f"LoadBalancer={NLB_ID}"
    assert shapes == [
        ("q0", "AWS/NetworkELB", "NewFlowCount", "Sum", 60, (lb,)),
        ("q1", "AWS/NetworkELB", "ActiveFlowCount", "Average", 60, (lb,)),
        ("q2", "AWS/NetworkELB", "TCP_Client_Reset_Count", "Sum", 60, (lb,)),
        ("q3", "AWS/NetworkELB", "TCP_Target_Reset_Count", "Sum", 60, (lb,)),
        ("q4", "AWS/NetworkELB", "TCP_ELB_Reset_Count", "Sum", 60, (lb,)),
        ("q5", "AWS/NetworkELB", "ClientTLSNegotiationErrorCount", "Sum", 60, (lb,)),
        ("q6", "AWS/NetworkELB", "TargetTLSNegotiationErrorCount", "Sum", 60, (lb,)),
        ("q7", "AWS/NetworkELB", "HealthyHostCount", "Average", 60, (lb, f"TargetGroup={TG}")),
        ("q8", "AWS/NetworkELB", "UnHealthyHostCount", "Average", 60, (lb, f"TargetGroup={TG}")),
        ("q9", "AWS/NetworkELB", "NewFlowCount", "Sum", 60, (lb, "AvailabilityZone=us-east-1a")),
        ("q10", "AWS/NetworkELB", "ActiveFlowCount", "Average", 60, (lb, "AvailabilityZone=us-east-1a")),
        ("q11", "AWS/NetworkELB", "TCP_Client_Reset_Count", "Sum", 60, (lb, "AvailabilityZone=us-east-1a")),
        ("q12", "AWS/NetworkELB", "TCP_Target_Reset_Count", "Sum", 60, (lb, "AvailabilityZone=us-east-1a")),
        ("q13", "AWS/NetworkELB", "TCP_ELB_Reset_Count", "Sum", 60, (lb, "AvailabilityZone=us-east-1a")),
        ("q14", "AWS/NetworkELB", "ClientTLSNegotiationErrorCount", "Sum", 60, (lb, "AvailabilityZone=us-east-1a")),
        ("q15", "AWS/NetworkELB", "TargetTLSNegotiationErrorCount", "Sum", 60, (lb, "AvailabilityZone=us-east-1a")),
    ]


def test_alb_and_classic_queries_per_scope():
    def counts(subject: MetricSubject) -> dict[str, int]:
        found: dict[str, int] = {}
        for query in metric_queries(subject):
            names = [d["Name"] for d in query["MetricStat"]["Metric"]["Dimensions"]]
            found[",".join(names)] = found.get(",".join(names), 0) + 1
        return found

    alb = MetricSubject("alb", "app/web/1", ("a", "b"), ("targetgroup/x/1", "targetgroup/y/2"))
    # 12 metrics with 3 TargetResponseTime percentiles; host counts and 7 others per target group
    assert counts(alb) == {
        "LoadBalancer": 12,
        "LoadBalancer,TargetGroup": 18,
        "LoadBalancer,AvailabilityZone": 24,
    }
    classic = MetricSubject("clb", "legacy", ("a",))
    assert counts(classic) == {"LoadBalancerName": 13, "LoadBalancerName,AvailabilityZone": 13}


def test_pages_follow_next_token_pace_and_back_off_from_throttling():
    client = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    fake = FakeTime()
    queries = metric_queries(SUBJECT)
    with Stubber(client) as stubber:
        stubber.add_response("get_metric_data", {"MetricDataResults": [], "NextToken": "t1"}, expected_call())
        for _ in range(2):
            stubber.add_client_error(
                "get_metric_data", "Throttling", "Rate exceeded", 400, expected_params=expected_call("t1")
            )
        stubber.add_response("get_metric_data", {"MetricDataResults": []}, expected_call("t1"))
        pages = list(
            metric_data_pages(
                client,
                queries,
                START.replace(tzinfo=None),
                END.replace(tzinfo=None),
                pacer=Pacer(0.6, fake.sleep, fake.clock),
                sleep=fake.sleep,
                jitter=lambda: 0.5,
            )
        )
        stubber.assert_no_pending_responses()
    assert pages == [{"MetricDataResults": [], "NextToken": "t1"}, {"MetricDataResults": []}]
    # 0.6 s before the second request; after each Throttling half (the jitter) of 2 s, then of 4 s,
    # which leaves no pacing to add
    assert fake.sleeps == [0.6, 1.0, 2.0]


def test_pages_give_up_after_persistent_throttling():
    client = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    fake = FakeTime()
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_client_error("get_metric_data", "Throttling", "Rate exceeded", 400)
        with pytest.raises(SourceAccessError) as caught:
            list(
                metric_data_pages(
                    client,
                    metric_queries(SUBJECT),
                    START,
                    END,
                    pacer=Pacer(0.6, fake.sleep, fake.clock),
                    sleep=fake.sleep,
                    jitter=lambda: 1.0,
                    max_retries=2,
                )
            )
    assert str(caught.value) == (
        "CloudWatch in us-east-1 is still throttling GetMetricData after 2 retries. "
        "Try again later, or narrow --since/--until."
    )
    assert fake.sleeps == [2.0, 4.0]


def test_ingest_pages_partial_data_and_empty_metrics(db, clients):
    stub_describe(clients)
    cloudwatch = clients.stub("cloudwatch")
    flows, tls, healthy = (
        query_id("NewFlowCount"),
        query_id("ClientTLSNegotiationErrorCount"),
        query_id("HealthyHostCount", "target_group"),
    )
    zone_flows = query_id("NewFlowCount", "az")
    others = [q["Id"] for q in metric_queries(SUBJECT) if q["Id"] not in (flows, tls, healthy, zone_flows)]
    first = [
        result(flows, {"14:00:00": 300.0, "14:01:00": 310.0}, "PartialData"),
        result(tls, {"14:02:00": 45.0}),
        result(healthy, {"14:00:00": 3.0, "14:01:00": 3.0, "14:02:00": 2.5}),
        result(zone_flows, {"14:00:00": 300.0}, "PartialData"),
        *[result(key) for key in others],
    ]
    second = [
        result(flows, {"14:02:00": 290.0, "14:03:00": 305.0, "14:04:00": 298.0}),
        result(zone_flows, {"14:01:00": 310.0}),
    ]
    cloudwatch.add_response("get_metric_data", {"MetricDataResults": first, "NextToken": "t1"}, expected_call())
    cloudwatch.add_response("get_metric_data", {"MetricDataResults": second}, expected_call("t1"))

    summary, lines = run(db, clients)
    clients.all_used()

    assert summary.line() == (
        "CloudWatch in us-east-1: tls-front (nlb net/tls-front/c6e77e28c25b2234): 16 series, 11 datapoints "
        "(11 new), 12 series without datapoints, 0 rejected"
    )
    assert lines == [
        "cloudwatch:us-east-1: no datapoints from 2026-11-20T14:00:00Z to 2026-11-20T14:05:00Z for 12 series "
        "(ActiveFlowCount, TCP_Client_Reset_Count, TCP_Target_Reset_Count, TCP_ELB_Reset_Count, "
        "TargetTLSNegotiationErrorCount, UnHealthyHostCount and 1 more). CloudWatch publishes a count only in "
        "minutes where it is not zero, and latencies only in minutes with requests."
    ]
    base = {"lb": "tls-front", "lb_type": "nlb", "namespace": "AWS/NetworkELB", "source": "cloudwatch:us-east-1"}

    def row(scope, scope_name, metric, statistic, at, value):
        return {**base, "scope": scope, "scope_name": scope_name, "metric": metric, "statistic": statistic,
                "minute": ts(f"2026-11-20T{at}"), "value": value}  # fmt: skip

    assert records(db, "select * exclude (loaded_at) from metrics_minute order by scope, metric, minute") == [
        row("az", "us-east-1a", "NewFlowCount", "Sum", "14:00", 300.0),
        row("az", "us-east-1a", "NewFlowCount", "Sum", "14:01", 310.0),
        row("lb", "", "ClientTLSNegotiationErrorCount", "Sum", "14:02", 45.0),
        row("lb", "", "NewFlowCount", "Sum", "14:00", 300.0),
        row("lb", "", "NewFlowCount", "Sum", "14:01", 310.0),
        row("lb", "", "NewFlowCount", "Sum", "14:02", 290.0),
        row("lb", "", "NewFlowCount", "Sum", "14:03", 305.0),
        row("lb", "", "NewFlowCount", "Sum", "14:04", 298.0),
        row("target_group", "tls-app", "HealthyHostCount", "Average", "14:00", 3.0),
        row("target_group", "tls-app", "HealthyHostCount", "Average", "14:01", 3.0),
        row("target_group", "tls-app", "HealthyHostCount", "Average", "14:02", 2.5),
    ]
    fetches = records(
        db,
        "select scope, scope_name, metric, statistic, since, until, datapoints, status, source from metric_fetches "
        "where datapoints > 0 or metric = 'UnHealthyHostCount' order by scope, metric",
    )
    window = {"since": ts("2026-11-20T14:00"), "until": ts("2026-11-20T14:05"), "source": "cloudwatch:us-east-1"}
    assert fetches == [
        {"scope": "az", "scope_name": "us-east-1a", "metric": "NewFlowCount", "statistic": "Sum", **window,
         "datapoints": 2, "status": "Complete"},
        {"scope": "lb", "scope_name": "", "metric": "ClientTLSNegotiationErrorCount", "statistic": "Sum", **window,
         "datapoints": 1, "status": "Complete"},
        {"scope": "lb", "scope_name": "", "metric": "NewFlowCount", "statistic": "Sum", **window,
         "datapoints": 5, "status": "Complete"},
        {"scope": "target_group", "scope_name": "tls-app", "metric": "HealthyHostCount", "statistic": "Average",
         **window, "datapoints": 3, "status": "Complete"},
        {"scope": "target_group", "scope_name": "tls-app", "metric": "UnHealthyHostCount", "statistic": "Average",
         **window, "datapoints": 0, "status": "Complete"},
    ]  # fmt: skip
    assert records(db, "select count(*) as n from metric_fetches") == [{"n": 16}]


def test_rerun_over_an_overlapping_window_adds_only_the_new_minutes(db, clients):
    flows = query_id("NewFlowCount")
    stub_describe(clients)
    stub_describe(clients)
    cloudwatch = clients.stub("cloudwatch")
    cloudwatch.add_response(
        "get_metric_data", {"MetricDataResults": [result(flows, {"14:00:00": 300.0, "14:01:00": 310.0})]}
    )
    # CloudWatch was still adding to 14:01 the first time: the second read has its final value
    cloudwatch.add_response(
        "get_metric_data", {"MetricDataResults": [result(flows, {"14:01:00": 312.0, "14:02:00": 290.0})]}
    )
    first, _ = run(db, clients, until=dt.datetime(2026, 11, 20, 14, 1))
    again, _ = run(db, clients, since=dt.datetime(2026, 11, 20, 14, 1), until=dt.datetime(2026, 11, 20, 14, 2))
    clients.all_used()
    assert (first.datapoints, first.new, again.datapoints, again.new) == (2, 2, 2, 1)
    assert records(db, "select minute, value from metrics_minute order by minute") == [
        {"minute": ts("2026-11-20T14:00"), "value": 300.0},
        {"minute": ts("2026-11-20T14:01"), "value": 312.0},
        {"minute": ts("2026-11-20T14:02"), "value": 290.0},
    ]


def test_partial_data_on_the_last_page_is_said(db, clients):
    stub_describe(clients)
    flows = query_id("NewFlowCount")
    clients.stub("cloudwatch").add_response(
        "get_metric_data",
        {
            "MetricDataResults": [result(flows, {"14:00:00": 300.0}, "PartialData")],
            "Messages": [{"Code": "MaxDatapointsExceeded", "Value": "too many datapoints"}],
        },
    )
    _, lines = run(db, clients)
    assert lines[0] == (
        "cloudwatch:us-east-1: PartialData for 1 series (NewFlowCount Sum): some of their minutes may be missing. "
        "Run the same command again to fill them in."
    )
    assert lines[2] == "cloudwatch:us-east-1: CloudWatch says: MaxDatapointsExceeded: too many datapoints"
    assert records(db, "select status, datapoints from metric_fetches where datapoints > 0") == [
        {"status": "PartialData", "datapoints": 1}
    ]


def test_get_metric_data_denied_reads_nothing(db, clients):
    stub_describe(clients)
    clients.stub("cloudwatch").add_client_error("get_metric_data", "AccessDenied", "not authorized", 403)
    with pytest.raises(AccessDenied) as caught:
        run(db, clients)
    assert str(caught.value) == (
        "CloudWatch in us-east-1: access denied reading metrics (needs cloudwatch:GetMetricData). "
        "Check the IAM policies, or use another --profile."
    )
    assert records(db, "select count(*) as n from metrics_minute") == [{"n": 0}]


def deny_describe(clients: StubbedClients) -> None:
    for service in ("elbv2", "elb"):
        clients.stub(service).add_client_error("describe_load_balancers", "AccessDenied", "not authorized", 403)


def test_describe_denied_falls_back_to_what_the_database_knows(db, clients):
    deny_describe(clients)
    insert(db, "tls_connections", [{"lb": "tls-front", "lb_id": NLB_ID, "time": ts("2026-11-20T13:00")}])
    insert(db, "changes", [{"event_id": "e1", "lb": "tls-front", "lb_id": NLB_ID, "target_group_arn": TG_ARN}])
    flows = "q0"
    clients.stub("cloudwatch").add_response(
        "get_metric_data", {"MetricDataResults": [result(flows, {"14:00:00": 300.0})]}
    )
    summary, lines = run(db, clients)
    clients.all_used()
    assert lines[0] == (
        "load balancer tls-front in us-east-1: access denied describing it (needs "
        "elasticloadbalancing:DescribeLoadBalancers). Check the IAM policies, or use another --profile. Reading the "
        "metrics of net/tls-front/c6e77e28c25b2234 without its zones, and of the 1 target group the database has "
        "seen serve it."
    )
    # 7 load balancer series, 2 host counts of the target group, no zones
    assert (summary.series, summary.datapoints) == (9, 1)


def test_describe_denied_and_nothing_known_says_what_to_pass(db, clients):
    deny_describe(clients)
    with pytest.raises(AccessDenied) as caught:
        run(db, clients)
    assert str(caught.value) == (
        "load balancer tls-front in us-east-1: access denied describing it (needs "
        "elasticloadbalancing:DescribeLoadBalancers). Check the IAM policies, or use another --profile. The database "
        "knows no ID for tls-front either: pass --lb as app/NAME/ID, net/NAME/ID or the load balancer's ARN."
    )


def test_describe_denied_with_the_arn_given(db, clients):
    deny_describe(clients)
    clients.stub("cloudwatch").add_response("get_metric_data", {"MetricDataResults": [result("q0", {"14:00:00": 1.0})]})
    summary, _ = run(db, clients, lb=NLB_ARN)
    assert summary.load_balancers == ["tls-front (nlb net/tls-front/c6e77e28c25b2234)"]
    assert summary.series == 7


def test_target_groups_denied_reads_the_rest(db, clients):
    stub_describe(clients, groups=False)
    clients.stub("elbv2").add_client_error("describe_target_groups", "AccessDenied", "not authorized", 403)
    clients.stub("cloudwatch").add_response("get_metric_data", {"MetricDataResults": []})
    summary, lines = run(db, clients)
    clients.all_used()
    assert lines[0] == (
        "load balancer tls-front: access denied listing its target groups (needs "
        "elasticloadbalancing:DescribeTargetGroups). Check the IAM policies, or use another --profile. Reading the "
        "metrics of tls-front and its zones, and of no target group (the database has seen none serve it)."
    )
    assert summary.series == 14  # 7 series of the load balancer, 7 of its zone


def test_missing_load_balancer_found_in_another_region(db, clients):
    for region, found in (("us-east-1", False), ("eu-west-1", True), ("us-west-2", False)):
        elbv2 = clients.stub("elbv2", region)
        if found:
            elbv2.add_response(
                "describe_load_balancers",
                {"LoadBalancers": [{"LoadBalancerArn": NLB_ARN.replace("us-east-1", region)}]},
                {"Names": ["tls-front"]},
            )
        else:
            elbv2.add_client_error("describe_load_balancers", "LoadBalancerNotFound", "", 400)
        # us-west-2 answers the Classic API with an error: a hint is not spoilt by a region that fails
        code = "AccessPointNotFound" if region != "us-west-2" else "UnrecognizedClientException"
        clients.stub("elb", region).add_client_error("describe_load_balancers", code, "", 400)
    with pytest.raises(NoInputFound) as caught:
        run(db, clients, other_regions=["us-east-1", "eu-west-1", "us-west-2"])
    assert str(caught.value) == (
        "No load balancer named tls-front in us-east-1 (asked the ELBv2 and Classic ELB APIs); there is one in "
        "eu-west-1: pass --region eu-west-1."
    )


def test_missing_load_balancer_found_nowhere(db, clients):
    for region in ("us-east-1", "eu-west-1"):
        clients.stub("elbv2", region).add_client_error("describe_load_balancers", "LoadBalancerNotFound", "", 400)
        clients.stub("elb", region).add_client_error("describe_load_balancers", "AccessPointNotFound", "", 400)
    with pytest.raises(NoInputFound) as caught:
        run(db, clients, other_regions=["eu-west-1"])
    assert str(caught.value) == (
        "No load balancer named tls-front in us-east-1 (asked the ELBv2 and Classic ELB APIs), nor in the 1 other "
        "regions asked. Check --lb and --profile."
    )


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (
            dt.datetime(2026, 11, 20, 13, 0, 30),
            dt.datetime(2026, 11, 20, 14, 59, 59),
            (dt.datetime(2026, 11, 20, 13, 0), dt.datetime(2026, 11, 20, 15, 0), None),
        ),
        (
            dt.datetime(2026, 10, 31, 15, 0),
            dt.datetime(2026, 11, 20, 14, 0),
            (
                dt.datetime(2026, 11, 5, 15, 1),
                dt.datetime(2026, 11, 20, 14, 1),
                "The window starts 20 days ago; CloudWatch keeps one-minute ELB metrics for 15 days: reading from "
                "2026-11-05T15:01:00Z. Before that it holds 5-minute data (kept 63 days), which correlate does not "
                "load.",
            ),
        ),
    ],
)
def test_one_minute_window(since, until, expected):
    assert one_minute_window(since, until, NOW) == expected


@pytest.mark.parametrize(
    ("days", "left"),
    [
        (20, "Before that it holds 5-minute data (kept 63 days), which correlate does not load."),
        (
            100,
            "Before that it holds 5-minute data up to 63 days back and 1-hour data up to 455 days, which correlate "
            "does not load.",
        ),
        (500, "The oldest part is past even 1-hour data (455 days): CloudWatch holds nothing for it."),
    ],
)
def test_window_past_one_minute_retention(days, left):
    since = NOW - dt.timedelta(days=days)
    with pytest.raises(SourceAccessError) as caught:
        one_minute_window(since, since + dt.timedelta(hours=2), NOW)
    start = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (since + dt.timedelta(hours=2, minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert str(caught.value) == (
        f"The window {start} to {end} is older than 15 days: CloudWatch keeps one-minute ELB metrics for 15 days. "
        f"{left} Use access logs for this window."
    )


def test_window_backwards():
    with pytest.raises(BadTimeExpression) as caught:
        one_minute_window(UNTIL, SINCE, NOW)
    assert str(caught.value) == ("--since 2026-11-20T14:04:10Z is not before --until 2026-11-20T14:00:30Z. Swap them.")


def test_series_of_each_scope_and_what_is_not_stored():
    from correlate.parse.cloudwatch import read_queries

    def query(key, namespace="AWS/ELB", dimensions=(("LoadBalancerName", "legacy"),), period=60, stat="p99"):
        metric = {"Namespace": namespace, "MetricName": "Latency",
                  "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions]}  # fmt: skip
        return {"Id": key, "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}}

    read = read_queries(
        [
            query("zone", dimensions=(("LoadBalancerName", "legacy"), ("AvailabilityZone", "us-east-1a"))),
            query("group", "AWS/ApplicationELB", (("LoadBalancer", "app/web/1"), ("TargetGroup", "targetgroup/t/2"))),
            query("hourly", period=3600),
            query("lambda", "AWS/Lambda"),
            query(
                "both",
                "AWS/ApplicationELB",
                (("LoadBalancer", "app/web/1"), ("TargetGroup", "targetgroup/t/2"), ("AvailabilityZone", "a")),
            ),
            query("nolb", dimensions=(("AvailabilityZone", "us-east-1a"),)),
            {"Id": "math", "Expression": "a / b"},
        ]
    )
    assert read.series == {
        "zone": Series("legacy", "clb", "AWS/ELB", "az", "us-east-1a", "Latency", "p99",
                       (("LoadBalancerName", "legacy"), ("AvailabilityZone", "us-east-1a"))),
        "group": Series("web", "alb", "AWS/ApplicationELB", "target_group", "t", "Latency", "p99",
                        (("LoadBalancer", "app/web/1"), ("TargetGroup", "targetgroup/t/2"))),
    }  # fmt: skip
    assert [reject.reason for reject in read.unreadable] == [
        "query hourly: period 3600 s: metrics_minute holds one-minute data (Period 60)",
        "query lambda: namespace AWS/Lambda is not one of AWS/ApplicationELB, AWS/NetworkELB, AWS/ELB",
        "query both: dimensions TargetGroup and AvailabilityZone: correlate keeps load balancer, target group and "
        "zone series",
        "query nolb: no LoadBalancerName dimension",
        "query math: not a MetricStat query (an expression or a Metrics Insights query)",
    ]
    assert read.not_stored == {"hourly", "lambda", "both", "nolb", "math"}


def test_result_points_times_and_values():
    from correlate.parse.cloudwatch import SeriesStatus, result_points

    series = Series("legacy", "clb", "AWS/ELB", "lb", "", "RequestCount", "Sum", (("LoadBalancerName", "legacy"),))
    paris = dt.timezone(dt.timedelta(hours=1))
    results = [
        # boto3's datetimes (any zone), seconds within the minute dropped
        {"Id": "aware", "Timestamps": [dt.datetime(2026, 11, 20, 15, 3, 20, tzinfo=paris)], "Values": [7]},
        # ISO text without a zone is UTC; epoch seconds
        {"Id": "naive", "Timestamps": ["2026-11-20T14:04:00", 1795183500], "Values": [1.5, 2]},
        {"Id": "bool", "Timestamps": ["2026-11-20T14:03:00Z"], "Values": [True]},
        {"Id": "null", "Timestamps": ["2026-11-20T14:03:00Z"], "Values": [None]},
        {"Id": "short", "Timestamps": ["2026-11-20T14:03:00Z", "2026-11-20T14:04:00Z"], "Values": [1.0]},
        {"Id": "when", "Timestamps": ["yesterday"], "Values": [1.0]},
    ]
    statuses: dict[str, SeriesStatus] = {}
    points, unreadable = result_points(
        results, dict.fromkeys(("aware", "naive", "bool", "null", "short", "when"), series), statuses
    )
    assert [(chunk.minutes.to_pylist(), chunk.values.to_pylist()) for chunk in points] == [
        ([dt.datetime(2026, 11, 20, 14, 3)], [7.0]),
        ([dt.datetime(2026, 11, 20, 14, 4), dt.datetime(2026, 11, 20, 14, 5)], [1.5, 2.0]),
    ]
    assert [reject.reason.split(":")[0] for reject in unreadable] == [
        "result bool",
        "result null",
        "result short",
        "result when",
    ]
    assert unreadable[0].reason == "result bool: Timestamps and Values are not pairs of a time and a number"
    assert {key: status.datapoints for key, status in statuses.items()} == {"aware": 1, "naive": 2}
