"""Reading one CloudTrail object into records, whole or line by line.

Kept apart from the rest of the pipeline so worker processes can import it without DuckDB (the change
model it imports for the keep-list is pure Python): the ingest hands each object's raw bytes to
`parse_bytes` in a process pool, and gets back only the kept records and the rejects.
"""

from __future__ import annotations

import io
import signal
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import orjson

from correlate.errors import StreamBroken
from correlate.model.changes import kept_calls
from correlate.parse.cloudtrail import (
    RAW_LIMIT,
    Parsed,
    RecordReject,
    json_error,
    parse_document,
    parse_line,
)
from correlate.parse.sniff import HEAD_BYTES, access_log_by_content
from correlate.sources.streams import GZIP_MAGIC, InputObject, open_decompressed
from correlate.timeparse import Window

KEPT = kept_calls()  # the records kept: the calls the change model handles
DOCUMENT_LIMIT = 512 << 20  # a one-document file bigger than this is not read (trail files are a few MB)
_BLOCK = 1 << 20


def ignore_interrupts() -> None:
    """A worker process's initializer: Ctrl-C reaches every process of the terminal's group, and a
    worker killed by it in the middle of the pool's queue leaves the pool hanging. The parent alone
    handles it; its pool then stops the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def parse_bytes(uri: str, name: str, data: bytes, window: Window) -> Parsed:
    """`read_object` over bytes already read (the worker-process entry point)."""
    obj = InputObject(uri=uri, name=name, size=len(data), fingerprint="", opener=lambda: io.BytesIO(data))
    return read_object(obj, window)


WHOLE_LIMIT = 16 << 20  # objects up to this size (as stored) are read and decompressed in one go


def read_object(obj: InputObject, window: Window) -> Parsed:
    """Every record of one object, kept, skipped or rejected."""
    if 0 < obj.size <= WHOLE_LIMIT:
        return _read_whole(obj, window)
    parsed = Parsed()
    try:
        with open_decompressed(obj) as stream:
            first = _read_block(stream)
            if _is_json_lines(first):
                _read_lines(parsed, first, stream, obj.uri, window)
            else:
                data = _read_rest(first, stream, obj.uri)
                if data is not None:
                    _read_document(parsed, data, obj.uri, window)
                else:
                    parsed.records += 1
                    parsed.rejects.append(
                        RecordReject(
                            None,
                            f"{obj.uri}: one JSON document larger than {DOCUMENT_LIMIT >> 20} MiB; split it into "
                            "JSON lines (for example: jq -c '.Records[]' FILE > FILE.jsonl) and load that",
                            "",
                        )
                    )
    except StreamBroken as error:
        line = parsed.records + 1 if parsed.records else None
        parsed.records += 1
        parsed.rejects.append(RecordReject(line, str(error), ""))
    return parsed


def _read_whole(obj: InputObject, window: Window) -> Parsed:
    """A small object (every trail file): read and decompress at once, which costs a third of
    streaming it through GzipFile. Breaks are reported as the stream path reports them."""
    parsed = Parsed()
    data, broken = _gunzip(obj)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if _is_json_lines(data[:_BLOCK]):

        def blocks() -> Iterator[bytes]:
            yield data
            if broken is not None:
                raise broken

        _lines_of(parsed, blocks(), obj.uri, window)
    elif broken is not None:
        parsed.records += 1
        parsed.rejects.append(RecordReject(None, str(broken), ""))
    else:
        _read_document(parsed, data, obj.uri, window)
    return parsed


def _gunzip(obj: InputObject) -> tuple[bytes, StreamBroken | None]:
    """The object's bytes, gunzipped when they are gzip (every member); with the error where the
    data breaks off, after every byte before it."""
    try:
        with obj.opener() as raw:
            data = raw.read()
    except OSError as error:
        return b"", StreamBroken(f"{obj.uri}: read failed ({error})")
    except StreamBroken as error:  # an S3 object gone, replaced or archived since it was listed
        return b"", error
    if data[:2] != GZIP_MAGIC:
        if obj.name.endswith(".gz") and data:
            return b"", StreamBroken(f"{obj.uri}: named .gz but is not gzip data")
        return data, None
    parts: list[bytes] = []
    while data:
        engine = zlib.decompressobj(wbits=31)
        try:
            parts.append(engine.decompress(data))
        except zlib.error as error:
            return b"".join(parts), StreamBroken(f"{obj.uri}: gzip data is corrupt ({error})")
        if not engine.eof:
            parts.append(engine.flush())
            return b"".join(parts), StreamBroken(f"{obj.uri}: gzip data ends early (truncated file?)")
        data = engine.unused_data.lstrip(b"\x00")  # members may be followed by padding
    return b"".join(parts), None


def _read_block(stream: BinaryIO) -> bytes:
    block = stream.read(_BLOCK)
    if block.startswith(b"\xef\xbb\xbf"):
        block = block[3:]
    return block


def _is_json_lines(first: bytes) -> bool:
    """True when the first line is a whole JSON value and more text follows it."""
    text = first.lstrip()
    end = text.find(b"\n")
    if end < 0 or not text[end:].strip():
        return False
    head = text[:end].strip()
    if not head.startswith((b"{", b"[")):
        return False
    try:
        orjson.loads(head)
    except orjson.JSONDecodeError:
        return False
    return True


def _read_rest(first: bytes, stream: BinaryIO, uri: str) -> bytes | None:
    parts = [first]
    size = len(first)
    while True:
        block = stream.read(_BLOCK * 8)
        if not block:
            return b"".join(parts)
        size += len(block)
        if size > DOCUMENT_LIMIT:
            return None
        parts.append(block)


def _read_document(parsed: Parsed, data: bytes, uri: str, window: Window) -> None:
    try:
        parsed.extend(parse_document(data, uri, KEPT, window))
        return
    except orjson.JSONDecodeError as error:
        if "UTF-8" in error.msg:
            try:
                parsed.extend(parse_document(data.decode("utf-8", errors="replace"), uri, KEPT, window))
                return
            except orjson.JSONDecodeError as second:
                error = second
        if _mostly_lines(data):
            _lines_of(parsed, iter([data]), uri, window)
            return
        if access_log_by_content(data[:HEAD_BYTES]):
            parsed.access_log = True
            return
        parsed.records += 1
        parsed.rejects.append(
            RecordReject(
                None,
                f"{uri}: not valid JSON ({json_error(error)}); expected a CloudTrail file "
                '({"Records": [...]}), JSON lines, an array of records, an EventBridge event or lookup-events output',
                data[:RAW_LIMIT].decode("utf-8", errors="replace"),
            )
        )


def _mostly_lines(data: bytes) -> bool:
    """A file whose first line is broken but whose other lines are whole JSON values: JSON lines."""
    lines = [line.strip() for line in data.split(b"\n", 6)[1:6]]
    good = 0
    for line in lines:
        if not line:
            continue
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        good += 1
    return good > 0


def _read_lines(parsed: Parsed, first: bytes, stream: BinaryIO, uri: str, window: Window) -> None:
    def blocks() -> Iterator[bytes]:
        yield first
        while block := stream.read(_BLOCK * 4):
            yield block

    _lines_of(parsed, blocks(), uri, window)


def _lines_of(parsed: Parsed, blocks: Iterator[bytes], uri: str, window: Window) -> None:
    line_number = 0
    pending = b""
    try:
        for block in blocks:
            data = pending + block
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
                continue
            pending = data[cut + 1 :]
            for line in data[:cut].split(b"\n"):
                line_number += 1
                if line.strip():
                    parse_line(parsed, line, line_number, uri, KEPT, window)
    except StreamBroken as error:
        parsed.records += 1
        parsed.rejects.append(RecordReject(line_number + 1, str(error), pending.decode("utf-8", errors="replace")))
        return
    if pending.strip():
        parse_line(parsed, pending, line_number + 1, uri, KEPT, window)
