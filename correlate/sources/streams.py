"""Raw object bytes → decompressed bytes, with breakage reported as `StreamBroken`.

Compression is recognised by content (the gzip magic number), not by name: a `.log.gz` that is not
gzip, or a `.log` that is, are both read for what they are. A gzip stream that is cut short or
corrupt raises `StreamBroken` at the point of the break, after every byte before it was delivered.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from correlate.errors import StreamBroken

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class InputObject:
    """One file or S3 object to load: where it is, how to recognise a re-run, how to read it."""

    uri: str  # absolute path, or s3://bucket/key
    name: str  # the last path segment, which carries the AWS naming facts
    size: int
    fingerprint: str  # size+mtime for a file, the ETag for an S3 object
    opener: Callable[[], BinaryIO]  # raw (possibly compressed) bytes


class _Decompressed(io.RawIOBase):
    """Reads a gzip member stream; turns zlib/gzip/EOF errors into StreamBroken."""

    def __init__(self, raw: _Plain, uri: str) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._raw = raw
        self._uri = uri
        self._pending: StreamBroken | None = None

    @property
    def bytes_in(self) -> int:
        """Compressed bytes consumed so far, for progress."""
        return self._raw.bytes_in

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes. A break is reported on the call after the last good bytes, so no
        decompressed byte before it is lost (read1 decompresses one step at a time)."""
        if self._pending is not None:
            raise self._pending
        parts: list[bytes] = []
        wanted = size if size is not None and size >= 0 else 1 << 62
        while wanted > 0:
            try:
                part = self._gzip.read1(min(wanted, 1 << 20))
            except EOFError:
                self._pending = StreamBroken(f"{self._uri}: gzip data ends early (truncated file?)")
            except (gzip.BadGzipFile, zlib.error) as error:
                self._pending = StreamBroken(f"{self._uri}: gzip data is corrupt ({error})")
            else:
                if part:
                    parts.append(part)
                    wanted -= len(part)
                    continue
            break
        if not parts and self._pending is not None:
            raise self._pending
        return b"".join(parts)

    def close(self) -> None:
        self._gzip.close()
        self._raw.close()
        super().close()


class _Plain(io.RawIOBase):
    def __init__(self, raw: BinaryIO, head: bytes, uri: str) -> None:
        self._raw = raw
        self._head = head
        self._uri = uri
        self.bytes_in = len(head)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            if size is None or size < 0:
                return head + self._read_raw(-1)
            return head + self._read_raw(max(size - len(head), 0)) if size > len(head) else head
        return self._read_raw(size)

    def _read_raw(self, size: int) -> bytes:
        try:
            data = self._raw.read(size)
        except OSError as error:
            raise StreamBroken(f"{self._uri}: read failed ({error})") from None
        self.bytes_in += len(data)
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_decompressed(obj: InputObject) -> BinaryIO:
    """Open `obj` and return a stream of its decompressed bytes."""
    raw = obj.opener()
    try:
        head = raw.read(2)
    except StreamBroken as error:  # an object that cannot be read at all (gone, archived) is one reject
        raw.close()
        return _Failing(error)  # type: ignore[return-value]
    if head == GZIP_MAGIC:
        rest = _Plain(raw, head, obj.uri)
        return _Decompressed(rest, obj.uri)  # type: ignore[return-value]
    if obj.name.endswith(".gz") and head:
        raw.close()
        return _Failing(StreamBroken(f"{obj.uri}: named .gz but is not gzip data"))  # type: ignore[return-value]
    return _Plain(raw, head, obj.uri)  # type: ignore[return-value]


class _Failing(io.RawIOBase):
    """A stream whose first read reports why it cannot be read, so framing records one reject."""

    bytes_in = 0

    def __init__(self, error: StreamBroken) -> None:
        self._error = error

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise self._error
