"""Shared test helpers: the fixtures folder, a fresh database, and the CLI runner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from correlate.cli import main
from correlate.pipeline.logs import IngestSummary, ingest_logs
from correlate.sources import expand_sources
from correlate.store.database import Database
from correlate.store.logs import LogStore, RowFilter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def db() -> Iterator[Database]:
    database = Database.open(":memory:")
    yield database
    database.close()


def load(db: Database, *sources: str | Path, row_filter: RowFilter | None = None) -> IngestSummary:
    """Ingest log sources through the library, as `correlate ingest logs` does."""
    objects = expand_sources([str(source) for source in sources], (".log", ".log.gz"))
    return ingest_logs(LogStore(db), objects, row_filter)


def records(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    columns, rows = db.query(sql, params)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def ts(text: str) -> dt.datetime:
    """A naive UTC datetime from ISO 8601 text, as DuckDB returns TIMESTAMP values."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, env: dict[str, str] | None = None):
    """Run the CLI; stdout and stderr stay separate (click 8.2+)."""
    return runner.invoke(main, [str(arg) for arg in args], env=env, catch_exceptions=False)


def load_cloudtrail(db: Database, *sources: str | Path, window=None):
    """Ingest CloudTrail sources through the library, as `correlate ingest cloudtrail` does."""
    from correlate.pipeline.cloudtrail import CLOUDTRAIL_SUFFIXES, ingest_cloudtrail
    from correlate.sources.local import expand_local
    from correlate.store.cloudtrail import CloudTrailStore

    objects = [obj for source in sources for obj in expand_local(str(source), CLOUDTRAIL_SUFFIXES)]
    return ingest_cloudtrail(CloudTrailStore(db), objects, window)
