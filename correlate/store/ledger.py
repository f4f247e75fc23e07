"""What each ingest command loaded before: its own rows of `ingested_files`.

`ingest logs` keeps the rows of the log kinds, `ingest cloudtrail` those of kind 'cloudtrail'
(sql/load/earlier_loads.sql), so a file loaded by one command never makes the other skip it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from correlate.store.database import statements


@dataclass(frozen=True, slots=True)
class EarlierLoad:
    """One object's row in a command's ledger."""

    kind: str
    fingerprint: str
    filter: str
    stored_nothing: bool  # every line or record was rejected: a file of the other kind, or junk

    def covers(self, fingerprint: str, filter_: str) -> bool:
        """True when a re-run can skip the object: same content, same filter, and something stored.
        An object of which nothing could be stored is read again, so that a file given to the wrong
        command by an older correlate is recognised and its rejects removed."""
        return not self.stored_nothing and (self.fingerprint, self.filter) == (fingerprint, filter_)


def earlier_loads(
    con: duckdb.DuckDBPyConnection, kinds: Sequence[str], source_files: Sequence[str] | None = None
) -> dict[str, EarlierLoad]:
    """source_file → its earlier load in the ledger of `kinds`, for `source_files` (None: all)."""
    (query,) = statements("load/earlier_loads.sql")
    rows = con.execute(
        query, {"kinds": list(kinds), "source_files": list(source_files) if source_files is not None else None}
    ).fetchall()
    return {source_file: EarlierLoad(*facts) for source_file, *facts in rows}
