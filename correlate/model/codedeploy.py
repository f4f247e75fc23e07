"""CodeDeploy calls → effects.

A deployment goes to a deployment group, and the group says which load balancing its targets sit
behind (`loadBalancerInfo`): target groups by name (`targetGroupInfoList`, and the blue/green pairs
of `targetGroupPairInfoList` with the listeners that carry production traffic), or Classic load
balancers (`elbInfoList`). CreateDeployment names only the application and the group, so the
replay keeps each group from CreateDeploymentGroup and UpdateDeploymentGroup, and attributes a
deployment to the load balancers of its group's target groups (by name: the replayed configuration,
the inventory, else the access logs know their ARNs), the load balancers of its production
listeners, and its Classic load balancers. A deployment of a group the trail never described is
kept in `api_calls` and affects no load balancer (the unattributed_calls view).
"""

from __future__ import annotations

from typing import Any

from correlate.model.calls import Api, handles
from correlate.model.effects import Effect
from correlate.model.state import DeploymentGroup

# CodeDeploy's agents poll it all day: LookupEvents asks for the handled calls by name.
CODEDEPLOY = Api("codedeploy.amazonaws.com", lookup_by_name=True)


class CodeDeployHandlers:
    """CodeDeploy deployments through load balancers."""

    # Provided by Replay: call, state, knowledge, applied, rq, rs and the attribution helpers.

    @handles(CODEDEPLOY, "CreateDeploymentGroup", "UpdateDeploymentGroup", "DeleteDeploymentGroup")
    def codedeploy_group(self) -> list[Effect]:
        """The group's load balancing, for the deployments that follow: no change by itself."""
        if not self.applied:
            return []
        application = str(self.rq.get("applicationname") or "?")
        current = self.rq.get("currentdeploymentgroupname") or self.rq.get("deploymentgroupname")
        key = f"{application}/{current}"
        if self.call.event_name == "DeleteDeploymentGroup":
            self.state.deployment_groups.pop(key, None)
            return []
        name = str(self.rq.get("newdeploymentgroupname") or current)
        group = self.state.deployment_groups.pop(key, None) or DeploymentGroup(application, name)
        group.name = name
        info = self.rq.get("loadbalancerinfo")
        if isinstance(info, dict):
            group.target_groups, group.classic_lbs, group.listeners = _load_balancing(info)
        self.state.deployment_groups[f"{application}/{name}"] = group
        return []

    @handles(CODEDEPLOY, "CreateDeployment", categories=("deploy",))
    def codedeploy_deployment(self) -> list[Effect]:
        application = str(self.rq.get("applicationname") or "?")
        name = str(self.rq.get("deploymentgroupname") or "?")
        group = self.state.deployment_groups.get(f"{application}/{name}")
        if group is None:
            return []
        deployment = self.rs.get("deploymentid")
        what = f"CodeDeploy deployment {deployment}" if deployment else "CodeDeploy deployment"
        summary = f"{what} of {application} to {name}"
        revision = _revision(self.rq.get("revision"))
        if revision:
            summary += f": {revision}"
        description = self.rq.get("description")
        if isinstance(description, str) and description.strip():
            summary += f' ("{description.strip()}")'
        details = {"application": application, "deployment_group": name, "deployment_id": deployment}
        resolved = {name: self._tg_arns(name) for name in group.target_groups}
        arns = [arn for found in resolved.values() for arn in found]
        effects = self._through(arns, group.classic_lbs, "deploy", summary, details)
        # a blue/green pair on a production listener: its load balancer, with the groups not known yet
        unresolved = tuple(name for name, found in resolved.items() if not found)
        placed = {(effect.lb, effect.lb_id): effect for effect in effects}
        for listener in group.listeners:
            hit = self._from_arn(listener)
            if hit is None:
                continue
            effect = placed.get((hit.lb, hit.lb_id))
            if effect is None:
                effect = placed[(hit.lb, hit.lb_id)] = Effect(*hit, "deploy", summary, details=dict(details))
                effects.append(effect)
            effect.target_group_arns = tuple(dict.fromkeys((*effect.target_group_arns, *unresolved)))
        return effects


def _load_balancing(info: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(target group names, Classic load balancer names, production listener ARNs) of a
    `loadBalancerInfo` (keys lower-cased)."""
    groups = [item.get("name") for item in info.get("targetgroupinfolist") or [] if isinstance(item, dict)]
    listeners: list[str] = []
    for pair in info.get("targetgrouppairinfolist") or []:
        if not isinstance(pair, dict):
            continue
        groups += [item.get("name") for item in pair.get("targetgroups") or [] if isinstance(item, dict)]
        route = pair.get("prodtrafficroute") or {}
        listeners += [arn for arn in route.get("listenerarns") or [] if isinstance(arn, str)]
    classic = [item.get("name") for item in info.get("elbinfolist") or [] if isinstance(item, dict)]
    return (
        tuple(dict.fromkeys(str(g) for g in groups if g)),
        tuple(dict.fromkeys(str(c) for c in classic if c)),
        tuple(dict.fromkeys(listeners)),
    )


def _revision(revision: Any) -> str | None:
    """Where the deployed revision comes from, in a few words."""
    if not isinstance(revision, dict):
        return None
    s3 = revision.get("s3location")
    if isinstance(s3, dict) and s3.get("bucket"):
        return f"revision s3://{s3['bucket']}/{s3.get('key') or ''}"
    github = revision.get("githublocation")
    if isinstance(github, dict) and github.get("repository"):
        commit = str(github.get("commitid") or "")[:12]
        return f"revision {github['repository']}@{commit}" if commit else f"revision {github['repository']}"
    if revision.get("appspeccontent") or revision.get("string"):
        return "revision from an AppSpec"
    return None
