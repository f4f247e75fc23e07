"""The reports as people see them: the HTML report of a `correlate demo` scenario opened in real
headless Chromium (Debian's `chromium`, which .ci/run installs) on a 1400 px screen and a 390 px
phone, with screenshots, no console errors, no request leaving the page, no sideways scrolling on
the phone, and a <script> planted in a user agent of the logs shown as text, never run; and the
Markdown report's tables in a 980 px column styled as GitHub styles them."""

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


# Elements wider than the viewport that are allowed: the inside of a box that scrolls on its own
# (wide tables, charts kept readable, SQL).
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .filter(e => !e.closest('.scroll') && !e.closest('pre') && !e.closest('details:not([open])'))
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""


def test_the_html_report_in_chromium(runner, demo_db, tmp_path):
    db_path, lb = demo_db
    output = tmp_path / "review.html"
    result = invoke(runner, "--db", db_path, "report", "--lb", lb, "-o", output)
    assert result.exit_code == 0, result.stderr
    console: list[tuple[str, str]] = []
    errors: list[str] = []
    requested: list[str] = []
    seen = {}
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for width in (1400, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.on("console", lambda message: console.append((message.type, message.text)))
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on("request", lambda request: requested.append(request.url))
                page.goto(output.as_uri(), wait_until="load")
                page.screenshot(path=str(tmp_path / f"review-{width}.png"), full_page=True)
                seen[width] = {
                    "page_width": page.evaluate("document.documentElement.scrollWidth"),
                    "overflowing": page.evaluate(OVERFLOWING),
                    "pwned": page.evaluate("typeof window.__pwned"),
                    "agents": page.locator("td.data", has_text="__pwned = 1").all_inner_texts(),
                    "charts": page.locator("svg.chart").count(),
                    "chart_width": page.locator("svg.chart").first.bounding_box()["width"],
                    "summary": page.inner_text("#summary"),
                    "suspect": page.inner_text("#triggers tr.suspect"),
                    "actor": page.locator("#triggers tr.suspect [title]").first.get_attribute("title"),
                    "sql_hidden": page.locator("#appendix pre").first.is_hidden(),
                }
                page.close()
        finally:
            browser.close()
    assert [entry for entry in console if entry[0] in ("error", "warning")] == []
    assert errors == []
    assert requested == [output.as_uri(), output.as_uri()]
    wide, phone = seen[1400], seen[390]
    assert (wide["page_width"], wide["overflowing"]) == (1400, [])
    assert (phone["page_width"], phone["overflowing"]) == (390, [])  # no sideways scrolling on a phone
    for view in (wide, phone):
        assert view["pwned"] == "undefined"
        assert view["agents"] == [SCRIPT_UA]
        assert view["charts"] == 3  # the TLS mix did not move: no TLS chart
        assert "1 s after the change at 2026-11-02 14:00:23, " in view["summary"]
        assert f"{lb}'s share of requests answered with a 5xx rose" in view["summary"]
        assert "The most suspect change is DeregisterTargets at 2026-11-02 14:00:23 UTC by user/bob" in view["summary"]
        assert "DeregisterTargets" in view["suspect"] and "user/bob" in view["suspect"]
        assert view["actor"] == "arn:aws:iam::123456789012:user/bob"  # the full ARN on hover
        assert view["sql_hidden"]  # folded in <details>
    assert wide["chart_width"] > 900
    assert phone["chart_width"] >= 470  # kept readable: it scrolls inside its box instead of shrinking
    for width in (1400, 390):
        screenshot = tmp_path / f"review-{width}.png"
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 50_000


GITHUB_CSS = """
body { margin: 0; font: 16px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
article { width: 980px; }
table { display: block; width: max-content; max-width: 100%; overflow: auto; border-collapse: collapse; }
td, th { padding: 6px 13px; border: 1px solid #d1d9e0; }
code { padding: .2em .4em; font: 85% ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
img { max-width: 100%; }
"""


def test_the_markdown_tables_fit_a_github_column(runner, demo_db, tmp_path):
    """GitHub shows a README-width column of 980 px and lets a table wider than its content scroll
    sideways: every table of the Markdown report fits without scrolling."""
    from markdown_it import MarkdownIt

    db_path, lb = demo_db
    output = tmp_path / "review.md"
    assert invoke(runner, "--db", db_path, "report", "--lb", lb, "-o", output).exit_code == 0
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(output.read_text())
    page_file = tmp_path / "github.html"
    page_file.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{GITHUB_CSS}</style></head>"
        f"<body><article>{body}</article></body></html>"
    )
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(page_file.as_uri(), wait_until="load")
            tables = page.evaluate(
                "() => [...document.querySelectorAll('table')]"
                ".map(t => [t.querySelector('th').innerText, t.scrollWidth, t.clientWidth])"
            )
        finally:
            browser.close()
    headers = [header for header, _, _ in tables]
    assert "#" in headers and "Target groups" in headers  # the trigger candidates and the carriers
    assert [(header, width) for header, width, visible in tables if width > visible] == []
