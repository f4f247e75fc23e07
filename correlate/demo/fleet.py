"""The demo's AWS account: one Application Load Balancer, one Classic ELB, one Network Load Balancer
(its TLS listener in front of a partner API; only the nlb-tls-policy incident writes its logs), their
listeners, target groups and targets, and the people and services that change them."""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT = "123456789012"
REGION = "us-east-1"
ELB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"

ALB_NAME = "web-prod"
ALB_ID = f"app/{ALB_NAME}/50dc6c495c0c9188"
ALB_ARN = f"{ELB_ARN}:loadbalancer/{ALB_ID}"
ALB_NODES = ("10.0.0.23", "10.0.1.87")
LISTENER_HTTP_ARN = f"{ELB_ARN}:listener/{ALB_ID}/0f3a1d7c9e2b4a68"
LISTENER_HTTPS_ARN = f"{ELB_ARN}:listener/{ALB_ID}/7d2e9b1c4a3f5e06"
RULE_API_ARN = f"{ELB_ARN}:listener-rule/{ALB_ID}/7d2e9b1c4a3f5e06/2b8c4d6e8f0a1c3e"
CERTIFICATE_ARN = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/3f1c8d2e-9b7a-4c6d-8e5f-1a2b3c4d5e6f"
ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

CLB_NAME = "legacy-web"
CLB_NODES = ("10.0.4.31",)
CLB_CERTIFICATE_ARN = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"


NLB_NAME = "tls-front"
NLB_ID = f"net/{NLB_NAME}/c6e77e28c25b2234"
NLB_ARN = f"{ELB_ARN}:loadbalancer/{NLB_ID}"
NLB_LISTENER_ID = "a1b2c3d4e5f60718"
NLB_LISTENER_ARN = f"{ELB_ARN}:listener/{NLB_ID}/{NLB_LISTENER_ID}"
NLB_ADDRESS = "10.0.6.10"  # the listener's address in the logs' destination field
NLB_CERTIFICATE_ARN = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/5d4c3b2a-1f0e-4d9c-8b7a-6e5f4d3c2b1a"
NLB_STRICT_POLICY = "ELBSecurityPolicy-TLS13-1-3-2021-06"  # TLS 1.3 only


@dataclass(frozen=True, slots=True)
class TargetGroup:
    name: str
    id: str
    port: int
    targets: tuple[str, ...]  # registered at the start (IP targets)

    @property
    def arn(self) -> str:
        return f"{ELB_ARN}:targetgroup/{self.name}/{self.id}"


WEB = TargetGroup("web", "73e2d6bc24d8a067", 80, tuple(f"10.0.1.{i}" for i in range(11, 17)))
API = TargetGroup("api", "9f8e7d6c5b4a3921", 8080, ("10.0.2.21", "10.0.2.22", "10.0.2.23"))
WEB_V2 = TargetGroup("web-v2", "4c1e8a2f6b9d0e35", 80, ())
TARGET_GROUPS = (WEB, API, WEB_V2)
PARTNER_API = TargetGroup("partner-api", "2a7c9e1b3d5f8a06", 8443, ("10.0.6.21", "10.0.6.22", "10.0.6.23"))

# Classic ELB back ends: instance id -> private IP; the access log shows the IP.
CLB_INSTANCES = {
    "i-0a1b2c3d4e5f60011": "10.0.3.11",
    "i-0a1b2c3d4e5f60012": "10.0.3.12",
    "i-0a1b2c3d4e5f60013": "10.0.3.13",
    "i-0a1b2c3d4e5f60014": "10.0.3.14",
}
CLB_NEW_INSTANCE = ("i-0a1b2c3d4e5f60015", "10.0.3.15")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a call: the CloudTrail userIdentity, the user agent, and where from."""

    key: str
    identity: dict
    user_agent: str
    source_ip: str
    actor_kind: str
    console: bool = False

    @property
    def arn(self) -> str:
        return self.identity["arn"]


def _sso(user: str, permission_set: str, suffix: str) -> dict:
    role = f"AWSReservedSSO_{permission_set}_{suffix}"
    return {
        "type": "AssumedRole",
        "principalId": f"AROA4EXAMPLEQ7NLXZ3KD:{user}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{user}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIA4EXAMPLE5JQ2LMNO",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROA4EXAMPLEQ7NLXZ3KD",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {"creationDate": "", "mfaAuthenticated": "false"},
        },
    }


def _service_role(service: str, role: str, session: str, principal_id: str) -> dict:
    return {
        "type": "AssumedRole",
        "principalId": f"{principal_id}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": principal_id,
                "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{service}/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {"creationDate": "", "mfaAuthenticated": "false"},
        },
        "invokedBy": service,
    }


ALICE = Principal(
    "alice",
    _sso("alice@example.com", "AdministratorAccess", "5f0c2a9e8d7b6c41"),
    "console.ec2.amazonaws.com",
    "203.0.113.24",
    "console",
    console=True,
)
BOB = Principal(
    "bob",
    {
        "type": "IAMUser",
        "principalId": "AIDA4EXAMPLEBOBXYZ123",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIA4EXAMPLEBOB12345",
        "userName": "bob",
    },
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off",
    "198.51.100.77",
    "cli",
)
TERRAFORM = Principal(
    "terraform",
    {
        "type": "AssumedRole",
        "principalId": "AROA4EXAMPLETFDEPLOY1:terraform-ci-8841",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/terraform-deploy/terraform-ci-8841",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIA4EXAMPLETF987654",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROA4EXAMPLETFDEPLOY1",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy",
                "accountId": ACCOUNT,
                "userName": "terraform-deploy",
            },
            "attributes": {"creationDate": "", "mfaAuthenticated": "false"},
        },
    },
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 "
    "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.5 ua/2.1 os/linux lang/go#1.23.3 "
    "md/GOOS#linux md/GOARCH#amd64 api/elasticloadbalancingv2#1.43.3",
    "34.201.18.77",
    "terraform",
)
ECS = Principal(
    "ecs",
    _service_role("ecs.amazonaws.com", "AWSServiceRoleForECS", "ecs-service-scheduler", "AROA4EXAMPLEECSSLR001"),
    "ecs.amazonaws.com",
    "ecs.amazonaws.com",
    "aws-service",
)
AUTOSCALING = Principal(
    "autoscaling",
    _service_role("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling", "AutoScaling", "AROA4EXAMPLEASGSLR001"),
    "autoscaling.amazonaws.com",
    "autoscaling.amazonaws.com",
    "aws-service",
)
