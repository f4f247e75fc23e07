"""Classic ELB calls → effects."""

from __future__ import annotations

from typing import Any

from correlate.model.attributes import CLASSIC_DEFAULTS, attribute_label, seconds
from correlate.model.calls import CLASSIC, handles
from correlate.model.describe import (
    UNKNOWN,
    certificate_name,
    change_text,
    name_list,
    plural,
    policy_attributes,
    ssl_settings,
    target_list,
    text,
)
from correlate.model.effects import (
    Effect,
    Fields,
    as_int,
    attribute_keys,
    classic_listener_text,
    flatten,
    health_check_timing,
    looks_like_ssl,
    policy_kind,
)
from correlate.model.state import (
    CLASSIC_HEALTH,
    Listener,
    LoadBalancer,
    Policy,
)


class ClassicHandlers:
    """Classic Load Balancer (2012-06-01) calls."""

    # Provided by Replay: call, state, knowledge, applied, rq, rs and the attribution helpers.

    # -- Classic ================================================================================

    def _classic_lb(self) -> LoadBalancer | None:
        name = self.rq.get("loadbalancername")
        if not isinstance(name, str) or not name:
            return None
        return self.state.lb(name, name, classic=True)

    def _classic_effect(self, category: str, summary: str, **extra: Any) -> list[Effect]:
        name = self.rq.get("loadbalancername")
        return [Effect(name, name, "request", category, summary, **extra)] if isinstance(name, str) and name else []

    @handles(CLASSIC, "CreateLoadBalancer", categories=("lifecycle",))
    def classic_create_load_balancer(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        listeners = [spec for spec in self.rq.get("listeners") or [] if isinstance(spec, dict)]
        shown = [classic_listener_text(spec) for spec in listeners]
        groups = tuple(self.rq.get("securitygroups") or ())
        subnets = tuple(self.rq.get("subnets") or ())
        zones = tuple(self.rq.get("availabilityzones") or ())
        summary = f"created Classic load balancer with listeners {', '.join(shown) or 'none'}"
        if self.applied:
            for spec in listeners:
                self._set_classic_listener(lb, spec)
            lb.security_groups = groups
            lb.subnets = subnets or UNKNOWN
            lb.attributes = dict(CLASSIC_DEFAULTS)
        return self._classic_effect(
            "lifecycle", summary, details={"listeners": shown, "subnets": list(subnets), "zones": list(zones)}
        )

    def _set_classic_listener(self, lb: LoadBalancer, spec: dict[str, Any]) -> None:
        port = as_int(spec.get("loadbalancerport"))
        if port is None:
            return
        listener = lb.listeners.setdefault(port, Listener(lb.lb, lb.lb_id))
        listener.port = port
        listener.protocol = spec.get("protocol")
        listener.instance = f"{spec.get('instanceprotocol') or spec.get('protocol')}:{spec.get('instanceport')}"
        listener.certificate = spec.get("sslcertificateid")
        listener.policies = UNKNOWN  # AWS may apply a default SSL policy; CloudTrail does not say which

    @handles(CLASSIC, "DeleteLoadBalancer", categories=("lifecycle",))
    def classic_delete_load_balancer(self) -> list[Effect]:
        name = self.rq.get("loadbalancername")
        if self.applied and isinstance(name, str):
            self.state.lbs.pop(name, None)
        return self._classic_effect("lifecycle", "deleted Classic load balancer")

    @handles(CLASSIC, "CreateLoadBalancerListeners", categories=("lifecycle",))
    def classic_create_listeners(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        listeners = [spec for spec in self.rq.get("listeners") or [] if isinstance(spec, dict)]
        if self.applied:
            for spec in listeners:
                self._set_classic_listener(lb, spec)
        ports = [as_int(spec.get("loadbalancerport")) for spec in listeners]
        summary = f"added {plural(len(listeners), 'listener')} {', '.join(classic_listener_text(s) for s in listeners)}"
        return self._classic_effect("routing", summary, listener_port=ports[0] if len(ports) == 1 else None)

    @handles(CLASSIC, "DeleteLoadBalancerListeners", categories=("lifecycle",))
    def classic_delete_listeners(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        ports = [as_int(p) for p in self.rq.get("loadbalancerports") or []]
        if self.applied:
            for port in ports:
                lb.listeners.pop(port, None)  # type: ignore[arg-type]
        summary = f"removed {plural(len(ports), 'listener')} {', '.join(str(p) for p in ports)}"
        return self._classic_effect("routing", summary, listener_port=ports[0] if len(ports) == 1 else None)

    @handles(CLASSIC, "SetLoadBalancerListenerSSLCertificate", categories=("certificate",))
    def classic_set_certificate(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        port = as_int(self.rq.get("loadbalancerport"))
        listener = lb.listeners.get(port) if port is not None else None
        before = listener.certificate if listener else UNKNOWN
        after = self.rq.get("sslcertificateid")
        fields = Fields()
        fields.diff("certificate", "certificate", before, after, certificate_name)
        if self.applied and port is not None:
            lb.listeners.setdefault(port, Listener(lb.lb, lb.lb_id, port=port)).certificate = after
        summary = f"listener {port}: {fields.joined('certificate re-applied unchanged')}"
        return self._classic_effect("listener_tls", summary, listener_port=port, details={"fields": fields.changes})

    @handles(CLASSIC, "CreateLoadBalancerPolicy", categories=("listener_tls",))
    @handles(CLASSIC, "CreateLBCookieStickinessPolicy", "CreateAppCookieStickinessPolicy")
    def classic_create_policy(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        name = str(self.rq.get("policyname"))
        kind = self.rq.get("policytypename")
        attributes = policy_attributes(self.rq.get("policyattributes"))
        if self.call.event_name == "CreateLBCookieStickinessPolicy":
            kind, attributes = (
                "LBCookieStickinessPolicyType",
                {"CookieExpirationPeriod": str(self.rq.get("cookieexpirationperiod"))},
            )
        elif self.call.event_name == "CreateAppCookieStickinessPolicy":
            kind, attributes = "AppCookieStickinessPolicyType", {"CookieName": str(self.rq.get("cookiename"))}
        if self.applied:
            lb.policies[name] = Policy(name, kind, attributes)
        summary = f"defined policy {name} ({kind}); in force once set on a listener"
        return self._classic_effect("other", summary, details={"policy": name, "type": kind, "attributes": attributes})

    @handles(CLASSIC, "DeleteLoadBalancerPolicy")
    def classic_delete_policy(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        name = str(self.rq.get("policyname"))
        if self.applied:
            lb.policies.pop(name, None)
        return self._classic_effect("other", f"deleted policy {name}")

    def _policy(self, lb: LoadBalancer, name: str) -> Policy | None:
        found = lb.policies.get(name)
        if found is None:
            known = self.knowledge.snapshot.lbs.get(lb.lb)
            found = known.policies.get(name) if known else None
        return found

    @handles(CLASSIC, "SetLoadBalancerPoliciesOfListener", categories=("listener_tls",))
    def classic_set_listener_policies(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        port = as_int(self.rq.get("loadbalancerport"))
        names = [str(n) for n in self.rq.get("policynames") or []]
        listener = lb.listeners.setdefault(port, Listener(lb.lb, lb.lb_id, port=port)) if port is not None else None
        before_names = listener.policies if listener is not None else UNKNOWN
        policies = {name: self._policy(lb, name) for name in names}
        ssl_after = next((p for p in policies.values() if p and p.type == "SSLNegotiationPolicyType"), None)
        ssl_after_name = next(
            (n for n, p in policies.items() if (p and p.type == "SSLNegotiationPolicyType") or looks_like_ssl(n, p)),
            None,
        )
        ssl_before = None
        ssl_before_name: Any = UNKNOWN
        if before_names is not UNKNOWN:
            ssl_before_name = None
            for name in before_names or ():
                policy = self._policy(lb, name)
                if (policy and policy.type == "SSLNegotiationPolicyType") or looks_like_ssl(name, policy):
                    ssl_before, ssl_before_name = policy, name
        details: dict[str, Any] = {
            "policies": names,
            "policies_before": None if before_names is UNKNOWN else list(before_names),
        }
        parts: list[str] = []
        category = "lb_attributes"
        if ssl_after_name is not None or (ssl_before_name not in (UNKNOWN, None)):
            category = "listener_tls"
            parts.append(change_text("SSL policy", ssl_before_name, ssl_after_name))
            parts += self._ssl_difference(ssl_before, ssl_after, details)
        others = [n for n in names if n != ssl_after_name]
        if others:
            shown = [f"{n} ({policy_kind(policies[n])})" for n in others]
            parts.append(f"policies {', '.join(shown)}")
        if not names:
            parts.append(
                "all policies removed"
                + (f" (was {text(list(before_names))})" if before_names not in (UNKNOWN, ()) else "")
            )
        if self.applied and listener is not None:
            listener.policies = tuple(names)
        summary = f"listener {port}: {'; '.join(parts)}"
        return self._classic_effect(category, summary, listener_port=port, details=details)

    def _ssl_difference(self, before: Policy | None, after: Policy | None, details: dict[str, Any]) -> list[str]:
        """Protocols and ciphers removed or added, from the policies' attributes."""
        if after is None:
            return []
        protocols, ciphers, reference = ssl_settings(after.attributes)
        parts: list[str] = []
        if reference:
            parts.append(f"based on {reference}")
            details["reference_policy"] = reference
        if before is not None:
            old_protocols, old_ciphers, _ = ssl_settings(before.attributes)
            removed = [p for p, on in old_protocols.items() if on and not protocols.get(p, False)]
            added = [p for p, on in protocols.items() if on and not old_protocols.get(p, False)]
            ciphers_removed = [c for c, on in old_ciphers.items() if on and not ciphers.get(c, False)]
            ciphers_added = [c for c, on in ciphers.items() if on and not old_ciphers.get(c, False)]
        else:  # the earlier policy is unknown: what the new one turns off is what it removes
            removed = [p for p, on in protocols.items() if not on]
            added = [p for p, on in protocols.items() if on]
            ciphers_removed = [c for c, on in ciphers.items() if not on]
            ciphers_added = []
        if removed:
            parts.append(f"protocols removed: {', '.join(removed)}")
        if added and before is not None:
            parts.append(f"protocols added: {', '.join(added)}")
        elif added:
            parts.append(f"protocols enabled: {', '.join(added)}")
        if ciphers_removed:
            parts.append(f"ciphers removed: {name_list(ciphers_removed)}")
        if ciphers_added:
            parts.append(f"ciphers added: {name_list(ciphers_added)}")
        details.update(
            protocols_removed=removed,
            protocols_enabled=[p for p, on in protocols.items() if on],
            ciphers_removed=ciphers_removed,
            ciphers_added=ciphers_added,
        )
        return parts

    @handles(CLASSIC, "SetLoadBalancerPoliciesForBackendServer")
    def classic_set_backend_policies(self) -> list[Effect]:
        port = self.rq.get("instanceport")
        names = ", ".join(str(n) for n in self.rq.get("policynames") or []) or "none"
        return self._classic_effect("lb_attributes", f"backend port {port}: policies → {names}")

    @handles(CLASSIC, "ConfigureHealthCheck", categories=("health_check",))
    def classic_health_check(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        check = self.rq.get("healthcheck") or {}
        fields = Fields()
        if "target" in check:
            fields.diff("target", "health check", lb.health.get("target", UNKNOWN), check["target"])
        for key, label in (
            ("interval", "interval"),
            ("timeout", "timeout"),
            ("healthythreshold", "healthy threshold"),
            ("unhealthythreshold", "unhealthy threshold"),
        ):
            if key in check:
                render = seconds if key in ("interval", "timeout") else text
                fields.diff(key, label, lb.health.get(key, UNKNOWN), check[key], render)
        if self.applied:
            lb.health.update({key: check[key] for key in CLASSIC_HEALTH if key in check})
        details: dict[str, Any] = {"fields": fields.changes}
        timing = health_check_timing(check, "interval", "healthythreshold", "unhealthythreshold")
        if timing:
            details["health_check"] = timing
        return self._classic_effect("health_check", fields.joined("health check re-applied unchanged"), details=details)

    @handles(
        CLASSIC,
        "RegisterInstancesWithLoadBalancer",
        "DeregisterInstancesFromLoadBalancer",
        categories=("targets",),
    )
    def classic_instances(self) -> list[Effect]:
        instances = [i for i in self.rq.get("instances") or [] if isinstance(i, dict)]
        registering = self.call.event_name == "RegisterInstancesWithLoadBalancer"
        verb = "registered" if registering else "deregistered"
        targets = [{"id": i.get("instanceid")} for i in instances]
        summary = f"{verb} {plural(len(instances), 'instance')} ({target_list(targets)})"
        ids = tuple(str(i.get("instanceid")) for i in instances)
        name = self.rq.get("loadbalancername")
        if self.applied and isinstance(name, str):  # the instances EC2 calls later reach (model/ec2.py)
            for instance in ids:
                names = self.state.classic_registered.setdefault(instance, set())
                if registering:
                    names.add(name)
                else:
                    names.discard(name)
        return self._classic_effect("targets", summary, targets=ids, details={verb: list(ids)})

    @handles(CLASSIC, "ModifyLoadBalancerAttributes", categories=("lb_attributes",))
    def classic_attributes(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        fields = Fields()
        for key, value in flatten(self.rq.get("loadbalancerattributes") or {}).items():
            label, render = attribute_label(key)
            fields.diff(key, label, lb.attributes.get(key, UNKNOWN), value, render)
            if self.applied:
                lb.attributes[key] = value
        details: dict[str, Any] = {"fields": fields.changes}
        keys = attribute_keys(self.call.request)
        if keys:
            details["attribute_keys"] = keys
        return self._classic_effect("lb_attributes", fields.joined("attributes re-applied unchanged"), details=details)

    @handles(CLASSIC, "ApplySecurityGroupsToLoadBalancer", categories=("security",))
    def classic_security_groups(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        after = tuple(self.rq.get("securitygroups") or ())
        fields = Fields()
        fields.diff("security_groups", "security groups", lb.security_groups, after)
        if self.applied:
            lb.security_groups = after
        return self._classic_effect("security", fields.joined("security groups unchanged"))

    @handles(
        CLASSIC,
        "AttachLoadBalancerToSubnets",
        "DetachLoadBalancerFromSubnets",
        "EnableAvailabilityZonesForLoadBalancer",
        "DisableAvailabilityZonesForLoadBalancer",
    )
    def classic_subnets_or_zones(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        values = list(self.rq.get("subnets") or self.rq.get("availabilityzones") or [])
        what = "subnets" if "subnets" in self.rq else "availability zones"
        adding = self.call.event_name.startswith(("Attach", "Enable"))
        if self.applied and what == "subnets" and lb.subnets is not UNKNOWN:
            current = set(lb.subnets)
            lb.subnets = tuple(sorted(current | set(values) if adding else current - set(values)))
        return self._classic_effect("other", f"{what} {'added' if adding else 'removed'}: {', '.join(values)}")
