"""Listing s3:// prefixes: what is found, what is pruned (asserted as the exact prefixes listed),
where a walk may start, laziness, and the errors a user meets."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from correlate.errors import NoInputFound, SourceAccessError
from correlate.parse.layout import log_pruning, trail_pruning
from correlate.pipeline.logs import LOG_SUFFIXES
from correlate.sources import s3 as s3_source
from correlate.sources.aws import AwsClients
from correlate.sources.listing import ListingStats
from correlate.sources.s3 import list_s3

A = "111122223333"
B = "444455556666"
ELB = f"AWSLogs/{A}/elasticloadbalancing"
EAST = f"{ELB}/us-east-1"


def elb_name(lb: str, end: str, node: str = "10.0.0.5", kind: str = "app", region: str = "us-east-1") -> str:
    if kind == "clb":
        return f"{A}_elasticloadbalancing_{region}_{lb}_{end}_{node}_r1.log"
    prefix = {"conn": "conn_log_", "health": "health_check_log_"}.get(kind, "")
    return f"{prefix}{A}_elasticloadbalancing_{region}_app.{lb}.50dc6c495c0c9188_{end}_{node}_r1.log.gz"


KEYS = [
    f"AWSLogs/{A}/ELBAccessLogTestFile",
    f"{EAST}/2026/11/19/{elb_name('web-prod', '20261119T1200Z')}",
    f"{EAST}/2026/11/20/{elb_name('web-prod', '20261119T2355Z')}",
    f"{EAST}/2026/11/20/{elb_name('web-prod', '20261120T1200Z')}",
    f"{EAST}/2026/11/20/{elb_name('api-prod', '20261120T1200Z')}",
    f"{EAST}/2026/11/20/{elb_name('classic-web', '20261120T1300Z', kind='clb')}",
    f"{EAST}/2026/11/20/{elb_name('web-prod', '20261120T1200Z', kind='conn')}",
    f"{EAST}/2026/11/20/{elb_name('web-prod', '20261120T1200Z', kind='health')}",
    f"{EAST}/2026/11/21/{elb_name('web-prod', '20261121T0005Z')}",
    f"{ELB}/eu-west-1/2026/11/20/{elb_name('web-prod', '20261120T1200Z', region='eu-west-1')}",
    f"AWSLogs/{A}/CloudTrail/us-east-1/2026/11/20/{A}_CloudTrail_us-east-1_20261120T1205Z_abcdEFGH12345678.json.gz",
    f"AWSLogs/{A}/CloudTrail-Digest/us-east-1/2026/11/20/"
    f"{A}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261120T120000Z.json.gz",
    f"AWSLogs/o-abc123defg/{B}/CloudTrail/us-west-2/2026/11/20/{B}_CloudTrail_us-west-2_20261120T1210Z_X1y2Z3.json.gz",
    f"AWSLogs/o-abc123defg/{B}/CloudTrail-Insight/us-west-2/2026/11/20/{B}_CloudTrail-Insight_us-west-2_x.json.gz",
    "other/notes.txt",
]
LOGS = [key for key in KEYS if "elasticloadbalancing/" in key or key.endswith("ELBAccessLogTestFile")]


@pytest.fixture
def bucket(s3) -> str:
    s3.create_bucket(Bucket="elb-logs")
    for key in KEYS:
        s3.put_object(Bucket="elb-logs", Key=key, Body=b"x")
    return "elb-logs"


def keys(uri: str, pruning=None, suffixes=LOG_SUFFIXES, stats=None, also=("ELBAccessLogTestFile",)) -> list[str]:
    found = list_s3(AwsClients(), uri, suffixes, also, pruning, stats)
    return [obj.uri.removeprefix("s3://elb-logs/") for obj in found]


def listed(uri: str, pruning) -> tuple[list[str], list[str]]:
    return listed_with(uri, pruning)


def listed_with(uri: str, pruning, **options) -> tuple[list[str], list[str]]:
    stats = ListingStats()
    return keys(uri, pruning, stats=stats, **options), stats.prefixes


def test_bucket_root_finds_every_log_object_across_accounts_and_regions(bucket):
    assert sorted(keys("s3://elb-logs", log_pruning(None, None, None))) == sorted(LOGS)


def test_objects_are_input_objects_with_etag_and_size(bucket, s3):
    s3.put_object(Bucket="elb-logs", Key="AWSLogs/one.log", Body=b"hello\n")
    (obj,) = list_s3(AwsClients(), "s3://elb-logs/AWSLogs/one.log", LOG_SUFFIXES)
    assert (obj.uri, obj.name, obj.size) == ("s3://elb-logs/AWSLogs/one.log", "one.log", 6)
    assert obj.fingerprint == s3.head_object(Bucket="elb-logs", Key="AWSLogs/one.log")["ETag"].strip('"')
    with obj.opener() as stream:
        assert stream.read() == b"hello\n"


def test_cloudtrail_walk_finds_organisation_trails_and_skips_digest_and_insight(bucket):
    found = keys("s3://elb-logs/", trail_pruning(None, None), suffixes=(".json", ".json.gz"), also=())
    assert found == [KEYS[10], KEYS[12]]


def test_cloudtrail_walk_lists_only_delivery_days_of_the_window(bucket, s3):
    later = f"AWSLogs/{A}/CloudTrail/us-east-1/2026/11/23/{A}_CloudTrail_us-east-1_20261123T0005Z_Q9w8E7r6.json.gz"
    s3.put_object(Bucket="elb-logs", Key=later, Body=b"x")
    window = trail_pruning(dt.datetime(2026, 11, 22, 23, 30), dt.datetime(2026, 11, 22, 23, 50))
    found, prefixes = listed_with("s3://elb-logs/AWSLogs/", window, suffixes=(".json", ".json.gz"), also=())
    assert found == [later]
    assert [prefix for prefix in prefixes if "/CloudTrail/" in prefix] == [
        f"AWSLogs/{A}/CloudTrail/",
        f"AWSLogs/{A}/CloudTrail/us-east-1/",
        f"AWSLogs/{A}/CloudTrail/us-east-1/2026/",
        f"AWSLogs/{A}/CloudTrail/us-east-1/2026/11/",
        f"AWSLogs/{A}/CloudTrail/us-east-1/2026/11/23/",
        f"AWSLogs/o-abc123defg/{B}/CloudTrail/",
        f"AWSLogs/o-abc123defg/{B}/CloudTrail/us-west-2/",
        f"AWSLogs/o-abc123defg/{B}/CloudTrail/us-west-2/2026/",
        f"AWSLogs/o-abc123defg/{B}/CloudTrail/us-west-2/2026/11/",
    ]


def test_window_lists_only_the_delivery_days_that_can_hold_rows(bucket):
    since, until = dt.datetime(2026, 11, 20, 10), dt.datetime(2026, 11, 20, 14)
    found, prefixes = listed("s3://elb-logs/", log_pruning(since, until, None))
    assert sorted(found) == sorted([KEYS[0], *KEYS[2:8], KEYS[9]])
    assert prefixes == [
        "",
        "AWSLogs/",
        f"AWSLogs/{A}/",
        f"{ELB}/",
        f"{ELB}/eu-west-1/",
        f"{ELB}/eu-west-1/2026/",
        f"{ELB}/eu-west-1/2026/11/",
        f"{ELB}/eu-west-1/2026/11/20/",
        f"{EAST}/",
        f"{EAST}/2026/",
        f"{EAST}/2026/11/",
        f"{EAST}/2026/11/20/",
        "AWSLogs/o-abc123defg/",
        f"AWSLogs/o-abc123defg/{B}/",
        "other/",
    ]


def test_a_window_ending_late_in_the_day_also_lists_the_next_day(bucket):
    # files arrive after their interval: rows of 23:30 may be in a file delivered after midnight
    window = log_pruning(dt.datetime(2026, 11, 20, 23), dt.datetime(2026, 11, 20, 23, 30), None)
    found, _ = listed(f"s3://elb-logs/{EAST}/", window)
    assert sorted(found) == sorted(KEYS[2:9])


def test_lb_lists_only_its_own_files_inside_day_folders(bucket):
    found, prefixes = listed(f"s3://elb-logs/{EAST}/2026/11/20/", log_pruning(None, None, "web-prod"))
    assert sorted(found) == sorted([KEYS[2], KEYS[3], KEYS[6], KEYS[7]])
    day = f"{EAST}/2026/11/20/"
    base = f"{A}_elasticloadbalancing_us-east-1_"
    assert prefixes == [
        day + f"{base}app.web-prod.",
        day + f"{base}net.web-prod.",
        day + f"{base}web-prod_",
        day + f"conn_log_{base}app.web-prod.",
        day + f"conn_log.{base}app.web-prod.",
        day + f"health_check_log_{base}app.web-prod.",
    ]


def test_lb_finds_a_classic_elb_by_its_bare_name(bucket):
    assert keys(f"s3://elb-logs/{ELB}/", log_pruning(None, None, "classic-web")) == [KEYS[5]]


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (f"s3://elb-logs/{EAST}", KEYS[1:9]),  # a region folder, without its slash
        (f"s3://elb-logs/{EAST}/2026/11/21/", [KEYS[8]]),  # one day
        (f"s3://elb-logs/{EAST}/2026/11/2", KEYS[2:9]),  # a key prefix: days 20 and 21
        (f"s3://elb-logs/{KEYS[4]}", [KEYS[4]]),  # one object
        ("s3://elb-logs/other/notes.txt", ["other/notes.txt"]),  # named exactly: taken whatever its name
    ],
)
def test_a_walk_can_start_at_any_level(bucket, uri, expected):
    assert sorted(keys(uri, log_pruning(None, None, None))) == sorted(expected)


def test_a_custom_prefix_before_awslogs(s3):
    s3.create_bucket(Bucket="shared")
    for key in ("team-a/alb/" + KEYS[3], "team-a/alb/" + KEYS[4], "team-b/" + KEYS[3]):
        s3.put_object(Bucket="shared", Key=key, Body=b"x")
    found = list_s3(AwsClients(), "s3://shared/team-a/", LOG_SUFFIXES, (), log_pruning(None, None, None))
    assert [obj.uri for obj in found] == ["s3://shared/team-a/alb/" + KEYS[4], "s3://shared/team-a/alb/" + KEYS[3]]


def test_listing_is_lazy_page_by_page(bucket, s3, monkeypatch):
    monkeypatch.setattr(s3_source, "PAGE_SIZE", 2)
    day = f"{EAST}/2026/11/22/"
    for minute in range(10):
        s3.put_object(Bucket="elb-logs", Key=day + elb_name("web-prod", f"20261122T00{minute}5Z"), Body=b"x")
    stats = ListingStats()
    found = list_s3(AwsClients(), f"s3://elb-logs/{day}", LOG_SUFFIXES, (), None, stats)
    next(found)
    assert stats.requests == 1
    assert len(list(found)) == 9
    assert stats.requests == 5


def test_no_such_bucket(aws):
    with pytest.raises(SourceAccessError) as error:
        keys("s3://no-such-bucket/AWSLogs/")
    assert str(error.value) == (
        "s3://no-such-bucket/AWSLogs/: no such bucket 'no-such-bucket'. Check the name (aws s3 ls), and --profile."
    )


def test_empty_prefix(bucket):
    with pytest.raises(NoInputFound) as error:
        keys("s3://elb-logs/nothing-here/")
    assert str(error.value) == (
        "s3://elb-logs/nothing-here/: no objects under the prefix. Check the bucket and prefix "
        "(aws s3 ls s3://elb-logs/nothing-here/)."
    )


def test_prefix_without_log_objects(bucket):
    with pytest.raises(NoInputFound) as error:
        keys("s3://elb-logs/other/")
    assert str(error.value) == (
        "s3://elb-logs/other/: no log objects under the prefix (1 other objects; looked for *.log, *.log.gz). "
        "Check the prefix."
    )


def test_pruned_to_nothing_is_not_an_error(bucket):
    assert keys("s3://elb-logs/", log_pruning(dt.datetime(2030, 1, 1), None, None)) == [KEYS[0]]
    assert keys(f"s3://elb-logs/{EAST}/", log_pruning(dt.datetime(2030, 1, 1), None, None)) == []


def test_not_an_s3_uri(aws):
    with pytest.raises(NoInputFound) as error:
        keys("s3:///AWSLogs/")
    assert str(error.value) == "s3:///AWSLogs/: not an S3 location. Write it as s3://BUCKET/PREFIX."


def test_access_denied_listing(bucket, iam_user):
    iam_user("s3:GetObject")
    with pytest.raises(SourceAccessError) as error:
        keys("s3://elb-logs/AWSLogs/")
    assert str(error.value) == (
        "s3://elb-logs/AWSLogs/: access denied listing the bucket (needs s3:ListBucket on arn:aws:s3:::elb-logs). "
        "Check the IAM and bucket policies, or use another --profile."
    )


def test_access_denied_reading_an_object(bucket, iam_user):
    iam_user("s3:ListBucket")
    (obj,) = list_s3(AwsClients(), f"s3://elb-logs/{KEYS[4]}", LOG_SUFFIXES)
    with pytest.raises(SourceAccessError) as error, obj.opener() as stream:
        stream.read(2)
    assert str(error.value) == (
        f"s3://elb-logs/{KEYS[4]}: access denied reading the object (needs s3:GetObject, and kms:Decrypt for "
        "SSE-KMS objects). Check the IAM and bucket policies, or use another --profile."
    )


def test_credentials_aws_refuses(bucket, iam_user, monkeypatch):
    iam_user("s3:ListBucket")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNUNKNOWN00")
    with pytest.raises(SourceAccessError) as error:
        keys("s3://elb-logs/AWSLogs/")
    assert str(error.value) == (
        "s3://elb-logs/AWSLogs/: AWS refused the credentials (InvalidAccessKeyId: The AWS Access Key Id you "
        "provided does not exist in our records.). Refresh them (for example aws sso login), or use another "
        "--profile."
    )


def test_no_credentials_fails_within_seconds(monkeypatch, tmp_path, blackhole_port):
    """No credentials anywhere, and an instance-metadata endpoint that accepts connections and
    never answers: the error comes from correlate's own limits, not a hang."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{blackhole_port}/")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/")  # never contacted: signing fails first
    started = time.monotonic()
    with pytest.raises(SourceAccessError) as error:
        keys("s3://elb-logs/AWSLogs/")
    assert time.monotonic() - started < 8
    assert str(error.value) == (
        "s3://elb-logs/AWSLogs/: no AWS credentials found. Pass --profile or set AWS_PROFILE, set AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY, or run where an IAM role is available."
    )


def test_unknown_profile(aws):
    from correlate.sources.aws import AwsOptions

    with pytest.raises(SourceAccessError) as error:
        list(list_s3(AwsClients(AwsOptions(profile="nope")), "s3://elb-logs/", LOG_SUFFIXES))
    assert str(error.value) == (
        "The AWS profile 'nope' is not in your AWS config or credentials file. Check --profile / AWS_PROFILE "
        "(aws configure list-profiles)."
    )


def test_a_prefix_with_only_other_services(bucket):
    with pytest.raises(NoInputFound) as error:
        keys("s3://elb-logs/AWSLogs/o-abc123defg/", log_pruning(None, None, None))
    assert str(error.value) == (
        "s3://elb-logs/AWSLogs/o-abc123defg/: nothing to load under the prefix: its AWSLogs/ folders hold "
        "CloudTrail, CloudTrail-Insight, not elasticloadbalancing. Check the prefix."
    )
