"""ECS CreateService / UpdateService / DeleteService → effects (docs/cloudtrail.md, "What is kept").

A service registers its tasks with target groups (`loadBalancers[].targetGroupArn`, or a Classic
`loadBalancerName`). Creating it, deploying a new task definition, changing its desired count and
deleting it make ECS register and deregister targets itself (the RegisterTargets / DeregisterTargets
by AWSServiceRoleForECS that follow in the trail); the service call is what started them, so it is
attributed to the load balancers of those target groups, category `targets`.

`details.ecs_action` says what the call set going, for the scoring: `deployment` (new tasks of a new
or forced task definition, or of a changed network or load-balancer configuration), `scale_out`,
`scale_in`, `scale` (a desired count whose earlier value is unknown), `delete`, or `none` (the call
changed neither what runs nor how many).
"""

from __future__ import annotations

from typing import Any

from correlate.model.attributes import seconds
from correlate.model.calls import Api, handles
from correlate.model.describe import UNKNOWN, change_text, tg_name
from correlate.model.effects import Effect, as_int, first_known
from correlate.model.state import EcsService

# ECS writes many read-only events (DescribeTasks, ...): LookupEvents asks for the handled ones by name.
ECS = Api("ecs.amazonaws.com", lookup_by_name=True)

# UpdateService parameters after which ECS replaces the running tasks (a new deployment).
_DEPLOYING = frozenset(
    {
        "taskdefinition",
        "loadbalancers",
        "networkconfiguration",
        "platformversion",
        "capacityproviderstrategy",
        "launchtype",
        "serviceregistries",
        "serviceconnectconfiguration",
        "volumeconfigurations",
        "placementconstraints",
        "placementstrategy",
    }
)
# Parameters the summary describes itself; the rest are named.
_DESCRIBED = frozenset(
    {
        "cluster",
        "service",
        "servicename",
        "taskdefinition",
        "desiredcount",
        "forcenewdeployment",
        "loadbalancers",
        "healthcheckgraceperiodseconds",
        "clienttoken",
        "tags",
    }
)


def task_definition_name(value: Any) -> str:
    """`web:42` from `arn:aws:ecs:REGION:ACCOUNT:task-definition/web:42` (or from `web:42` itself)."""
    return str(value).rsplit("task-definition/", 1)[-1] if value not in (None, UNKNOWN) else "unknown"


def _last(value: Any, marker: str) -> str | None:
    """The name at the end of an ECS ARN (`cluster/prod`, `service/prod/web`) or the name itself."""
    if not isinstance(value, str) or not value:
        return None
    return value.rsplit(marker, 1)[-1].rsplit("/", 1)[-1] if marker in value else value.rsplit("/", 1)[-1]


class EcsHandlers:
    """ECS services behind load balancers."""

    # Provided by Replay: call, state, knowledge, applied, rq, rs and the attribution helpers.

    def _ecs_service(self) -> tuple[EcsService, dict[str, Any]]:
        """The replayed service the call names (a new one if the replay has not seen it), and the
        response's description of the service after the call."""
        described = self.rs.get("service") if isinstance(self.rs.get("service"), dict) else {}
        cluster = (
            _last(self.rq.get("cluster"), ":cluster/")
            or _last(described.get("clusterarn"), ":cluster/")
            or "default"  # ECS's own default when the request names no cluster
        )
        name = (
            _last(self.rq.get("service"), ":service/")
            or self.rq.get("servicename")
            or described.get("servicename")
            or _last(described.get("servicearn"), ":service/")
            or "?"
        )
        key = f"{cluster}/{name}"
        service = self.state.ecs_services.get(key) or EcsService(cluster, str(name))
        return service, described

    @handles(ECS, "CreateService", "UpdateService", "DeleteService", categories=("targets",))
    def ecs_service(self) -> list[Effect]:
        service, described = self._ecs_service()
        event = self.call.event_name
        groups_after, classic_after = _load_balancing(self.rq.get("loadbalancers"), described.get("loadbalancers"))
        groups_before = () if service.target_groups is UNKNOWN else service.target_groups
        classic_before = () if service.classic_lbs is UNKNOWN else service.classic_lbs
        details: dict[str, Any] = {"service": service.name, "cluster": service.cluster}
        if event == "CreateService":
            summary, action = self._ecs_created(service, described, groups_after, details)
        elif event == "DeleteService":
            summary, action = self._ecs_deleted(service, details)
        else:
            summary, action = self._ecs_updated(service, described, groups_before, groups_after, details)
        details["ecs_action"] = action
        groups = tuple(dict.fromkeys((*groups_before, *groups_after)))
        classic = tuple(dict.fromkeys((*classic_before, *classic_after)))
        if self.applied:
            key = f"{service.cluster}/{service.name}"
            if event == "DeleteService":
                self.state.ecs_services.pop(key, None)
            else:
                self.state.ecs_services[key] = service
                if groups_after or classic_after or "loadbalancers" in self.rq:
                    service.target_groups, service.classic_lbs = groups_after, classic_after
                # the response describes the service after the call: what the next call changes
                if described.get("taskdefinition"):
                    service.task_definition = described["taskdefinition"]
                if described.get("desiredcount") is not None:
                    service.desired_count = described["desiredcount"]
        return self._through(groups, classic, "targets", summary, details)

    def _ecs_created(
        self, service: EcsService, described: dict[str, Any], groups: tuple[str, ...], details: dict[str, Any]
    ) -> tuple[str, str]:
        task = first_known(described.get("taskdefinition"), self.rq.get("taskdefinition"))
        count = first_known(self.rq.get("desiredcount"), described.get("desiredcount"))
        parts = [f"task definition {task_definition_name(task)}"]
        if count is not None:
            parts.append(f"desired count {count}")
        if groups:
            parts.append(f"target group{'s' if len(groups) > 1 else ''} {', '.join(map(_tg, groups))}")
        if self.applied:
            service.task_definition = task if task is not None else UNKNOWN
            service.desired_count = count if count is not None else UNKNOWN
        details["fields"] = [
            {"field": "task_definition", "before": None, "after": task},
            {"field": "desired_count", "before": None, "after": count},
        ]
        return f"ECS service {service.name} (cluster {service.cluster}) created: {', '.join(parts)}", "deployment"

    def _ecs_deleted(self, service: EcsService, details: dict[str, Any]) -> tuple[str, str]:
        forced = self.rq.get("force") in (True, "true")
        summary = f"ECS service {service.name} (cluster {service.cluster}) deleted" + (" (forced)" if forced else "")
        return summary, "delete"

    def _ecs_updated(
        self,
        service: EcsService,
        described: dict[str, Any],
        groups_before: tuple[str, ...],
        groups_after: tuple[str, ...],
        details: dict[str, Any],
    ) -> tuple[str, str]:
        rq = self.rq
        parts: list[str] = []
        fields: list[dict[str, Any]] = []
        deployment = False
        if "taskdefinition" in rq:
            after = described.get("taskdefinition") or rq["taskdefinition"]
            before = first_known(service.task_definition, _previous_task_definition(described)) or UNKNOWN
            if before is UNKNOWN or task_definition_name(before) != task_definition_name(after):
                deployment = True
                shown = UNKNOWN if before is UNKNOWN else task_definition_name(before)
                parts.append(change_text("task definition", shown, task_definition_name(after)))
                fields.append({"field": "task_definition", "before": _or_none(before), "after": after})
            if self.applied:
                service.task_definition = after
        if rq.get("forcenewdeployment") in (True, "true"):
            task = first_known(service.task_definition, described.get("taskdefinition"))
            if not deployment:
                where = f" (task definition {task_definition_name(task)})" if task is not None else ""
                parts.append(f"new deployment forced{where}")
            deployment = True
        action = "deployment" if deployment else "none"
        if "desiredcount" in rq:
            before, after = service.desired_count, rq["desiredcount"]
            if before is not UNKNOWN and as_int(before) != as_int(after):
                parts.append(f"desired count {before} → {after}")
                fields.append({"field": "desired_count", "before": before, "after": after})
                if not deployment:
                    action = "scale_out" if (as_int(after) or 0) > (as_int(before) or 0) else "scale_in"
            else:  # unchanged, or the earlier count is unknown: the count the service runs at
                parts.append(f"desired count {after}")
                if before is UNKNOWN:
                    fields.append({"field": "desired_count", "before": None, "after": after})
                    if not deployment:
                        action = "scale"  # tasks started or stopped: not known which
            if self.applied:
                service.desired_count = after
        if "loadbalancers" in rq:
            deployment, action = True, "deployment"
            parts.append(change_text("target groups", _names(groups_before), _names(groups_after)))
        if "healthcheckgraceperiodseconds" in rq:
            before, after = service.health_check_grace, rq["healthcheckgraceperiodseconds"]
            if before is UNKNOWN or before != after:
                parts.append(change_text("health check grace period", _seconds(before), seconds(after)))
            if self.applied:
                service.health_check_grace = after
        request = self.call.request if isinstance(self.call.request, dict) else {}
        others = [key for key in request if str(key).lower() not in _DESCRIBED]
        if others:
            parts.append(f"also sets {', '.join(sorted(others))}")
            if not deployment and any(str(key).lower() in _DEPLOYING for key in others):
                action = "deployment"
        details["fields"] = fields
        summary = f"ECS service {service.name} (cluster {service.cluster}) updated: "
        return summary + (", ".join(parts) or "settings re-applied unchanged"), action


def _load_balancing(requested: Any, described: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(target group ARNs, Classic load balancer names) of the service after the call: the response's
    description where it has one, else the request's."""
    source = described if isinstance(described, list) else requested
    groups: list[str] = []
    names: list[str] = []
    for item in source if isinstance(source, list) else []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("targetgrouparn"), str):
            groups.append(item["targetgrouparn"])
        elif isinstance(item.get("loadbalancername"), str):
            names.append(item["loadbalancername"])
    return tuple(dict.fromkeys(groups)), tuple(dict.fromkeys(names))


def _previous_task_definition(described: dict[str, Any]) -> Any:
    """The task definition the service ran before a new deployment: the response's first ACTIVE
    deployment (the PRIMARY one is the new)."""
    for deployment in described.get("deployments") or []:
        if isinstance(deployment, dict) and str(deployment.get("status")).upper() == "ACTIVE":
            return deployment.get("taskdefinition")
    return None


def _tg(arn: str) -> str:
    return tg_name(arn) or arn


def _names(groups: Any) -> Any:
    return [_tg(arn) for arn in groups] if groups else UNKNOWN


def _seconds(value: Any) -> Any:
    return UNKNOWN if value is UNKNOWN else seconds(value)


def _or_none(value: Any) -> Any:
    return None if value is UNKNOWN else value
