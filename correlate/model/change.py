"""The typed change: one row of `changes`, as the change model writes it and the timeline reads it.

`Change` is the record's one definition in Python; sql/00_tables.sql declares the table with the same
columns in the same order (a test holds the two together), and the store builds its Arrow batches
and reads its rows by these field names.

Besides what happened (who, when, the summary), a change carries the facts the scoring works from,
computed once by the change model from the call:

- `category` (what kind of change it is) and `categories`, every kind it falls in, `category` first:
  a certificate set on a Classic listener is a `listener_tls` change and a `certificate` one;
- what it touches: `target_groups` (names; `target_group` / `target_group_arn` is the main one),
  `targets` (the target ids it adds or removes), `listener_port`, and `classic` (a change of a
  Classic Load Balancer, where the whole load balancer is one listener's traffic);
- `details`: per-call facts, as JSON: before/after `fields` where known, `ecs_action` (ECS service
  calls), `health_check` (the interval and thresholds a health-check change sets), `attribute_keys`
  (the attributes an attribute change sets), `invoked` (Lambda: whether the version the load balancer
  invokes changed), and more per call (docs/cloudtrail.md);
- `reverts`: the change it undoes, when it sets the same resource back to the values it had before an
  earlier change (model/reverts.py);
- where it came from: `origin` (`cloudtrail`, or `feed` for the deploys, flags and other events of
  `correlate ingest changes`), the `url` back to the system that made it, and `end_time` for a
  rollout that took a while (the scoring allows its effect until then).

Only the columns of the user-facing contract (`event_id`, `event_time`, `event_name`, `lb`, and who
made it) are required; a change from elsewhere (a deploy feed, model/feed.py) states what it knows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

CATEGORIES = (
    "targets",
    "routing",
    "listener_tls",
    "health_check",
    "lb_attributes",
    "target_group_attributes",
    "security",
    "certificate",
    "waf",
    "tags",
    "lifecycle",
    "deploy",
    "config",
    "feature_flag",
    "scaling",
    "infra",
    "other",
)
ORIGINS = ("cloudtrail", "feed")


@dataclass(frozen=True, slots=True)
class Change:
    event_id: str
    event_time: dt.datetime
    event_name: str
    lb: str
    actor: str | None = None
    actor_kind: str | None = None
    error_code: str | None = None  # the call failed: nothing was changed
    summary: str | None = None
    event_source: str | None = None
    api_version: str | None = None
    aws_region: str | None = None
    account_id: str | None = None
    lb_id: str | None = None
    category: str = "other"
    listener_port: int | None = None
    target_group: str | None = None
    target_group_arn: str | None = None
    targets: tuple[str, ...] = ()
    details: dict[str, Any] | None = None
    actor_name: str | None = None
    applied: bool = True
    error_message: str | None = None
    attributed_by: str | None = None  # request, arn, cloudtrail, inventory, access_logs, cloudwatch
    categories: tuple[str, ...] = ()  # every category, `category` first (given none: `category` alone)
    target_groups: tuple[str, ...] = ()  # names (given none: `target_group`, if any)
    classic: bool = False
    reverts: str | None = None  # event_id of the earlier change this one undoes (model/reverts.py)
    origin: str = "cloudtrail"  # cloudtrail: an API call; feed: an event of `correlate ingest changes`
    url: str | None = None  # back to the system that made the change (a feed event's `url`)
    end_time: dt.datetime | None = None  # a rollout that takes a while: when it ended

    def __post_init__(self) -> None:
        if not self.categories:
            object.__setattr__(self, "categories", (self.category,))
        if not self.target_groups and self.target_group:
            object.__setattr__(self, "target_groups", (self.target_group,))

    def detail(self, key: str) -> Any:
        """A member of `details`, or None."""
        return self.details.get(key) if isinstance(self.details, dict) else None
