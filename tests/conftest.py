"""Shared test helpers: the fixtures folder, a fresh database, and the CLI runner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from correlate.cli import main
from correlate.pipeline.logs import IngestSummary, LogsOptions, load_logs
from correlate.store.database import Database
from correlate.store.logs import RowFilter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Property tests: 20 examples by default (10-20 s in CI); `pytest --hypothesis-profile=long` runs 3,000.
_PROPERTY = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("default", max_examples=20, **_PROPERTY)
settings.register_profile("long", max_examples=3000, **_PROPERTY)


@pytest.fixture
def db() -> Iterator[Database]:
    database = Database.open(":memory:")
    yield database
    database.close()


def load(db: Database, *sources: str | Path, row_filter: RowFilter | None = None) -> IngestSummary:
    """Ingest log sources through the library call of `correlate ingest logs`."""
    return load_logs(db, LogsOptions(tuple(str(source) for source in sources), row_filter or RowFilter()))


def records(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    columns, rows = db.query(sql, params)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def ts(text: str) -> dt.datetime:
    """A naive UTC datetime from ISO 8601 text, as DuckDB returns TIMESTAMP values."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


class FakeTime:
    """sleep() advances the clock and records every sleep: pacing and backoff without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, env: dict[str, str] | None = None):
    """Run the CLI; stdout and stderr stay separate (click 8.2+)."""
    return runner.invoke(main, [str(arg) for arg in args], env=env, catch_exceptions=False)


AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's AWS as a server on a free local port, for the CLI in another process (AWS_ENDPOINT_URL)."""
    import logging
    import socket

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def moto_subnets(ec2, zones: str = "ab") -> tuple[str, list[str]]:
    """A VPC in moto (`ec2` a boto3 EC2 client) with one subnet in each of `zones` of its region, for a
    load balancer: (VpcId, [SubnetId, ...])."""
    region = ec2.meta.region_name
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(zones, start=1)
    ]
    return vpc, subnets


@pytest.fixture
def aws(monkeypatch, tmp_path):
    """moto's in-process AWS with fake credentials; nothing from the developer's own AWS setup."""
    from moto import mock_aws

    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name, value in AWS_TEST_ENV.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.fixture
def s3(aws):
    import boto3

    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def blackhole_port() -> Iterator[int]:
    """A local port that accepts connections and never answers (a hanging metadata service)."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def iam_user(aws, monkeypatch):
    """Become an IAM user allowed only `actions`, with moto enforcing IAM from then on."""
    import json

    import boto3
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    def become(*actions: str) -> None:
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="reader")
        statement = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        iam.put_user_policy(UserName="reader", PolicyName="only", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        monkeypatch.delenv("AWS_SESSION_TOKEN")
        monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
        monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)

    return become


def load_cloudtrail(db: Database, *sources: str | Path, window=None):
    """Ingest CloudTrail sources through the library, as `correlate ingest cloudtrail` does."""
    from correlate.pipeline.cloudtrail import CLOUDTRAIL_SUFFIXES, ingest_cloudtrail
    from correlate.sources.local import expand_local
    from correlate.store.cloudtrail import CloudTrailStore

    objects = [obj for source in sources for obj in expand_local(str(source), CLOUDTRAIL_SUFFIXES)]
    return ingest_cloudtrail(CloudTrailStore(db), objects, window)


@dataclass(frozen=True)
class ReportScenario:
    """tests/report_scenario.py loaded into a database file (closed; open it read-only)."""

    db_path: Path
    logs: Path
    timeline_file: Path


@pytest.fixture(scope="session")
def report_scenario(tmp_path_factory) -> ReportScenario:
    import orjson
    from report_scenario import timeline, write_logs, write_trail

    root = tmp_path_factory.mktemp("report-scenario")
    logs = root / "logs"
    write_logs(logs)
    write_trail(logs)
    db_path = root / "scenario.duckdb"
    with Database.open(str(db_path)) as database:
        load(database, logs)
        load_cloudtrail(database, logs / "AWSLogs" / "123456789012" / "CloudTrail")
        changes = {row["event_id"]: row for row in records(database, "select * from changes where lb = 'shop-alb'")}
    timeline_file = root / "timeline.json"
    timeline_file.write_bytes(orjson.dumps(timeline(changes), option=orjson.OPT_INDENT_2))
    return ReportScenario(db_path, logs, timeline_file)


@pytest.fixture(scope="session")
def spark():
    """One local[2] SparkSession for the whole run (starting one costs 10-15 s); the Spark tests
    skip where pyspark or Java is missing (CI has both)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
    from correlate.spark.session import SparkUnavailable, check_spark, spark_session

    try:
        check_spark()
    except SparkUnavailable as missing:
        pytest.skip(str(missing))
    session = spark_session(
        "local[2]",
        {
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.driver.extraJavaOptions": "-Duser.timezone=UTC -XX:+UseSerialGC -XX:TieredStopAtLevel=1",
        },
    )
    yield session
    session.stop()
