"""What names and delivery folders can hold rows of a window: the pure rules behind pruning."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from correlate.parse.kinds import facts_from_name, outside_window
from correlate.parse.layout import (
    elb_name_prefixes,
    log_delivery_days,
    log_pruning,
    trail_delivered_at,
    trail_delivery_days,
    trail_outside_window,
    trail_pruning,
)
from correlate.sources.listing import DayRange, S3Pruning

NAME = "123456789012_elasticloadbalancing_us-east-1_app.web-prod.50dc6c495c0c9188_20261120T1405Z_10.0.1.7_abcd.log.gz"
FACTS = facts_from_name(NAME)
T = dt.datetime


@pytest.mark.parametrize(
    ("since", "until", "lb", "outside"),
    [
        (None, None, None, False),
        (None, None, "api-prod", True),
        (None, None, "web-prod", False),
        (T(2026, 11, 20, 14, 5), None, None, False),  # the interval ends at --since: may hold a row at it
        (T(2026, 11, 20, 14, 5, 1), None, None, True),  # every row is older than --since
        (None, T(2026, 11, 20, 12, 50), None, False),  # ends 75 minutes after --until: kept
        (None, T(2026, 11, 20, 12, 49), None, True),
    ],
)
def test_outside_window(since, until, lb, outside):
    assert FACTS is not None
    assert outside_window(FACTS, since, until, lb) is outside


def test_day_range_holds_years_months_and_days():
    days = DayRange(dt.date(2026, 11, 30), dt.date(2026, 12, 1))
    assert [days.holds(2025), days.holds(2026), days.holds(2027)] == [False, True, False]
    assert [days.holds(2026, 10), days.holds(2026, 11), days.holds(2026, 12)] == [False, True, True]
    assert [days.holds(2026, 11, 29), days.holds(2026, 11, 30), days.holds(2026, 12, 1)] == [False, True, True]
    assert days.holds(2026, 12, 2) is False
    assert DayRange(None, None).holds(1999, 1, 1) is True


def test_log_delivery_days_reach_past_midnight():
    # rows up to 23:59 may sit in an hourly Classic ELB file delivered the next morning
    assert log_delivery_days(T(2026, 11, 20, 23, 50), T(2026, 11, 20, 23, 59)) == DayRange(
        dt.date(2026, 11, 20), dt.date(2026, 11, 21)
    )
    assert log_delivery_days(T(2026, 11, 20, 6), T(2026, 11, 20, 21)) == DayRange(
        dt.date(2026, 11, 20), dt.date(2026, 11, 20)
    )
    assert log_delivery_days(None, T(2026, 11, 20, 21, 45)) == DayRange(None, dt.date(2026, 11, 21))


def test_trail_names():
    name = "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz"
    assert trail_delivered_at(name) == T(2015, 8, 1, 2, 10)
    assert trail_delivered_at("111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz") is None
    assert trail_outside_window(name, T(2015, 8, 1, 2, 10), None) is False
    assert trail_outside_window(name, T(2015, 8, 1, 2, 11), None) is True
    assert trail_outside_window(name, None, T(2015, 8, 1, 0, 10)) is False  # delivered up to 2 hours late
    assert trail_outside_window(name, None, T(2015, 8, 1, 0, 9)) is True
    assert trail_delivery_days(T(2015, 7, 31, 23), T(2015, 7, 31, 23, 30)) == DayRange(
        dt.date(2015, 7, 31), dt.date(2015, 8, 1)
    )


def test_elb_name_prefixes():
    assert elb_name_prefixes("web-prod", "123456789012", "eu-west-1") == (
        "123456789012_elasticloadbalancing_eu-west-1_app.web-prod.",
        "123456789012_elasticloadbalancing_eu-west-1_net.web-prod.",
        "123456789012_elasticloadbalancing_eu-west-1_web-prod_",
        "conn_log_123456789012_elasticloadbalancing_eu-west-1_app.web-prod.",
        "conn_log.123456789012_elasticloadbalancing_eu-west-1_app.web-prod.",
        "health_check_log_123456789012_elasticloadbalancing_eu-west-1_app.web-prod.",
    )


def test_pruning_plans():
    assert log_pruning(None, None, None) == S3Pruning(services=("elasticloadbalancing",))
    with_lb = log_pruning(T(2026, 11, 20), None, "web-prod")
    assert dataclasses.replace(with_lb, name_prefixes=None) == S3Pruning(
        services=("elasticloadbalancing",), days=DayRange(dt.date(2026, 11, 20), None)
    )
    assert with_lb.name_prefixes is not None
    assert with_lb.name_prefixes("1", "elasticloadbalancing", "r") == elb_name_prefixes("web-prod", "1", "r")
    assert with_lb.name_prefixes("1", "CloudTrail", "r") is None
    assert trail_pruning(None, T(2026, 11, 20, 23, 30)) == S3Pruning(
        services=("CloudTrail",), days=DayRange(None, dt.date(2026, 11, 21))
    )
