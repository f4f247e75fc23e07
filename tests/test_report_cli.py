"""`correlate report` through the command line: files written, stdout empty, errors in one line."""

from __future__ import annotations

import json

from conftest import invoke


def report(runner, scenario, *args: str):
    return invoke(runner, "--db", scenario.db_path, "report", *args)


def test_html_and_markdown_reports(runner, report_scenario, tmp_path):
    html = tmp_path / "review.html"
    result = report(
        runner, report_scenario, "--lb", "shop-alb", "--timeline", report_scenario.timeline_file, "-o", html
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"Wrote {html} (11 figures, 3 charts, 1 file in {tmp_path / 'review_files'}).\n"
    assert (tmp_path / "review_files" / "F11-manifest.csv").read_text().startswith("source_file,kind,node_ip,")
    text = html.read_text()
    assert text.startswith("<!DOCTYPE html>") and "generated 20" in text

    markdown = tmp_path / "review.md"
    result = report(
        runner,
        report_scenario,
        "--lb",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-alb/5d1f3a2b4c6e8f70",
        "--timeline",
        report_scenario.timeline_file,
        "--since",
        "2026-11-20T14:00Z",
        "--until",
        "2026-11-20 14:35",
        "-o",
        markdown,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"Wrote {markdown} (11 figures, 3 charts, 14 files in {tmp_path / 'review_files'}).\n"
    assert "window 2026-11-20 14:00 – 14:35 UTC" in markdown.read_text()


def test_quiet_writes_nothing_on_stderr(runner, report_scenario, tmp_path):
    result = invoke(
        runner,
        "--db",
        report_scenario.db_path,
        "-q",
        "report",
        "--lb",
        "shop-alb",
        "--timeline",
        report_scenario.timeline_file,
        "-o",
        tmp_path / "r.md",
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_errors(runner, report_scenario, tmp_path):
    timeline = report_scenario.timeline_file
    unknown = report(runner, report_scenario, "--lb", "nope", "--timeline", timeline, "-o", tmp_path / "r.html")
    assert unknown.exit_code == 1
    assert unknown.stderr == f"Error: No load balancer named nope in {report_scenario.db_path}. Known: shop-alb.\n"

    other = tmp_path / "other.json"
    other.write_text(json.dumps(json.loads(timeline.read_text()) | {"lb": "web-prod"}))
    wrong = report(runner, report_scenario, "--lb", "shop-alb", "--timeline", other, "-o", tmp_path / "r.html")
    assert (wrong.exit_code, wrong.stderr) == (
        1,
        "Error: The timeline is for the load balancer web-prod, not shop-alb. "
        "Make one with: correlate timeline --lb shop-alb --format json\n",
    )

    backwards = report(
        runner, report_scenario, "--lb", "shop-alb", "--timeline", timeline, "--since", "2026-11-20T15:00Z",
        "--until", "2026-11-20T14:00Z", "-o", tmp_path / "r.html",
    )  # fmt: skip
    assert (backwards.exit_code, backwards.stderr.splitlines()[-1]) == (
        2,
        "Error: --since (2026-11-20T15:00:00Z) is not before --until (2026-11-20T14:00:00Z): "
        "give the earlier time to --since.",
    )

    empty = report(
        runner, report_scenario, "--lb", "shop-alb", "--timeline", timeline, "--since", "2026-11-21T00:00Z",
        "--until", "2026-11-21T01:00Z", "-o", tmp_path / "r.html",
    )  # fmt: skip
    assert (empty.exit_code, empty.stderr) == (
        1,
        "Error: shop-alb has no log rows between 2026-11-21T00:00:00Z and 2026-11-21T01:00:00Z; its data covers "
        "2026-11-20T13:40:02Z to 2026-11-20T14:39:58Z. Pass --since/--until inside that span, or leave them out "
        "to use all of it.\n",
    )

    suffix = report(runner, report_scenario, "--lb", "shop-alb", "--timeline", timeline, "-o", tmp_path / "r.pdf")
    assert suffix.exit_code == 2
    assert (
        "Invalid value for '-o' / '--output': Cannot tell the report format from r.pdf: name the file *.html or *.md."
        in (suffix.stderr)
    )

    folder = report(runner, report_scenario, "--lb", "shop-alb", "--timeline", timeline, "-o", tmp_path / "no" / "r.md")
    assert (folder.exit_code, folder.stderr) == (
        1,
        f"Error: Cannot write {tmp_path / 'no' / 'r.md'}: the folder {tmp_path / 'no'} does not exist.\n",
    )

    missing_db = invoke(runner, "--db", tmp_path / "none.duckdb", "report", "--lb", "x", "-o", tmp_path / "r.html")
    assert missing_db.exit_code == 1 and missing_db.stderr.startswith(
        f"Error: No database at {tmp_path / 'none.duckdb'}."
    )


def test_without_a_saved_timeline_the_report_builds_one(runner, report_scenario, tmp_path):
    output = tmp_path / "review.md"
    result = report(runner, report_scenario, "--lb", "shop-alb", "-o", output)
    assert result.exit_code == 0, result.stderr
    text = output.read_text()
    assert "The most suspect change is RegisterTargets at 2026-11-20 14:05:12 UTC by user/bob (terraform)" in text
    assert "correlate timeline --lb shop-alb --since 2026-11-20T13:40:02Z" not in text  # the window is whole minutes
    assert (
        "`correlate timeline --lb shop-alb --since 2026-11-20T13:40:00Z --until 2026-11-20T14:40:00Z --format json`"
        in text
    )

    unknown = report(runner, report_scenario, "--lb", "nope", "-o", output)
    assert (unknown.exit_code, unknown.stderr) == (
        1,
        f"Error: No load balancer named nope in {report_scenario.db_path}. Known: shop-alb.\n",
    )
