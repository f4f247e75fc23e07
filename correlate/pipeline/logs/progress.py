"""What one `ingest logs` did (the summary line), and progress as it goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from correlate.parse.sniff import CLOUDTRAIL, OtherKindFiles
from correlate.store.logs import LedgerEntry

if TYPE_CHECKING:
    from correlate.pipeline.logs.readers import ObjectReader


@dataclass
class IngestSummary(OtherKindFiles):
    """What one ingest did; `line()` is the one-line summary printed on stderr."""

    looks_like: ClassVar[str] = CLOUDTRAIL

    files: int = 0
    loaded: int = 0
    already_loaded: int = 0
    test_files: int = 0
    pruned: int = 0
    lines: int = 0
    rows: int = 0
    rejected: int = 0
    filtered: int = 0
    invalid_utf8_lines: int = 0
    bytes_read: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    other_kind: list[str] = field(default_factory=list)  # CloudTrail files: not loaded, not recorded

    def add(self, entry: LedgerEntry) -> None:
        self.loaded += 1
        self.lines += entry.lines
        self.rows += entry.rows
        self.rejected += entry.rejected
        self.filtered += entry.filtered
        self.invalid_utf8_lines += entry.invalid_utf8_lines
        self.by_kind[entry.kind] = self.by_kind.get(entry.kind, 0) + 1

    def line(self) -> str:
        if not self.files:
            return "0 files: no object under the sources can hold rows of --since/--until/--lb; nothing loaded"
        skipped = []
        if self.already_loaded:
            skipped.append(f"{self.already_loaded:,} already loaded")
        if self.pruned:
            skipped.append(f"{self.pruned:,} outside --since/--until/--lb")
        if self.test_files:
            skipped.append(f"{self.test_files:,} ELBAccessLogTestFile")
        if self.other_kind:
            skipped.append(f"{len(self.other_kind):,} CloudTrail")
        skipped_count = sum((self.already_loaded, self.pruned, self.test_files, len(self.other_kind)))
        skipped_text = f"{skipped_count:,} skipped"
        if skipped:
            skipped_text += f" ({', '.join(skipped)})"
        text = (
            f"{self.files:,} files: {self.loaded:,} loaded, {skipped_text}; "
            f"{self.rows:,} rows, {self.rejected:,} rejected"
        )
        if self.filtered:
            text += f", {self.filtered:,} outside the filter"
        if self.invalid_utf8_lines:
            text += f"; {self.invalid_utf8_lines:,} lines had invalid UTF-8 (replaced with U+FFFD)"
        return text


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported as loading goes: objects listed so far, objects finished (loaded or skipped),
    compressed bytes read, rows stored, and the object being read."""

    objects_seen: int
    objects_done: int
    bytes_read: int
    rows: int
    current: str


class Meter:
    """Progress: counts what is done and reports it."""

    def __init__(self, summary: IngestSummary, on_progress: Callable[[Progress], None] | None) -> None:
        self.summary = summary
        self.on_progress = on_progress
        self.done = 0
        self.pending_done = 0  # objects of the run being written whose lines are all in
        self.pending_rows = 0

    def skipped(self) -> None:
        self.done += 1
        self._report("")

    def chunk(self, readers: list[ObjectReader], rows: int, finished: int) -> None:
        self.pending_rows += rows
        self.pending_done += finished
        self._report(readers[-1].obj.uri, sum(reader.bytes_read for reader in readers))

    def loaded(self, readers: list[ObjectReader], entries: list[LedgerEntry]) -> None:
        for entry in entries:
            self.summary.add(entry)
        self.summary.bytes_read += sum(reader.bytes_read for reader in readers)
        self.done += len(readers)
        self.pending_done = 0
        self.pending_rows = 0
        self._report(readers[-1].obj.uri)

    def _report(self, current: str, bytes_pending: int = 0) -> None:
        if self.on_progress is None:
            return
        self.on_progress(
            Progress(
                objects_seen=self.summary.files,
                objects_done=self.done + self.pending_done,
                bytes_read=self.summary.bytes_read + bytes_pending,
                rows=self.summary.rows + self.pending_rows,
                current=current,
            )
        )
