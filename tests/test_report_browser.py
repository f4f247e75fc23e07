"""The HTML report as a person sees it: the report of a `correlate demo` scenario opened in real
headless Chromium (Debian's `chromium`, which .ci/run installs), with a screenshot, no console
errors, no request leaving the page, and a <script> planted in a user agent of the logs shown as
text, never run."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import shutil
from pathlib import Path

import pytest
from conftest import invoke
from timeline_support import TEST_RATES

from correlate.demo import generate, scenario
from correlate.demo.run import load_trail
from correlate.pipeline.logs import LogsOptions, load_logs
from correlate.store.database import Database

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)"),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KIND, SEED = "deregistered-targets", 1
SCRIPT_UA = "<script>window.__pwned = 1</script>"
_USER_AGENT = re.compile(r'("[A-Z]+ [^"]* HTTP/[0-9.]+") "[^"]*"')
_END = re.compile(r"_(\d{8}T\d{4}Z)_")


def plant(log: Path) -> None:
    """Give every request of one log file a user agent that is a script: a client the attacker runs."""
    text = gzip.decompress(log.read_bytes()).decode()
    planted, count = _USER_AGENT.subn(lambda m: f'{m.group(1)} "{SCRIPT_UA}"', text)
    assert count > 50
    log.write_bytes(gzip.compress(planted.encode(), mtime=0))


def incident_file(files: tuple[Path, ...], after: dt.datetime) -> Path:
    """The first log file whose interval ends 10 minutes or more after `after`."""
    ends = {path: dt.datetime.strptime(_END.search(path.name).group(1), "%Y%m%dT%H%MZ") for path in files}
    return min((path for path in files if ends[path] >= after + dt.timedelta(minutes=10)), key=lambda p: (ends[p], p))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> tuple[Path, str]:
    """The demo scenario's subject load balancer (its access logs at a lower rate, for speed), with a
    script planted in its logs."""
    root = tmp_path_factory.mktemp("demo")
    story = scenario(KIND, SEED)
    files = generate(KIND, SEED, root, TEST_RATES, only=story.subject)
    plant(incident_file(files.log_files, story.culprit.call.at))
    db_path = root / "demo.duckdb"
    with Database.open(str(db_path)) as db:  # as `correlate demo` loads it: the logs, then the trail
        load_logs(db, LogsOptions((str(root / "AWSLogs"),)))
        load_trail(db, files)
    return db_path, story.subject


def test_the_html_report_in_chromium(runner, demo_db, tmp_path):
    db_path, lb = demo_db
    output = tmp_path / "review.html"
    result = invoke(runner, "--db", db_path, "report", "--lb", lb, "-o", output)
    assert result.exit_code == 0, result.stderr
    screenshot = tmp_path / "review.png"
    console: list[tuple[str, str]] = []
    errors: list[str] = []
    requested: list[str] = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: console.append((message.type, message.text)))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requested.append(request.url))
            page.goto(output.as_uri(), wait_until="load")
            page.screenshot(path=str(screenshot), full_page=True)
            pwned = page.evaluate("typeof window.__pwned")
            agents = page.locator("td.data", has_text="__pwned = 1").all_inner_texts()
            charts = page.locator("svg.chart").count()
            chart_width = page.locator("svg.chart").first.bounding_box()["width"]
            summary = page.inner_text("#summary")
            suspect = page.inner_text("#triggers tr.suspect")
        finally:
            browser.close()
    assert [entry for entry in console if entry[0] in ("error", "warning")] == []
    assert errors == []
    assert requested == [output.as_uri()]
    assert pwned == "undefined"
    assert agents == [SCRIPT_UA]
    assert charts == 4 and chart_width > 600
    assert f"{lb}'s ELB 5xx rate rose" in summary
    assert "The most suspect change is DeregisterTargets at 14:00:23 UTC by user/bob (cli)" in summary
    assert "DeregisterTargets" in suspect
    assert screenshot.stat().st_size > 100_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
