"""Domain errors: the only exceptions the CLI turns into a one-line message, and the exit codes.

Each message says what is wrong, names the input, and says what to do. Each error class carries the
exit code the command ends with (`ExitCode`, listed in the README). Anything that is not a
`CorrelateError` is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
from enum import IntEnum


class ExitCode(IntEnum):
    """What `correlate` exits with; scripts can tell "try again later" from "fix the input"."""

    SUCCESS = 0
    USER_ERROR = 1  # something the user can fix: the message on stderr says what
    USAGE = 2  # a command line click cannot parse (click's own code)
    BUSY = 3  # another process holds the database (see --wait)
    REJECTED = 4  # --strict was given and some lines or records were rejected (the rest is loaded)
    INTERRUPTED = 130  # Ctrl-C: what was committed stays; a re-run resumes (128 + SIGINT, as shells do)


class CorrelateError(Exception):
    """An error the user can fix."""

    exit_code = ExitCode.USER_ERROR


class NoInputFound(CorrelateError):
    """A SOURCE matched nothing loadable."""


class SourceAccessError(CorrelateError):
    """A file, bucket or object could not be read."""


class NoCredentials(SourceAccessError):
    """No usable AWS credentials (none found, refused, expired, an unknown profile) or no region: no AWS
    API can be read, so a command reading several stops at the first."""


class AccessDenied(SourceAccessError):
    """AWS refused one API call for lack of permission; a command reading several APIs may go on
    with the others."""


class DatabaseBusy(CorrelateError):
    """Another process holds the database's lock; `holder` says which and what it does."""

    exit_code = ExitCode.BUSY

    def __init__(self, path: str, holder: str, waited: float = 0.0) -> None:
        self.path = path
        self.holder = holder
        then = f" (still, after waiting {waited:g} s)" if waited else ""
        wait = "" if waited else ", pass --wait SECONDS"
        super().__init__(
            f"The database {path} is busy{then}: {holder}. Wait for it to finish{wait}, or use another --db."
        )


class DatabaseMissing(CorrelateError):
    """A read-only command was pointed at a database that does not exist yet."""


class ViewError(CorrelateError):
    """A file under sql/ failed to load; names the file."""


class BadTimeExpression(CorrelateError):
    """--since/--until/--at could not be understood."""


class UnknownLoadBalancer(CorrelateError):
    """--lb names a load balancer the database has never seen."""


class WrongCommand(CorrelateError):
    """Every file given to one ingest command is of the kind another command loads."""


class EmptyWindow(CorrelateError):
    """--since/--until hold nothing of the load balancer: the message says what its data covers."""

    def __init__(
        self, lb: str, since: dt.datetime, until: dt.datetime, first: dt.datetime, last: dt.datetime, holds: str
    ) -> None:
        super().__init__(
            f"{lb} has no {holds} between {_utc(since)} and {_utc(until)}; its data covers {_utc(first)} to "
            f"{_utc(last)}. Pass --since/--until inside that span, or leave them out to use all of it."
        )


def _utc(value: dt.datetime) -> str:
    return f"{value:%Y-%m-%dT%H:%M:%SZ}"


class StrictModeFailure(CorrelateError):
    """--strict was given and some lines or records were rejected."""

    exit_code = ExitCode.REJECTED


class Interrupted(CorrelateError):
    """Ctrl-C: the message says what was committed before it."""

    exit_code = ExitCode.INTERRUPTED

    @classmethod
    def before_writing(cls) -> Interrupted:
        return cls("Interrupted; the database was not changed.")


class ParseError(CorrelateError):
    """One input line or record could not be understood."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class StreamBroken(CorrelateError):
    """A byte stream ended badly mid-way (truncated or corrupt gzip, a read error).

    The lines before the break are good; the break itself becomes one reject.
    """


class BadTimeline(CorrelateError):
    """A timeline (JSON) that does not have the contract's shape; names the file and the field."""


class LakeMissing(CorrelateError):
    """--lake names no lake, or a lake without the table a command reads."""
