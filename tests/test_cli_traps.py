"""The small traps of the first five minutes: options after the command, time expressions, windows
the wrong way round or empty, misspelled load balancers, a busy database, Ctrl-C, exit codes, and a
`--version` that starts nothing heavy."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, invoke, records
from hypothesis import given
from hypothesis import strategies as st

from correlate.errors import ExitCode
from correlate.store.database import Database
from correlate.timeparse import parse_time

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.fixture(scope="module")
def fixtures_db(tmp_path_factory) -> Path:
    """The ALB and Classic fixtures (web-prod, my-loadbalancer, media-lb) and a trail of web-prod's changes."""
    from click.testing import CliRunner

    path = tmp_path_factory.mktemp("traps") / "c.duckdb"
    runner = CliRunner()
    assert invoke(runner, "--db", path, "ingest", "logs", FIXTURES / "alb", FIXTURES / "clb").exit_code == 0
    trail = FIXTURES / "cloudtrail" / "trail_v2_story.json"
    assert invoke(runner, "--db", path, "ingest", "cloudtrail", trail).exit_code == 0
    return path


# -- exit codes ----------------------------------------------------------------------------------


def test_the_readme_lists_every_exit_code():
    table = dict(re.findall(r"^\| `(\d+)` \| (.+?) \|$", README, re.MULTILINE))
    assert sorted(int(code) for code in table) == sorted(code.value for code in ExitCode)


# -- --db, --quiet and --wait after the command --------------------------------------------------


def test_db_after_the_command(runner, fixtures_db, tmp_path):
    after = invoke(runner, "lbs", "--db", fixtures_db, "--format", "csv")
    assert after.exit_code == 0, after.stderr
    assert [line.split(",")[0] for line in after.stdout.splitlines()] == [
        "lb",
        "media-lb",
        "my-loadbalancer",
        "web-prod",
    ]
    # after the command wins over before it and over CORRELATE_DB
    elsewhere = tmp_path / "none.duckdb"
    both = invoke(runner, "--db", elsewhere, "lbs", "--db", fixtures_db, "--format", "json", env={"CORRELATE_DB": "x"})
    assert [row["lb"] for row in json.loads(both.stdout)] == ["media-lb", "my-loadbalancer", "web-prod"]
    nested = tmp_path / "n.duckdb"
    loaded = invoke(runner, "ingest", "logs", FIXTURES / "alb" / "escapes.log", "--db", nested, "-q")
    assert (loaded.exit_code, loaded.stderr) == (0, "")
    assert invoke(runner, "--db", nested, "sql", "select count(*) as n from requests", "--format", "csv").stdout == (
        "n\n2\n"
    )


# -- time expressions ----------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 20, 14, 30, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("NOW", NOW),
        ("2h ago", dt.datetime(2026, 11, 20, 12, 30)),
        ("2h", dt.datetime(2026, 11, 20, 12, 30)),
        ("90m", dt.datetime(2026, 11, 20, 13, 0)),
        ("90 minutes ago", dt.datetime(2026, 11, 20, 13, 0)),
        ("1.5 hours ago", dt.datetime(2026, 11, 20, 13, 0)),
        ("2d", dt.datetime(2026, 11, 18, 14, 30)),
        ("1 week ago", dt.datetime(2026, 11, 13, 14, 30)),
        ("30s ago", dt.datetime(2026, 11, 20, 14, 29, 30)),
        ("2026-11-20 14:05", dt.datetime(2026, 11, 20, 14, 5)),
        ("2026-11-20T14:05:00Z", dt.datetime(2026, 11, 20, 14, 5)),
        ("2026-11-20T16:05:00+02:00", dt.datetime(2026, 11, 20, 14, 5)),
        ("2026-11-20", dt.datetime(2026, 11, 20)),
    ],
)
def test_time_expressions(text, expected):
    assert parse_time(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["2 ago", "2ms", "last tuesday", "now-ish", "2 hoursago", "ago"])
def test_what_is_not_a_time(text):
    from correlate.errors import BadTimeExpression

    with pytest.raises(BadTimeExpression) as raised:
        parse_time(text, now=NOW)
    assert str(raised.value) == (
        f"Cannot read {text!r} as a time. Use ISO 8601 (2026-11-20T14:05:00Z, 2026-11-20 14:05 in UTC), now, "
        "or an offset back from now (90m, 6h, 2d, 2h ago)."
    )


UNITS = {
    1: ["s", "sec", "secs", "second", "seconds"],
    60: ["m", "min", "mins", "minute", "minutes"],
    3600: ["h", "hr", "hrs", "hour", "hours"],
    86400: ["d", "day", "days"],
    604800: ["w", "week", "weeks"],
}


@given(
    amount=st.integers(min_value=0, max_value=10_000),
    seconds=st.sampled_from(sorted(UNITS)),
    spelling=st.data(),
    space=st.sampled_from(["", " ", "  "]),
    ago=st.sampled_from(["", " ago", " AGO"]),
    upper=st.booleans(),
)
def test_any_offset_back_from_now(amount, seconds, spelling, space, ago, upper):
    unit = spelling.draw(st.sampled_from(UNITS[seconds]))
    text = f"{amount}{space}{unit.upper() if upper else unit}{ago}"
    assert parse_time(text, now=NOW) == NOW - dt.timedelta(seconds=amount * seconds)


@given(
    moment=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_a_time_without_a_zone_is_utc(moment, offset_minutes):
    zone = dt.timezone(dt.timedelta(minutes=offset_minutes))
    assert parse_time(moment.isoformat()) == moment
    assert parse_time(moment.isoformat() + "Z") == moment
    assert parse_time(moment.replace(tzinfo=dt.UTC).astimezone(zone).isoformat()) == moment


def test_relative_times_on_the_command_line(runner, fixtures_db):
    result = invoke(runner, "--db", fixtures_db, "changes", "--lb", "web-prod", "--since", "2h ago", "--until", "now")
    assert result.exit_code == 0, result.stderr
    help_text = " ".join(invoke(runner, "timeline", "--help").stdout.split())
    assert "From this time: ISO 8601 (a time without a zone is UTC), now, or an offset back from now" in help_text


# -- --since after --until -------------------------------------------------------------------------

BACKWARDS = (
    "Error: --since (2026-11-20T15:00:00Z) is not before --until (2026-11-20T14:00:00Z): "
    "give the earlier time to --since."
)


@pytest.mark.parametrize(
    "command",
    [
        ["changes", "--lb", "web-prod"],
        ["timeline", "--lb", "web-prod"],
        ["report", "--lb", "web-prod", "-o", "review.html"],
        ["ingest", "logs", str(FIXTURES / "alb")],
        ["ingest", "cloudtrail", str(FIXTURES / "cloudtrail")],
    ],
)
@pytest.mark.parametrize("until_first", [False, True])
def test_since_after_until_is_refused_everywhere(runner, tmp_path, command, until_first):
    window = ["--since", "2026-11-20T15:00Z", "--until", "2026-11-20 14:00"]
    if until_first:
        window = window[2:] + window[:2]
    result = invoke(runner, "--db", tmp_path / "c.duckdb", *command, *window)
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert result.stderr.splitlines()[-1] == BACKWARDS
    assert not (tmp_path / "c.duckdb").exists()


# -- which load balancer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["changes"], ["timeline"], ["report", "-o", "review.html"]], ids=["changes", "timeline", "report"]
)
def test_a_misspelled_load_balancer_gets_one_message(runner, fixtures_db, command):
    result = invoke(runner, "--db", fixtures_db, *command, "--lb", "web-prd")
    assert (result.exit_code, result.stdout) == (ExitCode.USER_ERROR, "")
    assert result.stderr == f"Error: No load balancer named web-prd in {fixtures_db}. Did you mean web-prod?\n"
    far = invoke(runner, "--db", fixtures_db, *command, "--lb", "checkout")
    assert far.stderr == (
        f"Error: No load balancer named checkout in {fixtures_db}. Known: media-lb, my-loadbalancer, web-prod.\n"
    )


def test_load_balancer_names_ignore_case(runner, fixtures_db):
    exact = invoke(runner, "--db", fixtures_db, "changes", "--lb", "web-prod", "--format", "json")
    shouted = invoke(runner, "--db", fixtures_db, "changes", "--lb", "WEB-Prod", "--format", "json")
    assert shouted.exit_code == 0 and shouted.stdout == exact.stdout and len(json.loads(exact.stdout)) == 11
    timeline = invoke(runner, "--db", fixtures_db, "timeline", "--lb", "Web-Prod", "--format", "json")
    assert json.loads(timeline.stdout)["lb"] == "web-prod"


# -- empty output says why -------------------------------------------------------------------------


def test_an_empty_window_says_what_the_data_covers(runner, fixtures_db):
    window = ["--since", "2030-01-01", "--until", "2030-01-02"]
    timeline = invoke(runner, "--db", fixtures_db, "timeline", "--lb", "web-prod", *window, "--format", "csv")
    assert (timeline.exit_code, timeline.stdout) == (ExitCode.USER_ERROR, "")
    assert timeline.stderr == (
        "Error: web-prod has no requests or changes between 2030-01-01T00:00:00Z and 2030-01-02T00:00:00Z; its "
        "data covers 2017-03-01T10:00:00Z to 2027-01-05T09:59:59Z. Pass --since/--until inside that span, or leave "
        "them out to use all of it.\n"
    )
    changes = invoke(runner, "--db", fixtures_db, "changes", "--lb", "web-prod", *window, "--format", "csv")
    assert changes.exit_code == 0
    assert changes.stdout == (
        "event_time,lb,event_name,category,listener_port,target_group,summary,actor_name,actor_kind,applied,"
        "error_code,event_id,origin,url\n"
    )
    assert changes.stderr == (
        "No changes to web-prod between 2030-01-01T00:00:00Z and 2030-01-02T00:00:00Z; the 11 recorded span "
        "2026-11-20T13:01:00Z to 2026-11-20T14:10:00Z. Pass --since/--until inside that span, or leave them out "
        "to see them all.\n"
    )
    none = invoke(runner, "--db", fixtures_db, "changes", "--lb", "media-lb", "--format", "json")
    assert (none.stdout, none.stderr) == (
        "[]\n",
        f"No configuration changes to media-lb are recorded in {fixtures_db}: load CloudTrail with correlate "
        "ingest cloudtrail SOURCE (or --lookup), or deploys and other change events with correlate ingest changes "
        "FILE.\n",
    )


def test_an_empty_database_says_what_to_load(runner, tmp_path):
    path = tmp_path / "empty.duckdb"
    Database.open(str(path)).close()
    result = invoke(runner, "--db", path, "lbs", "--format", "csv")
    assert result.stdout == "lb,lb_type,lb_id,requests,tls_connections,metric_minutes,first_seen,last_seen,changes\n"
    assert result.stderr == (
        f"No load balancers in {path} yet: load access logs with correlate ingest logs SOURCE, or CloudTrail with "
        "correlate ingest cloudtrail SOURCE.\n"
    )
    assert invoke(runner, "--db", path, "-q", "lbs", "--format", "csv").stderr == ""
    timeline = invoke(runner, "--db", path, "timeline", "--lb", "web-prod")
    assert timeline.stderr == (
        f"Error: No load balancer named web-prod in {path}: it holds none yet; load access logs with correlate "
        "ingest logs SOURCE, or CloudTrail with correlate ingest cloudtrail SOURCE.\n"
    )


# -- a busy database --------------------------------------------------------------------------------

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
"""


def hold(path: Path, mode: str, seconds: float) -> subprocess.Popen:
    """Another process with the database open (`read` or `write`) for `seconds`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    return holder


def test_busy_says_who_holds_the_database_and_what_it_does(runner, fixtures_db, tmp_path):
    path = tmp_path / "busy.duckdb"
    path.write_bytes(fixtures_db.read_bytes())
    reader = hold(path, "read", 60)
    try:
        refused = invoke(runner, "--db", path, "ingest", "logs", FIXTURES / "alb" / "escapes.log")
    finally:
        reader.kill()
        reader.wait()
    assert (refused.exit_code, refused.stdout) == (ExitCode.BUSY, "")
    holder = f"process {reader.pid} ({sys.executable} -c import sys, time, duckdb con = "
    assert refused.stderr.startswith(f"Error: The database {path} is busy: {holder}")
    assert refused.stderr.endswith(
        ") has it open read-only, and nothing can write to it until that ends. Wait for it to finish, pass "
        "--wait SECONDS, or use another --db.\n"
    )
    writer = hold(path, "write", 60)
    try:
        refused = invoke(runner, "--db", path, "lbs")
    finally:
        writer.kill()
        writer.wait()
    assert refused.exit_code == ExitCode.BUSY
    assert refused.stderr.startswith(f"Error: The database {path} is busy: process {writer.pid} ")
    assert refused.stderr.endswith(
        ") is writing to it. Wait for it to finish, pass --wait SECONDS, or use another --db.\n"
    )


def test_wait_waits_for_the_database(runner, fixtures_db, tmp_path):
    path = tmp_path / "busy.duckdb"
    path.write_bytes(fixtures_db.read_bytes())
    log = tmp_path / "more.log"
    log.write_bytes((FIXTURES / "alb" / "escapes.log").read_bytes())
    reader = hold(path, "read", 1.5)
    try:
        waited = invoke(runner, "--db", path, "ingest", "logs", log, "--wait", "60")
    finally:
        reader.wait()
    assert waited.exit_code == 0, waited.stderr
    first, last = waited.stderr.splitlines()
    assert first.startswith(f"Waiting up to 60 s for the database: process {reader.pid} (")
    assert first.endswith(") has it open read-only, and nothing can write to it until that ends.")
    assert last == "1 files: 1 loaded, 0 skipped; 2 rows, 0 rejected"
    reader = hold(path, "write", 60)
    try:
        gave_up = invoke(runner, "--wait", "0.5", "--db", path, "lbs")
    finally:
        reader.kill()
        reader.wait()
    assert gave_up.exit_code == ExitCode.BUSY
    waiting, error = gave_up.stderr.splitlines()
    assert waiting.startswith(f"Waiting up to 0.5 s for the database: process {reader.pid} (")
    assert error.startswith(f"Error: The database {path} is busy (still, after waiting 0.5 s): process {reader.pid} (")
    assert error.endswith(") is writing to it. Wait for it to finish, or use another --db.")


# -- Ctrl-C ------------------------------------------------------------------------------------------


def test_ctrl_c_says_what_was_committed_and_a_rerun_resumes(runner, tmp_path, monkeypatch):
    from timeline_support import TEST_RATES

    from correlate.demo import run

    def fast(kind, seed, root, rates=None):
        return generate(kind, seed, root, TEST_RATES)

    def interrupt(db, files):
        raise KeyboardInterrupt

    generate = run.generate
    monkeypatch.setattr(run, "generate", fast)
    monkeypatch.setattr(run, "load_trail", interrupt)
    path, out = tmp_path / "c.duckdb", tmp_path / "files"
    stopped = invoke(runner, "--db", path, "demo", "--out", out, "--format", "csv")
    assert (stopped.exit_code, stopped.stdout) == (ExitCode.INTERRUPTED, "")
    with Database.open(str(path), read_only=True) as db:
        (loaded,) = records(db, "select count(*) as files, sum(rows) as rows from ingested_files")
    assert loaded["files"] == 31
    assert stopped.stderr.splitlines()[-1] == (
        f"Error: Interrupted: 31 input files ({loaded['rows']:,} rows) loaded and committed before it; the work "
        "in progress was rolled back. Run the same command again to resume: what is loaded is skipped."
    )
    monkeypatch.undo()
    monkeypatch.setattr(run, "generate", fast)
    resumed = invoke(runner, "--db", path, "demo", "--out", out, "--format", "csv")
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.stderr.splitlines()[1] == (
        "Access logs: 31 files: 0 loaded, 31 skipped (31 already loaded); 0 rows, 0 rejected"
    )


def test_ctrl_c_while_reading(runner, fixtures_db, monkeypatch):
    from correlate.analysis import timeline

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(timeline, "build_timeline", interrupt)
    result = invoke(runner, "--db", fixtures_db, "timeline", "--lb", "web-prod")
    assert (result.exit_code, result.stdout) == (ExitCode.INTERRUPTED, "")
    assert result.stderr == "Error: Interrupted; the database was not changed.\n"


# -- --version ------------------------------------------------------------------------------------

HEAVY = ("duckdb", "pyarrow", "numpy", "rich", "boto3", "scipy", "matplotlib", "jinja2", "ruptures", "orjson")


def test_version_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from correlate.cli import main\n"
        "try:\n"
        "    main(['--version'], prog_name='correlate')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    version, loaded = result.stdout.splitlines()
    assert version.startswith("correlate, version ")
    assert loaded == "[]"


def test_help_lists_the_commands_without_importing_them():
    code = (
        "import sys\n"
        "from correlate.cli import main\n"
        "try:\n"
        "    main(['--help'], prog_name='correlate')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"
    assert "  timeline  Changes and metric shifts of one load balancer on one time axis.\n" in result.stdout


@pytest.mark.parametrize("width", [60, 80, 200])
def test_help_lists_each_command_as_the_command_itself_would(width):
    """The summaries `correlate --help` shows without importing a command are the commands' own."""
    from click.testing import CliRunner

    from correlate.cli import COMMANDS, main

    def listing() -> str:
        result = CliRunner().invoke(main, ["--help"], prog_name="correlate", terminal_width=width)
        assert result.exit_code == 0
        return result.output

    main.commands.clear()
    lazy = listing()
    for name in COMMANDS:
        main.get_command(None, name)
    assert listing() == lazy
    assert "Commands:" in lazy and all(f"  {name} " in lazy for name in COMMANDS)


def test_schema_doc_names_the_duckdb_it_needs():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"duckdb>=2.0,<3"' in pyproject
    assert "DuckDB 2.0 or later" in (ROOT / "docs" / "schema.md").read_text()
