"""The HTML report as a person sees it: opened in real headless Chromium (Debian's `chromium`, which
.ci/run installs), with a screenshot, no console errors, no request leaving the page, and the
<script> planted in a user agent of the logs shown as text, never run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import invoke
from report_scenario import MARKUP_PATH, SCRIPT_UA

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


def test_the_html_report_in_chromium(runner, report_scenario, tmp_path):
    output = tmp_path / "review.html"
    result = invoke(
        runner,
        "--db",
        report_scenario.db_path,
        "report",
        "--lb",
        "shop-alb",
        "--timeline",
        report_scenario.timeline_file,
        "-o",
        output,
    )
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
            pwned = page.evaluate("[typeof window.__pwned, typeof window.__pwned_path]")
            body = page.inner_text("body")
            agents = page.locator("td.data", has_text="__pwned = 1").all_inner_texts()
            charts = page.locator("svg.chart").count()
            chart_width = page.locator("svg.chart").first.bounding_box()["width"]
            summary = page.inner_text("#summary")
        finally:
            browser.close()
    assert [entry for entry in console if entry[0] in ("error", "warning")] == []
    assert errors == []
    assert requested == [output.as_uri()]
    assert pwned == ["undefined", "undefined"]
    assert agents == [SCRIPT_UA]
    assert MARKUP_PATH in body
    assert charts == 4 and chart_width > 600
    assert "The most suspect change is RegisterTargets at 14:05:12 UTC by user/bob" in summary
    assert screenshot.stat().st_size > 100_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
