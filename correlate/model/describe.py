"""Short human text for the pieces of ELB configuration a change summary mentions.

Request parameters reach these functions with every key lower-cased (`lower_keys`): CloudTrail
lower-cases only the first letter of each member (`sSLCertificateId`), and peer fixtures use
PascalCase inside nested actions, so matching keys case-insensitively is the only safe reading.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from correlate.parse.arns import parse_elb_arn

UNKNOWN: Any = object()  # a value the replay has not seen yet


def lower_keys(value: Any) -> Any:
    """The same JSON value with every object key lower-cased."""
    if isinstance(value, dict):
        return {str(key).lower(): lower_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [lower_keys(item) for item in value]
    return value


def values_of(value: Any, key: str) -> list[Any]:
    """Every value under `key` anywhere in a JSON value (keys compared case-insensitively)."""
    found = []
    wanted = key.lower()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if str(k).lower() == wanted:
                    found.append(v)
                stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def items(value: Any) -> list:
    """A list member, whether written as a list or as EC2's {"items": [...]}."""
    if isinstance(value, dict):
        value = value.get("items", value.get("item"))
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(text(item) for item in value) if value else "none"
    return str(value)


def change_text(label: str, before: Any, after: Any) -> str:
    """`label before → after`, or `label → after` when the earlier value is not known."""
    if before is UNKNOWN:
        return f"{label} → {text(after)}"
    return f"{label} {text(before)} → {text(after)}"


def tg_name(arn: str | None) -> str | None:
    if not arn:
        return None
    resource = parse_elb_arn(arn)
    return resource.name if resource is not None and resource.name else arn


def short_id(resource_id: str) -> str:
    """The last path segment of an ARN, cut to 8 characters: enough to tell listeners apart."""
    last = resource_id.rsplit("/", 1)[-1]
    return last if len(last) <= 8 else last[:8] + "…"


def certificate_name(arn: str | None) -> str:
    """ACM `certificate/1234abcd…`, IAM `server-certificate/NAME`."""
    if not arn:
        return "none"
    resource = arn.rsplit(":", 1)[-1]
    kind, _, name = resource.partition("/")
    if kind == "certificate":
        return f"certificate {name[:8]}…" if len(name) > 8 else f"certificate {name}"
    return resource


def short_target(target_id: str, port: Any = None) -> str:
    """`i-0a1…` for instances (as in the issue's examples), IPs whole, Lambda ARNs by function name."""
    if target_id.startswith("arn:") and ":function:" in target_id:
        label = target_id.split(":function:", 1)[1].split(":", 1)[0]
    elif target_id.startswith("i-") and len(target_id) > 6:
        label = target_id[:5] + "…"
    else:
        label = target_id
    return f"{label}:{port}" if port not in (None, "") else label


def target_list(targets: list[dict[str, Any]], limit: int = 3) -> str:
    shown = [short_target(str(t.get("id") or t.get("instanceid") or "?"), t.get("port")) for t in targets[:limit]]
    if len(targets) > limit:
        shown.append(f"+{len(targets) - limit} more")
    return ", ".join(shown)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# -- listener actions and rule conditions (ELBv2) ----------------------------------------------


def action_target_groups(actions: Any) -> list[tuple[str, int | None]]:
    """(target group ARN, weight) of every forward in `actions`."""
    found: list[tuple[str, int | None]] = []
    for action in actions if isinstance(actions, list) else []:
        if not isinstance(action, dict):
            continue
        arn = action.get("targetgrouparn")
        config = action.get("forwardconfig")
        groups = config.get("targetgroups") if isinstance(config, dict) else None
        if isinstance(groups, list) and groups:
            for group in groups:
                if isinstance(group, dict) and isinstance(group.get("targetgrouparn"), str):
                    found.append((group["targetgrouparn"], _int(group.get("weight"))))
        elif isinstance(arn, str) and arn:
            found.append((arn, None))
    return found


def main_target_group(actions: Any) -> str | None:
    """The target group that gets most of the traffic of `actions`, if any."""
    groups = action_target_groups(actions)
    if not groups:
        return None
    return max(groups, key=lambda group: group[1] if group[1] is not None else 1)[0]


def describe_actions(actions: Any) -> str:
    if not isinstance(actions, list) or not actions:
        return "none"
    ordered = sorted(
        (a for a in actions if isinstance(a, dict)), key=lambda a: _int(a.get("order")) or 0 if a.get("order") else 0
    )
    return " + ".join(_describe_action(action) for action in ordered)


def _describe_action(action: dict[str, Any]) -> str:
    kind = str(action.get("type") or "?").lower()
    if kind == "forward":
        groups = action_target_groups([action])
        weighted = [g for g in groups if g[1] is not None]
        if len(groups) > 1 or (weighted and len(groups) > 1):
            total = sum(weight or 0 for _, weight in groups) or 1
            parts = [f"{tg_name(arn)} {round(100 * (weight or 0) / total)}%" for arn, weight in groups]
            return "forward " + ", ".join(parts)
        return f"forward {tg_name(groups[0][0])}" if groups else "forward"
    if kind == "redirect":
        config = action.get("redirectconfig") or {}
        where = ":".join(str(config[key]) for key in ("protocol", "port") if config.get(key))
        code = config.get("statuscode")
        return f"redirect to {where or 'same URL'}" + (f" ({code})" if code else "")
    if kind == "fixed-response":
        config = action.get("fixedresponseconfig") or {}
        return f"fixed response {config.get('statuscode', '?')}"
    return kind


def describe_conditions(conditions: Any) -> str:
    parts: list[str] = []
    for condition in conditions if isinstance(conditions, list) else []:
        if not isinstance(condition, dict):
            continue
        field = str(condition.get("field") or "?")
        values = condition.get("values")
        for key in ("pathpatternconfig", "hostheaderconfig", "httprequestmethodconfig", "sourceipconfig"):
            if isinstance(condition.get(key), dict) and condition[key].get("values"):
                values = condition[key]["values"]
        if isinstance(condition.get("httpheaderconfig"), dict):
            header = condition["httpheaderconfig"]
            values = [f"{header.get('httpheadername')}: {v}" for v in header.get("values") or []]
        if isinstance(condition.get("querystringconfig"), dict):
            pairs = condition["querystringconfig"].get("values") or []
            values = [f"{p.get('key') or ''}={p.get('value')}" for p in pairs if isinstance(p, dict)]
        label = {
            "path-pattern": "path",
            "host-header": "host",
            "http-header": "header",
            "query-string": "query",
            "http-request-method": "method",
            "source-ip": "source",
        }.get(field, field)
        parts.append(f"{label} {', '.join(str(v) for v in values or [])}".strip())
    return " and ".join(parts) if parts else "any request"


# -- Classic ELB policies ---------------------------------------------------------------------

_SSL_OPTIONS = frozenset({"server-defined-cipher-order", "reference-security-policy"})


def policy_attributes(attributes: Any) -> dict[str, str]:
    """[{attributeName, attributeValue}] → {name: value}."""
    found: dict[str, str] = {}
    for item in items(attributes):
        if isinstance(item, dict) and item.get("attributename") is not None:
            found[str(item["attributename"])] = str(item.get("attributevalue"))
    return found


def ssl_settings(attributes: dict[str, str]) -> tuple[dict[str, bool], dict[str, bool], str | None]:
    """(protocols, ciphers, reference policy) of an SSLNegotiationPolicyType policy's attributes."""
    protocols: dict[str, bool] = {}
    ciphers: dict[str, bool] = {}
    reference = None
    for name, value in attributes.items():
        if name.lower() == "reference-security-policy":
            reference = value
        elif name.lower() in _SSL_OPTIONS:
            continue
        elif name.startswith("Protocol-"):
            protocols[name.removeprefix("Protocol-")] = value.lower() == "true"
        else:
            ciphers[name] = value.lower() == "true"
    return protocols, ciphers, reference


def name_list(names: Iterable[str], limit: int = 4) -> str:
    names = list(names)
    shown = names[:limit]
    rest = f" (+{len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(shown) + rest


# -- EC2 security-group and network-ACL rules -------------------------------------------------

_PROTOCOLS = {"-1": "all traffic", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def protocol_name(value: Any) -> str:
    text_value = str(value).lower() if value is not None else "?"
    return _PROTOCOLS.get(text_value, text_value if text_value != "-1" else "all traffic")


def port_range(low: Any, high: Any) -> str:
    if low in (None, -1, "-1") and high in (None, -1, "-1"):
        return ""
    if low == high or high is None:
        return f" {low}"
    return f" {low}-{high}"


def permission_text(permission: dict[str, Any], egress: bool) -> str:
    proto = protocol_name(permission.get("ipprotocol"))
    ports = "" if proto == "all traffic" else port_range(permission.get("fromport"), permission.get("toport"))
    peers = [r.get("cidrip") for r in items(permission.get("ipranges")) if isinstance(r, dict)]
    peers += [r.get("cidripv6") for r in items(permission.get("ipv6ranges")) if isinstance(r, dict)]
    peers += [g.get("groupid") for g in items(permission.get("groups")) if isinstance(g, dict)]
    peers += [p.get("prefixlistid") for p in items(permission.get("prefixlistids")) if isinstance(p, dict)]
    peers = [p for p in peers if p]
    direction = "to" if egress else "from"
    return f"{proto}{ports} {direction} {', '.join(peers) if peers else 'anywhere'}"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
