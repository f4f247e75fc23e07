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
from correlate.present.timeline import incident_text, pick_window
from correlate.report import narrative
from correlate.report.charts import render_charts, tls_moved
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
    """Write the report to `path` (.html or .md), and its files to `<stem>_files/` beside it: for
    Markdown the charts and every figure's rows as CSV, for HTML (self-contained otherwise) the full
    input manifest as CSV. Files are replaced whole, never left half-written."""
    fmt = report_format(path)
    if not path.parent.is_dir():
        raise ReportWriteError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    folder_name = f"{path.stem}_files"
    if fmt == "html":
        text, files = render_html(report, folder_name, generated_at=generated_at)
        charts = text.count('<svg role="img"')
    else:
        text, files = render_markdown(report, folder_name, generated_at=generated_at)
        charts = sum(1 for name in files if name.endswith(".png"))
    written = []
    if files:
        folder = path.parent / folder_name
        try:
            folder.mkdir(exist_ok=True)
        except OSError as error:
            raise ReportWriteError(f"Cannot create {folder}: {error.strerror}.") from None
        for name, data in sorted(files.items()):
            _write(folder / name, data)
            written.append(folder / name)
    _write(path, text.encode())
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


def _environment(markdown: bool, dated: bool) -> Environment:
    """The template environment; `dated`: every time carries its date (`ReportData.dated`)."""
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
        "clock": lambda value, with_date=False: narrative.clock(value, with_date or dated),
        "span": lambda start, end: narrative.span(start, end, dated),
        "interval": narrative.interval,
        "metric": narrative.metric_value,
        "actor": markdown_actor if markdown else html_actor,
        "code": markdown_code,
        "fence": markdown_fence,
        "cell": markdown_cell,
        "link": markdown_link,
        "web_url": markdown_web_url if markdown else web_url,
    }
    return env


def render_html(
    report: ReportData, folder: str, *, generated_at: dt.datetime | None = None
) -> tuple[str, dict[str, bytes]]:
    """The HTML text, and the file written beside it (the full input manifest as CSV)."""
    charts = [{"chart": chart, "svg": Markup(chart.data.decode())} for chart in render_charts(report, "svg")]
    files = _manifest_file(report)
    context = _context(report, generated_at) | {"charts": charts, "manifest_csv": _manifest_csv(folder, files)}
    return _environment(markdown=False, dated=report.dated).get_template("report.html.j2").render(context), files


def _manifest_file(report: ReportData) -> dict[str, bytes]:
    figure = report.figure("manifest")
    if figure is None:
        return {}
    return {f"{figure.key}-{figure.query}.csv": to_text(figure.columns, figure.rows, "csv").encode()}


def _manifest_csv(folder: str, files: dict[str, bytes]) -> str | None:
    return f"{folder}/{next(iter(files))}" if files else None


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


def web_url(url: str | None) -> str | None:
    """A change's link, only when it is an http(s) URL: a feed's `url` is whatever the feed says, and
    a javascript: link must not become clickable. The HTML template escapes it as an attribute."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in url):
        return url
    return None


def markdown_web_url(url: str | None) -> Markup | None:
    """`web_url` as a Markdown link destination: percent-encoded, so parentheses, `|` or `<` cannot
    end the link or the table cell."""
    found = web_url(url)
    return Markup(quote(found, safe=":/?#[]@!$&'*+,;=%~")) if found else None


def html_actor(actor: str | None) -> Markup:
    """An actor as its short name (an ARN's resource part), the full ARN on hover."""
    if not actor:
        return Markup('<span class="none">unknown</span>')
    short = narrative.short_actor(actor)
    if short == actor:
        return Markup('<span class="data">{}</span>').format(actor)
    return Markup('<span class="data" title="{}">{}</span>').format(actor, short)


def markdown_actor(actor: str | None) -> Markup:
    """An actor as its short name (an ARN's resource part); the full ARN is in the appendix."""
    return markdown_code(narrative.short_actor(actor) if actor else None)


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
    manifest = report.figure("manifest")
    context = _context(report, generated_at) | {
        "charts": [{"chart": chart, "path": f"{folder}/{chart.name}.png"} for chart in charts],
        "csvs": csvs,
        "folder": folder + "/",
        "manifest_csv": csvs.get(manifest.key) if manifest else None,
    }
    return _environment(markdown=True, dated=report.dated).get_template("report.md.j2").render(context), files


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
        "no_requests": narrative.no_requests(report, records["window"][0]["tls_connections"]),
        "built_from": narrative.built_from(report),
        "lb": report.lb,
        "lb_type": report.lb_type,
        "window": narrative.window_text(report.since, report.until),
        "since": report.since,
        "until": report.until,
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M:%S UTC") if generated_at else None,
        "version": _version(),
        "summary": narrative.summary(report),
        "incident": incident,
        "incident_span": _incident_span(report),
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
        "manifest_summary": _manifest_summary(records.get("manifest", [])),
        "tls_moved": tls_moved(report),
        "full_names": _full_names(report),
        "changes": records.get("changes", []),
        "figures": report.figures,
        "ref": refs,
        "timeline_command": _timeline_command(report),
        "other_incidents": _other_incidents(report),
    }


def _incident_span(report: ReportData) -> str | None:
    """`14:00:00 – 14:20:00 UTC, until the end of the data (20 min)`; and the change it began in the
    minute of."""
    incident = report.incident
    if incident is None:
        return None
    end = incident.end or report.until
    text = f"{narrative.span(incident.onset, end, report.dated)} UTC"
    text += "" if incident.recovery else ", until the end of the data"
    text += f" ({narrative.duration(incident.onset, end)})"
    anchor = report.anchor
    if anchor is not None:
        number = next(n for n, s in enumerate(report.timeline.changes, start=1) if s is anchor)
        text += f"; it began in the minute of change #{number} at {narrative.at(report, anchor.change.event_time)}"
    return text


_DAY_FOLDERS = re.compile(r"^(?P<prefix>.*/)(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})/[^/]*$")


def _manifest_summary(manifest: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The manifest summed per kind of input, prefix and day: the prefix is what comes before the
    AWS day folders (YYYY/MM/DD/) of an object's key, or its folder; the day is the day folder's,
    else the day its interval ends. One group per input and prefix, one row per day; the full list
    goes to a CSV beside the report."""
    groups: dict[tuple[str, str], dict[dt.date | None, dict[str, Any]]] = {}
    for row in manifest:
        label = "CloudTrail" if row["kind"] == "cloudtrail" else "Access logs"
        folders = _DAY_FOLDERS.match(row["source_file"])
        if folders:
            prefix = folders["prefix"]
            day = dt.date(int(folders["year"]), int(folders["month"]), int(folders["day"]))
        else:
            prefix = row["source_file"][: row["source_file"].rfind("/") + 1]
            day = row["interval_end"].date() if row["interval_end"] else None
        days = groups.setdefault((label, prefix), {})
        total = days.setdefault(day, {"day": day, "kinds": set(), "files": 0} | dict.fromkeys(_SUMMED, 0))
        total["kinds"].add(row["kind"])
        total["files"] += 1
        for column in _SUMMED:
            total[column] += row[column] or 0
    return [
        {
            "label": label,
            "prefix": prefix,
            "days": [
                total | {"kinds": ", ".join(sorted(total["kinds"]))}
                for _, total in sorted(days.items(), key=lambda item: item[0] or dt.date.min)
            ],
        }
        for (label, prefix), days in sorted(groups.items(), key=lambda item: (item[0][0] == "CloudTrail", item[0][1]))
    ]


_SUMMED = ("lines", "rows", "rejected", "rows_in_window")


def _full_names(report: ReportData) -> list[tuple[str, str]]:
    """The ARNs the report shows by their short name, with the full ARN."""
    names: dict[str, str] = {}
    for change in (scored.change for scored in report.timeline.changes):
        if change.actor and narrative.short_actor(change.actor) != change.actor:
            names.setdefault(change.actor, narrative.short_actor(change.actor))
    return [(short, full) for full, short in names.items()]


def _other_incidents(report: ReportData) -> list[dict[str, str]]:
    """The other incidents in the data, when the report's timeline chose its window: what each was
    and the --since/--until that picks it."""
    window = (report.timeline.since, report.timeline.until)
    return [
        {"text": incident_text(episode), "pick": pick_window(episode.since, episode.until)}
        for episode in report.timeline.incidents
        if (episode.since, episode.until) != window
    ]


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
