"""What the timeline found, as data: the evidence for and against each change, and the notes on the
window. correlate/present/evidence.py writes the words.

A change's evidence is a list of these records, in the order they are told: why it could not move
traffic (`Failed`, `Implausible`), the shifts it explains (`Moved`, `Spread`), the caveats on those
(`QuietPart`, `OtherPart`, `AlreadyMoved`), the shifts that began before it (`BeganBefore`), and,
when it explains nothing, why (`NoLogs`, `OtherKinds`, `NothingMoved`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from correlate.analysis.shifts import Shift
from correlate.model.change import Change


@dataclass(frozen=True, slots=True)
class Stated:
    """Evidence or a note read back from a saved timeline: its words, as written."""

    text: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The call failed: nothing was changed."""

    error_code: str


@dataclass(frozen=True, slots=True)
class Implausible:
    """The change cannot move traffic by itself (or barely), and why: `read_only`, `tags`,
    `unused_policy` (a Classic policy no listener uses yet), `unrouted_target_group` (a new target
    group nothing forwards to), `ecs_idle` (an ECS update that starts nothing), `inert_attributes`
    (only logging or protection settings: `keys`), `not_invoked` (a Lambda version or `$LATEST` the
    load balancer does not invoke: `keys`, what it invokes)."""

    reason: str
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unreached:
    """No request went through the part of the load balancer the change concerns, before or after it:
    a listener `rule` (its priority) nothing matched, a `target_group` that received nothing, a
    `listener` port with no traffic. What no request reaches cannot have moved a metric."""

    part: str  # rule, target_group, listener
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reverts:
    """The change sets its resource back to what it was before `earlier` (model/reverts.py)."""

    earlier: Change


@dataclass(frozen=True, slots=True)
class RevertedBy:
    """A later change set the resource back; `recovered` is the first recovery that followed it."""

    later: Change
    same_actor: bool
    recovered: Shift | None


@dataclass(frozen=True, slots=True)
class Moved:
    """A shift this change explains (a recovery too, where `shift.worse` is False)."""

    shift: Shift


@dataclass(frozen=True, slots=True)
class Spread:
    """Requests moved between target groups or targets after the change (distribution shifts)."""

    shifts: tuple[Shift, ...]


@dataclass(frozen=True, slots=True)
class QuietPart:
    """The load balancer moved, but the target groups the change concerns did not."""

    target_groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OtherPart:
    """The shift is in another target group than the ones the change concerns."""

    target_groups: tuple[str, ...]
    moved: str  # the target group that moved


@dataclass(frozen=True, slots=True)
class AlreadyMoved:
    """Counter-evidence: the metric had already made `fraction` of its move at `level` in the
    `minutes` before the change's bucket."""

    shift: Shift
    level: float
    minutes: int
    fraction: float
    began: dt.datetime | None = None  # where the worsening began, when that was before the change


@dataclass(frozen=True, slots=True)
class EarlyInBucket:
    """Counter-evidence: the shift begins in the change's own bucket, but `before` of that bucket came
    before the change, and the metric had already made `fraction` of its move there (more than an
    effect of the change could have in the part after it)."""

    shift: Shift
    level: float
    before: float  # share of the bucket before the change
    fraction: float


@dataclass(frozen=True, slots=True)
class BeganBefore:
    """Counter-evidence: a shift this change would fit began before it."""

    shift: Shift


@dataclass(frozen=True, slots=True)
class NoLogs:
    """The evidence (`source`: access logs, NLB TLS logs, CloudWatch) does not cover the minutes around
    the change."""

    lb: str
    source: str = "access logs"


@dataclass(frozen=True, slots=True)
class OtherKinds:
    """Shifts followed the change, but not of a kind this change moves."""

    shifts: tuple[Shift, ...]


@dataclass(frozen=True, slots=True)
class NothingMoved:
    """No metric moved within `lag_seconds` after the change."""

    lb: str
    lag_seconds: float


Evidence = (
    Stated
    | Failed
    | Implausible
    | Unreached
    | Reverts
    | RevertedBy
    | Moved
    | Spread
    | QuietPart
    | OtherPart
    | AlreadyMoved
    | EarlyInBucket
    | BeganBefore
    | NoLogs
    | OtherKinds
    | NothingMoved
)
Caveat = QuietPart | OtherPart | AlreadyMoved | EarlyInBucket  # what an attribution's score was lowered for


# -- notes on the whole window ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoChanges:
    """No configuration change recorded for the load balancer in the window."""

    lb: str


@dataclass(frozen=True, slots=True)
class NoRequests:
    lb: str


@dataclass(frozen=True, slots=True)
class NoShifts:
    lb: str


@dataclass(frozen=True, slots=True)
class NoneSuspect:
    """Changes were made, but none reaches `threshold`."""

    lb: str
    threshold: float


@dataclass(frozen=True, slots=True)
class Unexplained:
    """Shifts for the worse at `at` that no change explains, widest slice first."""

    at: dt.datetime
    shifts: tuple[Shift, ...]
    followed_by: Change | None = None  # the first change that could act on traffic after it began


Note = Stated | NoChanges | NoRequests | NoShifts | NoneSuspect | Unexplained


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which evidence the timeline was built from (`used`: access logs, NLB TLS logs, CloudWatch) and
    what is missing: `access_logs` (an ALB or Classic ELB with CloudWatch only), `tls_logs` (an NLB
    with CloudWatch only), `cloudwatch`, `cloudwatch_nlb` (no metrics beside the logs); or, read back
    from a saved timeline, the sentence as written."""

    used: tuple[str, ...]
    missing: tuple[str, ...] = ()
