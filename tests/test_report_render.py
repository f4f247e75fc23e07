"""The report of tests/report_scenario.py: its facts, its words, its files.

The Markdown report is compared with tests/snapshots/report/shop-alb.md; after an intended change,
regenerate it with `UPDATE_SNAPSHOTS=1 pytest tests/test_report_render.py` and review the diff.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import FIXTURES, load
from report_scenario import FORMULA_UA, MARKUP_DOMAIN, MARKUP_PATH, SCRIPT_UA

from correlate.present.document import timeline_from_document
from correlate.present.render import csv_safe, to_text
from correlate.report import narrative
from correlate.report.charts import CHANGE, FAILED, ROLLBACK, SUSPECT, _series, markers, render_charts
from correlate.report.data import ReportData, ReportOptions, gather
from correlate.report.render import (
    ReportWriteError,
    markdown_code,
    markdown_text,
    render_html,
    render_markdown,
    write_report,
)
from correlate.report.timeline import load_timeline
from correlate.store.database import Database

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "report" / "shop-alb.md"
GENERATED_AT = dt.datetime(2026, 11, 21, 9, 30)
TODAY = ReportOptions("shop-alb", today=GENERATED_AT.date())  # the day after: every time carries its date


@pytest.fixture(scope="module")
def report(report_scenario) -> ReportData:
    with Database.open(str(report_scenario.db_path), read_only=True) as db:
        return gather(db, TODAY, load_timeline(report_scenario.timeline_file))


@pytest.fixture(scope="module")
def html(report) -> str:
    text, files = render_html(report, "shop-alb_files", generated_at=GENERATED_AT)
    assert list(files) == ["F11-manifest.csv"]
    return text


@pytest.fixture(scope="module")
def markdown(report) -> tuple[str, dict[str, bytes]]:
    return render_markdown(report, "shop-alb_files", generated_at=GENERATED_AT)


def test_every_figure_is_reproduced_by_the_sql_the_appendix_prints(report, report_scenario):
    with Database.open(str(report_scenario.db_path), read_only=True) as db:
        for figure in report.figures:
            assert "$" not in re.sub(r"'[^']*'", "", figure.sql), figure.query
            cursor = db.con.execute(figure.sql)
            assert tuple(d[0] for d in cursor.description) == figure.columns
            assert tuple(tuple(row) for row in cursor.fetchall()) == figure.rows, figure.query


def test_the_facts_of_the_scenario(report):
    assert [f"{f.key} {f.query}" for f in report.figures] == [
        "F1 window",
        "F2 periods",
        "F3 impact",
        "F4 carriers",
        "F5 error_span",
        "F6 minutes",
        "F7 tls_mix",
        "F8 changes",
        "F9 log_intervals",
        "F10 cloudtrail_coverage",
        "F11 manifest",
    ]
    assert (report.since, report.until) == (dt.datetime(2026, 11, 20, 13, 40), dt.datetime(2026, 11, 20, 14, 40))
    assert report.period == (dt.datetime(2026, 11, 20, 14, 6), dt.datetime(2026, 11, 20, 14, 32))
    assert report.rollback is not None and report.rollback.change.event_name == "DeregisterTargets"
    carriers = report.figure("carriers").records()
    worst_target = next(r for r in carriers if r["dimension"] == "target")
    assert (worst_target["value"], worst_target["errors"]) == ("10.0.20.23:9000", 28)
    (node_a, node_b) = report.figure("log_intervals").records()
    assert (node_a["missing"], node_b["node_ip"], node_b["missing"]) == (0, "10.0.2.27", 1)


def test_the_summary_says_what_moved_when_by_how_much_and_who(report):
    """Written the day after, every time carries its date; the 5xx are one thing in the paragraph: the
    share of requests answered with a 5xx (F2), not the timeline's 5xx rate beside F2's before."""
    assert narrative.summary(report) == [
        "At 2026-11-20 14:06:00 UTC, shop-alb's p99 target latency rose from 110 ms to 3,600 ms (×33) and "
        "share of requests answered with a 5xx rose from 0.77% to 6.25%.",
        "The metrics recovered at 2026-11-20 14:32:00 UTC, 26 min later.",
        "During the incident 29 of 464 requests got a 5xx response.",
        "72 requests (15.52%) were affected: a 5xx, or slower than the 269 ms p99 before.",
        "p99 target latency was 3,849 ms during the incident, 269 ms before.",
        "The most suspect change is RegisterTargets at 2026-11-20 14:05:12 UTC by user/bob (terraform): registered "
        "1 target (10.0.20.23:9000) in api (suspicion 0.91).",
        "DeregisterTargets at 2026-11-20 14:31:40 UTC by user/alice undid it.",
    ]


def test_times_carry_their_date_unless_the_window_is_today(report_scenario):
    def first(today, since=None, until=None):
        with Database.open(str(report_scenario.db_path), read_only=True) as db:
            options = ReportOptions("shop-alb", since, until, today=today)
            report = gather(db, options, load_timeline(report_scenario.timeline_file))
        return report.dated, narrative.summary(report)[0][:41], narrative.timeline_entries(report)[0].when

    assert first(dt.date(2026, 11, 20)) == (False, "At 14:06:00 UTC on 2026-11-20, shop-alb's", "13:52:03")
    assert first(None) == (True, "At 2026-11-20 14:06:00 UTC, shop-alb's p9", "2026-11-20 13:52:03")
    assert first(dt.date(2026, 11, 20), since=dt.datetime(2026, 11, 19, 13), until=dt.datetime(2026, 11, 20, 15)) == (
        True,
        "At 2026-11-20 14:06:00 UTC, shop-alb's p9",
        "2026-11-20 13:52:03",
    )


def test_the_timeline_section(report):
    entries = [(e.at.strftime("%H:%M:%S"), e.kind, e.what) for e in narrative.timeline_entries(report)]
    assert entries == [
        ("13:52:03", "change", "#3 AddTags: tags added: cost-center=shop"),
        (
            "14:05:12",
            "change",
            "#1 RegisterTargets: registered 1 target (10.0.20.23:9000) in api — most suspect",
        ),
        ("14:06:00", "shift", "Shift: p99 target latency rose from 110 ms to 3,600 ms (×33)"),
        ("14:06:00", "shift", "Shift: 5xx rate rose from 0.30% to 6.90% (×23)"),
        ("14:06:18", "error", "First 5xx (502)"),
        (
            "14:20:45",
            "failed",
            "#4 ModifyLoadBalancerAttributes FAILED (AccessDenied), nothing changed: idle timeout → 120 s",
        ),
        ("14:31:02", "error", "Last 5xx (502)"),
        (
            "14:31:40",
            "rollback",
            "#2 Rollback: DeregisterTargets: deregistered 1 target (10.0.20.23:9000) from api",
        ),
        ("14:32:00", "shift", "Shift: p99 target latency fell from 3,600 ms to 112 ms (÷32)"),
        ("14:32:00", "shift", "Shift: 5xx rate fell from 6.90% to 0.20% (÷35)"),
        ("14:32:00", "recovery", "Recovery: p99 target latency back to 112 ms and 5xx rate back to 0.20%"),
    ]


def test_a_window_without_a_shift_or_a_suspect(report_scenario):
    quiet = json.loads(report_scenario.timeline_file.read_text()) | {"shifts": []}
    for change in quiet["changes"]:
        change["suspicion"] = min(change["suspicion"], 0.2)
    with Database.open(str(report_scenario.db_path), read_only=True) as db:
        report = gather(db, ReportOptions("shop-alb", today=dt.date(2026, 11, 20)), timeline_from_document(quiet))
    assert report.incident is None and report.rollback is None
    assert report.figure("error_span") is None and report.figure("impact") is None
    assert narrative.summary(report) == [
        "No shift in latency or errors was detected on shop-alb between 2026-11-20 13:40 – 14:40 UTC.",
        "No change in the window explains it: 4 changes were made, the most suspect scores 0.20 "
        "(RegisterTargets by user/bob).",
    ]
    text, _ = render_markdown(report, "r_files")
    assert "No shift in latency or errors was detected in the window" in text
    assert "No shift in latency or errors was detected in the window" in render_html(report, "r_files")[0]
    assert "| whole window | 13:40:00 – 14:40:00 | 1,144 |" in text


def test_the_summary_leaves_out_p99_when_no_latency_shift_was_found(report_scenario):
    """A p99 that differs without a latency shift is the mix of requests that reached a target
    changing; the summary does not headline it (the impact table still shows it)."""
    errors_only = json.loads(report_scenario.timeline_file.read_text())
    errors_only["shifts"] = [shift for shift in errors_only["shifts"] if shift["metric"] == "error_rate"]
    with Database.open(str(report_scenario.db_path), read_only=True) as db:
        report = gather(db, TODAY, timeline_from_document(errors_only))
    sentences = narrative.summary(report)
    assert sentences[:3] == [
        "At 2026-11-20 14:06:00 UTC, shop-alb's share of requests answered with a 5xx rose from 0.77% to 6.25%.",
        "The metrics recovered at 2026-11-20 14:32:00 UTC, 26 min later.",
        "During the incident 29 of 464 requests got a 5xx response.",
    ]
    assert not any(sentence.startswith("p99 target latency was") for sentence in sentences)


def test_markdown_snapshot(markdown, report_scenario):
    text, files = markdown
    text = text.replace(str(report_scenario.logs), "<logs>")
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text()
    linked = set(re.findall(r"\]\((shop-alb_files/[^)]+)\)", text))
    assert linked == {f"shop-alb_files/{name}" for name in files}
    assert sorted(name for name in files if name.endswith(".png")) == ["errors.png", "latency.png", "requests.png"]


def test_markdown_keeps_log_text_inert(markdown):
    text, _ = markdown
    assert f"`{SCRIPT_UA}`" in text
    assert f"`{MARKUP_PATH}`" in text
    assert f"`{MARKUP_DOMAIN}`" in text
    assert "`=cmd\\|' /C calc'!A0`" in text
    assert SCRIPT_UA not in text.replace(f"`{SCRIPT_UA}`", "")


def test_markdown_escaping():
    assert markdown_text("a|b *c* [d](e) <i>&amp; `x`\nnext_line") == (
        "a\\|b \\*c\\* \\[d\\](e) \\<i\\>\\&amp; \\`x\\` next\\_line"
    )
    assert str(markdown_code("a`b|c")) == "``a`b\\|c``"
    assert str(markdown_code("`x`")) == "`` `x` ``"
    assert str(markdown_code("x|y", table=False)) == "`x|y`"
    assert str(markdown_code(None)) == "*(none)*"


class _Markup(HTMLParser):
    """Collects what the browser would fetch or run: attributes, <style> text, tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


def test_html_is_self_contained_and_has_no_script(html):
    parsed = _Markup()
    parsed.feed(html)
    assert "script" not in parsed.tags
    assert not {"iframe", "object", "embed", "img", "link", "base", "form"} & set(parsed.tags)
    for tag, name, value in parsed.attributes:
        assert not name.startswith("on"), (tag, name)
        assert not re.search(r"(?i)(https?:|//|javascript:|data:)", value) or (tag, name) == ("meta", "content"), (
            tag,
            name,
            value,
        )
        if name in ("href", "xlink:href"):
            assert value.startswith("#"), (tag, name, value)
    assert not re.search(r"(?i)url\(|@import|https?:", "".join(parsed.styles))
    csp = next(v for t, n, v in parsed.attributes if t == "meta" and n == "content" and "default-src" in v)
    assert csp.startswith("default-src 'none'")
    assert "script-src" not in csp
    # URLs appear only as escaped text taken from the logs
    assert {m for m in re.findall(r"https?://[^\s<\"')]+", html)} == {"http://www.google.com/bot.html"}
    assert parsed.tags.count("svg") == 3


def test_html_escapes_every_value_from_the_logs(html):
    assert "<script" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "/search/&lt;img src=x onerror=window.__pwned_path=1&gt;" in html
    assert "&lt;i&gt;shop&lt;/i&gt;.example.com" in html
    assert "=cmd|&#39; /C calc&#39;!A0" in html


def test_charts_are_deterministic(report, html, markdown):
    """Drawn again, every chart has the same bytes as in the rendered reports."""
    svgs = render_charts(report, "svg")
    assert [c.name for c in svgs] == ["latency", "errors", "requests"]
    for chart in svgs:
        svg = chart.data.decode()
        assert svg in html
        assert svg.startswith('<svg role="img" aria-label=')
        assert "http" not in svg and "<?xml" not in svg and "<metadata" not in svg
    _, files = markdown
    for chart in render_charts(report, "png"):
        assert chart.data.startswith(b"\x89PNG") and chart.data == files[f"{chart.name}.png"]


def test_chart_markers_are_the_changes_numbered_as_the_candidates(report):
    assert [(m.at.strftime("%H:%M:%S"), m.label, m.color, m.dashed) for m in markers(report)] == [
        ("13:52:03", "#3", CHANGE, False),
        ("14:05:12", "#1", SUSPECT, False),
        ("14:20:45", "#4", FAILED, True),
        ("14:31:40", "#2", ROLLBACK, False),
    ]


def test_the_minute_an_incident_began_with_a_change_is_drawn_from_the_change():
    """Each minute is a step; the one holding the change the incident began with starts at the change,
    so the chart does not rise before its marker."""
    columns = ("p50_target_ms", "p90_target_ms", "p99_target_ms", "elb_5xx", "target_5xx", "status_4xx")
    minute = dt.datetime(2026, 11, 2, 13, 59)
    records = [
        {"minute": minute + dt.timedelta(minutes=m), "requests": 100, **dict.fromkeys(columns, 30 * m)}
        for m in (0, 1, 3)
    ]
    change = dt.datetime(2026, 11, 2, 14, 0, 23)
    axis, series = _series(records, change)
    assert axis == [
        minute,
        change,
        minute + dt.timedelta(minutes=2),
        minute + dt.timedelta(minutes=3),
        minute + dt.timedelta(minutes=4),
    ]
    assert series["elb_5xx"].tolist()[:2] == [0.0, 30.0] and series["requests"].tolist()[2] == 0.0  # a break
    assert _series(records)[0][1] == minute + dt.timedelta(minutes=1)


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    assert [csv_safe(text) for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain", "a=b")] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
        "a=b",
    ]
    text = to_text(["text", "number"], [("=HYPERLINK(1)", -1), ("+x", 2.5), ("-x", None), ("@x", 0)], "csv")
    assert list(csv.reader(io.StringIO(text))) == [
        ["text", "number"],
        ["'=HYPERLINK(1)", "-1"],
        ["'+x", "2.5"],
        ["'-x", ""],
        ["'@x", "0"],
    ]


def test_the_figure_csvs_beside_a_markdown_report_are_safe(report, tmp_path):
    written = write_report(report, tmp_path / "review.md", generated_at=GENERATED_AT)
    assert written.path == tmp_path / "review.md" and (written.figures, written.charts) == (11, 3)
    folder = tmp_path / "review_files"
    assert {path.name for path in written.files} == {path.name for path in folder.iterdir()}
    rows = list(csv.DictReader((folder / "F4-carriers.csv").open()))
    agents = {row["value"] for row in rows if row["dimension"] == "user_agent"}
    assert f"'{FORMULA_UA}" in agents and FORMULA_UA not in agents
    assert SCRIPT_UA in agents
    for path in written.files:
        if path.suffix == ".csv":
            for row in csv.reader(path.open()):
                assert not any(cell.startswith(("=", "+", "@")) for cell in row), (path.name, row)
    assert (tmp_path / "review.md").read_text().count("](review_files/") == 15


def test_write_report_errors(report, tmp_path):
    with pytest.raises(ReportWriteError) as error:
        write_report(report, tmp_path / "review.pdf")
    assert str(error.value) == "Cannot tell the report format from review.pdf: name the file *.html or *.md."
    with pytest.raises(ReportWriteError) as error:
        write_report(report, tmp_path / "missing" / "review.html")
    assert (
        str(error.value)
        == f"Cannot write {tmp_path / 'missing' / 'review.html'}: the folder {tmp_path / 'missing'} does not exist."
    )


def test_a_network_load_balancer_report_has_no_http_figures(db, tmp_path):
    load(db, FIXTURES / "nlb")
    timeline = timeline_from_document({"lb": "my-network-loadbalancer", "changes": [], "shifts": []})
    report = gather(db, ReportOptions("my-network-loadbalancer"), timeline)
    assert report.lb_type == "nlb"
    assert [chart.name for chart in render_charts(report, "svg")] == ["tls"]
    text, _ = render_markdown(report, "nlb_files")
    assert "a Network Load Balancer logs TLS connections only (4 loaded)" in render_html(report, "nlb_files")[0]
    assert "a Network Load Balancer logs TLS connections only (4 loaded)" in text
    assert "| Target groups |" not in text and "No HTTP requests in the logs." in text
    assert "- NLB access logs are best-effort and exist only for TLS listeners" in text
    assert "- 1 log file does not carry an AWS object name, so its node and interval are unknown" in text
    assert "Requests are placed in time by arrival" not in text


def test_the_tls_chart_only_when_the_tls_mix_moved(report_scenario):
    """A shift in the share of a TLS protocol or cipher brings the TLS mix chart; without one, the
    report says the mix did not move and where its minutes are."""
    document = json.loads(report_scenario.timeline_file.read_text())
    moved = document | {
        "shifts": [
            *document["shifts"],
            {
                "metric": "tls_share",
                "at": "2026-11-20T14:10:00Z",
                "before": 0.2,
                "after": 0.0,
                "scope": "ssl_protocol:TLSv1.1",
                "worse": True,
                "unit": "share",
            },
        ]
    }
    with Database.open(str(report_scenario.db_path), read_only=True) as db:
        still = gather(db, ReportOptions("shop-alb"), timeline_from_document(document))
        changed = gather(db, ReportOptions("shop-alb"), timeline_from_document(moved))
    assert [chart.name for chart in render_charts(still, "png")] == ["latency", "errors", "requests"]
    assert [chart.name for chart in render_charts(changed, "png")] == ["latency", "errors", "requests", "tls"]
    text, _ = render_markdown(still, "r_files")
    assert "The TLS protocol mix did not move in the window, so it is not charted; its minutes are in F7." in text
    assert "did not move" not in render_markdown(changed, "r_files")[0]


def test_the_manifest_per_prefix_and_day(report):
    from correlate.report.render import _manifest_summary

    manifest = report.figure("manifest").records()
    summary = _manifest_summary(manifest)
    assert [(group["label"], group["prefix"].rsplit("/AWSLogs/", 1)[-1]) for group in summary] == [
        ("Access logs", "123456789012/elasticloadbalancing/us-east-1/"),
        ("CloudTrail", "123456789012/CloudTrail/us-east-1/"),
    ]
    assert [group["days"] for group in summary] == [
        [
            {"day": dt.date(2026, 11, 20), "kinds": "alb", "files": 23, "lines": 1144, "rows": 1144}
            | {"rejected": 0, "rows_in_window": 1144}
        ],
        [
            {"day": dt.date(2026, 11, 20), "kinds": "cloudtrail", "files": 13, "lines": 20, "rows": 20}
            | {"rejected": 0, "rows_in_window": 19}
        ],
    ]


def test_a_change_event_shows_its_origin_and_a_link_only_to_the_web(report):
    """The candidates name a change event's feed and link back to it; a URL that is not http(s) (a
    feed may say anything) stays text."""

    def with_feed(url: str) -> ReportData:
        scored = report.timeline.changes[-1]
        change = dataclasses.replace(scored.change, origin="feed", actor_kind="github", url=url)
        changes = (*report.timeline.changes[:-1], dataclasses.replace(scored, change=change))
        return dataclasses.replace(report, timeline=dataclasses.replace(report.timeline, changes=changes))

    linked = with_feed("https://github.com/example/web/commit/4c1d9e2f?tab=(files)")
    page, _ = render_html(linked, "shop-alb_files", generated_at=GENERATED_AT)
    assert '<a href="https://github.com/example/web/commit/4c1d9e2f?tab=(files)" rel="noopener noreferrer">' in page
    assert '<span class="muted">(feed: github)</span>' in page
    text, _ = render_markdown(linked, "shop-alb_files", generated_at=GENERATED_AT)
    assert "<br>[link](https://github.com/example/web/commit/4c1d9e2f?tab=%28files%29) |" in text
    assert " (feed: github) |" in text
    sneaky = with_feed("javascript:alert(1)")
    page, _ = render_html(sneaky, "shop-alb_files", generated_at=GENERATED_AT)
    text, _ = render_markdown(sneaky, "shop-alb_files", generated_at=GENERATED_AT)
    assert "javascript:" not in page and "javascript:" not in text
