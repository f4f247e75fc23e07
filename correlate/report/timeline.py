"""The timeline a report is built from: computed now over the report's window, or read from a file
saved with `correlate timeline --format json` (through the JSON document's one definition,
correlate/present/document.py). Either way it is the timeline library's `Timeline`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from correlate.analysis.timeline import Timeline, build_timeline
from correlate.errors import BadTimeline
from correlate.present.document import timeline_from_document
from correlate.store.cells import CellSource
from correlate.store.database import Database

__all__ = ["BadTimeline", "Timeline", "current_timeline", "load_timeline"]


def load_timeline(path: Path) -> Timeline:
    """A timeline saved with `correlate timeline --format json > FILE`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadTimeline(f"Cannot read the timeline {path}: {error.strerror}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f" (line {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise BadTimeline(
            f"{path}{where} is not JSON. Save a timeline with: correlate timeline --lb LB --format json > {path.name}"
        ) from None
    return timeline_from_document(data, str(path))


def current_timeline(
    db: Database | CellSource, lb: str, since: dt.datetime | None, until: dt.datetime | None
) -> Timeline:
    """The timeline of `lb` computed now: what `correlate timeline` prints."""
    return build_timeline(db, lb, since, until)
