"""docs/sample-report/ (linked from the README) is what `python -m correlate.report.sample` makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlate.report.sample import DATA, write_sample

SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "sample-report"
STALE = "docs/sample-report is stale: regenerate it with python -m correlate.report.sample"


@pytest.mark.slow
def test_the_sample_report_is_what_the_command_makes(tmp_path):
    data = tmp_path / "data"
    html, markdown = write_sample(tmp_path / "out", data)
    assert (html.name, markdown.name) == ("report.html", "report.md")
    made = markdown.read_text().replace(str(data), str(DATA))
    assert made == (SAMPLE / "report.md").read_text(), STALE
    # the figures' rows; the charts' bytes depend on the matplotlib version, the rows do not
    made_files = {path.name for path in (tmp_path / "out" / "report_files").iterdir()}
    assert made_files == {path.name for path in (SAMPLE / "report_files").iterdir()}, STALE
    for path in sorted((tmp_path / "out" / "report_files").glob("*.csv")):
        text = path.read_text().replace(str(data), str(DATA))
        assert text == (SAMPLE / "report_files" / path.name).read_text(), f"{path.name}: {STALE}"
    assert "<script" not in html.read_text()
