"""Every incident kind of the demo, and the scenario of a (kind, seed)."""

from __future__ import annotations

import datetime as dt
import random

from correlate.demo.hard import HARD_KINDS
from correlate.demo.metric_kinds import METRIC_KINDS
from correlate.demo.scenarios import BASIC_KINDS, FEED_KINDS
from correlate.demo.world import FIRST_DAY, Scenario

# New kinds go last: a kind's day comes from its place here, and earlier kinds keep their bytes.
KINDS = {**BASIC_KINDS, **HARD_KINDS, **FEED_KINDS, **METRIC_KINDS}
DAYS_PER_SEED = 16  # room for every kind: each (kind, seed) gets its own day


def scenario(kind: str, seed: int) -> Scenario:
    """The scenario of `kind`; each (kind, seed) gets its own day, so several can share a database.
    The seed also varies the timings of the kinds that take them from the scenario's random generator."""
    index = list(KINDS).index(kind)
    start = FIRST_DAY + dt.timedelta(days=DAYS_PER_SEED * ((seed - 1) % 400) + index)
    built = KINDS[kind](start, random.Random(f"scenario:{kind}:{seed}"))
    built.events.sort(key=lambda event: event.call.at)
    built.effects.sort(key=lambda effect: effect[0])
    built.feed.sort(key=lambda item: item.at)
    return built
