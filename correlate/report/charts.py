"""The report's charts, drawn with matplotlib: latency percentiles, error rates, request rate and the
TLS protocol mix per minute, each with the configuration changes marked on the time axis.

Output is deterministic: fixed style, a fixed SVG id salt per chart, no dates or software names in
the file's metadata, so the same data gives the same bytes. Figures are built with the object API
(no pyplot), which keeps no global state between reports.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure

from correlate.report.data import ReportData

_STYLE = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs everywhere
    "font.size": 9,
    "text.parse_math": False,  # labels are literal text
    "svg.fonttype": "path",
    "svg.image_inline": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#888888",
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "path.simplify": True,  # deterministic: merges segments a pixel apart on dense lines
}
_SIZE = (8.6, 2.8)
_LABEL_GAP = 0.03  # of the window: change labels closer than this stack
SUSPECT, CHANGE, FAILED, ROLLBACK, INCIDENT = "#c62828", "#546e7a", "#9e9e9e", "#2e7d32", "#c62828"
_LINES = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f")
_TLS = ("#1565c0", "#42a5f5", "#ffb300", "#e53935", "#8d6e63", "#bdbdbd")


@dataclass(frozen=True, slots=True)
class Marker:
    at: dt.datetime
    label: str  # the change's number in the trigger candidates
    color: str
    dashed: bool  # a failed call


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # file stem: latency, errors, requests, tls
    title: str
    description: str  # alt text
    data: bytes  # SVG (without XML prolog) or PNG


def markers(report: ReportData) -> tuple[Marker, ...]:
    """One marker per change in the window, numbered as in the trigger candidates."""
    suspect = report.timeline.suspect
    rollback = report.rollback.change.event_id if report.rollback else None
    found = []
    for number, scored in enumerate(report.timeline.changes, start=1):
        change, failed = scored.change, scored.change.error_code is not None
        if not report.since <= change.event_time < report.until:
            continue
        if failed:
            color = FAILED
        elif scored is suspect:
            color = SUSPECT
        elif change.event_id == rollback:
            color = ROLLBACK
        else:
            color = CHANGE
        found.append(Marker(change.event_time, f"#{number}", color, failed))
    return tuple(sorted(found, key=lambda m: (m.at, m.label)))


def tls_moved(report: ReportData) -> bool:
    """The TLS mix is charted when the timeline found it moving (a shift in the share of a protocol or
    cipher), or when TLS connections are all the load balancer logs (an NLB)."""
    window = report.figure("window")
    if window is not None and not window.record()["requests"]:
        return True
    return any(
        shift.metric == "tls_share" or shift.scope.kind in ("ssl_protocol", "ssl_cipher")
        for shift in report.timeline.shifts
        if report.since <= shift.at < report.until
    )


def render_charts(report: ReportData, fmt: str) -> list[Chart]:
    """The report's charts as `svg` or `png` bytes; charts without data are left out, and the TLS mix
    unless it moved."""
    minutes = report.figure("minutes")
    tls = report.figure("tls_mix")
    anchor = report.anchor
    period = report.period if report.incident is not None else None
    if period is not None and anchor is not None:  # shaded from the change the incident began with
        period = (anchor.change.event_time, period[1])
    intervals = report.figure("log_intervals")
    gaps = tuple(
        (gap["gap_from"], gap["gap_to"])
        for record in (intervals.records() if intervals else [])
        for gap in record["gaps"]
    )
    context = _Context(report.since, report.until, markers(report), period, gaps)
    charts = []
    with matplotlib.rc_context(_STYLE):
        if minutes is not None and minutes.rows:
            axis, series = _series(minutes.records(), anchor.change.event_time if anchor else None)
            charts.append(_latency(context, axis, series, fmt))
            charts.append(_errors(context, axis, series, fmt))
            charts.append(_requests(context, axis, series, fmt))
        if tls is not None and tls.rows and tls_moved(report):
            charts.append(_tls(context, tls.records(), fmt))
    return charts


@dataclass(frozen=True, slots=True)
class _Context:
    since: dt.datetime
    until: dt.datetime
    markers: tuple[Marker, ...]
    period: tuple[dt.datetime, dt.datetime] | None
    gaps: tuple[tuple[dt.datetime, dt.datetime], ...]  # log intervals with no file on some node


_MINUTE = dt.timedelta(minutes=1)


def _axis(minutes: Sequence[dt.datetime]) -> tuple[list[dt.datetime], list[int | None]]:
    """The minutes with traffic, plus a break one minute after each minute the next one does not
    follow: (x values, index of each x in `minutes`, None at a break). Charts get as many points as
    the data has, whatever the window's length, and their lines stop where traffic stops."""
    axis: list[dt.datetime] = []
    index: list[int | None] = []
    for i, minute in enumerate(minutes):
        if axis and minute > axis[-1] + _MINUTE and index[-1] is not None:
            axis.append(axis[-1] + _MINUTE)
            index.append(None)
        axis.append(minute)
        index.append(i)
    if axis:
        axis.append(axis[-1] + _MINUTE)
        index.append(None)
    return axis, index


def _series(
    records: Sequence[dict], anchor: dt.datetime | None = None
) -> tuple[list[dt.datetime], dict[str, np.ndarray]]:
    """Per-minute columns on the chart axis: NaN at breaks, and 0 requests. Each value is drawn as a
    step over its minute; the minute the incident began in with a change inside it (`anchor`, the
    change's time) starts at the change: the change first, as in the prose and tables."""
    axis, index = _axis([record["minute"] for record in records])
    if anchor is not None:
        axis = [anchor if x == anchor.replace(second=0, microsecond=0) else x for x in axis]
    columns = ("requests", "p50_target_ms", "p90_target_ms", "p99_target_ms", "elb_5xx", "target_5xx", "status_4xx")
    series = {}
    for column in columns:
        values = [np.nan if i is None or records[i][column] is None else float(records[i][column]) for i in index]
        series[column] = np.array(values, dtype=float)
    series["requests"] = np.nan_to_num(series["requests"], nan=0.0)
    return axis, series


def _figure() -> tuple[MplFigure, Axes]:
    """A figure whose plot area sits at the same place in every chart, so their time axes line up
    one above the other; the legend goes in the margin on the right."""
    figure = MplFigure(figsize=_SIZE)
    figure.subplots_adjust(left=0.085, right=0.8, top=0.88, bottom=0.2)
    return figure, figure.add_subplot()


def _decorate(ax: Axes, context: _Context, title: str) -> None:
    ax.set_title(title)
    ax.set_xlim(mdates.date2num(context.since), mdates.date2num(context.until))
    locator = mdates.AutoDateLocator(minticks=5, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    if context.since.date() == (context.until - dt.timedelta(microseconds=1)).date():
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
        ax.set_xlabel(f"UTC, {context.since:%Y-%m-%d}")
    else:
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
        ax.set_xlabel("UTC")
    if context.period is not None:
        ax.axvspan(
            mdates.date2num(context.period[0]), mdates.date2num(context.period[1]), color=INCIDENT, alpha=0.07, lw=0
        )
    span = (context.until - context.since).total_seconds()
    previous, level = None, 0
    for marker in context.markers:
        x = mdates.date2num(marker.at)
        # labels of changes close together step down a line instead of printing over each other
        close = previous is not None and (marker.at - previous).total_seconds() < span * _LABEL_GAP
        level = level + 1 if close else 0
        previous = marker.at
        ax.axvline(x, color=marker.color, lw=1.2, ls=(0, (3, 2)) if marker.dashed else "-", zorder=3)
        ax.annotate(
            marker.label,
            xy=(x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2 - 9 * level),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8,
            color=marker.color,
            fontweight="bold",
        )


def _latency(context: _Context, axis: list[dt.datetime], series: dict[str, np.ndarray], fmt: str) -> Chart:
    figure, ax = _figure()
    for (column, label), color in zip(
        (("p99_target_ms", "p99"), ("p90_target_ms", "p90"), ("p50_target_ms", "p50")), _LINES, strict=False
    ):
        ax.step(axis, series[column], where="post", label=label, color=color, lw=1.4)
    values = np.concatenate([series[c][~np.isnan(series[c])] for c in ("p50_target_ms", "p99_target_ms")])
    if values.size and values.min() > 0 and values.max() / values.min() > 30:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:,.0f}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    else:
        ax.set_ylim(bottom=0)
    ax.set_ylabel("ms")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _decorate(ax, context, "Target latency percentiles per minute")
    return _chart(
        "latency", "Target latency percentiles", "p50, p90 and p99 target latency in ms per minute", figure, fmt
    )


def _errors(context: _Context, axis: list[dt.datetime], series: dict[str, np.ndarray], fmt: str) -> Chart:
    figure, ax = _figure()
    requests = series["requests"]
    with np.errstate(invalid="ignore", divide="ignore"):
        for (column, label), color in zip(
            (("elb_5xx", "5xx by the LB"), ("target_5xx", "5xx by targets"), ("status_4xx", "4xx")),
            (SUSPECT, "#ef6c00", "#7e57c2"),
            strict=True,
        ):
            share = np.where(requests > 0, series[column] / requests * 100, np.nan)
            ax.step(axis, share, where="post", label=label, color=color, lw=1.4)
    ax.set_ylabel("% of requests")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _decorate(ax, context, "Error rates per minute")
    return _chart("errors", "Error rates", "share of requests answered 5xx and 4xx per minute", figure, fmt)


def _requests(context: _Context, axis: list[dt.datetime], series: dict[str, np.ndarray], fmt: str) -> Chart:
    figure, ax = _figure()
    ax.step(axis, series["requests"], where="post", color=_LINES[0], lw=1.4, label="requests")
    for number, (start, end) in enumerate(context.gaps):
        ax.axvspan(
            mdates.date2num(start),
            mdates.date2num(end),
            facecolor="none",
            edgecolor=FAILED,
            hatch="///",
            lw=0,
            label="a node's log file missing" if number == 0 else None,
        )
    ax.set_ylabel("requests / min")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _decorate(ax, context, "Request rate")
    return _chart("requests", "Request rate", "requests per minute", figure, fmt)


def _tls(context: _Context, records: Sequence[dict], fmt: str) -> Chart:
    totals: dict[str, int] = {}
    for record in records:
        totals[record["protocol"]] = totals.get(record["protocol"], 0) + record["count"]
    ranked = sorted(totals, key=lambda p: (-totals[p], p))
    shown = ranked if len(ranked) <= len(_TLS) else ranked[: len(_TLS) - 1]
    other = len(ranked) > len(shown)
    minutes = sorted({record["minute"] for record in records})
    axis, index = _axis(minutes)
    column = {minute: i for i, minute in enumerate(minutes)}
    counts = np.zeros((len(shown) + (1 if other else 0), len(minutes)))
    for record in records:
        row = shown.index(record["protocol"]) if record["protocol"] in shown else len(shown)
        counts[row, column[record["minute"]]] += record["count"]
    counts = np.column_stack([counts[:, i] if i is not None else np.zeros(len(counts)) for i in index])
    total = counts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(total > 0, counts / total * 100, 0.0)
    labels = [_protocol_label(p) for p in shown] + (["other"] if other else [])
    figure, ax = _figure()
    ax.stackplot(axis, shares, labels=labels, colors=_TLS[: len(labels)], step="post", lw=0)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of requests")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _decorate(ax, context, "TLS protocol mix per minute")
    return _chart(
        "tls", "TLS protocol mix", "share of requests or connections per TLS protocol per minute", figure, fmt
    )


def _protocol_label(protocol: str) -> str:
    if protocol == "none":
        return "no TLS"
    return protocol[:40]


def _chart(name: str, title: str, description: str, figure: MplFigure, fmt: str) -> Chart:
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": f"correlate-{name}"}):
        if fmt == "svg":
            figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
            data = inline_svg(buffer.getvalue().decode(), name, title).encode()
        elif fmt == "png":
            figure.savefig(buffer, format="png", metadata={"Software": None})
            data = buffer.getvalue()
        else:
            raise ValueError(f"unknown chart format {fmt!r}")
    return Chart(name, title, description, data)


_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>", re.DOTALL)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')


def inline_svg(svg: str, name: str, title: str) -> str:
    """matplotlib's SVG made fit to sit inside HTML: no XML prolog, no DOCTYPE or metadata, no
    namespace URLs (the HTML parser puts <svg> in the SVG namespace itself), an accessible name."""
    svg = _PROLOG.sub("", svg)
    svg = _NAMESPACES.sub("", svg)
    svg = svg.replace("xlink:href=", "href=")
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" class="chart chart-{name}" ', 1).strip() + "\n"
