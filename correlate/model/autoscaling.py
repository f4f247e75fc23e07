"""Auto Scaling calls → effects (docs/cloudtrail.md, "What is kept").

An Auto Scaling group registers its instances with target groups (`targetGroupARNs`, traffic
sources) or Classic load balancers (`loadBalancerNames`): attaching or detaching them, creating a
group with them, and changing what its instances run reach those load balancers. The replay keeps
each group's load balancing, launch template and desired capacity (from CreateAutoScalingGroup,
the attach and detach calls, UpdateAutoScalingGroup, else an inventory snapshot), so a later call
that names only the group is attributed, and its summary says what was there before.

New code reaches the targets two ways: StartInstanceRefresh replaces the running instances (a
`deploy`), and UpdateAutoScalingGroup with a new launch template version makes every instance
launched from then on run it (a `deploy` too: scale-outs and replacements bring it in). A new
desired capacity is `scaling`.
"""

from __future__ import annotations

from typing import Any

from correlate.model.calls import Api, handles
from correlate.model.describe import UNKNOWN, change_text
from correlate.model.effects import Affected, Effect, first_known
from correlate.model.state import AutoScalingGroup, launch_template_text

# Auto Scaling writes many read-only events: LookupEvents asks for the handled ones by name.
AUTOSCALING = Api("autoscaling.amazonaws.com", lookup_by_name=True)

_CAPACITY = ("desiredcapacity", "minsize", "maxsize")
# Parameters the summary of UpdateAutoScalingGroup describes itself; the rest are named.
_DESCRIBED = frozenset({"autoscalinggroupname", "launchtemplate", "mixedinstancespolicy", *_CAPACITY})


class AutoScalingHandlers:
    """Auto Scaling groups behind load balancers."""

    # Provided by Replay: call, state, knowledge, applied, rq, rs and the attribution helpers.

    def _asg(self) -> AutoScalingGroup:
        """The replayed group the call names (else the inventory's, else a new one)."""
        name = str(self.rq.get("autoscalinggroupname") or "?")
        group = self.state.auto_scaling_groups.get(name)
        if group is None:
            known = self.knowledge.snapshot.auto_scaling_groups.get(name)
            group = AutoScalingGroup(name)
            if known is not None:
                group.target_groups, group.classic_lbs = known.target_groups, known.classic_lbs
                group.launch_template, group.desired_capacity = known.launch_template, known.desired_capacity
            self.state.auto_scaling_groups[name] = group
        return group

    def _asg_effects(
        self, group: AutoScalingGroup, category: str, summary: str, details: dict[str, Any], also: tuple[str, ...] = ()
    ) -> list[Effect]:
        groups = () if group.target_groups is UNKNOWN else group.target_groups
        classic = () if group.classic_lbs is UNKNOWN else group.classic_lbs
        details = {"auto_scaling_group": group.name, **details}
        return self._through(groups, classic, category, summary, details, also, classic_how="cloudtrail")

    @handles(
        AUTOSCALING,
        "AttachLoadBalancerTargetGroups",
        "DetachLoadBalancerTargetGroups",
        "AttachLoadBalancers",
        "DetachLoadBalancers",
        "AttachTrafficSources",
        "DetachTrafficSources",
    )
    def autoscaling_attachments(self) -> list[Effect]:
        group = self._asg()
        attaching = self.call.event_name.startswith("Attach")
        verb, preposition = ("attached", "to") if attaching else ("detached", "from")
        effects: list[Effect] = []
        tg_arns = [str(a) for a in self.rq.get("targetgrouparns") or []]
        names = [str(n) for n in self.rq.get("loadbalancernames") or []]
        for source in self.rq.get("trafficsources") or []:
            identifier = str((source or {}).get("identifier") or "")
            (tg_arns if ":targetgroup/" in identifier else names).append(identifier)
        for arn in tg_arns:
            summary = f"auto scaling group {group.name} {verb} {preposition} target group {self._tg_label(arn)}"
            effects += self._on_target_group(arn, "targets", summary, details={"auto_scaling_group": group.name})
        for name in names:
            hit = self._from_arn(name) if name.startswith("arn:") else Affected(name, name, "request")
            if hit:
                summary = f"auto scaling group {group.name} {verb} {preposition} the load balancer"
                effects.append(Effect(*hit, "targets", summary, details={"auto_scaling_group": group.name}))
        if self.applied:
            group.target_groups = _moved(group.target_groups, tg_arns, attaching)
            group.classic_lbs = _moved(group.classic_lbs, [n for n in names if not n.startswith("arn:")], attaching)
        return effects

    @handles(AUTOSCALING, "CreateAutoScalingGroup", categories=("targets",))
    def autoscaling_create(self) -> list[Effect]:
        group = self._asg()
        rq = self.rq
        sources = [str((s or {}).get("identifier") or "") for s in rq.get("trafficsources") or []]
        tg_arns = tuple(dict.fromkeys([*map(str, rq.get("targetgrouparns") or []), *(s for s in sources if s)]))
        classic = tuple(str(n) for n in rq.get("loadbalancernames") or [])
        template = launch_template_text(rq.get("launchtemplate") or (rq.get("mixedinstancespolicy") or {}))
        if template is UNKNOWN and rq.get("launchconfigurationname"):
            template = f"{rq['launchconfigurationname']} (launch configuration)"
        capacity = first_known(rq.get("desiredcapacity"), rq.get("minsize"))
        if self.applied:
            group.target_groups, group.classic_lbs = tg_arns, classic
            group.launch_template, group.desired_capacity = template, capacity if capacity is not None else UNKNOWN
        parts = [] if template is UNKNOWN else [f"launch template {template}"]
        if capacity is not None:
            parts.append(f"desired capacity {capacity}")
        summary = f"auto scaling group {group.name} created" + (f": {', '.join(parts)}" if parts else "")
        return self._through(tg_arns, classic, "targets", summary, {"auto_scaling_group": group.name})

    @handles(AUTOSCALING, "UpdateAutoScalingGroup")
    def autoscaling_update(self) -> list[Effect]:
        group = self._asg()
        rq = self.rq
        parts: list[str] = []
        fields: list[dict[str, Any]] = []
        categories: list[str] = []
        spec = rq.get("launchtemplate") or (rq.get("mixedinstancespolicy") or {}).get("launchtemplate")
        template = launch_template_text(spec)
        if template is not UNKNOWN:
            before = group.launch_template
            if before is UNKNOWN or before != template:
                categories.append("deploy")
                parts.append(change_text("launch template", before, template) + " (for instances launched from now on)")
                fields.append(
                    {"field": "launch_template", "before": None if before is UNKNOWN else before, "after": template}
                )
            if self.applied:
                group.launch_template = template
        for key, label in (("desiredcapacity", "desired capacity"), ("minsize", "min size"), ("maxsize", "max size")):
            if key not in rq:
                continue
            before = group.desired_capacity if key == "desiredcapacity" else UNKNOWN
            if before is UNKNOWN or before != rq[key]:
                parts.append(change_text(label, before, rq[key]))
                if "scaling" not in categories:
                    categories.append("scaling")
            if key == "desiredcapacity":
                fields.append({"field": "desired_capacity", "before": _or_none(before), "after": rq[key]})
                if self.applied:
                    group.desired_capacity = rq[key]
        request = self.call.request if isinstance(self.call.request, dict) else {}
        others = sorted(str(key) for key in request if str(key).lower() not in _DESCRIBED)
        if others:
            parts.append(f"also sets {', '.join(others)}")
        summary = f"auto scaling group {group.name} updated: " + (", ".join(parts) or "settings re-applied unchanged")
        category, *also = categories or ["other"]
        return self._asg_effects(group, category, summary, {"fields": fields}, tuple(also))

    @handles(AUTOSCALING, "StartInstanceRefresh", categories=("deploy",))
    def autoscaling_instance_refresh(self) -> list[Effect]:
        group = self._asg()
        rq = self.rq
        desired = rq.get("desiredconfiguration") or {}
        template = launch_template_text(desired.get("launchtemplate") or desired.get("mixedinstancespolicy"))
        preferences = rq.get("preferences") or {}
        how = [str(rq.get("strategy") or "Rolling").lower()]
        if preferences.get("minhealthypercentage") is not None:
            how.append(f"min healthy {preferences['minhealthypercentage']}%")
        if template is not UNKNOWN:
            how.append(f"to {template}")
        elif group.launch_template is not UNKNOWN:
            how.append(f"running {group.launch_template}")
        summary = f"auto scaling group {group.name}: instance refresh started ({', '.join(how)})"
        if self.applied and template is not UNKNOWN:
            group.launch_template = template
        details = {"instance_refresh": self.rs.get("instancerefreshid")}
        return self._asg_effects(group, "deploy", summary, details)


def _moved(known: Any, names: list[str], attaching: bool) -> Any:
    """The group's load balancing after an attach or detach (unknown before: only what was attached)."""
    if not names:
        return known
    current = [] if known is UNKNOWN else list(known)
    if attaching:
        return tuple(dict.fromkeys([*current, *names]))
    if known is UNKNOWN:
        return UNKNOWN
    return tuple(name for name in current if name not in names)


def _or_none(value: Any) -> Any:
    return None if value is UNKNOWN else value
