"""A report as a file: self-contained HTML (charts inline as SVG) or Markdown (charts as PNG files and
each figure's rows as CSV in a folder beside it).

Everything that comes from logs or CloudTrail (user agents, paths, domains, actors, summaries) is
attacker-controlled. The HTML template autoescapes every value; the Markdown environment escapes
every value through `finalize` unless it was built as a code span or fence here. The HTML holds no
URL at all and no script; its Content-Security-Policy forbids loading or running anything.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from correlate.errors import CorrelateError
from correlate.present.evidence import evidence_lines
from correlate.present.render import to_text
from correlate.report import narrative
from correlate.report.charts import render_charts
from correlate.report.data import ReportData
from correlate.timeparse import iso

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTML_SUFFIXES = (".html", ".htm")
MARKDOWN_SUFFIXES = (".md", ".markdown")

DIMENSIONS = {
    "target_group": "Target groups",
    "target": "Targets",
    "listener": "Listeners",
    "path": "Paths",
    "client_network": "Client networks",
    "domain": "Domains (TLS SNI)",
    "user_agent": "User agents",
}


class ReportWriteError(CorrelateError):
    """The report file could not be written."""


@dataclass(frozen=True, slots=True)
class WrittenReport:
    path: Path
    files: tuple[Path, ...]  # written beside a Markdown report
    figures: int
    charts: int


def report_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    raise ReportWriteError(f"Cannot tell the report format from {path.name}: name the file *.html or *.md.")


def write_report(report: ReportData, path: Path, *, generated_at: dt.datetime | None = None) -> WrittenReport:
    """Write the report to `path` (.html or .md); a Markdown report's charts and CSVs go to
    `<stem>_files/` beside it. Files are replaced whole, never left half-written."""
    fmt = report_format(path)
    if not path.parent.is_dir():
        raise ReportWriteError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    if fmt == "html":
        text = render_html(report, generated_at=generated_at)
        _write(path, text.encode())
        return WrittenReport(path, (), len(report.figures), text.count('<svg role="img"'))
    folder_name = f"{path.stem}_files"
    text, files = render_markdown(report, folder_name, generated_at=generated_at)
    folder = path.parent / folder_name
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise ReportWriteError(f"Cannot create {folder}: {error.strerror}.") from None
    written = []
    for name, data in sorted(files.items()):
        _write(folder / name, data)
        written.append(folder / name)
    _write(path, text.encode())
    charts = sum(1 for name in files if name.endswith(".png"))
    return WrittenReport(path, tuple(written), len(report.figures), charts)


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ReportWriteError(f"Cannot write {path}: {error.strerror}.") from None


# -- HTML ----------------------------------------------------------------------------------------


def _environment(markdown: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=not markdown,
        finalize=_markdown_finalize if markdown else None,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters |= {
        "ms": narrative.ms,
        "percent": narrative.percent,
        "number": narrative.number,
        "clock": narrative.clock,
        "interval": narrative.interval,
        "metric": narrative.metric_value,
        "short_actor": narrative.short_actor,
        "code": markdown_code,
        "fence": markdown_fence,
        "cell": markdown_cell,
        "link": markdown_link,
    }
    return env


def render_html(report: ReportData, *, generated_at: dt.datetime | None = None) -> str:
    charts = [{"chart": chart, "svg": Markup(chart.data.decode())} for chart in render_charts(report, "svg")]
    context = _context(report, generated_at) | {"charts": charts}
    return _environment(markdown=False).get_template("report.html.j2").render(context)


# -- Markdown ------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def markdown_text(value: Any) -> str:
    """Text that Markdown shows as it is: every character that could start markup is escaped, and
    line breaks become spaces so that a value cannot leave its table cell or list item."""
    text = " ".join(str(value).split("\n")).replace("\r", " ")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown_finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return markdown_text(value)


def markdown_code(value: Any, table: bool = True) -> Markup:
    """A code span: nothing in it is markup. In a table cell (the default) `|` is escaped, as GFM
    tables need even inside code spans."""
    if value is None or value == "":
        return Markup("*(none)*")
    text = " ".join(str(value).splitlines())
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def markdown_fence(value: str, language: str = "") -> Markup:
    """A fenced code block longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`{3,}", value)), default=2)
    fence = "`" * (longest + 1)
    return Markup(f"{fence}{language}\n{value.rstrip()}\n{fence}")


def markdown_link(path: str) -> Markup:
    """A relative link destination: percent-encoded, so spaces or parentheses cannot end it."""
    return Markup(quote(path, safe="/"))


def markdown_cell(value: Any) -> str:
    """Plain text for a table cell (escaped by finalize); empty cells show a dash."""
    return "—" if value is None or value == "" else str(value)


def render_markdown(
    report: ReportData, folder: str, *, generated_at: dt.datetime | None = None
) -> tuple[str, dict[str, bytes]]:
    """The Markdown text, and the files it links to (name inside `folder` → bytes)."""
    charts = render_charts(report, "png")
    files: dict[str, bytes] = {f"{chart.name}.png": chart.data for chart in charts}
    csvs = {}
    for figure in report.figures:
        name = f"{figure.key}-{figure.query}.csv"
        files[name] = to_text(figure.columns, figure.rows, "csv").encode()
        csvs[figure.key] = f"{folder}/{name}"
    context = _context(report, generated_at) | {
        "charts": [{"chart": chart, "path": f"{folder}/{chart.name}.png"} for chart in charts],
        "csvs": csvs,
        "folder": folder + "/",
    }
    return _environment(markdown=True).get_template("report.md.j2").render(context), files


# -- the facts, arranged for the templates --------------------------------------------------------


def _context(report: ReportData, generated_at: dt.datetime | None) -> dict[str, Any]:
    refs = {figure.query: figure.key for figure in report.figures}
    records = {figure.query: figure.records() for figure in report.figures}
    spans = narrative.periods(report)
    incident = report.incident
    rollback = report.rollback.change.event_id if report.rollback else None
    suspect = report.timeline.suspect
    candidates = [
        {
            "number": number,
            "change": scored.change,
            "failed": scored.change.error_code is not None,
            "suspicion": scored.suspicion,
            "evidence": evidence_lines(scored),
            "in_window": report.since <= scored.change.event_time < report.until,
            "is_suspect": scored is suspect,
            "is_rollback": scored.change.event_id == rollback,
        }
        for number, scored in enumerate(report.timeline.changes, start=1)
    ]
    carriers: dict[str, list[dict[str, Any]]] = {}
    for record in records.get("carriers", []):
        carriers.setdefault(record["dimension"], []).append(record)
    period_start, period_end = report.period
    return {
        "title": f"Post-incident review: {report.lb}, {(incident.onset if incident else report.since):%Y-%m-%d}",
        "has_requests": bool(records["window"][0]["requests"]),
        "tls_connections": records["window"][0]["tls_connections"],
        "lb": report.lb,
        "lb_type": report.lb_type,
        "window": narrative.window_text(report.since, report.until),
        "since": report.since,
        "until": report.until,
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M:%S UTC") if generated_at else None,
        "version": _version(),
        "summary": narrative.summary(report),
        "incident": incident,
        "incident_span": (
            f"{narrative.clock(incident.onset)} – "
            + (
                narrative.clock(incident.recovery)
                if incident.recovery
                else f"{narrative.clock(report.until)} (end of data)"
            )
            + f" UTC ({narrative.duration(incident.onset, incident.recovery or report.until)})"
            if incident
            else None
        ),
        "period_text": narrative.window_text(period_start, period_end),
        "spans": spans,
        "periods": records.get("periods", []),
        "impact": (records.get("impact") or [None])[0],
        "error_span": (records.get("error_span") or [None])[0],
        "carriers": [(key, DIMENSIONS[key], carriers.get(key, [])) for key in DIMENSIONS],
        "candidates": candidates,
        "rollback": report.rollback,
        "entries": narrative.timeline_entries(report),
        "intervals": records.get("log_intervals", []),
        "coverage": (records.get("cloudtrail_coverage") or [None])[0],
        "caveats": narrative.caveats(report),
        "manifest": records.get("manifest", []),
        "manifest_groups": _manifest_groups(records.get("manifest", [])),
        "changes": records.get("changes", []),
        "figures": report.figures,
        "ref": refs,
        "timeline_command": _timeline_command(report),
    }


def _manifest_groups(manifest: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The manifest split into access logs and CloudTrail files, each under the folder (or S3
    prefix) its files share, with each file's name below it: long keys stay readable."""
    groups = []
    for label, rows in (
        ("Access logs", [row for row in manifest if row["kind"] != "cloudtrail"]),
        ("CloudTrail", [row for row in manifest if row["kind"] == "cloudtrail"]),
    ):
        if not rows:
            continue
        names = [row["source_file"] for row in rows]
        shared = os.path.commonprefix(names)  # noqa: RUF071 - cut at a "/" below; commonpath mangles s3://
        prefix = shared[: shared.rfind("/") + 1]
        groups.append(
            {
                "label": label,
                "prefix": prefix,
                "rows": [row | {"name": row["source_file"][len(prefix) :]} for row in rows],
            }
        )
    return groups


def _timeline_command(report: ReportData) -> str:
    window = f"--since {iso(report.since)} --until {iso(report.until)}"
    return f"correlate timeline --lb {_shell_word(report.lb)} {window} --format json"


def _shell_word(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9._:/@=+-]+", text) else "'" + text.replace("'", "'\\''") + "'"


def _version() -> str:
    try:
        return version("correlate")
    except PackageNotFoundError:
        return "(source checkout)"
