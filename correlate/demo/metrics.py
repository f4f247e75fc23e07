"""The one-minute metrics CloudWatch would hold for a demo incident, as a saved GetMetricData exchange.

`write_metrics` replays the scenario's traffic (the same requests, from the same random streams, as the
access logs `write_logs` writes) and counts each minute what CloudWatch counts: requests, ELB and target
4xx/5xx, target response time percentiles, per load balancer and per target group; and what no log
shows, from the scenario's world and calls: healthy and unhealthy hosts per target group (targets in
service against targets registered; a group that fails open still counts its targets unhealthy). The
document has the request's `MetricDataQueries` (`parse.cloudwatch.metric_queries`) beside the
responses' `MetricDataResults`, so `correlate ingest metrics FILE` loads it as it would load
CloudWatch's answer. Like CloudWatch, a count has no datapoint in a minute where it is zero.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from correlate.demo.cloudtrail import write_if_changed
from correlate.demo.fleet import (
    ALB_ID,
    ALB_NAME,
    CLB_INSTANCES,
    CLB_NAME,
    CLB_NEW_INSTANCE,
    NLB_ID,
    NLB_NAME,
    PARTNER_API,
    TARGET_GROUPS,
    TargetGroup,
)
from correlate.demo.traffic import Line, Rates, Replay, Served, alb_lines, clb_lines, epoch, nlb_lines
from correlate.demo.world import Scenario, World
from correlate.parse.cloudwatch import MetricSubject, metric_queries

SAMPLES_PER_MINUTE = 6  # a host count's Average: the world seen every 10 s
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0}


@dataclass(frozen=True, slots=True)
class Subject:
    """One demo load balancer as CloudWatch names it, and how its traffic and hosts are made."""

    name: str
    metrics: MetricSubject
    lines: Callable[[Scenario, float, random.Random], Iterable[Line]]
    stream: str  # the random stream of its access logs (traffic.write_logs)
    rate: Callable[[Rates], float]
    hosts: Callable[[Scenario, World, dt.datetime], dict[str, tuple[int, int]]]  # scope name -> (healthy, unhealthy)


def _alb_hosts(scenario: Scenario, world: World, at: dt.datetime) -> dict[str, tuple[int, int]]:
    registered = _registered(scenario, at)
    counts = {}
    for group in TARGET_GROUPS:
        members = registered[group.arn]
        failing = world.alb.unhealthy.get(group.name, set())
        healthy = len({t for t in world.alb.serving.get(group.name, []) if t in members and t not in failing})
        counts[group.name] = (healthy, len(members) - healthy)
    return counts


def _nlb_hosts(scenario: Scenario, world: World, at: dt.datetime) -> dict[str, tuple[int, int]]:
    members = _registered(scenario, at)[PARTNER_API.arn]
    healthy = len({t for t in world.nlb.serving if t in members})
    return {PARTNER_API.name: (healthy, len(members) - healthy)}


def _clb_hosts(scenario: Scenario, world: World, at: dt.datetime) -> dict[str, tuple[int, int]]:
    registered = _registered(scenario, at)[CLB_NAME]
    healthy = len({ip for ip in world.clb.backends if ip in registered})
    return {"": (healthy, len(registered) - healthy)}


def _registered(scenario: Scenario, at: dt.datetime) -> dict[str, set[str]]:
    """The targets registered at `at` (by target group ARN; the Classic ELB's instance IPs under its
    name): the fleet's at the start, then the scenario's register and deregister calls that succeeded."""
    registered = {group.arn: set(group.targets) for group in (*TARGET_GROUPS, PARTNER_API)}
    registered[CLB_NAME] = set(CLB_INSTANCES.values())
    instance_ips = {**CLB_INSTANCES, CLB_NEW_INSTANCE[0]: CLB_NEW_INSTANCE[1]}
    for event in scenario.events:
        call = event.call
        if call.at > at or call.error_code or not call.request:
            continue
        if call.event_name in ("RegisterTargets", "DeregisterTargets"):
            members = registered.setdefault(call.request["targetGroupArn"], set())
            ips = {target["id"] for target in call.request["targets"]}
        elif call.event_name in ("RegisterInstancesWithLoadBalancer", "DeregisterInstancesFromLoadBalancer"):
            members = registered[CLB_NAME]
            ips = {instance_ips[item["instanceId"]] for item in call.request["instances"]}
        else:
            continue
        if call.event_name.startswith("Register"):
            members |= ips
        else:
            members -= ips
    return registered


def _dimensions(groups: Iterable[TargetGroup]) -> tuple[str, ...]:
    return tuple(group.arn.split(":", 5)[5] for group in groups)


SUBJECTS = {
    ALB_NAME: Subject(
        ALB_NAME,
        MetricSubject("alb", ALB_ID, (), _dimensions(TARGET_GROUPS)),
        alb_lines,
        "alb",
        lambda rates: rates.alb,
        _alb_hosts,
    ),
    CLB_NAME: Subject(CLB_NAME, MetricSubject("clb", CLB_NAME), clb_lines, "clb", lambda rates: rates.clb, _clb_hosts),
    NLB_NAME: Subject(
        NLB_NAME,
        MetricSubject("nlb", NLB_ID, (), _dimensions((PARTNER_API,))),
        nlb_lines,
        "nlb",
        lambda rates: rates.nlb,
        _nlb_hosts,
    ),
}


class _Minutes:
    """Per (metric, statistic, scope name): value per minute index."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        self.values: dict[tuple[str, str, str], np.ndarray] = {}

    def add(self, key: tuple[str, str, str], minute: int, value: float = 1.0) -> None:
        if key not in self.values:
            self.values[key] = np.zeros(self.minutes)
        self.values[key][minute] += value


def _count(totals: _Minutes, served: Served, minute: int, lb_type: str) -> None:
    if lb_type == "nlb":
        totals.add(("NewFlowCount", "Sum", ""), minute)
        totals.add(("ActiveFlowCount", "Average", ""), minute, (served.target_time or 0.0) / 60)
        if served.failed_handshake:
            totals.add(("ClientTLSNegotiationErrorCount", "Sum", ""), minute)
        return
    scopes = ("", served.group) if served.group else ("",)
    family = served.status // 100
    for scope in scopes:
        totals.add(("RequestCount", "Sum", scope), minute)
        if lb_type == "clb":
            if family in (4, 5):
                origin = "ELB" if served.by_lb else "Backend"
                totals.add((f"HTTPCode_{origin}_{family}XX", "Sum", scope), minute)
            continue
        if scope == "":
            totals.add(("ActiveConnectionCount", "Sum", scope), minute)
        if family in (4, 5):
            if served.by_lb and scope == "":
                totals.add((f"HTTPCode_ELB_{family}XX_Count", "Sum", scope), minute)
            elif not served.by_lb:
                totals.add((f"HTTPCode_Target_{family}XX_Count", "Sum", scope), minute)


def cloudwatch_document(scenario: Scenario, lb: str, rates: Rates, seed: int) -> dict:
    """The GetMetricData exchange (request queries beside response results) for `lb` over the scenario."""
    subject = SUBJECTS[lb]
    minutes = int((scenario.end - scenario.start).total_seconds() // 60)
    start = epoch(scenario.start)
    totals = _Minutes(minutes)
    latencies: dict[tuple[str, int], list[float]] = {}
    rng = random.Random(f"{subject.stream}:{scenario.kind}:{seed}")
    for line in subject.lines(scenario, subject.rate(rates), rng):
        served = line.served
        assert served is not None
        minute = int((served.arrived - start) // 60)
        if not 0 <= minute < minutes:
            continue
        _count(totals, served, minute, subject.metrics.lb_type)
        if served.target_time is not None and subject.metrics.lb_type != "nlb":
            for scope in ("", served.group) if served.group else ("",):
                latencies.setdefault((scope, minute), []).append(served.target_time)
    latency = "Latency" if subject.metrics.lb_type == "clb" else "TargetResponseTime"
    percentiles: dict[tuple[str, str, str], dict[int, float]] = {}
    for (scope, minute), values in latencies.items():
        for statistic, q in PERCENTILES.items():
            value = float(np.percentile(values, q, method="inverted_cdf"))
            percentiles.setdefault((latency, statistic, scope), {})[minute] = round(value, 6)
    hosts = _host_averages(scenario, subject, minutes)
    queries = metric_queries(subject.metrics)
    results = []
    for query in queries:
        stat = query["MetricStat"]
        metric, statistic = stat["Metric"]["MetricName"], stat["Stat"]
        dimensions = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
        scope = dimensions["TargetGroup"].split("/")[1] if "TargetGroup" in dimensions else ""
        if (metric, statistic, scope) in percentiles:
            points = percentiles[(metric, statistic, scope)]
        elif metric in ("HealthyHostCount", "UnHealthyHostCount"):
            points = hosts.get((metric, scope), {})
        elif metric == "SurgeQueueLength":
            points = dict.fromkeys(range(minutes), 0.0)  # the demo's back ends never queue
        else:
            counted = totals.values.get((metric, statistic, scope))
            points = {m: float(v) for m, v in enumerate(counted) if v} if counted is not None else {}
        results.append(
            {
                "Id": query["Id"],
                "Label": metric,
                "Timestamps": [_stamp(scenario.start, minute) for minute in sorted(points)],
                "Values": [points[minute] for minute in sorted(points)],
                "StatusCode": "Complete",
            }
        )
    return {
        "StartTime": _stamp(scenario.start, 0),
        "EndTime": _stamp(scenario.start, minutes),
        "MetricDataQueries": queries,
        "MetricDataResults": results,
        "Messages": [],
    }


def _host_averages(scenario: Scenario, subject: Subject, minutes: int) -> dict[tuple[str, str], dict[int, float]]:
    """HealthyHostCount and UnHealthyHostCount per scope: the Average of the world sampled through each minute."""
    replay = Replay(scenario)
    sums: dict[tuple[str, str], np.ndarray] = {}
    for minute in range(minutes):
        for sample in range(SAMPLES_PER_MINUTE):
            at = scenario.start + dt.timedelta(minutes=minute, seconds=(sample + 0.5) * 60 / SAMPLES_PER_MINUTE)
            world = replay.advance(epoch(at))
            for scope, (healthy, unhealthy) in subject.hosts(scenario, world, at).items():
                for metric, value in (("HealthyHostCount", healthy), ("UnHealthyHostCount", unhealthy)):
                    sums.setdefault((metric, scope), np.zeros(minutes))[minute] += value
    return {
        key: {m: round(float(total) / SAMPLES_PER_MINUTE, 4) for m, total in enumerate(values)}
        for key, values in sums.items()
    }


def _stamp(start: dt.datetime, minute: int) -> str:
    return f"{start + dt.timedelta(minutes=minute):%Y-%m-%dT%H:%M:%SZ}"


def write_metrics(scenario: Scenario, root: Path, rates: Rates, seed: int, only: str | None = None) -> list[Path]:
    """The load balancers' documents (or `only` one's) under root/cloudwatch/, one file each; the NLB's
    only in an incident that hits it, as its logs."""
    written = []
    for lb in SUBJECTS:
        if (only is not None and lb != only) or (lb == NLB_NAME and scenario.subject != NLB_NAME):
            continue
        document = cloudwatch_document(scenario, lb, rates, seed)
        path = root / "cloudwatch" / f"{scenario.kind}-{seed}-{lb}.json"
        written.append(write_if_changed(path, orjson.dumps(document, option=orjson.OPT_INDENT_2)))
    return written
