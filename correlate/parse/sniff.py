"""Which ingest command a file is for, from its name or its first bytes.

`ingest logs` cannot use a CloudTrail file and `ingest cloudtrail` cannot use an access log. A file
given to the other command is recognised here: it is not recorded as loaded (a later run of the
right command must not find it "already loaded"), and one line says what to run instead.
"""

from __future__ import annotations

from correlate.parse.kinds import TEST_FILE_NAME, facts_from_name, kind_from_line
from correlate.parse.layout import trail_delivered_at

CLOUDTRAIL = "CloudTrail"
ACCESS_LOGS = "access logs"
_COMMAND = {CLOUDTRAIL: "correlate ingest cloudtrail", ACCESS_LOGS: "correlate ingest logs"}
_BOM = b"\xef\xbb\xbf"


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


def looks_like_access_log(name: str, head: bytes) -> bool:
    """An ELB log object by its name, or by the shape of its first line that is not blank."""
    if access_log_by_name(name):
        return True
    for line in head.split(b"\n")[:20]:
        if line.strip():
            return kind_from_line(line.decode("utf-8", errors="replace").rstrip("\r")) is not None
    return False


def other_command(uris: list[str], looks_like: str) -> str:
    """One line naming the files of the other kind and the command that loads them."""
    noun = "access logs" if looks_like == ACCESS_LOGS else "CloudTrail"
    instead = "CloudTrail" if looks_like == ACCESS_LOGS else "access logs"
    if len(uris) == 1:
        return f"{uris[0]} looks like {noun}, not {instead}: load it with {_COMMAND[looks_like]}"
    return (
        f"{len(uris):,} files look like {noun}, not {instead} ({uris[0]}, ...): load them with {_COMMAND[looks_like]}"
    )
