"""--lookup: LookupEvents through boto3's paginator, tested with botocore's Stubber (moto lacks it)."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.stub import Stubber
from conftest import FIXTURES, FakeTime, records

from correlate.errors import SourceAccessError
from correlate.pipeline.cloudtrail import ingest_lookup, lookup_attributes
from correlate.sources.lookup import lookup_pages
from correlate.store.cloudtrail import CloudTrailStore

STORY = json.loads((FIXTURES / "cloudtrail" / "trail_v2_story.json").read_text())["Records"]
SINCE = dt.datetime(2026, 11, 20, 13, 0)
UNTIL = dt.datetime(2026, 11, 20, 15, 0)


def event(record: dict) -> dict:
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": "false",
        "EventTime": dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.UTC),
        "EventSource": record["eventSource"],
        "Username": "alice",
        "Resources": [],
        "CloudTrailEvent": json.dumps(record),
    }


def expected(key: str, value: str, token: str | None = None) -> dict:
    params = {
        "LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}],
        "StartTime": SINCE.replace(tzinfo=dt.UTC),
        "EndTime": UNTIL.replace(tzinfo=dt.UTC),
        "MaxResults": 50,
    }
    if token:
        params["NextToken"] = token
    return params


@pytest.fixture
def client():
    return boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def stub_all(stubber: Stubber, pages: dict[tuple[str, str], list[dict]]) -> None:
    """Every lookup attribute gets one empty page unless `pages` says otherwise."""
    for key, value in lookup_attributes():
        for response, token in pages.get((key, value), [({"Events": []}, None)]):
            stubber.add_response("lookup_events", response, expected(key, value, token))


def test_lookup_pages_throttling_and_pacing(client):
    fake = FakeTime()
    with Stubber(client) as stubber:
        stubber.add_response(
            "lookup_events",
            {"Events": [event(STORY[3])], "NextToken": "t1"},
            expected("EventSource", "elasticloadbalancing.amazonaws.com"),
        )
        stubber.add_client_error(
            "lookup_events",
            service_error_code="ThrottlingException",
            service_message="Rate exceeded",
            http_status_code=400,
            expected_params=expected("EventSource", "elasticloadbalancing.amazonaws.com", "t1"),
        )
        stubber.add_client_error(
            "lookup_events",
            service_error_code="ThrottlingException",
            service_message="Rate exceeded",
            http_status_code=400,
            expected_params=expected("EventSource", "elasticloadbalancing.amazonaws.com", "t1"),
        )
        stubber.add_response(
            "lookup_events",
            {"Events": [event(STORY[8])]},
            expected("EventSource", "elasticloadbalancing.amazonaws.com", "t1"),
        )
        pages = list(
            lookup_pages(
                client,
                [("EventSource", "elasticloadbalancing.amazonaws.com")],
                SINCE,
                UNTIL,
                sleep=fake.sleep,
                clock=fake.clock,
            )
        )
        stubber.assert_no_pending_responses()
    assert [[e["EventId"] for e in page] for page in pages] == [[STORY[3]["eventID"]], [STORY[8]["eventID"]]]
    # 0.5 s before the second request (2 per second), then 1 s and 2 s of backoff after each
    # ThrottlingException (a backoff longer than 0.5 s needs no extra pacing)
    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_lookup_gives_up_after_persistent_throttling(client):
    fake = FakeTime()
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_client_error("lookup_events", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(SourceAccessError) as caught:
            list(lookup_pages(client, [("EventSource", "x")], sleep=fake.sleep, clock=fake.clock, max_retries=2))
    assert str(caught.value) == (
        "LookupEvents in us-east-1 is still throttled after 2 retries. Try again later, or narrow --since/--until."
    )


def test_lookup_access_denied_is_one_line(client):
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "lookup_events",
            service_error_code="AccessDeniedException",
            service_message="not allowed",
            http_status_code=403,
        )
        with pytest.raises(SourceAccessError) as caught:
            list(lookup_pages(client, [("EventSource", "x")]))
    assert str(caught.value) == (
        "LookupEvents in us-east-1: access denied looking up events (needs cloudtrail:LookupEvents). "
        "Check the IAM policies, or use another --profile."
    )


def test_lookup_other_errors_are_one_line(client):
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "lookup_events",
            service_error_code="InvalidTimeRangeException",
            service_message="Start time must be before end time",
            http_status_code=400,
        )
        with pytest.raises(SourceAccessError) as caught:
            list(lookup_pages(client, [("EventSource", "x")], UNTIL, SINCE))
    assert str(caught.value) == (
        "LookupEvents in us-east-1: looking up events failed: InvalidTimeRangeException: "
        "Start time must be before end time"
    )


def test_ingest_lookup_loads_and_rebuilds_changes(db, client):
    fake = FakeTime()
    elb = ("EventSource", "elasticloadbalancing.amazonaws.com")
    ec2 = ("EventName", "RevokeSecurityGroupIngress")
    with Stubber(client) as stubber:
        stub_all(
            stubber,
            {
                elb: [
                    ({"Events": [event(r) for r in STORY[:5]], "NextToken": "p2"}, None),
                    ({"Events": [event(r) for r in STORY[5:]]}, "p2"),
                ],
                ec2: [({"Events": [event(STORY[2])]}, None)],  # an S3 event under that name: unrelated
            },
        )
        store = CloudTrailStore(db)
        summary = ingest_lookup(store, {"us-east-1": client}, window=_window(), sleep=fake.sleep, clock=fake.clock)
        stubber.assert_no_pending_responses()
    assert (summary.records, summary.kept, summary.unrelated, summary.duplicates) == (17, 14, 3, 0)
    assert summary.line() == (
        "LookupEvents in 1 region; 17 records: 14 kept, 3 unrelated, 0 rejected, 0 duplicates; "
        "11 changes on 1 load balancers (2 calls not linked to a load balancer: see the unattributed_calls view)"
    )
    assert records(db, "select source_file, source_line from api_calls where event_name = 'CreateListener'") == [
        {"source_file": "lookup-events:us-east-1", "source_line": 4}
    ]


def _window():
    from correlate.timeparse import Window

    return Window(since=SINCE, until=UNTIL)
