"""What the demo's load balancers are like at a moment (the world the traffic generator reads), and
the scenario: its calls and change events, which of them is the culprit, and the effects that change
the world."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from correlate.demo.cloudtrail import Call
from correlate.demo.fleet import (
    API,
    CLB_INSTANCES,
    PARTNER_API,
    WEB,
    WEB_V2,
    TargetGroup,
)

DURATION = dt.timedelta(minutes=50)
INCIDENT_AFTER = dt.timedelta(minutes=30, seconds=23)
FIRST_DAY = dt.datetime(2026, 11, 2, 13, 30)


@dataclass(frozen=True, slots=True)
class Rule:
    """A listener rule of web-prod's HTTPS listener, matched before the api rule (priority 10)."""

    priority: int
    group: str
    host: str | None = None  # host-header condition
    path_prefix: str | None = None  # path-pattern condition `prefix*`

    def matches(self, host: str, path: str) -> bool:
        host_ok = self.host is None or self.host == host
        return host_ok and (self.path_prefix is None or path.startswith(self.path_prefix))


@dataclass
class AlbState:
    """What shapes web-prod's traffic at a moment."""

    serving: dict[str, list[str]]  # target group -> targets in service (registered and healthy)
    default_group: str = WEB.name
    idle_timeout: float = 60.0
    traffic: float = 1.0  # multiplier of the base request rate
    api_share: float = 0.3  # of HTTPS requests: api.example.com, which the api rule forwards to the api group
    rules: list[Rule] = field(default_factory=list)
    # Outside CloudTrail: the application behind a target group answers this share of requests with 500,
    # or answers this many times slower.
    failing: dict[str, float] = field(default_factory=dict)
    slowness: dict[str, float] = field(default_factory=dict)
    # target -> weight of the requests it gets (1 when absent): stickiness concentrates load on a few
    weights: dict[str, float] = field(default_factory=dict)
    # target group -> targets failing their health checks that it still routes to: when every target of
    # a group fails, ALB fails open and keeps sending them requests (CloudWatch counts them unhealthy)
    unhealthy: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class ClbState:
    """What shapes legacy-web's traffic at a moment."""

    backends: list[str]  # instance IPs in service
    protocols: tuple[str, ...] = ("TLSv1", "TLSv1.1", "TLSv1.2")  # what the listener's policy accepts


@dataclass
class NlbState:
    """What shapes tls-front's connections at a moment."""

    serving: list[str] = field(default_factory=lambda: list(PARTNER_API.targets))
    protocols: tuple[str, ...] = ("tlsv12", "tlsv13")  # what the listener's TLS policy accepts


@dataclass
class World:
    alb: AlbState
    clb: ClbState
    nlb: NlbState = field(default_factory=NlbState)


Effect = tuple[dt.datetime, Callable[[World], None]]


@dataclass(frozen=True, slots=True)
class Expected:
    """The `changes` row a CloudTrail parser should make of a call (the test oracle)."""

    lb: str
    category: str
    summary: str
    lb_id: str | None = None
    listener_port: int | None = None
    target_group: TargetGroup | None = None
    targets: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # further categories the change falls in
    details: dict | None = None  # the facts the scoring reads from `details` (health-check timing, ...)


@dataclass(frozen=True, slots=True)
class Event:
    call: Call
    expected: Expected | None = None  # None: not a configuration change (Describe, other services)
    culprit: bool = False
    reverts: Call | None = None  # the earlier call this one undoes


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A change event of the demo's deploy feed (`correlate ingest changes`): what the feed file holds
    (`record`, its `time` written from `at`), and the `changes` rows it should become (the oracle)."""

    at: dt.datetime
    record: dict
    expected: tuple[Expected, ...] = ()
    culprit: bool = False


@dataclass
class Scenario:
    kind: str
    title: str
    subject: str
    start: dt.datetime
    incident: dt.datetime
    events: list[Event] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    feed: list[FeedItem] = field(default_factory=list)

    @property
    def end(self) -> dt.datetime:
        return self.start + DURATION

    @property
    def culprit(self) -> Event | None:
        return next((event for event in self.events if event.culprit), None)

    @property
    def culprit_key(self) -> tuple[str, dt.datetime] | None:
        """(event_name, time) of the change the timeline should rank first: the culprit call, or a
        change event of the feed (its event name is its kind)."""
        if self.culprit is not None:
            return self.culprit.call.event_name, self.culprit.call.at
        item = next((item for item in self.feed if item.culprit), None)
        return (item.record["kind"], item.at) if item is not None else None

    def at(self, seconds: float) -> dt.datetime:
        """The moment `seconds` after the incident, in whole seconds (as CloudTrail records times)."""
        return self.incident + dt.timedelta(seconds=round(seconds))

    def add(
        self, call: Call, expected: Expected | None = None, culprit: bool = False, reverts: Call | None = None
    ) -> None:
        self.events.append(Event(call, expected, culprit, reverts))

    def effect(self, seconds: float, change: Callable[[World], None]) -> None:
        self.effects.append((self.at(seconds), change))

    def announce(self, seconds: float, record: dict, *expected: Expected, culprit: bool = False) -> None:
        """A change event of the feed at `seconds` from the incident (its `time`, and `end_time` when
        the record gives `end_after` seconds)."""
        at = self.at(seconds)
        record = dict(record)
        end_after = record.pop("end_after", None)
        written = {"time": _iso(at), **({"end_time": _iso(self.at(seconds + end_after))} if end_after else {})}
        self.feed.append(FeedItem(at, written | record, expected, culprit))


def _iso(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def initial_world() -> World:
    return World(
        alb=AlbState(serving={WEB.name: list(WEB.targets), API.name: list(API.targets), WEB_V2.name: []}),
        clb=ClbState(backends=list(CLB_INSTANCES.values())),
    )
