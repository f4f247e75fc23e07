"""Related-service calls → effects."""

from __future__ import annotations

from correlate.model.calls import Api, handles
from correlate.model.describe import (
    UNKNOWN,
    certificate_name,
    items,
    name_list,
    permission_text,
    plural,
    port_range,
    protocol_name,
)
from correlate.model.ec2 import EC2
from correlate.model.effects import (
    Affected,
    Effect,
    unique_lbs,
    web_acl_name,
)

ACM = Api("acm.amazonaws.com")
WAFV2 = Api("wafv2.amazonaws.com")
WAF_REGIONAL = Api("waf-regional.amazonaws.com")


class RelatedHandlers:
    """Related services: EC2 security groups and network ACLs, ACM, WAF."""

    # Provided by Replay: call, state, knowledge, applied, rq, rs and the attribution helpers.

    # -- related services =======================================================================

    def _lbs_with_group(self, group: str) -> list[Affected]:
        found = [(lb.lb, lb.lb_id, "cloudtrail") for lb in self.state.uses_security_group(group)]
        if not found:
            found = [(lb.lb, lb.lb_id, "inventory") for lb in self.knowledge.snapshot.uses_security_group(group)]
        return unique_lbs(found)

    @handles(
        EC2,
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "ModifySecurityGroupRules",
        "UpdateSecurityGroupRuleDescriptionsIngress",
        "UpdateSecurityGroupRuleDescriptionsEgress",
        "DeleteSecurityGroup",
    )
    def security_group_rules(self) -> list[Effect]:
        group = self.rq.get("groupid")
        if group is None:  # ModifySecurityGroupRules wraps its request
            inner = self.rq.get("modifysecuritygrouprulesrequest") or {}
            group = inner.get("groupid")
        if not isinstance(group, str):
            return []
        name = self.call.event_name
        egress = "Egress" in name
        permissions = [p for p in items(self.rq.get("ippermissions")) if isinstance(p, dict)]
        rules = "; ".join(permission_text(p, egress) for p in permissions)
        direction = "egress" if egress else "ingress"
        if name.startswith("Authorize"):
            summary = f"security group {group}: {direction} allowed: {rules or 'rules added'}"
        elif name.startswith("Revoke"):
            ids = [str(i) for i in items(self.rq.get("securitygroupruleids"))]
            summary = f"security group {group}: {direction} rule removed: {rules or ', '.join(ids) or 'rules removed'}"
        elif name == "DeleteSecurityGroup":
            summary = f"security group {group} deleted"
        else:
            summary = f"security group {group}: rules modified ({name})"
        return [
            Effect(lb, lb_id, how, "security", summary, details={"group": group})
            for lb, lb_id, how in self._lbs_with_group(group)
        ]

    @handles(EC2, "CreateSecurityGroup")
    def security_group_created(self) -> list[Effect]:
        """Kept in api_calls, but a new group protects no load balancer until one applies it."""
        return []

    @handles(EC2, "CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry")
    def network_acl_entry(self) -> list[Effect]:
        acl = self.rq.get("networkaclid")
        if not isinstance(acl, str):
            return []
        subnets = self.state.nacl_subnets.get(acl) or self.knowledge.snapshot.nacl_subnets.get(acl) or set()
        rule = self.rq.get("rulenumber")
        direction = "egress" if self.rq.get("egress") in (True, "true") else "ingress"
        verb = {
            "CreateNetworkAclEntry": "added",
            "ReplaceNetworkAclEntry": "replaced",
            "DeleteNetworkAclEntry": "deleted",
        }
        summary = f"network ACL {acl}: {direction} entry {rule} {verb.get(self.call.event_name, 'changed')}"
        if self.rq.get("ruleaction"):
            span = self.rq.get("portrange") or {}
            proto = protocol_name(self.rq.get("protocol"))
            ports = "" if proto == "all traffic" else port_range(span.get("from"), span.get("to"))
            peer = self.rq.get("cidrblock") or self.rq.get("ipv6cidrblock") or "anywhere"
            summary += f": {self.rq['ruleaction']} {proto}{ports} {'to' if direction == 'egress' else 'from'} {peer}"
        found = []
        for state, how in ((self.state, "cloudtrail"), (self.knowledge.snapshot, "inventory")):
            for lb in state.lbs.values():
                if lb.subnets is not UNKNOWN and subnets & set(lb.subnets or ()):
                    found.append((lb.lb, lb.lb_id, how))
            if found:
                break
        return [
            Effect(lb, lb_id, how, "security", summary, details={"network_acl": acl})
            for lb, lb_id, how in unique_lbs(found)
        ]

    @handles(EC2, "ReplaceNetworkAclAssociation")
    def network_acl_association(self) -> list[Effect]:
        acl = self.rq.get("networkaclid")
        if self.applied and isinstance(acl, str):
            self.state.nacl_subnets.setdefault(acl, set())
        return []

    @handles(
        ACM,
        "ImportCertificate",
        "RenewCertificate",
        "RequestCertificate",
        "DeleteCertificate",
        "UpdateCertificateOptions",
    )
    def certificate(self) -> list[Effect]:
        arn = self.rq.get("certificatearn") or self.rs.get("certificatearn")
        if not isinstance(arn, str):
            return []
        verbs = {
            "ImportCertificate": "re-imported",
            "RenewCertificate": "renewed",
            "DeleteCertificate": "deleted",
            "UpdateCertificateOptions": "options updated",
            "RequestCertificate": "requested",
        }
        if self.call.event_name == "ImportCertificate" and "certificatearn" not in self.rq:
            return []  # a first import: nothing uses the certificate yet
        users: dict[tuple[str, str | None, str], list[int]] = {}
        for state, how in ((self.state, "cloudtrail"), (self.knowledge.snapshot, "inventory")):
            for listener in state.listeners.values():
                if listener.certificate == arn or arn in listener.extra_certificates:
                    port = self._listener_port(listener, listener.arn)
                    users.setdefault((listener.lb, listener.lb_id, how), []).append(port)  # type: ignore[arg-type]
            for lb in state.lbs.values():
                for port, listener in lb.listeners.items():
                    if listener.certificate == arn:
                        users.setdefault((lb.lb, lb.lb_id, how), []).append(port)
            if users:
                break
        effects = []
        for (lb, lb_id, how), ports in users.items():
            known = sorted(p for p in ports if p is not None)
            where = f" (listener {', '.join(str(p) for p in known)})" if known else ""
            summary = f"{certificate_name(arn)} {verbs.get(self.call.event_name, self.call.event_name)}{where}"
            port = known[0] if len(known) == 1 else None
            effects.append(
                Effect(lb, lb_id, how, "certificate", summary, listener_port=port, details={"certificate": arn})
            )
        return effects

    @handles(WAF_REGIONAL, "AssociateWebACL", "DisassociateWebACL", categories=("waf",))
    @handles(WAFV2, "AssociateWebACL", "DisassociateWebACL", categories=("waf",))
    def web_acl_association(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("resourcearn"))
        if hit is None:
            return []
        lb = self.state.lb(hit.lb, hit.lb_id, classic=False)
        if self.call.event_name == "AssociateWebACL":
            acl = self.rq.get("webaclarn") or self.rq.get("webaclid")
            summary = f"web ACL {web_acl_name(acl)} associated"
            if lb.web_acl not in (UNKNOWN, None) and lb.web_acl != acl:
                summary += f" (replacing {web_acl_name(lb.web_acl)})"
            if self.applied:
                lb.web_acl = acl
        else:
            before = lb.web_acl
            summary = "web ACL disassociated" + (
                f" (was {web_acl_name(before)})" if before not in (UNKNOWN, None) else ""
            )
            if self.applied:
                lb.web_acl = None
        return [Effect(*hit, "waf", summary)]

    @handles(WAF_REGIONAL, "UpdateWebACL")
    @handles(WAFV2, "UpdateWebACL")
    def web_acl_update(self) -> list[Effect]:
        acl_id = self.rq.get("id") or self.rq.get("webaclid")
        name = self.rq.get("name") or acl_id
        if not isinstance(acl_id, str):
            return []
        rules = [str(r.get("name")) for r in self.rq.get("rules") or [] if isinstance(r, dict)]
        parts = []
        if "rules" in self.rq:
            before = self.state.web_acl_rules.get(acl_id)
            if before is not None:
                added = [r for r in rules if r not in before]
                removed = [r for r in before if r not in rules]
                if added:
                    parts.append(f"rules added: {name_list(added)}")
                if removed:
                    parts.append(f"rules removed: {name_list(removed)}")
            else:
                parts.append(plural(len(rules), "rule"))
            if self.applied:
                self.state.web_acl_rules[acl_id] = rules
        updates = [u for u in self.rq.get("updates") or [] if isinstance(u, dict)]
        if updates:
            parts.append(plural(len(updates), "rule update"))
        default = (self.rq.get("defaultaction") or {}) if isinstance(self.rq.get("defaultaction"), dict) else {}
        if default:
            parts.append(f"default action {next(iter(default)).lower()}")
        summary = f"web ACL {name} updated" + (f": {'; '.join(parts)}" if parts else "")
        found = []
        for state, how in ((self.state, "cloudtrail"), (self.knowledge.snapshot, "inventory")):
            for lb in state.lbs.values():
                if isinstance(lb.web_acl, str) and (lb.web_acl == acl_id or lb.web_acl.endswith(f"/{acl_id}")):
                    found.append((lb.lb, lb.lb_id, how))
            if found:
                break
        return [Effect(lb, lb_id, how, "waf", summary) for lb, lb_id, how in unique_lbs(found)]
