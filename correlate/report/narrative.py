"""The report's words: the summary paragraph, the timeline's entries, the caveats, and how numbers
are written. Plain text only; the HTML and Markdown templates escape it for their format.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from correlate.analysis.episodes import Incident
from correlate.analysis.series import ACCESS_LOGS, Scope
from correlate.analysis.shifts import METRICS, Shift
from correlate.model.change import Change
from correlate.present.evidence import coverage_lines
from correlate.report.data import ReportData

_METRICS = {
    "p50_target_ms": "p50 target latency",
    "p90_target_ms": "p90 target latency",
    "p99_target_ms": "p99 target latency",
    "error_rate": "5xx rate",
    "elb_5xx": "5xx responses per minute",
    "target_5xx": "target 5xx responses per minute",
    "status_4xx": "4xx responses per minute",
    "requests": "requests per minute",
    "requests_per_min": "requests per minute",
    "elb_5xx_rate": "ELB 5xx rate",
    "target_5xx_rate": "target 5xx rate",
    "status_4xx_rate": "4xx rate",
    "tls_share": "share of TLS requests",
}


# Rates of 5xx responses (of all of them, the load balancer's own, the targets'): the summary tells
# them as one, the share of requests answered with a 5xx (F2).
FIVE_XX_RATES = frozenset({"error_rate", "elb_5xx_rate", "target_5xx_rate"})


def metric_label(metric: str) -> str:
    if metric in _METRICS:
        return _METRICS[metric]
    return METRICS[metric][2] if metric in METRICS else metric.replace("_", " ")


def metric_value(metric: str, value: float | None, unit: str | None = None) -> str:
    """A metric's value in its unit: the timeline's `unit` where given, else read from the name."""
    if value is None:
        return "—"
    if unit == "ms" or (unit is None and metric.endswith("_ms")):
        return ms(value)
    if unit in ("rate", "share") or (unit is None and metric.endswith(("_rate", "_share"))):
        return percent(value)
    return number(value)


def number(value: float | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} ms" if abs(value) >= 10 else f"{value:.1f} ms"


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.2f}%"


def interval(low: float | None, high: float | None, unit: str) -> str:
    """A 95% interval, written "low–high"; an open end where the data cannot bound it."""
    write = percent if unit == "%" else ms if unit == "ms" else number
    if low is None and high is None:
        return "—"
    return f"{write(low) if low is not None else '…'} – {write(high) if high is not None else '…'}"


def clock(value: dt.datetime | None, with_date: bool = False) -> str:
    if value is None:
        return "—"
    text = value.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")
    return text + ("" if value.microsecond == 0 else f".{value.microsecond // 1000:03d}")


def span(start: dt.datetime | None, end: dt.datetime | None, with_date: bool = False) -> str:
    """`13:40:00 – 14:06:00`; with the date (`with_date`, or the two fall on different days) on the
    start, and on the end when it is another day."""
    dated = with_date or (start is not None and end is not None and start.date() != end.date())
    same_day = start is not None and end is not None and start.date() == end.date()
    return f"{clock(start, dated)} – {clock(end, dated and not same_day)}"


def duration(start: dt.datetime, end: dt.datetime) -> str:
    minutes = math.ceil((end - start).total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def window_text(since: dt.datetime, until: dt.datetime) -> str:
    if since.date() == until.date() or until == dt.datetime.combine(since.date(), dt.time()) + dt.timedelta(days=1):
        return f"{since:%Y-%m-%d %H:%M} – {until:%H:%M} UTC"
    return f"{since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} UTC"


ROLE_SHOWN = 24  # longer role names are cut in an actor's short name (the full ARN is on hover / in the appendix)


def short_actor(actor: str | None) -> str:
    """An ARN's resource part: `user/bob` for arn:aws:iam::123456789012:user/bob; for an assumed role,
    ROLE/SESSION with a long role name cut (`AWSReservedSSO_Admini…/alice@example.com`). Text that is
    not an ARN stays as it is."""
    if not actor:
        return "an unknown actor"
    if not (actor.startswith("arn:") and actor.count(":") >= 5):
        return actor
    resource = actor.split(":", 5)[5]
    kind, _, rest = resource.partition("/")
    role, _, session = rest.partition("/")
    if kind != "assumed-role" or not session:
        return resource
    return f"{role if len(role) <= ROLE_SHOWN else role[: ROLE_SHOWN - 3] + '…'}/{session}"


def scope_text(scope: Scope) -> str:
    """`target group api` for the slice `target_group:api`."""
    return f"{scope.kind.replace('_', ' ')} {scope.value or ''}".strip()


def shift_text(shift: Shift, with_scope: bool = True) -> str:
    moved = "rose" if shift.after > shift.before else "fell"
    text = f"{metric_label(shift.metric)} {moved} from {metric_value(shift.metric, shift.before, shift.unit)} to "
    text += metric_value(shift.metric, shift.after, shift.unit)
    if shift.before > 0 and shift.after > 0:
        factor = shift.after / shift.before
        if factor < 1:
            text += f" (÷{1 / factor:.1f})" if factor > 0.1 else f" (÷{1 / factor:.0f})"
        else:
            text += f" (×{factor:.1f})" if factor < 10 else f" (×{factor:.0f})"
    if with_scope and shift.scope.kind != "lb":
        text += f" on {scope_text(shift.scope)}"
    if shift.source not in (None, ACCESS_LOGS):
        text += f" ({shift.source})"
    return text


def change_text(change: Change) -> str:
    return f"{change.event_name}: {change.summary}" if change.summary else change.event_name


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _records(report: ReportData, query: str) -> list[dict[str, Any]]:
    figure = report.figure(query)
    return figure.records() if figure is not None else []


def periods(report: ReportData) -> dict[str, dict[str, Any]]:
    return {record["period"]: record for record in _records(report, "periods")}


def at(report: ReportData, value: dt.datetime | None) -> str:
    """A time as the report writes it: with its date when the report's times carry it."""
    return clock(value, report.dated)


def minute(report: ReportData, value: dt.datetime) -> str:
    """A bucket's start, to the minute: `14:00`, or `2026-11-20 14:00`."""
    return value.strftime("%Y-%m-%d %H:%M" if report.dated else "%H:%M")


def summary(report: ReportData) -> list[str]:
    """The summary paragraph, one sentence per item: what moved, when, by how much; the impact; the
    most suspect change and who made it; the rollback. Its 5xx are one thing throughout: the
    responses clients got with a 5xx status, from the load balancer or a target (F2)."""
    sentences = []
    incident = report.incident
    spans = periods(report)
    if incident is None:
        sentences.append(
            f"No shift in latency or errors was detected on {report.lb} between "
            f"{window_text(report.since, report.until)}."
        )
    else:
        moved, errors_told = _moved(incident, spans)
        sentences.append(f"{_onset(report, incident)}, {report.lb}'s {moved}.")
        if incident.recovery is not None:
            sentences.append(
                f"The metrics recovered at {at(report, incident.recovery)} UTC, "
                f"{duration(incident.onset, incident.recovery)} later."
            )
        else:
            end = incident.data_end or report.until
            sentences.append(f"The metrics had not recovered by the end of the data at {at(report, end)} UTC.")
        sentences += _impact_sentences(report, incident, spans, errors_told)
    sentences += _suspect_sentences(report)
    return sentences


def _onset(report: ReportData, incident: Incident) -> str:
    """When the incident began: a shift starts with its bucket, which can start before the change
    inside it. Then it began with the first 5xx after the change, when the errors moved, or else in
    the minute of the change."""
    anchor = report.anchor
    if anchor is None:
        return f"At {at(report, incident.onset)} UTC" + ("" if report.dated else f" on {incident.onset:%Y-%m-%d}")
    change = anchor.change.event_time
    errors = _records(report, "error_span")
    first = errors[0]["first_error_at"] if errors and errors[0]["errors"] else None
    errors_moved = any(m.onset.metric in FIVE_XX_RATES for m in incident.metrics)
    if errors_moved and first is not None and change <= first:
        first, change = first.replace(microsecond=0), change.replace(microsecond=0)
        return f"From {at(report, first)} UTC, {_lag(first - change)} after the change at {at(report, change)}"
    return f"In the minute of the change at {at(report, change)} UTC"


def _lag(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60} s" if seconds % 60 else f"{seconds // 60} min"


def _moved(incident: Incident, spans: dict[str, dict[str, Any]]) -> tuple[str, bool]:
    """What got worse at the onset: the whole load balancer's metrics; or, when only slices of it
    moved, the first slice's, naming the others. The whole load balancer's 5xx rates (ELB's and
    targets') are told once, as the share of requests answered 5xx before and during the incident
    (F2): the one definition of 5xx in the summary. Also whether that was told."""
    whole = [m.onset for m in incident.metrics if m.onset.scope.kind == "lb"]
    if whole:
        before, during = spans.get("before"), spans.get("during")
        parts, told = [], False
        for shift in whole:
            if shift.metric in FIVE_XX_RATES and before and during and before["requests"] and during["requests"]:
                if not told:
                    parts.append(
                        f"share of requests answered with a 5xx rose from {percent(before['error_rate'])} to "
                        f"{percent(during['error_rate'])}"
                    )
                told = True
            else:
                parts.append(shift_text(shift, with_scope=False))
        return _join(parts), told
    first, *rest = [m.onset for m in incident.metrics]
    others = sorted({scope_text(shift.scope) for shift in rest} - {scope_text(first.scope)})
    return shift_text(first) + (f" (also on {_join(others)})" if others else ""), False


def _impact_sentences(
    report: ReportData, incident: Incident, spans: dict[str, dict[str, Any]], errors_told: bool
) -> list[str]:
    during, before = spans.get("during"), spans.get("before")
    impact = _records(report, "impact")
    if not during or not during["requests"]:
        return []
    text = f"During the incident {during['errors']:,} of {during['requests']:,} requests got a 5xx response"
    if not errors_told:
        text += f" ({percent(during['error_rate'])})"
        if before and before["requests"]:
            text += f", against {percent(before['error_rate'])} before"
    sentences = [text + "."]
    if impact and impact[0]["affected"]:
        sentences.append(
            f"{impact[0]['affected']:,} requests ({percent(impact[0]['affected_rate'])}) were affected: "
            f"a 5xx, or slower than the {ms(impact[0]['p99_before_ms'])} p99 before."
        )
    latency_moved = any("latency" in metric_label(m.onset.metric) for m in incident.metrics)
    # Without a latency shift, a p99 that differs is the mix of requests that reached a target
    # changing (say, one target group answering only 503s), not targets slowing: left to the table.
    if latency_moved and before and before["p99_ms"] is not None and during["p99_ms"] is not None:
        sentences.append(
            f"p99 target latency was {ms(during['p99_ms'])} during the incident, {ms(before['p99_ms'])} before."
        )
    return sentences


def _suspect_sentences(report: ReportData) -> list[str]:
    changes = [c for c in report.timeline.changes if report.since <= c.change.event_time < report.until]
    if report.timeline.suspect is not None:
        suspect, suspicion = report.timeline.suspect.change, report.timeline.suspect.suspicion
        text = (
            f"The most suspect change is {suspect.event_name} at {at(report, suspect.event_time)} UTC by "
            f"{short_actor(suspect.actor)}"
            + (f" ({suspect.actor_kind})" if suspect.actor_kind else "")
            + (f": {suspect.summary}" if suspect.summary else "")
            + f" (suspicion {suspicion:.2f})."
        )
        sentences = [text]
        if report.rollback is not None:
            rollback = report.rollback.change
            sentences.append(
                f"{rollback.event_name} at {at(report, rollback.event_time)} UTC by {short_actor(rollback.actor)} "
                "undid it."
            )
        return sentences
    if changes:
        top, score = changes[0].change, changes[0].suspicion
        return [
            f"No change in the window explains it: {len(changes)} change{'s' if len(changes) != 1 else ''} "
            f"were made, the most suspect scores {score:.2f} ({top.event_name} by {short_actor(top.actor)})."
        ]
    return [f"No configuration change to {report.lb} is recorded in the window."]


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline section."""

    at: dt.datetime  # where it is told: its moment; a shift that began in a change's minute, the change's
    when: str  # the time shown: a shift's to the minute (the start of its bucket)
    kind: str  # change, failed, rollback, shift, error, recovery
    what: str
    detail: str


# CloudTrail ingestion starts the summary of a failed call with this; the timeline says it its own way
_NOT_APPLIED = re.compile(r"^not applied \([^)]*\):\s*")
_KIND_ORDER = {"change": 0, "failed": 0, "rollback": 0, "shift": 1, "error": 2, "recovery": 3}


def timeline_entries(report: ReportData) -> list[Entry]:
    """The timeline section, in time order; a shift that began in the minute (bucket) of the change it
    is put down to (`Timeline.anchor`) comes right after that change, though its bucket starts
    before it."""
    entries = []
    rollback = report.rollback.change.event_id if report.rollback else None
    suspect = report.timeline.suspect.change if report.timeline.suspect else None
    numbers = {scored.change.event_id: n for n, scored in enumerate(report.timeline.changes, start=1)}
    for scored in report.timeline.changes:
        change, number = scored.change, numbers[scored.change.event_id]
        if not report.since <= change.event_time < report.until:
            continue
        who = short_actor(change.actor) + (f" ({change.actor_kind})" if change.actor_kind else "")
        if change.error_code is not None:
            attempted = _NOT_APPLIED.sub("", change.summary or "")
            kind = "failed"
            what = f"#{number} {change.event_name} FAILED ({change.error_code}), nothing changed"
            what += f": {attempted}" if attempted else ""
        elif change.event_id == rollback:
            kind, what = "rollback", f"#{number} Rollback: {change_text(change)}"
        else:
            kind, what = "change", f"#{number} {change_text(change)}"
            if suspect is not None and change.event_id == suspect.event_id:
                what += " — most suspect"
        detail = f"by {who}; suspicion {scored.suspicion:.2f}"
        if change.event_id == rollback and report.rollback is not None:
            detail += f"; {report.rollback.reason}"
        entries.append(Entry(change.event_time, at(report, change.event_time), kind, what, detail))
    entries += _shift_entries(
        report, [s for s in report.timeline.shifts if report.since <= s.at < report.until], numbers
    )
    errors = _records(report, "error_span")
    if errors and errors[0]["errors"]:
        span = errors[0]
        first, last = span["first_error_at"], span["last_error_at"]
        entries.append(Entry(first, at(report, first), "error", f"First 5xx ({span['first_error_status']})", ""))
        entries.append(
            Entry(last, at(report, last), "error", f"Last 5xx ({span['last_error_status']})", f"{span['errors']:,} 5xx")
        )
    incident = report.incident
    if incident is not None and incident.recovery is not None:
        back = [
            f"{metric_label(m.onset.metric)} back to {metric_value(m.onset.metric, m.recovered_by.after, m.onset.unit)}"
            for m in incident.metrics
            if m.recovered_by is not None
        ]
        entries.append(
            Entry(
                incident.recovery,
                minute(report, incident.recovery),
                "recovery",
                "Recovery: " + _join(back),
                duration(incident.onset, incident.recovery),
            )
        )
    return sorted(entries, key=lambda e: (e.at, _KIND_ORDER[e.kind]))


SLICES_SHOWN = 4


def _shift_entries(report: ReportData, shifts: list[Shift], numbers: dict[str, int]) -> list[Entry]:
    """One entry per shift of the whole load balancer; the shifts of its slices (target groups,
    targets, listeners, ...) at the same time in one entry, the first few named."""
    groups = [([s], "Shift", shift_text(s), f"metric {s.metric}") for s in shifts if s.scope.kind == "lb"]
    by_time: dict[dt.datetime, list[Shift]] = {}
    for shift in shifts:
        if shift.scope.kind != "lb":
            by_time.setdefault(shift.at, []).append(shift)
    for group in by_time.values():
        named = "; ".join(shift_text(s) for s in group[:SLICES_SHOWN])
        more = f"; and {len(group) - SLICES_SHOWN} more" if len(group) > SLICES_SHOWN else ""
        scopes = sorted({scope_text(s.scope) for s in group})
        groups.append(
            (
                group,
                f"{len(group)} shift{'s' if len(group) != 1 else ''} in slices",
                named + more,
                ", ".join(scopes[: SLICES_SHOWN * 2]) + (", …" if len(scopes) > SLICES_SHOWN * 2 else ""),
            )
        )
    entries = []
    for group, label, text, detail in groups:
        anchor = report.timeline.anchor_of(group)
        told_at = group[0].at
        if anchor is not None:
            bucket = report.timeline.bucket_minutes or 1
            inside = "the minute" if bucket == 1 else f"the {bucket}-minute bucket"
            told_at, label = anchor.change.event_time, f"{label} in {inside} of #{numbers[anchor.change.event_id]}"
        entries.append(Entry(told_at, minute(report, group[0].at), "shift", f"{label}: {text}", detail))
    return entries


_SOURCE_NOUNS = {"CloudWatch": "CloudWatch metrics"}


def built_from(report: ReportData) -> str:
    """What the report rests on: the evidence the timeline used, and CloudTrail."""
    used = report.timeline.coverage.used if report.timeline.coverage else ("access logs",)
    return ", ".join(_SOURCE_NOUNS.get(source, source) for source in used) + " and CloudTrail records"


def no_requests(report: ReportData, tls_connections: int) -> str:
    """Why the request figures are empty: an NLB's logs hold connections, or the window has no access logs."""
    if tls_connections:
        return (
            f"This load balancer's logs hold no HTTP requests: a Network Load Balancer logs TLS connections only "
            f"({tls_connections:,} loaded), with no HTTP status or target latency. The request, error and latency "
            "figures are empty; the TLS mix chart, the timeline and the evidence sections still apply."
        )
    return (
        "No access logs cover this window: the request, error and latency figures are empty. The trigger "
        "candidates and the timeline come from CloudWatch's one-minute metrics."
    )


def caveats(report: ReportData) -> list[str]:
    """What the evidence cannot show, from the data at hand."""
    found = list(coverage_lines(report.timeline.coverage)) if report.timeline.coverage else []
    kinds = {record["kind"] for record in _records(report, "manifest")}
    manifest = _records(report, "manifest")
    logs = [record for record in manifest if record["kind"] != "cloudtrail"]
    if kinds & {"alb", "clb"}:
        found.append(
            "Access logs are best-effort: AWS writes them as 'not a complete accounting of all requests', so "
            "counts are a lower bound."
        )
    if "nlb" in kinds or report.lb_type == "nlb":
        found.append(
            "NLB access logs are best-effort and exist only for TLS listeners; they hold no HTTP status or "
            "target latency."
        )
    unnamed = [record for record in logs if record["interval_end"] is None]
    if unnamed:
        found.append(
            f"{len(unnamed)} log file{'s do' if len(unnamed) != 1 else ' does'} not carry an AWS object name, so "
            f"{'their' if len(unnamed) != 1 else 'its'} node and interval are unknown and missing intervals cannot "
            f"be checked for {'them' if len(unnamed) != 1 else 'it'}."
        )
    missing = sum(record["missing"] for record in _records(report, "log_intervals"))
    if missing:
        found.append(
            f"{missing} log interval{'s' if missing != 1 else ''} of a node {'have' if missing != 1 else 'has'} no "
            "file: its requests are missing from every figure (table above; hatched on the request-rate chart)."
        )
    rejected = sum(record["rejected"] or 0 for record in logs)
    if rejected:
        found.append(
            f"{rejected:,} line{'s' if rejected != 1 else ''} of these files could not be read and are not counted; "
            'see them with: correlate sql "select * from rejects"'
        )
    trail_rejected = sum(record["rejected"] or 0 for record in manifest if record["kind"] == "cloudtrail")
    if trail_rejected:
        found.append(
            f"{trail_rejected:,} CloudTrail record{'s' if trail_rejected != 1 else ''} could not be read; a change "
            'among them is missing. See them with: correlate sql "select * from rejects"'
        )
    filtered = sorted({record["filter"] for record in logs if record["filter"]})
    if filtered:
        found.append(
            "Some files were loaded with a filter (" + "; ".join(filtered) + "): rows outside it were not stored."
        )
    coverage = _records(report, "cloudtrail_coverage")
    if not coverage or not coverage[0]["events"]:
        found.append(
            "No CloudTrail events are loaded: configuration changes are unknown. Load them with: "
            "correlate ingest cloudtrail SOURCE"
        )
    else:
        trail = coverage[0]
        if trail["longest_silence_from"] is not None:
            silence = trail["longest_silence_to"] - trail["longest_silence_from"]
            if silence >= dt.timedelta(minutes=30):
                found.append(
                    f"No CloudTrail event at all between {clock(trail['longest_silence_from'], True)} and "
                    f"{clock(trail['longest_silence_to'], True)} UTC: a quiet period, or trail files not loaded."
                )
        found.append(
            "CloudTrail delivers events about every 5 minutes, without a guarantee: a change made just before "
            "the data ends may be missing."
        )
    if kinds & {"alb", "clb"}:
        found.append(
            "Requests are placed in time by arrival (ALB request_creation_time, Classic ELB timestamp). Latency "
            "percentiles cover the requests a target answered; requests with no target response count in the "
            "totals and the 5xx rate only."
        )
    return found
