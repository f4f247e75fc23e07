"""The timeline's words: a shift in one line, each kind of evidence for or against a change, and the
notes on the window (what correlate/analysis/evidence.py records as data)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from correlate.analysis.evidence import (
    AlreadyMoved,
    BeganBefore,
    Coverage,
    EarlyInBucket,
    Evidence,
    Failed,
    Implausible,
    Moved,
    NoChanges,
    NoLogs,
    NoneSuspect,
    NoRequests,
    NoShifts,
    Note,
    NothingMoved,
    OtherKinds,
    OtherPart,
    QuietPart,
    RevertedBy,
    Reverts,
    Spread,
    Stated,
    Unexplained,
    Unreached,
)
from correlate.analysis.scoring import ScoredChange
from correlate.analysis.series import ACCESS_LOGS, CLOUDWATCH, Scope
from correlate.analysis.shifts import METRICS, Shift

_IMPLAUSIBLE = {
    "read_only": "a read-only call changes nothing",
    "tags": "tag changes do not change how traffic is served",
    "unused_policy": "a new policy changes nothing until a listener uses it (SetLoadBalancerPoliciesOfListener)",
    "unrouted_target_group": "a new target group gets no traffic until a listener or rule forwards to it",
    "ecs_idle": "the call started no deployment and kept the desired count",
    "inert_attributes": "only logging or protection settings changed ({keys})",
    "not_invoked": "the load balancer invokes {keys}, which this call did not change",
}
_UNREACHED = {
    "rule": "counter-evidence: no request matched rule {names} in the window, before or after the change",
    "target_group": "counter-evidence: target group {names} received no request in the window, before or after it",
    "listener": "counter-evidence: listener {names} received no request in the window, before or after it",
}
_FAMILIES = {
    "latency": "latency",
    "errors": "5xx",
    "client_errors": "4xx",
    "traffic": "traffic",
    "tls_mix": "TLS mix",
    "hosts": "host counts",
    "capacity": "surge queue and rejected connections",
    "tls_errors": "TLS errors",
    "handshake": "TLS handshake time",
}
_SOURCE_NOUNS = {CLOUDWATCH: "CloudWatch metrics"}
_MISSING = {
    "access_logs": "no access logs: per-target and per-path slices unavailable",
    "tls_logs": "no NLB TLS access logs: handshake times, the protocol and cipher mix and client networks unavailable",
    "cloudwatch": "no CloudWatch metrics: host counts, surge queue and TLS negotiation errors unavailable",
    "cloudwatch_nlb": "no CloudWatch metrics: host counts unavailable",
}


def evidence_lines(scored: ScoredChange) -> tuple[str, ...]:
    """The change's evidence, one line each, in the order the scoring found it (a caveat found for two
    shifts reads the same: said once)."""
    return tuple(dict.fromkeys(evidence_line(item, scored.change.event_time) for item in scored.evidence))


def evidence_line(item: Evidence, changed_at: dt.datetime) -> str:
    match item:
        case Stated(text):
            return text
        case Failed(error_code):
            return f"the call failed ({error_code}): nothing was changed"
        case Implausible(reason, keys):
            return _IMPLAUSIBLE[reason].format(keys=", ".join(keys))
        case Moved(shift):
            return _moved(shift, changed_at)
        case Spread(shifts):
            return _spread(shifts, changed_at)
        case QuietPart(groups):
            return f"target group {', '.join(groups)} did not move with the load balancer"
        case OtherPart(groups, moved):
            return f"the change concerns target group {', '.join(groups)}, not {moved}"
        case Reverts(earlier):
            return (
                f"reverts the change at {_near(earlier.event_time, changed_at, True)} ({earlier.event_name}"
                f"{_by(earlier)}): sets it back as it was"
            )
        case RevertedBy(later, same_actor, recovered):
            who = "by the same engineer" if same_actor else _by(later).removeprefix(" ")
            ended = ""
            if recovered is not None:
                family = _FAMILIES.get(recovered.family, recovered.family)
                ended = f"; {family} recovered from {_near(recovered.at, changed_at)}"
            return f"reverted at {_near(later.event_time, changed_at, True)} {who} ({later.event_name}){ended}"
        case Unreached(part, names):
            return _UNREACHED[part].format(names=", ".join(names))
        case AlreadyMoved(shift, level, minutes, fraction, None):
            return (
                f"counter-evidence: {metric_name(shift)} was already {format_value(shift.unit, level)} in the "
                f"{minutes} min before the change ({fraction:.0%} of the move)"
            )
        case AlreadyMoved(shift, level, minutes, fraction, began):
            return (
                f"counter-evidence: the worsening began at {_near(began, changed_at)}, before the change; "
                f"{_where(shift)}{metric_name(shift)} was already {format_value(shift.unit, level)} in the {minutes} "
                f"min before it ({fraction:.0%} of the move): only the rest can be the change's"
            )
        case EarlyInBucket(shift, level, before, fraction):
            return (
                f"counter-evidence: {_where(shift)}{metric_name(shift)} was already {format_value(shift.unit, level)} "
                f"in the change's own bucket, {before:.0%} of which came before it ({fraction:.0%} of the "
                "move before the change)"
            )
        case BeganBefore(shift):
            return (
                f"counter-evidence: {describe_shift(shift)} began at {_near(shift.at, changed_at)}, "
                f"{-_minutes(changed_at, shift)} min before the change"
            )
        case NoLogs(lb, source):
            what = _SOURCE_NOUNS.get(source, source)
            return f"the {what} of {lb} do not cover the minutes around it, so its effect is unknown"
        case OtherKinds(shifts):
            families = ", ".join(dict.fromkeys(_FAMILIES.get(s.family, s.family) for s in shifts))
            return f"the shifts after it ({families}) are not what this kind of change moves"
        case NothingMoved(lb, lag_seconds):
            return f"no metric of {lb} moved within {int(lag_seconds // 60)} min after it"
    raise TypeError(f"no words for {item!r}")


def _near(value: dt.datetime, changed_at: dt.datetime, seconds: bool = False) -> str:
    """A time in a change's evidence: `14:00` (`14:00:23` with `seconds`), with its date when it falls
    on another day than the change (whose own time carries the date where the window's times do)."""
    date = "" if value.date() == changed_at.date() else "%Y-%m-%d "
    return value.strftime(date + ("%H:%M:%S" if seconds else "%H:%M"))


def clock_time(value: dt.datetime, dated: bool = False) -> str:
    """`14:00:23`, or `2026-11-20 14:00:23` when `dated`."""
    return value.strftime("%Y-%m-%d %H:%M:%S" if dated else "%H:%M:%S")


def note_line(note: Note, dated: bool = False) -> str:
    """A note in words; `dated`: a time in it carries its date."""
    match note:
        case Stated(text):
            return text
        case NoChanges(lb):
            return (
                f"No configuration changes recorded for {lb} in this window. Load CloudTrail with "
                "`correlate ingest cloudtrail` to rank changes."
            )
        case NoRequests(lb):
            return f"No requests of {lb} in this window: load its access logs with `correlate ingest logs`."
        case NoShifts(lb):
            return f"No metric of {lb} shifted in this window."
        case NoneSuspect(lb, threshold):
            return f"No change reaches suspicion {threshold}: nothing recorded for {lb} explains its shifts."
        case Unexplained(at, shifts, followed_by):
            shown = "; ".join(describe_shift(s) for s in shifts[:3])
            more = f" (and {len(shifts) - 3} more)" if len(shifts) > 3 else ""
            when = at.strftime("%Y-%m-%d %H:%M" if dated else "%H:%M")
            text = f"Unexplained at {when}: {shown}{more}. No change in the window explains it"
            if followed_by is None:
                return text + "."
            return (
                f"{text}; it began at {when}, before {followed_by.event_name} at "
                f"{clock_time(followed_by.event_time, dated)}."
            )
    raise TypeError(f"no words for {note!r}")


def coverage_lines(coverage: Coverage) -> tuple[str, ...]:
    """`Evidence: access logs, CloudWatch.` and, when something is missing, `Missing: ...`."""
    used = ", ".join(coverage.used) or "none"
    lines = [f"Evidence: {used}."]
    if coverage.missing:
        lines.append(f"Missing: {'; '.join(missing_line(code) for code in coverage.missing)}.")
    return tuple(lines)


def missing_line(code: str) -> str:
    """What a missing source leaves out; a sentence read back from a saved timeline stays as it is."""
    return _MISSING.get(code, code)


def _by(change) -> str:
    return f" by {change.actor_name or change.actor}" if (change.actor_name or change.actor) else ""


def _where(shift: Shift) -> str:
    return "" if shift.scope.kind == "lb" else f"in {shift.scope.label}, "


# -- one shift --------------------------------------------------------------------------------------


def describe_shift(shift: Shift) -> str:
    """`p99 target latency 41 ms -> 880 ms (x21) (target group web)`; from elsewhere than access logs,
    `UnHealthyHostCount 0 -> 4 (CloudWatch) in target group web`."""
    if shift.metric == "tls_share":
        where = ""
    elif shift.source not in (None, ACCESS_LOGS):
        where = f" ({shift.source})" + ("" if shift.scope.kind == "lb" else f" in {shift.scope.label}")
    else:
        where = "" if shift.scope.kind == "lb" else f" ({shift.scope.label})"
    return f"{metric_name(shift)} {format_change(shift)}{where}"


def metric_name(shift: Shift) -> str:
    if shift.metric == "tls_share":
        what = f"{shift.scope.value} clients" if shift.scope.kind == "ssl_protocol" else f"cipher {shift.scope.value}"
        source = f" ({shift.source})" if shift.source not in (None, ACCESS_LOGS) else ""
        return f"share of {what}{source}"
    return METRICS[shift.metric][2]


def format_value(unit: str, value: float) -> str:
    if unit == "ms":
        if value >= 10000:
            return f"{value / 1000:.1f} s"
        return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
    if unit in ("rate", "share"):
        percent = value * 100
        return f"{percent:.2f}%" if 0 < percent < 0.1 else f"{percent:.1f}%"
    if unit in ("hosts", "queue"):
        return f"{value:.0f}" if value == round(value) else f"{value:.1f}"
    return f"{value:.0f}/min" if value >= 10 else f"{value:.1f}/min"


def format_change(shift: Shift) -> str:
    """`41 ms -> 880 ms (x21)` / `0.1% -> 24.0% (+23.9 pp)`."""
    text = f"{format_value(shift.unit, shift.before)} -> {format_value(shift.unit, shift.after)}"
    if shift.unit in ("hosts", "queue"):
        return text
    if shift.unit in ("rate", "share"):
        return f"{text} ({(shift.after - shift.before) * 100:+.1f} pp)"
    r = shift.ratio
    if math.isinf(r):
        return f"{text} (from nothing)"
    return f"{text} (x{r:.0f})" if r >= 10 else f"{text} (x{r:.2g})"


def format_p(p: float) -> str:
    return "p<1e-6" if p < 1e-6 else f"p={p:.2g}"


def _moved(shift: Shift, changed_at: dt.datetime) -> str:
    test = "Mann-Whitney" if shift.test.startswith("Mann") else "chi-square"
    detail = f"{test} {format_p(shift.p_value)}"
    if shift.ci_low is not None and shift.ci_high is not None:
        detail += f"; 95% CI x{shift.ci_low:.2g}-x{shift.ci_high:.2g}"
    prefix = "recovery: " if shift.worse is False else ""
    return f"{prefix}{describe_shift(shift)} {_when(changed_at, shift)} ({detail})"


def _spread(shifts: Sequence[Shift], changed_at: dt.datetime) -> str:
    stopped = sorted({s.scope for s in shifts if s.after < 0.5}, key=lambda s: s.key)
    started = sorted({s.scope for s in shifts if s.before < 0.5}, key=lambda s: s.key)
    first = min(shifts, key=lambda s: s.at)
    parts = []
    if stopped:
        parts.append(f"{_names(stopped)} stopped receiving requests")
    if started:
        parts.append(f"{_names(started)} started receiving requests")
    if not parts:
        moved = sorted({s.scope for s in shifts}, key=lambda s: s.key)
        parts.append(f"requests shifted across {_names(moved)}")
    return f"{'; '.join(parts)} {_when(changed_at, first)}"


def _names(scopes: Sequence[Scope]) -> str:
    kinds = {s.kind for s in scopes}
    values = [s.value for s in scopes[:6]]
    more = f" and {len(scopes) - 6} more" if len(scopes) > 6 else ""
    noun = "target" if kinds == {"target"} else ("target group" if kinds == {"target_group"} else "slice")
    plural = "s" if len(scopes) > 1 else ""
    return f"{noun}{plural} {', '.join(str(v) for v in values)}{more}"


def _minutes(changed_at: dt.datetime, shift: Shift) -> int:
    """Whole minutes from the change's minute to the shift's start."""
    change_minute = changed_at.replace(second=0, microsecond=0)
    return int((shift.at - change_minute).total_seconds() // 60)


def _when(changed_at: dt.datetime, shift: Shift) -> str:
    minutes = _minutes(changed_at, shift)
    if minutes == 0:
        return f"from {_near(shift.at, changed_at)}, the minute of the change"
    if minutes > 0:
        return f"from {_near(shift.at, changed_at)}, {minutes} min after"
    return f"from {_near(shift.at, changed_at)}, {-minutes} min before"
