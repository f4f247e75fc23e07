"""One change as a handler describes it (`Effect`), the before/after bookkeeping of a summary
(`Fields`), and the small helpers the handlers share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from correlate.model.describe import (
    UNKNOWN,
    certificate_name,
    change_text,
    text,
    values_of,
)
from correlate.model.state import (
    Policy,
)

# -- one change being described ---------------------------------------------------------------


class Affected(NamedTuple):
    """A load balancer a call affects, and how that was found (`Change.attributed_by`)."""

    lb: str
    lb_id: str | None
    how: str


@dataclass
class Effect:
    """What a call does to one load balancer."""

    lb: str
    lb_id: str | None
    attributed_by: str
    category: str
    summary: str
    listener_port: int | None = None
    target_group_arn: str | None = None
    targets: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    also: tuple[str, ...] = ()  # further categories this change falls in (model/change.py)
    target_group_arns: tuple[str, ...] = ()  # every target group it concerns on this load balancer
    classic: bool = False  # a Classic load balancer, known as such though the call is another service's


@dataclass
class Fields:
    """Parts of a summary with their before/after values, for `details`.

    A setting the call gives the value it already had (as far as the replay knows) is not a change:
    it is said only when nothing else changed, as `LABEL unchanged (already VALUE)`. The replay's
    earlier value depends on what else is loaded (another day's calls), so handlers take the facts the
    scoring reads from what the call sets, never from whether `diff` found a change."""

    parts: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def diff(self, name: str, label: str, before: Any, after: Any, render: Callable[[Any], str] = text) -> bool:
        """Record `label before → after`; False (and nothing recorded as changed) when the known value
        before is the same, also when only its spelling differs (a described listener's actions hold
        more members than the request's, and show the same)."""
        shown_after = render(after)
        if before is not UNKNOWN and (before == after or render(before) == shown_after):
            self.unchanged.append(f"{label} unchanged (already {shown_after})")
            return False
        shown_before = UNKNOWN if before is UNKNOWN else render(before)
        self.parts.append(change_text(label, shown_before, shown_after))
        self.changes.append({"field": name, "before": None if before is UNKNOWN else before, "after": after})
        return True

    def note(self, part: str, **detail: Any) -> None:
        self.parts.append(part)
        if detail:
            self.changes.append(detail)

    def joined(self, empty: str) -> str:
        """The changed parts; when nothing changed, the settings given again (up to UNCHANGED_SHOWN of
        them: a tool re-applying every attribute at once reads `empty`), or `empty`."""
        if self.parts:
            return "; ".join(self.parts)
        if self.unchanged and len(self.unchanged) <= UNCHANGED_SHOWN:
            return "; ".join(self.unchanged)
        return empty


UNCHANGED_SHOWN = 3


# -- small helpers ----------------------------------------------------------------------------

HEALTH_LABELS = {
    "healthcheckenabled": "health checks enabled",
    "healthcheckintervalseconds": "interval",
    "healthchecktimeoutseconds": "timeout",
    "healthythresholdcount": "healthy threshold",
    "unhealthythresholdcount": "unhealthy threshold",
    "matcher": "success codes",
}


def health_value(value: Any) -> str:
    if isinstance(value, dict):  # matcher
        return ", ".join(str(v) for v in value.values())
    return text(value)


def health_endpoint(health: dict[str, Any], tg_port: Any) -> str:
    port = health.get("healthcheckport")
    if port == "traffic-port" and tg_port not in (UNKNOWN, None):
        port = tg_port
    path = health.get("healthcheckpath") or ""
    return f"{health.get('healthcheckprotocol')}:{port}{path}"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else key
        if key == "additionalattributes" and isinstance(item, list):
            for attribute in item:
                flat[f"{name}.{attribute.get('key')}"] = attribute.get("value")
        else:
            flat.update(flatten(item, name))
    return flat


def classic_listener_text(spec: dict[str, Any]) -> str:
    port = spec.get("loadbalancerport")
    protocol = spec.get("protocol")
    backend = f"{spec.get('instanceprotocol') or protocol}:{spec.get('instanceport')}"
    shown = f"{port} {protocol} → {backend}"
    if spec.get("sslcertificateid"):
        shown += f" ({certificate_name(spec['sslcertificateid'])})"
    return shown


def looks_like_ssl(name: str, policy: Policy | None) -> bool:
    return policy is None and name.startswith("ELBSecurityPolicy")


def policy_kind(policy: Policy | None) -> str:
    if policy is None:
        return "attributes unknown"
    kind = (policy.type or "").removesuffix("PolicyType")
    if policy.type == "LBCookieStickinessPolicyType":
        return f"LB cookie stickiness, {policy.attributes.get('CookieExpirationPeriod')} s"
    if policy.type == "AppCookieStickinessPolicyType":
        return f"app cookie stickiness, cookie {policy.attributes.get('CookieName')}"
    return kind or "unknown type"


def web_acl_name(arn: Any) -> str:
    if not isinstance(arn, str):
        return "unknown"
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else parts[-1]


def category_of(event_name: str) -> str:
    if "Target" in event_name and "Register" in event_name:
        return "targets"
    if "Tags" in event_name:
        return "tags"
    if event_name.startswith(("Create", "Delete")) and "LoadBalancer" in event_name:
        return "lifecycle"
    if "Listener" in event_name or "Rule" in event_name:
        return "routing"
    if "HealthCheck" in event_name or event_name == "ModifyTargetGroup":
        return "health_check"
    if "Attributes" in event_name:
        return "lb_attributes"
    return "other"


def health_check_timing(check: dict[str, Any], interval: str, healthy: str, unhealthy: str) -> dict[str, float]:
    """The interval (seconds) and thresholds a health-check change sets: how long before a target it
    fails is taken out (the scoring's allowed lag)."""
    timing = {}
    for name, key in (("interval", interval), ("healthy_threshold", healthy), ("unhealthy_threshold", unhealthy)):
        value = check.get(key)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            timing[name] = float(value)
    return timing


def attribute_keys(request: Any) -> list[str]:
    """The attributes an attribute change sets, as the request names them: each `attributes` item's
    key (ELBv2), each member of `loadBalancerAttributes` (Classic)."""
    keys = set()
    for attributes in values_of(request, "attributes"):
        for pair in attributes if isinstance(attributes, list) else []:
            if isinstance(pair, dict) and "key" in pair:
                keys.add(str(pair["key"]))
    for attributes in values_of(request, "loadbalancerattributes"):
        if isinstance(attributes, dict):
            keys.update(str(key) for key in attributes)
    return sorted(keys)


def unique_lbs(found: list[tuple[str, str | None, str]]) -> list[Affected]:
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for lb, lb_id, how in found:
        if (lb, lb_id) not in seen:
            seen.add((lb, lb_id))
            unique.append(Affected(lb, lb_id, how))
    return unique


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def first_known(*values: Any) -> Any:
    """The first value that is neither None nor UNKNOWN."""
    return next((value for value in values if value is not None and value is not UNKNOWN), None)


def mutual_mode(mutual: Any) -> Any:
    """The mode of a listener's mutualAuthentication (off, passthrough, verify)."""
    return mutual.get("mode") if isinstance(mutual, dict) else None


def trust_store_of(mutual: Any) -> str | None:
    return mutual.get("truststorearn") if isinstance(mutual, dict) else None
