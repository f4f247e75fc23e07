"""Which ingest command a file is for, from its name or its first bytes.

`ingest logs` cannot use a CloudTrail file and `ingest cloudtrail` cannot use an access log. A file
given to the other command is recognised here: it is not recorded as loaded (a later run of the
right command must not find it "already loaded"), and one line says what to run instead.
"""

from __future__ import annotations

from typing import ClassVar

from correlate.parse.kinds import TEST_FILE_NAME, facts_from_name, kind_from_line
from correlate.parse.layout import trail_delivered_at

CLOUDTRAIL = "CloudTrail"
ACCESS_LOGS = "access logs"
_COMMAND = {CLOUDTRAIL: "correlate ingest cloudtrail", ACCESS_LOGS: "correlate ingest logs"}
_BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 4096  # the first bytes of a file, enough to tell its kind


def access_log_by_name(name: str) -> bool:
    """An AWS ELB log object name (or the test object AWS writes when logging is enabled)."""
    return name == TEST_FILE_NAME or facts_from_name(name) is not None


def cloudtrail_by_name(name: str) -> bool:
    """An AWS CloudTrail object name (`ACCOUNT_CloudTrail_REGION_TIME_UNIQUE.json.gz`)."""
    return trail_delivered_at(name) is not None


def looks_like_cloudtrail(name: str, head: bytes) -> bool:
    """A CloudTrail object by its name, or JSON by its first byte: no access-log line starts with
    `{` or `[`, and every shape `ingest cloudtrail` reads does."""
    return cloudtrail_by_name(name) or head.removeprefix(_BOM).lstrip()[:1] in (b"{", b"[")


def access_log_by_content(head: bytes) -> bool:
    """ELB log lines, by the shape of the first line that is not blank."""
    for line in head.split(b"\n")[:20]:
        if line.strip():
            return kind_from_line(line.decode("utf-8", errors="replace").rstrip("\r")) is not None
    return False


class OtherKindFiles:
    """Part of a command's summary: the files (`other_kind`, their URIs) among all it was given
    (`files`) that look like the other command's kind (`looks_like`)."""

    looks_like: ClassVar[str]
    other_kind: list[str]
    files: int

    def other_kind_line(self) -> str | None:
        """What to run for those files, if there were any."""
        return other_command(self.other_kind, self.looks_like) if self.other_kind else None

    @property
    def all_other_kind(self) -> bool:
        """Every file given is of the other kind: the wrong command was run."""
        return bool(self.other_kind) and len(self.other_kind) == self.files


def other_command(uris: list[str], looks_like: str) -> str:
    """One line naming the files of the other kind and the command that loads them."""
    noun = "access logs" if looks_like == ACCESS_LOGS else "CloudTrail"
    instead = "CloudTrail" if looks_like == ACCESS_LOGS else "access logs"
    if len(uris) == 1:
        return f"{uris[0]} looks like {noun}, not {instead}: load it with {_COMMAND[looks_like]}"
    return (
        f"{len(uris):,} files look like {noun}, not {instead} ({uris[0]}, ...): load them with {_COMMAND[looks_like]}"
    )
