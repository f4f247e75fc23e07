"""The command line as users meet it: help texts, formats, errors, stdout vs stderr."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from conftest import FIXTURES, invoke

from correlate.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += all_commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), all_commands(main))
def test_every_command_has_an_example_and_is_in_the_readme(runner, name, command):
    result = invoke(runner, *name.split(), "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout
    assert f"correlate {name}" in result.stdout
    assert f"correlate {name}" in README


@pytest.fixture
def loaded(runner, tmp_path) -> Path:
    db_path = tmp_path / "c.duckdb"
    result = invoke(runner, "--db", db_path, "ingest", "logs", FIXTURES / "alb", FIXTURES / "clb")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "9 files: 9 loaded, 0 skipped; 35 rows, 0 rejected\n"
    return db_path


def test_sql_formats(runner, loaded):
    query = "select lb, count(*) as n from requests group by lb order by lb"
    as_json = invoke(runner, "--db", loaded, "sql", query, "--format", "json")
    assert json.loads(as_json.stdout) == [
        {"lb": "media-lb", "n": 2},
        {"lb": "my-loadbalancer", "n": 14},
        {"lb": "web-prod", "n": 19},
    ]
    assert invoke(runner, "--db", loaded, "sql", query, "--format", "ndjson").stdout == (
        '{"lb":"media-lb","n":2}\n{"lb":"my-loadbalancer","n":14}\n{"lb":"web-prod","n":19}\n'
    )
    assert invoke(runner, "--db", loaded, "sql", query, "--format", "csv").stdout == (
        "lb,n\nmedia-lb,2\nmy-loadbalancer,14\nweb-prod,19\n"
    )
    assert invoke(runner, "--db", loaded, "sql", query, "--format", "markdown").stdout == (
        "| lb | n |\n|---|---|\n| media-lb | 2 |\n| my-loadbalancer | 14 |\n| web-prod | 19 |\n"
    )
    table = invoke(runner, "--db", loaded, "sql", query, "--format", "table").stdout
    assert "my-loadbalancer" in table and "│" in table


def test_csv_neutralises_formulas(runner, loaded):
    result = invoke(
        runner, "--db", loaded, "sql", "select '=HYPERLINK(1)' as a, '-1+2' as b, -1 as c, '@x' as d", "--format", "csv"
    )
    assert result.stdout == "a,b,c,d\n'=HYPERLINK(1),'-1+2,-1,'@x\n"


def test_lbs(runner, loaded):
    result = invoke(runner, "--db", loaded, "lbs", "--format", "json")
    assert json.loads(result.stdout) == [
        {
            "lb": "media-lb",
            "lb_type": "clb",
            "lb_id": "media-lb",
            "requests": 2,
            "tls_connections": 0,
            "metric_minutes": 0,
            "first_seen": "2014-02-15T23:39:43.945958Z",
            "last_seen": "2014-02-15T23:39:44.945958Z",
            "changes": 0,
        },
        {
            "lb": "my-loadbalancer",
            "lb_type": "alb,clb",
            "lb_id": result_lb_id(result.stdout),
            "requests": 14,
            "tls_connections": 0,
            "metric_minutes": 0,
            "first_seen": "2015-05-13T23:39:43.945958Z",
            "last_seen": "2018-11-30T22:22:48.364000Z",
            "changes": 0,
        },
        {
            "lb": "web-prod",
            "lb_type": "alb",
            "lb_id": "app/web-prod/50dc6c495c0c9188",
            "requests": 19,
            "tls_connections": 0,
            "metric_minutes": 0,
            "first_seen": "2017-03-01T10:00:00.000001Z",
            "last_seen": "2027-01-05T09:59:59.890000Z",
            "changes": 0,
        },
    ]


def result_lb_id(stdout: str) -> str:
    """my-loadbalancer is both an ALB and a Classic ELB in the fixtures; either id may be shown."""
    (row,) = [r for r in json.loads(stdout) if r["lb"] == "my-loadbalancer"]
    assert row["lb_id"] in ("my-loadbalancer", "app/my-loadbalancer/50dc6c495c0c9188")
    return row["lb_id"]


def test_sql_error_is_one_line(runner, loaded):
    result = invoke(runner, "--db", loaded, "sql", "select nope from requests")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith('Error: The query failed: Binder Error: Referenced column "nope" not found')
    assert len(result.stderr.splitlines()) == 1


def test_sql_cannot_write(runner, loaded):
    result = invoke(runner, "--db", loaded, "sql", "delete from requests")
    assert result.exit_code == 1
    assert "read-only" in result.stderr


def test_reading_a_missing_database(runner, tmp_path):
    result = invoke(runner, "--db", tmp_path / "none.duckdb", "lbs")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No database at {tmp_path / 'none.duckdb'}. Load some data first (correlate ingest logs DIR, or "
        "correlate demo), or point --db / CORRELATE_DB at an existing file.\n"
    )


def test_database_from_environment(runner, loaded):
    result = invoke(
        runner, "sql", "select count(*) as n from requests", "--format", "csv", env={"CORRELATE_DB": str(loaded)}
    )
    assert result.stdout == "n\n35\n"


def test_bad_time_is_a_usage_error(runner):
    result = invoke(runner, "--db", ":memory:", "ingest", "logs", FIXTURES / "alb", "--since", "last tuesday")
    assert result.exit_code == 2
    assert "Cannot read 'last tuesday' as a time." in result.stderr


def test_ingest_filters_by_lb_and_window(runner, tmp_path):
    db_path = tmp_path / "f.duckdb"
    result = invoke(
        runner,
        "--db",
        db_path,
        "ingest",
        "logs",
        FIXTURES / "alb",
        "--lb",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188",
        "--since",
        "2020-01-01",
        "--until",
        "2026-01-01T00:00:00Z",
    )
    assert result.stderr == "6 files: 6 loaded, 0 skipped; 9 rows, 0 rejected, 17 outside the filter\n"
