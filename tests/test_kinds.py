"""What AWS object names and first lines say about a log file."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from conftest import FIXTURES, load, records

from correlate.parse.arns import lb_name, parse_elb_arn
from correlate.parse.kinds import ALB, CLB, CONNECTION, HEALTH_CHECK, NLB, NameFacts, facts_from_name, kind_from_line


@pytest.mark.parametrize(
    ("name", "facts"),
    [
        (
            "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.1234567890abcdef_20140215T2340Z_"
            "172.160.001.192_20sg8hgm.log.gz",
            NameFacts(
                ALB,
                "123456789012",
                "us-east-2",
                "app/my-loadbalancer/1234567890abcdef",
                "my-loadbalancer",
                dt.datetime(2014, 2, 15, 23, 40),
                "172.160.001.192",
            ),
        ),
        (
            "123456789012_elasticloadbalancing_us-west-2_my-loadbalancer_20140215T2340Z_172.160.001.192_20sg8hgm.log",
            NameFacts(
                CLB,
                "123456789012",
                "us-west-2",
                "my-loadbalancer",
                "my-loadbalancer",
                dt.datetime(2014, 2, 15, 23, 40),
                "172.160.001.192",
            ),
        ),
        (
            "123456789012_elasticloadbalancing_us-east-2_net.my-loadbalancer.1234567890abcdef_20200501T0000Z_"
            "20sg8hgm.log.gz",
            NameFacts(
                NLB,
                "123456789012",
                "us-east-2",
                "net/my-loadbalancer/1234567890abcdef",
                "my-loadbalancer",
                dt.datetime(2020, 5, 1, 0, 0),
                None,
            ),
        ),
        (
            "conn_log_123456789012_elasticloadbalancing_eu-west-1_app.web.aaaabbbbccccdddd_20250101T0005Z_"
            "2001:db8::1_x1y2z3.log.gz",
            NameFacts(
                CONNECTION,
                "123456789012",
                "eu-west-1",
                "app/web/aaaabbbbccccdddd",
                "web",
                dt.datetime(2025, 1, 1, 0, 5),
                "2001:db8::1",
            ),
        ),
        (  # the form AWS's connection-log documentation writes
            "conn_log.123456789012_elasticloadbalancing_eu-west-1_app.web.aaaabbbbccccdddd_20250101T0005Z_"
            "10.0.0.9_x1y2z3.log.gz",
            NameFacts(
                CONNECTION,
                "123456789012",
                "eu-west-1",
                "app/web/aaaabbbbccccdddd",
                "web",
                dt.datetime(2025, 1, 1, 0, 5),
                "10.0.0.9",
            ),
        ),
        (
            "health_check_log_123456789012_elasticloadbalancing_eu-west-1_app.web.aaaabbbbccccdddd_"
            "20250101T0005Z_10.0.0.9_x1y2z3.log.gz",
            NameFacts(
                HEALTH_CHECK,
                "123456789012",
                "eu-west-1",
                "app/web/aaaabbbbccccdddd",
                "web",
                dt.datetime(2025, 1, 1, 0, 5),
                "10.0.0.9",
            ),
        ),
    ],
)
def test_facts_from_aws_names(name, facts):
    assert facts_from_name(name) == facts


@pytest.mark.parametrize("name", ["access.log", "ELBAccessLogTestFile", "123_elasticloadbalancing_x.log"])
def test_other_names_say_nothing(name):
    assert facts_from_name(name) is None


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("alb/doc_examples.log", ALB),
        ("clb/listeners.log", CLB),
        ("nlb/doc_examples.log", NLB),
        ("connection/mtls_and_plain.log", CONNECTION),
        ("health_check/pass_fail.log", HEALTH_CHECK),
    ],
)
def test_kind_from_first_line(fixture, kind):
    first = (FIXTURES / fixture).read_text().splitlines()[0]
    assert kind_from_line(first) == kind


def test_aws_layout_tree_with_test_file(db, tmp_path):
    day = tmp_path / "AWSLogs" / "123456789012" / "elasticloadbalancing" / "us-east-1" / "2026" / "11" / "20"
    day.mkdir(parents=True)
    (tmp_path / "AWSLogs" / "123456789012" / "ELBAccessLogTestFile").write_text(
        "Enable AccessLog for ELB: app/web-prod/50dc6c495c0c9188 at 2025-05-30T16:47:00.781Z\n"
    )
    alb = (FIXTURES / "alb" / "escapes.log").read_bytes()
    for end, other in (("20261120T1405Z", "web-prod.50dc6c495c0c9188"), ("20261120T1405Z", "api.7a1f3c9e0b2d4e6f")):
        name = f"123456789012_elasticloadbalancing_us-east-1_app.{other}_{end}_10.0.0.5_abc123.log.gz"
        (day / name).write_bytes(gzip.compress(alb))
    summary = load(db, tmp_path)
    assert (summary.files, summary.loaded, summary.test_files, summary.rows) == (3, 2, 1, 4)
    assert "1 ELBAccessLogTestFile" in summary.line()
    assert records(db, "select count(*) as n from ingested_files") == [{"n": 2}]


def test_lb_filter_skips_other_load_balancers_files_unopened(db, tmp_path):
    from correlate.store.logs import RowFilter

    for other in ("web-prod.50dc6c495c0c9188", "api.7a1f3c9e0b2d4e6f"):
        name = f"123456789012_elasticloadbalancing_us-east-1_app.{other}_20261120T1405Z_10.0.0.5_abc123.log"
        (tmp_path / name).write_bytes((FIXTURES / "alb" / "escapes.log").read_bytes())
    summary = load(db, tmp_path, row_filter=RowFilter(lb="api"))
    assert (summary.loaded, summary.pruned, summary.rows, summary.filtered) == (1, 1, 0, 2)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("web-prod", "web-prod"),
        ("app/web-prod/50dc6c495c0c9188", "web-prod"),
        ("net/edge/c6e77e28c25b2234", "edge"),
        ("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188", "web-prod"),
        ("arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/classic-lb", "classic-lb"),
    ],
)
def test_lb_accepts_name_id_or_arn(text, name):
    assert lb_name(text) == name


def test_listener_and_rule_arns_name_their_load_balancer():
    rule = parse_elb_arn("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc/f1/r9")
    assert (rule.kind, rule.lb, rule.lb_id) == ("listener-rule", "web", "app/web/50dc")
    group = parse_elb_arn("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-v2/73e2d6bc")
    assert (group.kind, group.lb, group.name) == ("targetgroup", None, "web-v2")
