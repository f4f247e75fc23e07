"""Change events of other systems → `Change` records of origin `feed`: which load balancers each
event concerns, from its scope hints, at its time in the replay.

- `lb`: those load balancers (a name, app/NAME/ID or an ARN), as given (`attributed_by` `feed`);
- `target_group` (a name or an ARN): the load balancers forwarding to the group at the event's
  time, as for a CloudTrail call on it (the replayed configuration, an inventory, the access logs);
- `service`: an ECS service (NAME or CLUSTER/NAME), an Auto Scaling group or a Lambda function the
  replay knows, through the target groups it registers with;
- `targets` (ip:port): the target groups and load balancers the access logs show them serving;
- `listener_port`: which listener, on the load balancers found otherwise.

Hints narrow each other: with `lb` and a target group, only that load balancer's share. An event
whose hints place it nowhere, or that gives none, is put on every load balancer known (access logs,
inventory, CloudTrail) with `attributed_by` `unscoped`: the scoring gives it load-balancer scope at
a reduced factor (docs/scoring.md). Hints that matched nothing are kept in `details.unplaced`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from correlate.model.change import Change
from correlate.model.describe import UNKNOWN, tg_name
from correlate.model.lambda_ import function_name
from correlate.model.state import Knowledge, State, lbs_serving, pair_key
from correlate.parse.arns import lb_name, parse_elb_arn
from correlate.parse.feed import FeedEvent

UNSCOPED = "unscoped"  # `attributed_by` of an event placed on every load balancer
CATEGORY = {"feature-flag": "feature_flag"}  # a kind's category, where the spelling differs


@dataclass
class _Place:
    """An event's share on one load balancer."""

    how: str
    groups: list[str] = field(default_factory=list)  # target group ARNs (or names not known as ARNs)
    targets: list[str] = field(default_factory=list)


def place_event(event: FeedEvent, state: State, knowledge: Knowledge) -> list[Change]:
    """One change per load balancer the event concerns (none when the database knows no load balancer)."""
    places: dict[tuple[str, str | None], _Place] = {}
    unplaced: dict[str, list[str]] = {}
    for hint in event.target_groups:
        arns = _tg_arns(hint, state, knowledge)
        for arn in arns:
            _add_group(places, arn, state, knowledge, event)
        if not any(lbs_serving(state, knowledge, arn, event.event_time)[0] for arn in arns):
            unplaced.setdefault("target_group", []).append(hint)
    for hint in event.services:
        groups, classic = _service(hint, state)
        for arn in groups:
            _add_group(places, arn, state, knowledge, event)
        for name in classic:
            places.setdefault((name, name), _Place("cloudtrail"))
        if not groups and not classic:
            unplaced.setdefault("service", []).append(hint)
    for target in event.targets:
        links = knowledge.target_links.get(target, [])
        during = [link for link in links if link.first_seen <= event.event_time <= link.last_seen] or links
        for link in during:
            place = places.setdefault((link.lb, link.lb_id), _Place("access_logs"))
            if link.target_group_arn and link.target_group_arn not in place.groups:
                place.groups.append(link.target_group_arn)
        if not links:
            unplaced.setdefault("targets", []).append(target)
    if event.lbs:
        named = {lb_name(hint): _lb_id(hint, state, knowledge) for hint in event.lbs}
        parts = {key: place for key, place in places.items() if key[0] in named}
        places = {(lb, lb_id): _Place("feed") for lb, lb_id in named.items()}
        for (lb, _), place in parts.items():
            found = places[(lb, named[lb])]
            found.groups, found.targets = place.groups, place.targets
        for found in places.values():  # target groups named but not seen on this load balancer
            found.groups += [hint for hint in event.target_groups if not _is_among(hint, found.groups)]
    elif not places:
        places = {pair: _Place(UNSCOPED, list(event.target_groups)) for pair in _every_lb(state, knowledge)}
    for place in places.values():
        place.targets = list(dict.fromkeys([*place.targets, *event.targets]))
    return [_change(event, lb, lb_id, place, unplaced) for (lb, lb_id), place in sorted(places.items(), key=_by_lb)]


def _change(event: FeedEvent, lb: str, lb_id: str | None, place: _Place, unplaced: dict[str, list[str]]) -> Change:
    details: dict[str, Any] = {}
    if event.details:
        details["extra"] = event.details  # the record's own fields, apart from the facts the scoring reads
    if unplaced:
        details["unplaced"] = unplaced
    names = tuple(dict.fromkeys(name for name in map(tg_name, place.groups) if name))
    main = place.groups[0] if place.groups else None
    category = CATEGORY.get(event.kind, event.kind)
    return Change(
        event_id=event.event_id,
        event_time=event.event_time,
        event_name=event.kind,
        lb=lb,
        actor=event.actor,
        actor_kind=event.source,
        summary=event.summary or _summary(event),
        event_source=event.source,
        lb_id=lb_id,
        category=category,
        listener_port=event.listener_port,
        target_group=tg_name(main),
        target_group_arn=main if main and main.startswith("arn:") else None,
        targets=tuple(place.targets),
        details=details or None,
        actor_name=event.actor,
        attributed_by=place.how,
        categories=(category,),
        target_groups=names,
        origin="feed",
        url=event.url,
        end_time=event.end_time,
    )


def _summary(event: FeedEvent) -> str:
    """An event without a summary: its kind, system and scope hints."""
    where = [*event.services, *event.target_groups, *event.lbs]
    text = event.kind + (f" of {', '.join(where)}" if where else "")
    return text + (f" ({event.source})" if event.source else "")


def _add_group(
    places: dict[tuple[str, str | None], _Place], arn: str, state: State, knowledge: Knowledge, event: FeedEvent
) -> None:
    pairs, how = lbs_serving(state, knowledge, arn, event.event_time)
    for pair in pairs:
        place = places.setdefault(pair, _Place(how))
        if arn not in place.groups:
            place.groups.append(arn)


def _tg_arns(hint: str, state: State, knowledge: Knowledge) -> list[str]:
    if hint.startswith("arn:"):
        return [hint]
    return state.target_groups_named(hint) or knowledge.target_groups_named(hint)


def _service(hint: str, state: State) -> tuple[list[str], list[str]]:
    """(target group ARNs, Classic names) of the ECS service, Auto Scaling group or Lambda function
    called `hint`, as the replay knows them at the event's time."""
    groups: list[str] = []
    classic: list[str] = []
    for key, service in state.ecs_services.items():
        if hint in (key, service.name):
            groups += [] if service.target_groups is UNKNOWN else list(service.target_groups)
            classic += [] if service.classic_lbs is UNKNOWN else list(service.classic_lbs)
    asg = state.auto_scaling_groups.get(hint)
    if asg is not None:
        groups += [] if asg.target_groups is UNKNOWN else list(asg.target_groups)
        classic += [] if asg.classic_lbs is UNKNOWN else list(asg.classic_lbs)
    for target, registered in state.registered.items():
        if ":function:" in target and function_name(target) == hint:
            groups += sorted(registered)
    return list(dict.fromkeys(groups)), list(dict.fromkeys(classic))


def _lb_id(hint: str, state: State, knowledge: Knowledge) -> str | None:
    """app/NAME/ID where the hint or what is known says it; the name for a Classic one known as such."""
    resource = parse_elb_arn(hint) if hint.startswith("arn:") else None
    if resource is not None and resource.lb_id:
        return resource.lb_id
    if hint.count("/") == 2:
        return hint.strip()
    name = lb_name(hint)
    known = dict(_every_lb(state, knowledge))
    return known.get(name)


def _every_lb(state: State, knowledge: Knowledge) -> list[tuple[str, str | None]]:
    """Every load balancer known at this point of the replay, or to the access logs and inventory."""
    found: dict[str, str | None] = {}
    for part in (*state.lbs.values(), *state.listeners.values(), *state.rules.values()):
        if found.get(part.lb) is None:
            found[part.lb] = part.lb_id
    for lb, lb_id in knowledge.load_balancers:
        if found.get(lb) is None:
            found[lb] = lb_id
    return sorted(found.items(), key=pair_key)


def _is_among(hint: str, groups: list[str]) -> bool:
    return hint in groups or any(tg_name(arn) == hint for arn in groups)


def _by_lb(item: tuple[tuple[str, str | None], _Place]) -> tuple[str, str]:
    return pair_key(item[0])
