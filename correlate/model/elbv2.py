"""ELBv2 calls → effects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from correlate.model.attributes import V2_DEFAULTS, attribute_label, seconds, target_group_defaults
from correlate.model.calls import CLASSIC, ELB_V2, handles
from correlate.model.describe import (
    UNKNOWN,
    certificate_name,
    change_text,
    describe_actions,
    describe_conditions,
    main_target_group,
    name_list,
    plural,
    short_id,
    target_list,
    tg_name,
)
from correlate.model.effects import (
    HEALTH_LABELS,
    Affected,
    Effect,
    Fields,
    as_int,
    attribute_keys,
    first_known,
    health_check_timing,
    health_endpoint,
    health_value,
    mutual_mode,
    trust_store_of,
)
from correlate.model.state import (
    Listener,
    Rule,
    health_from,
    listener_of_rule,
)


class ElbV2Handlers:
    """Elastic Load Balancing v2 (2015-12-01) calls; also AddTags/RemoveTags of both APIs."""

    # Provided by Replay: call, state, knowledge, applied, rq, rs and the attribution helpers.

    # -- ELBv2 ==================================================================================

    @handles(ELB_V2, "CreateLoadBalancer", categories=("lifecycle",))
    def v2_create_load_balancer(self) -> list[Effect]:
        described = (self.rs.get("loadbalancers") or [{}])[0]
        arn = described.get("loadbalancerarn")
        hit = self._from_arn(arn, "response")
        name = self.rq.get("name")
        if hit is None:
            if not name:
                return []
            hit = Affected(name, None, "request")
        lb_type = described.get("type") or self.rq.get("type") or "application"
        scheme = described.get("scheme") or self.rq.get("scheme") or "internet-facing"
        subnets = list(self.rq.get("subnets") or [])
        subnets += [m.get("subnetid") for m in self.rq.get("subnetmappings") or [] if m.get("subnetid")]
        groups = list(self.rq.get("securitygroups") or described.get("securitygroups") or [])
        summary = f"created {lb_type} load balancer ({scheme}) in {plural(len(subnets), 'subnet')}"
        if groups:
            summary += f", security groups {', '.join(groups)}"
        if self.applied:
            lb = self.state.lb(hit.lb, hit.lb_id, classic=False)
            lb.arn = arn
            lb.security_groups = tuple(groups)
            lb.subnets = tuple(subnets)
            lb.attributes = dict(V2_DEFAULTS.get(str(lb_type), {}))
        return [Effect(*hit, "lifecycle", summary, details={"type": lb_type, "scheme": scheme, "subnets": subnets})]

    @handles(ELB_V2, "DeleteLoadBalancer", categories=("lifecycle",))
    def v2_delete_load_balancer(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        if self.applied:
            self.state.lbs.pop(hit.lb_id or hit.lb, None)
            for arn in [a for a, listener in self.state.listeners.items() if listener.lb_id == hit.lb_id]:
                del self.state.listeners[arn]
            for arn in [a for a, rule in self.state.rules.items() if rule.lb_id == hit.lb_id]:
                del self.state.rules[arn]
        return [Effect(*hit, "lifecycle", "deleted load balancer")]

    @handles(ELB_V2, "ModifyLoadBalancerAttributes", categories=("lb_attributes",))
    def v2_modify_lb_attributes(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        lb = self.state.lb(hit.lb, hit.lb_id, classic=False)
        fields = Fields()
        for attribute in self.rq.get("attributes") or []:
            key = str(attribute.get("key"))
            value = attribute.get("value")
            fields.diff(key, *_labelled(key, lb.attributes.get(key, UNKNOWN), value))
            if self.applied:
                lb.attributes[key] = value
        summary = fields.joined("attributes re-applied unchanged")
        details = {"fields": fields.changes, **_keys_set(self.call.request)}
        return [Effect(*hit, "lb_attributes", summary, details=details)]

    @handles(ELB_V2, "SetSecurityGroups", categories=("security",))
    def v2_set_security_groups(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        lb = self.state.lb(hit.lb, hit.lb_id, classic=False)
        after = tuple(self.rq.get("securitygroups") or ())
        fields = Fields()
        fields.diff("security_groups", "security groups", lb.security_groups, after)
        if self.applied:
            lb.security_groups = after
        return [
            Effect(*hit, "security", fields.joined("security groups unchanged"), details={"fields": fields.changes})
        ]

    @handles(ELB_V2, "SetSubnets")
    def v2_set_subnets(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        lb = self.state.lb(hit.lb, hit.lb_id, classic=False)
        after = list(self.rq.get("subnets") or [])
        after += [m.get("subnetid") for m in self.rq.get("subnetmappings") or [] if m.get("subnetid")]
        fields = Fields()
        fields.diff("subnets", "subnets", lb.subnets, tuple(after))
        if self.applied:
            lb.subnets = tuple(after)
        return [Effect(*hit, "other", fields.joined("subnets unchanged"), details={"fields": fields.changes})]

    @handles(ELB_V2, "SetIpAddressType")
    def v2_set_ip_address_type(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        return [Effect(*hit, "lb_attributes", f"IP address type → {self.rq.get('ipaddresstype')}")]

    @handles(ELB_V2, "CreateListener", categories=("lifecycle",))
    def v2_create_listener(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        described = (self.rs.get("listeners") or [{}])[0]
        arn = described.get("listenerarn")
        port = self.rq.get("port")
        protocol = self.rq.get("protocol")
        actions = self.rq.get("defaultactions") or []
        certificates = [c.get("certificatearn") for c in self.rq.get("certificates") or [] if c.get("certificatearn")]
        parts = [f"created listener {port} {protocol or ''}".rstrip()]
        if self.rq.get("sslpolicy"):
            parts.append(f"SSL policy {self.rq['sslpolicy']}")
        if certificates:
            parts.append(certificate_name(certificates[0]))
        summary = ", ".join(parts) + f": default action {describe_actions(actions)}"
        if self.applied and arn:
            listener = self.state.listener(arn)
            if listener is not None:
                listener.port = port
                listener.protocol = protocol
                listener.ssl_policy = self.rq.get("sslpolicy")
                listener.certificate = certificates[0] if certificates else None
                listener.default_actions = actions
                listener.alpn_policy = self.rq.get("alpnpolicy")
                listener.mutual_authentication = mutual_mode(self.rq.get("mutualauthentication"))
                listener.trust_store = trust_store_of(self.rq.get("mutualauthentication"))
                self.state.link(actions)
        return [
            Effect(
                *hit,
                "routing",
                summary,
                listener_port=as_int(port),
                target_group_arn=main_target_group(actions),
                details={"protocol": protocol, "ssl_policy": self.rq.get("sslpolicy"), "certificates": certificates},
            )
        ]

    @handles(ELB_V2, "ModifyListener")
    def v2_modify_listener(self) -> list[Effect]:
        arn = self.rq.get("listenerarn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        listener = self.state.listener(arn)
        assert listener is not None
        rq = self.rq
        described = self._described("listeners", "listenerarn", arn)
        # The port: what the record says (the response describes the listener after the call, the
        # request the port it sets), else what the replay or the inventory knows.
        port_after = first_known(
            as_int(described.get("port")), as_int(rq.get("port")), self._listener_port(listener, arn)
        )
        replayed_port = as_int(listener.port) if listener.port is not UNKNOWN else None
        label_port = replayed_port if replayed_port is not None else port_after
        # What changed picks the category; when the replay knows every setting given is as it was, what
        # the call sets does, as when the replay knows nothing before it: the replayed values depend on
        # what else is loaded (another day's calls), the scoring's facts must not.
        fields = Fields()
        sets: list[tuple[str, bool]] = []  # (category, changed) of each setting the call gives
        if "port" in rq:
            sets.append(("routing", fields.diff("port", "port", listener.port, rq["port"])))
        if "protocol" in rq:
            sets.append(("listener_tls", fields.diff("protocol", "protocol", listener.protocol, rq["protocol"])))
        tls = []
        if "sslpolicy" in rq:
            tls.append(fields.diff("ssl_policy", "SSL policy", listener.ssl_policy, rq["sslpolicy"]))
        certificates = [c.get("certificatearn") for c in rq.get("certificates") or [] if c.get("certificatearn")]
        if certificates:
            tls.append(
                fields.diff("certificate", "certificate", listener.certificate, certificates[0], certificate_name)
            )
        if "mutualauthentication" in rq:
            mode = mutual_mode(rq["mutualauthentication"])
            tls.append(fields.diff("mutual_authentication", "mutual TLS", listener.mutual_authentication, mode))
        new_actions = rq.get("defaultactions")
        routing = new_actions is not None
        if routing:
            changed = fields.diff(
                "default_actions", "default action", listener.default_actions, new_actions, describe_actions
            )
            sets.insert(0, ("routing", changed))
        if tls:
            sets.insert(1 if routing else 0, ("listener_tls", any(tls)))
        if "alpnpolicy" in rq:
            fields.diff("alpn_policy", "ALPN policy", listener.alpn_policy, rq["alpnpolicy"])
        first_changed = next((name for name, changed in sets if changed), None)
        category = first_changed or (sets[0][0] if sets else "other")
        # what the call sets, changed or not: TLS settings make it a TLS change, actions a routing one
        if "sslpolicy" in rq or "certificates" in rq:
            also = ("listener_tls", "routing") if "defaultactions" in rq else ("listener_tls",)
        else:
            also = ("routing",)
        summary = f"{self._listener_label(label_port, arn)}: {fields.joined('settings re-applied unchanged')}"
        if self.applied:
            self._set_listener(listener, rq)
            self._set_listener(listener, described)  # the whole listener as it is after the call
        return [
            Effect(
                *hit,
                category,
                summary,
                listener_port=port_after,
                target_group_arn=main_target_group(new_actions) if routing else None,
                details={"fields": fields.changes},
                also=also,
            )
        ]

    def _described(self, member: str, key: str, arn: str | None) -> dict:
        """The response's description of the resource `arn` (ModifyListener, ModifyRule, ...)."""
        described = [item for item in self.rs.get(member) or [] if isinstance(item, dict)]
        return next((item for item in described if item.get(key) == arn), described[0] if described else {})

    def _set_listener(self, listener: Listener, spec: dict) -> None:
        """Set what `spec` (a request or a listener description) says of the listener."""
        if spec.get("port") is not None:
            listener.port = spec["port"]
        if "protocol" in spec:
            listener.protocol = spec["protocol"]
        if "sslpolicy" in spec:
            listener.ssl_policy = spec["sslpolicy"]
        certificates = [c for c in spec.get("certificates") or [] if isinstance(c, dict) and c.get("certificatearn")]
        if certificates:
            default = next((c for c in certificates if c.get("isdefault")), certificates[0])
            listener.certificate = default["certificatearn"]
        if "mutualauthentication" in spec:
            listener.mutual_authentication = mutual_mode(spec["mutualauthentication"])
            listener.trust_store = trust_store_of(spec["mutualauthentication"])
        if spec.get("defaultactions") is not None:
            listener.default_actions = spec["defaultactions"]
            self.state.link(spec["defaultactions"])
        if "alpnpolicy" in spec:
            listener.alpn_policy = spec["alpnpolicy"]

    @handles(ELB_V2, "DeleteListener", categories=("lifecycle",))
    def v2_delete_listener(self) -> list[Effect]:
        arn = self.rq.get("listenerarn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        listener = self.state.listeners.get(arn)
        port = self._listener_port(listener, arn)
        summary = f"deleted {self._listener_label(port, arn)}"
        if listener is not None and listener.default_actions is not UNKNOWN:
            summary += f" (default action {describe_actions(listener.default_actions)})"
        if self.applied:
            self.state.listeners.pop(arn, None)
            for rule_arn in [a for a, rule in self.state.rules.items() if rule.listener_arn == arn]:
                del self.state.rules[rule_arn]
        return [Effect(*hit, "routing", summary, listener_port=port)]

    @handles(ELB_V2, "AddListenerCertificates", "RemoveListenerCertificates", categories=("certificate",))
    def v2_listener_certificates(self) -> list[Effect]:
        arn = self.rq.get("listenerarn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        listener = self.state.listener(arn)
        assert listener is not None
        port = self._listener_port(listener, arn)
        certificates = [c.get("certificatearn") for c in self.rq.get("certificates") or [] if c.get("certificatearn")]
        adding = self.call.event_name == "AddListenerCertificates"
        verb = "added" if adding else "removed"
        summary = (
            f"{self._listener_label(port, arn)}: {verb} {plural(len(certificates), 'certificate')} "
            f"({', '.join(certificate_name(c) for c in certificates)})"
        )
        if self.applied:
            if adding:
                listener.extra_certificates.update(certificates)
            else:
                listener.extra_certificates.difference_update(certificates)
        return [Effect(*hit, "listener_tls", summary, listener_port=port, details={verb: certificates})]

    @handles(ELB_V2, "ModifyListenerAttributes")
    def v2_listener_attributes(self) -> list[Effect]:
        arn = self.rq.get("listenerarn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        port = self._listener_port(self.state.listeners.get(arn), arn)
        fields = Fields()
        for attribute in self.rq.get("attributes") or []:
            key = str(attribute.get("key"))
            fields.diff(key, *_labelled(key, UNKNOWN, attribute.get("value")))
        summary = f"{self._listener_label(port, arn)}: {fields.joined('attributes re-applied')}"
        return [Effect(*hit, "lb_attributes", summary, listener_port=port, details={"fields": fields.changes})]

    @handles(ELB_V2, "CreateRule", categories=("routing",))
    def v2_create_rule(self) -> list[Effect]:
        listener_arn = self.rq.get("listenerarn")
        hit = self._from_arn(listener_arn)
        if hit is None:
            return []
        port = self._listener_port(self.state.listeners.get(listener_arn), listener_arn)
        actions = self.rq.get("actions") or []
        conditions = self.rq.get("conditions") or []
        priority = self.rq.get("priority")
        summary = (
            f"{self._listener_label(port, listener_arn)}: rule {priority} added: "
            f"{describe_conditions(conditions)} → {describe_actions(actions)}"
        )
        arn = ((self.rs.get("rules") or [{}])[0]).get("rulearn")
        if self.applied and arn:
            rule = Rule(arn, listener_arn, hit.lb, hit.lb_id, priority, conditions, actions)
            self.state.rules[arn] = rule
            self.state.link(actions)
        return [
            Effect(
                *hit,
                "routing",
                summary,
                listener_port=port,
                target_group_arn=main_target_group(actions),
                details=_priority(priority),
            )
        ]

    @handles(ELB_V2, "ModifyRule", categories=("routing",))
    def v2_modify_rule(self) -> list[Effect]:
        arn = self.rq.get("rulearn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        rule = self.state.rules.get(arn)
        if rule is None:  # a copy of the inventory's rule, or a new one: the snapshot stays as it was taken
            known = self.knowledge.snapshot.rules.get(arn)
            rule = replace(known) if known else Rule(arn, listener_of_rule(arn), hit.lb, hit.lb_id)
        described = self._described("rules", "rulearn", arn)  # the rule after the call
        if rule.priority is UNKNOWN and described.get("priority") is not None:
            rule.priority = described["priority"]
        if rule.conditions is UNKNOWN and "conditions" not in self.rq and described.get("conditions") is not None:
            rule.conditions = described["conditions"]  # not set by the call: the same before and after
        port = self._listener_port(self.state.listeners.get(rule.listener_arn or ""), rule.listener_arn)
        fields = Fields()
        if "conditions" in self.rq:
            fields.diff("conditions", "conditions", rule.conditions, self.rq["conditions"], describe_conditions)
        routing_to = None
        if "actions" in self.rq:  # the rule forwards there whether or not the replay knew it did before
            fields.diff("actions", "action", rule.actions, self.rq["actions"], describe_actions)
            routing_to = main_target_group(self.rq["actions"])
        which = f"rule {rule.priority}" if rule.priority is not UNKNOWN else f"rule {short_id(arn)}"
        if rule.conditions is not UNKNOWN and "conditions" not in self.rq:
            which += f" ({describe_conditions(rule.conditions)})"
        summary = f"{self._listener_label(port, rule.listener_arn)}: {which}: {fields.joined('re-applied unchanged')}"
        if self.applied:
            stored = self.state.rules.setdefault(arn, rule)
            if "conditions" in self.rq:
                stored.conditions = self.rq["conditions"]
            if "actions" in self.rq:
                stored.actions = self.rq["actions"]
                self.state.link(stored.actions)
        return [
            Effect(
                *hit,
                "routing",
                summary,
                listener_port=port,
                target_group_arn=routing_to,
                details={"fields": fields.changes} | _priority(rule.priority),
            )
        ]

    @handles(ELB_V2, "DeleteRule", categories=("routing",))
    def v2_delete_rule(self) -> list[Effect]:
        arn = self.rq.get("rulearn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        rule = self.state.rules.get(arn)
        listener_arn = rule.listener_arn if rule else listener_of_rule(arn)
        port = self._listener_port(self.state.listeners.get(listener_arn or ""), listener_arn)
        summary = f"{self._listener_label(port, listener_arn)}: rule "
        if rule is not None and rule.priority is not UNKNOWN:
            summary += f"{rule.priority} removed"
            if rule.conditions is not UNKNOWN and rule.actions is not UNKNOWN:
                summary += f" ({describe_conditions(rule.conditions)} → {describe_actions(rule.actions)})"
        else:
            summary += f"{short_id(arn)} removed"
        if self.applied:
            self.state.rules.pop(arn, None)
        return [Effect(*hit, "routing", summary, listener_port=port)]

    @handles(ELB_V2, "SetRulePriorities", categories=("routing",))
    def v2_set_rule_priorities(self) -> list[Effect]:
        by_lb: dict[tuple[str, str | None, str], list[str]] = {}
        for pair in self.rq.get("rulepriorities") or []:
            arn = pair.get("rulearn")
            hit = self._from_arn(arn)
            if hit is None:
                continue
            rule = self.state.rules.get(arn)
            before = rule.priority if rule is not None else UNKNOWN
            label = f"rule {short_id(arn)}"
            if rule is not None and rule.conditions is not UNKNOWN:
                label = f"rule ({describe_conditions(rule.conditions)})"
            by_lb.setdefault(hit, []).append(change_text(f"{label} priority", before, pair.get("priority")))
            if self.applied and rule is not None:
                rule.priority = pair.get("priority")
        return [Effect(*hit, "routing", "; ".join(parts)) for hit, parts in by_lb.items()]

    @handles(ELB_V2, "CreateTargetGroup", categories=("lifecycle",))
    def v2_create_target_group(self) -> list[Effect]:
        described = (self.rs.get("targetgroups") or [{}])[0]
        arn = described.get("targetgrouparn")
        if self.applied and arn:
            group = self.state.target_group(arn)
            group.name = self.rq.get("name") or group.name
            group.protocol = self.rq.get("protocol")
            group.port = self.rq.get("port")
            health = {"healthcheckport": "traffic-port", "healthcheckprotocol": self.rq.get("protocol")}
            if str(self.rq.get("protocol")).upper() in ("HTTP", "HTTPS"):
                health["healthcheckpath"] = "/"
            health.update(health_from(self.rq))
            health.update(health_from(described))
            group.health = health
            group.attributes = target_group_defaults(self.rq.get("protocol"))
        return []  # a new target group serves no load balancer until a listener or rule forwards to it

    @handles(ELB_V2, "ModifyTargetGroup", categories=("health_check",))
    def v2_modify_target_group(self) -> list[Effect]:
        arn = self.rq.get("targetgrouparn")
        if not isinstance(arn, str):
            return []
        group = self.state.target_groups.get(arn)
        known = self.knowledge.snapshot.target_groups.get(arn)
        # the earlier settings are the replay's; a snapshot taken after the call holds the new ones
        before = dict(group.health) if group else {}
        described = self._described("targetgroups", "targetgrouparn", arn)  # the group after the call
        tg_port = first_known(group.port if group else None, described.get("port"), known.port if known else None)
        after = {**before, **health_from(self.rq)}
        fields = Fields()
        endpoint_keys = ("healthcheckprotocol", "healthcheckport", "healthcheckpath")
        if any(key in self.rq for key in endpoint_keys):
            if all(key in before for key in endpoint_keys):
                fields.diff(
                    "health_check", "health check", health_endpoint(before, tg_port), health_endpoint(after, tg_port)
                )
            else:
                for key, label in zip(endpoint_keys, ("protocol", "port", "path"), strict=True):
                    if key in self.rq:
                        fields.diff(key, f"health check {label}", before.get(key, UNKNOWN), self.rq[key])
        for key, label in HEALTH_LABELS.items():
            if key in self.rq:
                render = seconds if key.endswith("seconds") else health_value
                fields.diff(key, label, before.get(key, UNKNOWN), self.rq[key], render)
        if self.applied:
            stored = self.state.target_group(arn)
            stored.health = {**after, **health_from(described)}
            stored.name = described.get("targetgroupname") or stored.name
            stored.port = first_known(described.get("port"), stored.port) or UNKNOWN
            stored.protocol = first_known(described.get("protocol"), stored.protocol) or UNKNOWN
        name = self._tg_label(arn)
        summary = f"{name}: {fields.joined('health check re-applied unchanged')}"
        details: dict[str, Any] = {"fields": fields.changes}
        timing = health_check_timing(
            self.rq, "healthcheckintervalseconds", "healthythresholdcount", "unhealthythresholdcount"
        )
        if timing:
            details["health_check"] = timing
        return self._on_target_group(arn, "health_check", summary, details=details)

    @handles(ELB_V2, "ModifyTargetGroupAttributes", categories=("target_group_attributes",))
    def v2_modify_target_group_attributes(self) -> list[Effect]:
        arn = self.rq.get("targetgrouparn")
        if not isinstance(arn, str):
            return []
        group = self.state.target_group(arn)
        fields = Fields()
        for attribute in self.rq.get("attributes") or []:
            key = str(attribute.get("key"))
            # the replay's value (a snapshot taken before the call is part of it); a later snapshot
            # holds the value after, not before
            fields.diff(key, *_labelled(key, group.attributes.get(key, UNKNOWN), attribute.get("value")))
            if self.applied:
                group.attributes[key] = attribute.get("value")
        summary = f"{self._tg_label(arn)}: {fields.joined('attributes re-applied unchanged')}"
        details = {"fields": fields.changes, **_keys_set(self.call.request)}
        return self._on_target_group(arn, "target_group_attributes", summary, details=details)

    @handles(ELB_V2, "DeleteTargetGroup", categories=("lifecycle",))
    def v2_delete_target_group(self) -> list[Effect]:
        arn = self.rq.get("targetgrouparn")
        if not isinstance(arn, str):
            return []
        effects = self._on_target_group(arn, "lifecycle", f"deleted target group {self._tg_label(arn)}")
        if self.applied:
            self.state.target_groups.pop(arn, None)
        return effects

    @handles(ELB_V2, "RegisterTargets", "DeregisterTargets", categories=("targets",))
    def v2_targets(self) -> list[Effect]:
        arn = self.rq.get("targetgrouparn")
        if not isinstance(arn, str):
            return []
        targets = [t for t in self.rq.get("targets") or [] if isinstance(t, dict)]
        registering = self.call.event_name == "RegisterTargets"
        verb, preposition = ("registered", "in") if registering else ("deregistered", "from")
        summary = (
            f"{verb} {plural(len(targets), 'target')} ({target_list(targets)}) {preposition} {self._tg_label(arn)}"
        )
        ids = tuple(str(t.get("id")) for t in targets)
        if self.applied:  # which instances and Lambda functions serve the group (model/ec2.py, lambda_.py)
            self.state.register(arn, ids, registering)
        details = {verb: [{k: t.get(k) for k in ("id", "port", "availabilityzone") if k in t} for t in targets]}
        return self._on_target_group(arn, "targets", summary, targets=ids, details=details)

    @handles(CLASSIC, "AddTags", "RemoveTags", categories=("tags",))
    @handles(ELB_V2, "AddTags", "RemoveTags", categories=("tags",))
    def tags(self) -> list[Effect]:
        adding = self.call.event_name == "AddTags"
        tags = [t for t in self.rq.get("tags") or [] if isinstance(t, dict)]
        if adding:
            shown = [f"{t.get('key')}={t.get('value', '')}" for t in tags]
        else:
            shown = [str(k) for k in self.rq.get("tagkeys") or []] + [str(t.get("key")) for t in tags]
        summary = f"tags {'added' if adding else 'removed'}: {name_list(shown, 6)}"
        return [Effect(lb, lb_id, how, "tags", summary) for lb, lb_id, how in self._identified()]

    @handles(ELB_V2, "ModifyTrustStore", "AddTrustStoreRevocations", "RemoveTrustStoreRevocations")
    def v2_trust_store(self) -> list[Effect]:
        arn = self.rq.get("truststorearn")
        if not isinstance(arn, str):
            return []
        effects = []
        for listener in self.state.listeners.values():
            if listener.trust_store == arn:
                port = self._listener_port(listener, listener.arn)
                summary = (
                    f"{self._listener_label(port, listener.arn)}: trust store {tg_name(arn)}: {self.call.event_name}"
                )
                effects.append(Effect(listener.lb, listener.lb_id, "cloudtrail", "listener_tls", summary, port))
        return effects


def _keys_set(request: Any) -> dict[str, list[str]]:
    keys = attribute_keys(request)
    return {"attribute_keys": keys} if keys else {}


def _labelled(key: str, before: Any, after: Any) -> tuple[str, Any, Any, Callable[[Any], str]]:
    """`Fields.diff` arguments after the key: the attribute's label, the values, how to show them."""
    label, render = attribute_label(key)
    return label, before, after, render


def _priority(priority: Any) -> dict[str, int]:
    """A rule's priority for `details` (the scoring asks whether any request matched the rule)."""
    number = as_int(priority) if priority is not UNKNOWN else None
    return {} if number is None else {"rule_priority": number}
