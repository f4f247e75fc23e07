"""Domain errors: the only exceptions the CLI turns into a one-line message and exit code 1.

Each message says what is wrong, names the input, and says what to do. Anything that is not a
`CorrelateError` is a bug and keeps its traceback.
"""

from __future__ import annotations


class CorrelateError(Exception):
    """An error the user can fix."""


class NoInputFound(CorrelateError):
    """A SOURCE matched nothing loadable."""


class SourceAccessError(CorrelateError):
    """A file, bucket or object could not be read."""


class AccessDenied(SourceAccessError):
    """AWS refused one API call for lack of permission; a command reading several APIs may go on
    with the others."""


class DatabaseBusy(CorrelateError):
    """Another process holds the database's write lock."""


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


class StrictModeFailure(CorrelateError):
    """--strict was given and some lines or records were rejected."""


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


class LakeMissing(CorrelateError):
    """--lake names no lake, or a lake without the table a command reads."""
