"""The registry of handled calls: the replay's dispatch, the CloudTrail keep-list and the LookupEvents
attributes all come from the handlers' registrations."""

from __future__ import annotations

import pytest

from correlate.model.calls import CALLS, CLASSIC, ELB_V2, Api, CallRegistry
from correlate.model.changes import kept_calls, lookup_attributes
from correlate.model.classic import ClassicHandlers
from correlate.model.elbv2 import ElbV2Handlers
from correlate.parse.cloudtrail import KeptCalls

ELB = "elasticloadbalancing.amazonaws.com"


def test_the_keep_list_is_every_elb_event_and_the_handled_calls_of_related_services():
    assert kept_calls() == KeptCalls(
        frozenset({ELB}),
        {
            "ecs.amazonaws.com": frozenset({"CreateService", "UpdateService", "DeleteService"}),
            "ec2.amazonaws.com": frozenset(
                {
                    "AuthorizeSecurityGroupIngress",
                    "AuthorizeSecurityGroupEgress",
                    "RevokeSecurityGroupIngress",
                    "RevokeSecurityGroupEgress",
                    "ModifySecurityGroupRules",
                    "UpdateSecurityGroupRuleDescriptionsIngress",
                    "UpdateSecurityGroupRuleDescriptionsEgress",
                    "CreateSecurityGroup",
                    "DeleteSecurityGroup",
                    "CreateNetworkAclEntry",
                    "ReplaceNetworkAclEntry",
                    "DeleteNetworkAclEntry",
                    "ReplaceNetworkAclAssociation",
                    "ModifyInstanceAttribute",
                }
            ),
            "acm.amazonaws.com": frozenset(
                {
                    "ImportCertificate",
                    "RenewCertificate",
                    "RequestCertificate",
                    "DeleteCertificate",
                    "UpdateCertificateOptions",
                }
            ),
            "wafv2.amazonaws.com": frozenset({"AssociateWebACL", "DisassociateWebACL", "UpdateWebACL"}),
            "waf-regional.amazonaws.com": frozenset({"AssociateWebACL", "DisassociateWebACL", "UpdateWebACL"}),
            "autoscaling.amazonaws.com": frozenset(
                {
                    "AttachLoadBalancerTargetGroups",
                    "DetachLoadBalancerTargetGroups",
                    "AttachLoadBalancers",
                    "DetachLoadBalancers",
                    "AttachTrafficSources",
                    "DetachTrafficSources",
                    "CreateAutoScalingGroup",
                    "UpdateAutoScalingGroup",
                    "StartInstanceRefresh",
                }
            ),
            # Lambda's event names carry the API version; both spellings are kept
            "lambda.amazonaws.com": frozenset(
                {
                    "UpdateFunctionCode20150331v2",
                    "UpdateFunctionCode",
                    "UpdateFunctionConfiguration20150331v2",
                    "UpdateFunctionConfiguration",
                    "PublishVersion20150331",
                    "PublishVersion",
                    "UpdateAlias20150331",
                    "UpdateAlias",
                }
            ),
            "codedeploy.amazonaws.com": frozenset(
                {"CreateDeploymentGroup", "UpdateDeploymentGroup", "DeleteDeploymentGroup", "CreateDeployment"}
            ),
        },
    )


def test_lookups_go_by_source_except_for_busy_sources():
    attributes = lookup_attributes()
    assert [value for key, value in attributes if key == "EventSource"] == [
        ELB,
        "acm.amazonaws.com",
        "wafv2.amazonaws.com",
        "waf-regional.amazonaws.com",
    ]
    by_name = [value for key, value in attributes if key == "EventName"]
    # ECS, EC2, Auto Scaling, Lambda, CodeDeploy
    assert len(by_name) == 3 + 14 + 9 + 8 + 4
    assert {"UpdateService", "CreateDeployment", "UpdateFunctionCode20150331v2"} <= set(by_name)
    assert "DescribeTasks" not in by_name


def test_the_two_elb_apis_dispatch_the_same_event_name_to_their_own_handler():
    assert CALLS.handler(CLASSIC, "CreateLoadBalancer") is ClassicHandlers.classic_create_load_balancer
    assert CALLS.handler(ELB_V2, "CreateLoadBalancer") is ElbV2Handlers.v2_create_load_balancer
    assert CALLS.handler(CLASSIC, "AddTags") is CALLS.handler(ELB_V2, "AddTags") is ElbV2Handlers.tags
    assert CALLS.handler(ELB_V2, "ConfigureHealthCheck") is None  # a Classic call
    assert CALLS.categories(ELB, "SetLoadBalancerListenerSSLCertificate") == ("certificate",)
    assert CALLS.categories(ELB, "CreateListener") == ("lifecycle",)
    assert CALLS.categories(ELB, "ModifyListener") == ()  # its handler says, from what the call sets


def test_one_registration_is_a_new_call_everywhere():
    registry = CallRegistry()
    deploys = Api("codedeploy.amazonaws.com", lookup_by_name=True)

    @registry.handles(deploys, "CreateDeployment", categories=("targets",))
    def create_deployment(replay):
        return []

    @registry.handles(CLASSIC, "ConfigureHealthCheck")
    def health_check(replay):
        return []

    assert registry.handler(deploys, "CreateDeployment") is create_deployment
    assert registry.related_handler("codedeploy.amazonaws.com", "CreateDeployment") is create_deployment
    assert registry.categories("codedeploy.amazonaws.com", "CreateDeployment") == ("targets",)
    assert registry.kept_calls() == KeptCalls(
        frozenset({ELB}), {"codedeploy.amazonaws.com": frozenset({"CreateDeployment"})}
    )
    assert registry.lookup_attributes() == [("EventSource", ELB), ("EventName", "CreateDeployment")]
    with pytest.raises(ValueError) as error:
        registry.handles(deploys, "CreateDeployment")(create_deployment)
    assert str(error.value) == "codedeploy.amazonaws.com CreateDeployment (None) has two handlers"
