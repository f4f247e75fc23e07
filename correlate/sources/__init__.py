"""Bytes in: local files, directories and globs (and, later in the flow, S3 and the CloudTrail API)."""

from __future__ import annotations

from collections.abc import Sequence

from correlate.sources.local import expand_local
from correlate.sources.streams import InputObject


def expand_sources(sources: Sequence[str], suffixes: Sequence[str]) -> list[InputObject]:
    """Every object the SOURCE arguments name, in argument order; a SOURCE that names nothing is an
    error before anything is loaded."""
    objects: list[InputObject] = []
    seen: set[str] = set()
    for source in sources:
        for obj in expand_local(source, suffixes, also_names=("ELBAccessLogTestFile",)):
            if obj.uri not in seen:
                seen.add(obj.uri)
                objects.append(obj)
    return objects
