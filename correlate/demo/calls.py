"""The API calls of the demo scenarios, as CloudTrail records them, each with the `changes` row the
change model should make of it (`Expected`, the test oracle)."""

from __future__ import annotations

from correlate.demo.cloudtrail import CLASSIC_API, Call
from correlate.demo.fleet import (
    ACCOUNT,
    ALB_ARN,
    ALB_ID,
    ALB_NAME,
    ALB_TLS_POLICY,
    CERTIFICATE_ARN,
    CLB_NAME,
    LISTENER_HTTPS_ARN,
    REGION,
    TargetGroup,
)
from correlate.demo.world import Expected


def _targets(group: TargetGroup, ips: tuple[str, ...]) -> list[dict]:
    return [{"id": ip, "port": group.port} for ip in ips]


def register_targets(at, principal, group: TargetGroup, ips: tuple[str, ...]) -> tuple[Call, Expected]:
    call = Call(at, principal, "RegisterTargets", {"targetGroupArn": group.arn, "targets": _targets(group, ips)})
    return call, Expected(
        ALB_NAME,
        "targets",
        f"RegisterTargets: {', '.join(ips)} into target group {group.name}",
        ALB_ID,
        target_group=group,
        targets=ips,
    )


def deregister_targets(at, principal, group: TargetGroup, ips: tuple[str, ...]) -> tuple[Call, Expected]:
    call = Call(at, principal, "DeregisterTargets", {"targetGroupArn": group.arn, "targets": _targets(group, ips)})
    return call, Expected(
        ALB_NAME,
        "targets",
        f"DeregisterTargets: {', '.join(ips)} from target group {group.name}",
        ALB_ID,
        target_group=group,
        targets=ips,
    )


def _listener(default_group: TargetGroup, policy: str = ALB_TLS_POLICY) -> dict:
    return {
        "listenerArn": LISTENER_HTTPS_ARN,
        "loadBalancerArn": ALB_ARN,
        "port": 443,
        "protocol": "HTTPS",
        "certificates": [{"certificateArn": CERTIFICATE_ARN}],
        "sslPolicy": policy,
        "defaultActions": [
            {
                "type": "forward",
                "targetGroupArn": default_group.arn,
                "forwardConfig": {
                    "targetGroups": [{"targetGroupArn": default_group.arn, "weight": 1}],
                    "targetGroupStickinessConfig": {"enabled": False},
                },
            }
        ],
    }


def modify_listener_default(at, principal, group: TargetGroup, error: tuple[str, str] | None = None):
    request = {"listenerArn": LISTENER_HTTPS_ARN, "defaultActions": [{"type": "forward", "targetGroupArn": group.arn}]}
    call = Call(
        at,
        principal,
        "ModifyListener",
        request,
        {"listeners": [_listener(group)]},
        error_code=error[0] if error else None,
        error_message=error[1] if error else None,
    )
    return call, Expected(
        ALB_NAME,
        "routing",
        f"ModifyListener: HTTPS:443 default action forwards to target group {group.name}",
        ALB_ID,
        listener_port=443,
        target_group=group,
    )


def modify_health_check(at, principal, group: TargetGroup, path: str, interval: int, threshold: int):
    request = {
        "targetGroupArn": group.arn,
        "healthCheckPath": path,
        "healthCheckIntervalSeconds": interval,
        "healthCheckTimeoutSeconds": 5,
        "unhealthyThresholdCount": threshold,
    }
    response = {
        "targetGroups": [
            {
                "targetGroupArn": group.arn,
                "targetGroupName": group.name,
                "protocol": "HTTP",
                "port": group.port,
                "vpcId": "vpc-0b6f3c2a1d9e8f7a6",
                "healthCheckProtocol": "HTTP",
                "healthCheckPort": "traffic-port",
                "healthCheckEnabled": True,
                "healthCheckIntervalSeconds": interval,
                "healthCheckTimeoutSeconds": 5,
                "healthyThresholdCount": 5,
                "unhealthyThresholdCount": threshold,
                "healthCheckPath": path,
                "matcher": {"httpCode": "200"},
                "loadBalancerArns": [ALB_ARN],
                "targetType": "ip",
                "protocolVersion": "HTTP1",
                "ipAddressType": "ipv4",
            }
        ]
    }
    call = Call(at, principal, "ModifyTargetGroup", request, response)
    return call, Expected(
        ALB_NAME,
        "health_check",
        f"ModifyTargetGroup: health check of target group {group.name} now {path} every {interval}s, "
        f"unhealthy after {threshold}",
        ALB_ID,
        target_group=group,
        details={"health_check": {"interval": float(interval), "unhealthy_threshold": float(threshold)}},
    )


def modify_lb_attributes(at, principal, attributes: dict[str, str], error: tuple[str, str] | None = None):
    pairs = [{"key": key, "value": value} for key, value in attributes.items()]
    call = Call(
        at,
        principal,
        "ModifyLoadBalancerAttributes",
        {"loadBalancerArn": ALB_ARN, "attributes": pairs},
        {"attributes": pairs},
        error_code=error[0] if error else None,
        error_message=error[1] if error else None,
    )
    described = ", ".join(f"{key}={value}" for key, value in attributes.items())
    return call, Expected(
        ALB_NAME,
        "lb_attributes",
        f"ModifyLoadBalancerAttributes: {described}",
        ALB_ID,
        details={"attribute_keys": sorted(attributes)},
    )


def redeploy_ecs_service(at, principal, group: TargetGroup):
    """UpdateService --force-new-deployment of the ECS service behind `group` (same task definition)."""
    cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"
    task = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{group.name}:7"
    call = Call(
        at,
        principal,
        "UpdateService",
        {"cluster": "prod", "service": group.name, "forceNewDeployment": True},
        {
            "service": {
                "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/{group.name}",
                "serviceName": group.name,
                "clusterArn": cluster,
                "loadBalancers": [
                    {"targetGroupArn": group.arn, "containerName": group.name, "containerPort": group.port}
                ],
                "desiredCount": len(group.targets),
                "taskDefinition": task,
                "deployments": [
                    {"status": "PRIMARY", "taskDefinition": task, "rolloutState": "IN_PROGRESS"},
                    {"status": "ACTIVE", "taskDefinition": task, "rolloutState": "COMPLETED"},
                ],
            }
        },
        source="ecs.amazonaws.com",
        api_version=None,
    )
    return call, Expected(
        ALB_NAME,
        "targets",
        f"UpdateService: new deployment of ECS service {group.name}",
        ALB_ID,
        target_group=group,
        details={"ecs_action": "deployment"},
    )


def add_tags_alb(at, principal, tags: dict[str, str]):
    call = Call(
        at,
        principal,
        "AddTags",
        {"resourceArns": [ALB_ARN], "tags": [{"key": k, "value": v} for k, v in tags.items()]},
    )
    described = ", ".join(f"{k}={v}" for k, v in tags.items())
    return call, Expected(ALB_NAME, "tags", f"AddTags: {described}", ALB_ID)


def add_tags_clb(at, principal, tags: dict[str, str]):
    call = Call(
        at,
        principal,
        "AddTags",
        {"loadBalancerNames": [CLB_NAME], "tags": [{"key": k, "value": v} for k, v in tags.items()]},
        api_version=CLASSIC_API,
    )
    described = ", ".join(f"{k}={v}" for k, v in tags.items())
    return call, Expected(CLB_NAME, "tags", f"AddTags: {described}", CLB_NAME)


def configure_health_check_clb(at, principal):
    check = {"target": "HTTP:80/status", "interval": 30, "timeout": 5, "unhealthyThreshold": 2, "healthyThreshold": 10}
    call = Call(
        at,
        principal,
        "ConfigureHealthCheck",
        {"loadBalancerName": CLB_NAME, "healthCheck": check},
        {"healthCheck": check},
        api_version=CLASSIC_API,
    )
    return call, Expected(
        CLB_NAME,
        "health_check",
        "ConfigureHealthCheck: HTTP:80/status every 30s, unhealthy after 2",
        CLB_NAME,
        details={"health_check": {"interval": 30.0, "unhealthy_threshold": 2.0, "healthy_threshold": 10.0}},
    )


def modify_target_group_attributes(at, principal, group: TargetGroup, attributes: dict[str, str]):
    pairs = [{"key": key, "value": value} for key, value in attributes.items()]
    call = Call(
        at,
        principal,
        "ModifyTargetGroupAttributes",
        {"targetGroupArn": group.arn, "attributes": pairs},
        {"attributes": pairs},
    )
    described = ", ".join(f"{key}={value}" for key, value in attributes.items())
    return call, Expected(
        ALB_NAME,
        "target_group_attributes",
        f"ModifyTargetGroupAttributes: target group {group.name} {described}",
        ALB_ID,
        target_group=group,
        details={"attribute_keys": sorted(attributes)},
    )


def describe(at, principal, name: str, request: dict | None, classic: bool = False) -> Call:
    return Call(
        at, principal, name, request, None, api_version=CLASSIC_API if classic else "2015-12-01", read_only=True
    )


ACCESS_DENIED = "AccessDenied"


def denied(principal, action: str, resource: str) -> tuple[str, str]:
    return (
        ACCESS_DENIED,
        f"User: {principal.arn} is not authorized to perform: elasticloadbalancing:{action} on resource: "
        f"{resource} because no identity-based policy allows the elasticloadbalancing:{action} action",
    )


def create_rule(at, principal, priority: int, host: str, path_prefix: str, group: TargetGroup, rule_id: str):
    """A rule on web-prod's HTTPS listener: host and path conditions, forward to `group`."""
    conditions = [
        {"field": "host-header", "hostHeaderConfig": {"values": [host]}},
        {"field": "path-pattern", "pathPatternConfig": {"values": [f"{path_prefix}*"]}},
    ]
    actions = [{"type": "forward", "targetGroupArn": group.arn}]
    rule_arn = LISTENER_HTTPS_ARN.replace(":listener/", ":listener-rule/") + f"/{rule_id}"
    call = Call(
        at,
        principal,
        "CreateRule",
        {"listenerArn": LISTENER_HTTPS_ARN, "priority": priority, "conditions": conditions, "actions": actions},
        {
            "rules": [
                {
                    "ruleArn": rule_arn,
                    "priority": str(priority),
                    "conditions": conditions,
                    "actions": actions,
                    "isDefault": False,
                }
            ]
        },
    )
    return call, Expected(
        ALB_NAME,
        "routing",
        f"HTTPS:443: rule {priority} added: host {host} and path {path_prefix}* → forward {group.name}",
        ALB_ID,
        listener_port=443,
        target_group=group,
    )
