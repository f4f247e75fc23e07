"""Change events of other systems (deploys, config pushes, feature flags, ...) → typed events.

`correlate ingest changes` reads JSON lines, a JSON array of events (or one event object), or CSV
with a header row: one event per record, in the schema of docs/changes.md. Only `time` is required;
`kind` outside the six known ones is stored as `other` (the given kind kept in `details`), and every
field the schema does not name goes to `details` as given.

Every record is accounted for: an event, or a `RecordReject` with its line (JSON lines, CSV: the
record's first line; a JSON array: the item's position) and what to do about it. A record larger
than `MAX_RECORD_BYTES` is rejected without being held; a JSON document (array) is read whole up to
`DOCUMENT_LIMIT`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from correlate.errors import StreamBroken
from correlate.parse.cloudtrail import RAW_LIMIT, RecordReject, json_error, json_type

KINDS = ("deploy", "config", "feature-flag", "scaling", "infra", "other")
MAX_RECORD_BYTES = 1 << 20  # a change event is a few hundred bytes
DOCUMENT_LIMIT = 256 << 20
TEXT_FIELDS = ("summary", "actor", "source", "url")
LIST_FIELDS = {"lb": "lbs", "target_group": "target_groups", "targets": "targets", "service": "services"}
SCHEMA = ("id", "time", "end_time", "kind", *TEXT_FIELDS, *LIST_FIELDS, "listener_port")
_SEPARATORS = re.compile(r"[\s,;]+")
_EXAMPLE_TIME = "2026-11-20T14:05:00Z"


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One change event, as `change_events` stores it and the change model places it."""

    event_id: str
    event_time: dt.datetime
    kind: str  # one of KINDS
    summary: str | None = None
    actor: str | None = None
    source: str | None = None  # the system: github, argocd, spinnaker, launchdarkly, ...
    lbs: tuple[str, ...] = ()  # scope hints, as given
    target_groups: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    listener_port: int | None = None
    end_time: dt.datetime | None = None
    url: str | None = None
    details: dict[str, Any] | None = None  # the fields the schema does not name, as given
    source_file: str = ""
    source_line: int | None = None

    @property
    def scoped(self) -> bool:
        """Does the event say where it applies (any scope hint)?"""
        return bool(self.lbs or self.target_groups or self.targets or self.services or self.listener_port)


@dataclass
class FeedParsed:
    """What one input held."""

    events: list[FeedEvent] = field(default_factory=list)
    rejects: list[RecordReject] = field(default_factory=list)
    records: int = 0  # every record seen (an input that cannot be read counts as one)
    unknown_kinds: int = 0  # events whose kind is not one of KINDS: stored as other

    def add(self, outcome: FeedEvent | RecordReject) -> None:
        self.records += 1
        if isinstance(outcome, RecordReject):
            self.rejects.append(outcome)
            return
        self.events.append(outcome)
        if outcome.details and "kind" in outcome.details:
            self.unknown_kinds += 1


# -- one record -----------------------------------------------------------------------------------


class _Bad(ValueError):
    """A record that cannot be an event: the reason, worded for the rejects table."""


def event_of(record: Any, source_file: str, line: int | None, raw: str) -> FeedEvent | RecordReject:
    """The event a record describes, or why it cannot be one."""
    if not isinstance(record, dict):
        return RecordReject(line, f"{json_type(record)}, not an object: each change event is one JSON object", raw)
    try:
        return _event(record, source_file, line)
    except _Bad as bad:
        return RecordReject(line, str(bad), raw)


def _event(record: dict[str, Any], source_file: str, line: int | None) -> FeedEvent:
    fields: dict[str, Any] = {}
    for key, value in record.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # an empty CSV cell, a null: not given
        fields[str(key).strip().lower()] = value
    if "time" not in fields:
        raise _Bad(f"no time: every change event needs `time`, in ISO 8601 (for example {_EXAMPLE_TIME})")
    event_time = _time(fields.pop("time"), "time")
    end_time = _time(fields.pop("end_time"), "end_time") if "end_time" in fields else None
    if end_time is not None and end_time < event_time:
        raise _Bad(f"end_time {_iso(end_time)} is before time {_iso(event_time)}: swap them, or leave end_time out")
    given_kind = fields.pop("kind", None)
    kind = _kind(given_kind)
    texts = {name: _text(fields.pop(name), name) for name in TEXT_FIELDS if name in fields}
    hints = {attribute: _names(fields.pop(name), name) for name, attribute in LIST_FIELDS.items() if name in fields}
    port = _port(fields.pop("listener_port")) if "listener_port" in fields else None
    given_id = fields.pop("id", None)
    details = dict(fields)
    if kind == "other" and given_kind is not None and _text(given_kind, "kind").lower() != "other":
        details["kind"] = given_kind  # a kind correlate does not know: kept, and counted in the summary
    values = {
        "event_time": event_time,
        "kind": kind,
        **texts,
        **hints,
        "listener_port": port,
        "end_time": end_time,
        "details": details or None,
    }
    event_id = _text(given_id, "id") if given_id is not None else _hash(values)
    return FeedEvent(event_id=event_id, **values, source_file=source_file, source_line=line)


def _time(value: Any, name: str) -> dt.datetime:
    if not isinstance(value, str):
        raise _Bad(f"{name} {_shown(value)} is not an ISO 8601 time: write it as a string, for example {_EXAMPLE_TIME}")
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise _Bad(f"{name} {_shown(value)} is not an ISO 8601 time (for example {_EXAMPLE_TIME})") from None
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _kind(value: Any) -> str:
    if value is None:
        return "other"
    kind = _text(value, "kind").lower().replace("_", "-")
    return kind if kind in KINDS else "other"


def _text(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Bad(f"{name} is {json_type(value)}: it must be a string")
    return str(value).strip()


def _names(value: Any, name: str) -> tuple[str, ...]:
    """A scope hint: a list of names, or text with several separated by spaces, commas or semicolons."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        names += [part for part in _SEPARATORS.split(_text(item, name)) if part]
    return tuple(dict.fromkeys(names))


def _port(value: Any) -> int:
    text = value.strip() if isinstance(value, str) else value
    port = int(text) if isinstance(text, str) and text.isdigit() else text
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise _Bad(f"listener_port {_shown(value)} is not a port number (1-65535)")
    return port


def _hash(values: dict[str, Any]) -> str:
    """The id of an event that gives none: the same event, loaded again from any shape, gets the same."""
    text = orjson.dumps(values, option=orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC)
    return "feed-" + hashlib.sha256(text).hexdigest()[:20]


def _shown(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 60 else text[:59] + "…"


def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- inputs ---------------------------------------------------------------------------------------


def parse_feed(stream: BinaryIO, name: str, source_file: str) -> FeedParsed:
    """Every record of one input (decompressed bytes): CSV by its name (`.csv`, `.csv.gz`) or by a
    first character that cannot start JSON; a JSON array or a single object as one document; JSON
    lines otherwise. A stream that breaks off (a truncated .gz) is one reject after the records
    read before it."""
    parsed = FeedParsed()
    try:
        _parse(parsed, io.BufferedReader(_Peeked(stream), buffer_size=1 << 16), name, source_file)
    except StreamBroken as broken:
        parsed.add(RecordReject(None, str(broken), ""))
    return parsed


def _parse(parsed: FeedParsed, reader: io.BufferedReader, name: str, source_file: str) -> None:
    head = reader.peek(1 << 16).lstrip(b"\xef\xbb\xbf \t\r\n")
    if name.removesuffix(".gz").endswith(".csv") or (head[:1] not in (b"[", b"{") and not _json_name(name)):
        parse_csv(parsed, reader, source_file)
        return
    first_line = head.split(b"\n", 1)[0]
    if head.startswith(b"[") or (head.startswith(b"{") and not _whole(first_line)):
        data = reader.read(DOCUMENT_LIMIT + 1)
        if len(data) > DOCUMENT_LIMIT:
            reason = (
                f"one JSON document larger than {DOCUMENT_LIMIT >> 20} MiB; write it as JSON lines instead "
                "(for example: jq -c '.[]' FILE > FILE.jsonl) and load that"
            )
            parsed.add(RecordReject(None, reason, ""))
            return
        try:
            parse_document(parsed, data, source_file)
            return
        except orjson.JSONDecodeError as error:
            if head.startswith(b"["):
                reason = f"not valid JSON ({json_error(error)}); expected JSON lines, a JSON array of events, or CSV"
                parsed.add(RecordReject(None, reason, _raw_text(data)))
                return
            reader = io.BufferedReader(_Peeked(io.BytesIO(data)))  # a broken first line: read line by line
    parse_json_lines(parsed, reader, source_file)


def parse_document(parsed: FeedParsed, data: bytes, source_file: str) -> None:
    """A JSON array of events (a record's line is its position in the array) or one event object.
    Raises orjson.JSONDecodeError when the text is not JSON."""
    value = orjson.loads(data)
    for position, item in enumerate(value if isinstance(value, list) else [value], 1):
        text = orjson.dumps(item)
        if len(text) > MAX_RECORD_BYTES:
            parsed.add(RecordReject(position, _too_long(len(text)), _raw_text(text)))
        else:
            parsed.add(event_of(item, source_file, position, _raw_text(text)))


def parse_json_lines(parsed: FeedParsed, reader: io.BufferedReader, source_file: str) -> None:
    """One event per line; blank lines are skipped."""
    for number, line, size in _lines(reader):
        if size > MAX_RECORD_BYTES:
            parsed.add(RecordReject(number, _too_long(size), _raw_text(line)))
            continue
        line = line.rstrip(b"\r\n")
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            if "UTF-8" not in error.msg:
                parsed.add(RecordReject(number, f"not valid JSON: {json_error(error)}", _raw_text(line)))
                continue
            try:  # invalid UTF-8 inside a string: the bytes replaced
                value = orjson.loads(line.decode("utf-8", errors="replace"))
            except orjson.JSONDecodeError as second:
                parsed.add(RecordReject(number, f"not valid JSON: {json_error(second)}", _raw_text(line)))
                continue
        parsed.add(event_of(value, source_file, number, _raw_text(line)))


def parse_csv(parsed: FeedParsed, reader: io.BufferedReader, source_file: str) -> None:
    """A header row naming the fields, then one event per row (a row's line is its first line; a
    quoted field may span lines). A row with more or fewer fields than the header is rejected."""
    lines = _CountedLines(io.TextIOWrapper(reader, encoding="utf-8", errors="replace", newline=""))
    rows = csv.reader(lines, strict=True)
    header: list[str] | None = None
    header_line = 0
    while True:
        start = lines.count + 1
        lines.taken.clear()
        try:
            row = next(rows)
        except StopIteration:
            return
        except _LongLine as long:
            parsed.add(RecordReject(start, _too_long(long.size), long.head))
            continue
        except csv.Error as error:
            parsed.add(RecordReject(start, f"CSV row could not be read ({error}); check its quoting", lines.raw()))
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header, header_line = [name.strip().lower().lstrip("\ufeff") for name in row], start
            if "time" not in header:
                reason = (
                    f"the CSV header has no time column ({', '.join(header)}); "
                    "its first row must name the fields as docs/changes.md does"
                )
                parsed.add(RecordReject(start, reason, lines.raw()))
            continue
        if "time" not in header:
            reason = f"no CSV header with a time column above this row (line {header_line} is not one)"
            parsed.add(RecordReject(start, reason, lines.raw()))
            continue
        if len(row) != len(header):
            reason = f"the row has {len(row)} fields, the header {len(header)}: quote fields that hold commas"
            parsed.add(RecordReject(start, reason, lines.raw()))
            continue
        parsed.add(event_of(dict(zip(header, row, strict=True)), source_file, start, lines.raw()))


def _json_name(name: str) -> bool:
    return name.removesuffix(".gz").endswith((".json", ".jsonl", ".ndjson"))


def _whole(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _lines(reader: io.BufferedReader) -> Iterator[tuple[int, bytes, int]]:
    """(line number, the line or the head of an over-long one, its length in bytes)."""
    number = 0
    while line := reader.readline(MAX_RECORD_BYTES + 1):
        number += 1
        size = len(line)
        if size > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            while more := reader.readline(1 << 20):  # skip the rest of the line, holding none of it
                size += len(more)
                if more.endswith(b"\n"):
                    break
        yield number, line, size


def _too_long(size: int) -> str:
    return (
        f"record is {size:,} bytes, more than the {MAX_RECORD_BYTES >> 20} MiB a change event may take; "
        "raw keeps its start. Leave bulky fields (logs, diffs) out of the feed"
    )


def _raw_text(data: bytes) -> str:
    return data[: RAW_LIMIT * 4].decode("utf-8", errors="replace").rstrip("\r\n")


class _LongLine(Exception):
    """A CSV line longer than any record may be (already skipped)."""

    def __init__(self, size: int, head: str) -> None:
        super().__init__(size)
        self.size = size
        self.head = head


class _CountedLines:
    """The lines of a text stream, counted, with the lines of the current CSV record kept for `raw`."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self.text = text
        self.count = 0
        self.taken: list[str] = []

    def __iter__(self) -> _CountedLines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(MAX_RECORD_BYTES + 1)
        if not line:
            raise StopIteration
        self.count += 1
        if len(line) > MAX_RECORD_BYTES and not line.endswith("\n"):
            size = len(line.encode())
            while more := self.text.readline(1 << 20):  # skip the rest of the line, holding none of it
                size += len(more.encode())
                if more.endswith("\n"):
                    break
            raise _LongLine(size, line[: RAW_LIMIT * 4])
        if sum(map(len, self.taken)) < RAW_LIMIT * 4:
            self.taken.append(line)
        return line

    def raw(self) -> str:
        return "".join(self.taken)[: RAW_LIMIT * 4].rstrip("\r\n")


class _Peeked(io.RawIOBase):
    """A binary stream as a raw stream, so a BufferedReader can peek at its start and read lines."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
