"""EC2 calls on the instances behind load balancers → effects.

`ModifyInstanceAttribute` changes one instance: its security groups (traffic from the load balancer
may no longer reach it), its type, its user data, ... It is attributed through the target groups the
instance is registered in (RegisterTargets in the trail, by hand or by an Auto Scaling group's
service role) and the Classic load balancers it is registered with
(RegisterInstancesWithLoadBalancer). Settings that do not change how the instance serves
(termination and stop protection, shutdown behaviour, delete-on-termination) affect none: the call
stays in `api_calls` (the unattributed_calls view).

The EC2 security-group and network-ACL calls are in model/related.py; they share this `Api`.
"""

from __future__ import annotations

from typing import Any

from correlate.model.calls import Api, handles
from correlate.model.describe import items, text
from correlate.model.effects import Effect

# EC2 writes many read-only events: LookupEvents asks for the handled ones by name.
EC2 = Api("ec2.amazonaws.com", lookup_by_name=True)

# ModifyInstanceAttribute's settings: (label, changes how the instance serves)
_INSTANCE_ATTRIBUTES = {
    "instancetype": ("instance type", True),
    "groupset": ("security groups", True),
    "userdata": ("user data", True),
    "sourcedestcheck": ("source/destination check", True),
    "ebsoptimized": ("EBS optimisation", True),
    "enasupport": ("ENA support", True),
    "sriovnetsupport": ("SR-IOV networking", True),
    "kernel": ("kernel", True),
    "ramdisk": ("RAM disk", True),
    "disableapitermination": ("termination protection", False),
    "disableapistop": ("stop protection", False),
    "instanceinitiatedshutdownbehavior": ("shutdown behaviour", False),
    "blockdevicemapping": ("delete on termination", False),
}


class Ec2Handlers:
    """EC2 instances registered with load balancers."""

    # Provided by Replay: call, state, knowledge, applied, rq, rs and the attribution helpers.

    @handles(EC2, "ModifyInstanceAttribute")
    def ec2_instance_attribute(self) -> list[Effect]:
        instance = self.rq.get("instanceid")
        if not isinstance(instance, str):
            return []
        settings = _settings(self.rq)
        if not any(_INSTANCE_ATTRIBUTES.get(key, (key, True))[1] for key in settings):
            return []
        groups = sorted(self.state.registered.get(instance, ()))
        classic = sorted(self.state.classic_registered.get(instance, ()))
        parts = [_setting_text(key, value) for key, value in settings.items()]
        served = ", ".join([*(self._tg_label(arn) for arn in groups), *classic])
        summary = f"instance {instance}" + (f" (target of {served})" if served else "")
        summary += f": {'; '.join(parts)}"
        category = "security" if "groupset" in settings else "infra"
        details = {
            "instance": instance,
            "fields": [{"field": key, "before": None, "after": value} for key, value in settings.items()],
        }
        return self._through(groups, classic, category, summary, details, targets=(instance,), classic_how="cloudtrail")


def _settings(rq: dict[str, Any]) -> dict[str, Any]:
    """The settings the call makes, keyed by lower-cased attribute name: each `{"value": ...}`
    member, or the `attribute` / `value` pair of the call's other form."""
    found: dict[str, Any] = {}
    for key, value in rq.items():
        if key in ("instanceid", "attribute", "value", "dryrun"):
            continue
        found[key] = value.get("value", value) if isinstance(value, dict) and "value" in value else value
    attribute = rq.get("attribute")
    if isinstance(attribute, str):
        found[attribute.lower()] = rq.get("value")
    if "groupset" in found:  # {"items": [{"groupId": ...}]}: the group ids
        found["groupset"] = [g.get("groupid") for g in items(found["groupset"]) if isinstance(g, dict)]
    return found


def _setting_text(key: str, value: Any) -> str:
    label = _INSTANCE_ATTRIBUTES.get(key, (key, True))[0]
    if key == "groupset":
        return f"{label} → {text([i for i in value if i])}"
    if key == "userdata":
        return "user data replaced (used at the next start)"
    if isinstance(value, bool) or value in ("true", "false"):
        return f"{label} {'on' if value in (True, 'true') else 'off'}"
    if isinstance(value, dict | list):
        return f"{label} changed"
    return f"{label} → {text(value)}"
