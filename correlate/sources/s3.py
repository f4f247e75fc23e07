"""`s3://bucket/prefix` → InputObjects, listed lazily and pruned, read as resumable streams.

Listing walks the prefix one folder level at a time (ListObjectsV2 with Delimiter='/', one page at
a time, as the caller consumes objects), so folders that cannot hold wanted objects are never
listed. Below an `AWSLogs/` folder it knows the layout (parse/layout.py has the details):

    AWSLogs/[o-ORGID/]ACCOUNT/SERVICE/REGION/YYYY/MM/DD/name

and `S3Pruning` says which SERVICE and REGION folders to enter, which delivery days, and, inside a
day folder, which key-name prefixes to list (a load balancer's files, not the whole folder).
Accounts and organisation folders are discovered, not assumed. Above `AWSLogs/` (a custom prefix,
the bucket root) every folder is entered.

An object is read through `S3ObjectStream`: GetObject on the first read, the body streamed in the
sizes the reader asks for, and a connection that breaks mid-object resumed from where it broke
(Range, If-Match the listed ETag).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import time
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from botocore.exceptions import HTTPClientError, IncompleteReadError

from correlate.errors import NoInputFound, SourceAccessError, StreamBroken
from correlate.sources.aws import AWS_ERRORS, AwsClients, error_code, explain
from correlate.sources.listing import SCHEME, ListingStats, S3Pruning
from correlate.sources.streams import InputObject

ANCHOR = "AWSLogs"
LIST_PERMISSION = "s3:ListBucket"
READ_PERMISSION = "s3:GetObject, and kms:Decrypt for SSE-KMS objects"
READ_ATTEMPTS = 5
PAGE_SIZE = 1000  # keys per ListObjectsV2 page (S3's maximum)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, key prefix) of `s3://bucket/prefix`."""
    bucket, _, prefix = uri[len(SCHEME) :].partition("/")
    if not bucket:
        raise NoInputFound(f"{uri}: not an S3 location. Write it as s3://BUCKET/PREFIX.")
    return bucket, prefix


def list_s3(
    clients: AwsClients,
    uri: str,
    suffixes: Sequence[str],
    also_names: Sequence[str] = (),
    pruning: S3Pruning | None = None,
    stats: ListingStats | None = None,
) -> Iterator[InputObject]:
    """The objects under `uri` whose names end in `suffixes` (or equal one of `also_names`), lazily.

    A URI that names one object exactly yields that object whatever its name. Raises NoInputFound
    when the prefix holds nothing at all, or nothing with those names, and nothing was pruned."""
    bucket, prefix = parse_s3_uri(uri)
    walk = _Walk(clients, uri, bucket, tuple(suffixes), tuple(also_names), pruning or S3Pruning(), stats)
    yield from walk.objects(prefix)
    found = walk.stats
    if found.matched or found.folders_pruned or found.narrowed:
        return
    looked_for = ", ".join(f"*{suffix}" for suffix in suffixes)
    if found.other_services:
        held = ", ".join(sorted(found.other_services))
        wanted = ", ".join(walk.pruning.services)
        raise NoInputFound(
            f"{uri}: nothing to load under the prefix: its AWSLogs/ folders hold {held}, not {wanted}. "
            "Check the prefix."
        )
    if found.keys:
        raise NoInputFound(
            f"{uri}: no log objects under the prefix ({found.keys:,} other objects; looked for {looked_for}). "
            "Check the prefix."
        )
    raise NoInputFound(f"{uri}: no objects under the prefix. Check the bucket and prefix (aws s3 ls {uri}).")


class _Walk:
    def __init__(
        self,
        clients: AwsClients,
        uri: str,
        bucket: str,
        suffixes: tuple[str, ...],
        also_names: tuple[str, ...],
        pruning: S3Pruning,
        stats: ListingStats | None,
    ) -> None:
        self.clients = clients
        self.uri = uri
        self.bucket = bucket
        self.suffixes = suffixes
        self.also_names = also_names
        self.pruning = pruning
        self.stats = stats if stats is not None else ListingStats()

    def objects(self, prefix: str) -> Iterator[InputObject]:
        if not prefix or prefix.endswith("/"):
            yield from self._folder(prefix)
            return
        # An exact key, a folder named without its slash, or a partial key prefix (…/2026/11/2).
        pages = self._pages(prefix)
        first = next(pages, None)
        if first is None:
            return
        contents = first.get("Contents", [])
        if contents and contents[0]["Key"] == prefix:
            self.stats.keys += 1
            self.stats.matched += 1
            yield self._object(contents[0])
            return
        if any(common["Prefix"] == prefix + "/" for common in first.get("CommonPrefixes", [])):
            yield from self._folder(prefix + "/")
            return
        yield from self._level(itertools.chain([first], pages))

    def _folder(self, prefix: str) -> Iterator[InputObject]:
        narrowed = self._name_prefixes(prefix)
        if narrowed is None:
            yield from self._level(self._pages(prefix))
            return
        self.stats.narrowed += 1
        for name_prefix in narrowed:
            yield from self._level(self._pages(prefix + name_prefix))

    def _level(self, pages: Iterator[dict[str, Any]]) -> Iterator[InputObject]:
        for page in pages:
            for item in page.get("Contents", []):
                self.stats.keys += 1
                name = item["Key"].rsplit("/", 1)[-1]
                if name.endswith(self.suffixes) or name in self.also_names:
                    self.stats.matched += 1
                    yield self._object(item)
            for common in page.get("CommonPrefixes", []):
                folder = common["Prefix"]
                if self._enters(folder):
                    yield from self._folder(folder)

    def _pages(self, prefix: str) -> Iterator[dict[str, Any]]:
        self.stats.prefixes.append(prefix)
        try:
            paginator = self.clients.s3().get_paginator("list_objects_v2")
            pages = paginator.paginate(
                Bucket=self.bucket, Prefix=prefix, Delimiter="/", PaginationConfig={"PageSize": PAGE_SIZE}
            )
            for page in pages:
                self.stats.requests += 1
                yield page
        except AWS_ERRORS as error:
            if error_code(error) == "NoSuchBucket":
                raise SourceAccessError(
                    f"{self.uri}: no such bucket {self.bucket!r}. Check the name (aws s3 ls), and --profile."
                ) from None
            raise explain(
                error, self.uri, "listing the bucket", f"{LIST_PERMISSION} on arn:aws:s3:::{self.bucket}"
            ) from None

    def _layout(self, folder: str) -> list[str] | None:
        """The folder's path below AWSLogs/ (organisation folder left out), or None above it."""
        parts = folder.rstrip("/").split("/")
        if ANCHOR not in parts:
            return None
        rest = parts[parts.index(ANCHOR) + 1 :]
        if rest and rest[0].startswith("o-"):
            rest = rest[1:]
        return rest

    def _enters(self, folder: str) -> bool:
        rest = self._layout(folder)
        if rest is None:
            return True
        pruning = self.pruning
        depth = len(rest)
        if depth == 2 and pruning.services and rest[1] not in pruning.services:
            self.stats.other_services.add(rest[1])
            return False
        enters = True
        if depth == 3 and pruning.regions:
            enters = rest[2] in pruning.regions
        elif 4 <= depth <= 6 and pruning.days is not None and all(part.isdigit() for part in rest[3:]):
            enters = pruning.days.holds(*(int(part) for part in rest[3:]))
        if not enters:
            self.stats.folders_pruned += 1
        return enters

    def _name_prefixes(self, folder: str) -> Sequence[str] | None:
        if self.pruning.name_prefixes is None or not folder.endswith("/"):
            return None
        rest = self._layout(folder)
        if rest is None or len(rest) != 6 or not all(part.isdigit() for part in rest[3:]):
            return None
        return self.pruning.name_prefixes(rest[0], rest[1], rest[2])

    def _object(self, item: dict[str, Any]) -> InputObject:
        key = item["Key"]
        etag = item.get("ETag", "")
        return InputObject(
            uri=f"{SCHEME}{self.bucket}/{key}",
            name=key.rsplit("/", 1)[-1],
            size=int(item.get("Size", 0)),
            fingerprint=etag.strip('"'),
            opener=partial(S3ObjectStream, self.clients, self.bucket, key, etag),
        )


class S3ObjectStream(io.RawIOBase):
    """One object's bytes, streamed: GetObject on the first read, then the body in the sizes asked
    for, so memory does not grow with the object.

    botocore retries the request itself; a connection that breaks while the body streams is
    resumed with a Range request for the rest, If-Match the listed ETag so that an object replaced
    meanwhile is noticed rather than spliced."""

    def __init__(
        self,
        clients: AwsClients,
        bucket: str,
        key: str,
        etag: str,
        attempts: int = READ_ATTEMPTS,
        backoff: float = 0.5,
    ) -> None:
        self._clients = clients
        self._bucket = bucket
        self._key = key
        self._etag = etag
        self._attempts = attempts
        self._backoff = backoff
        self._body: Any = None
        self._position = 0
        self._ended = False
        self.uri = f"{SCHEME}{bucket}/{key}"

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._ended:
            return b""
        failure: Exception | None = None
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(self._backoff * 2 ** (attempt - 1))
            if self._body is None:
                self._open()
            try:
                data = self._body.read(size if size is not None and size >= 0 else None)
            except (HTTPClientError, IncompleteReadError) as error:
                failure = error
                self._drop_body()
                continue
            self._position += len(data)
            if not data and size != 0:
                self._ended = True
            return data
        raise SourceAccessError(
            f"{self.uri}: the download broke off {self._attempts} times (last: {failure}). Re-run the same "
            "command to continue: objects already loaded are skipped."
        )

    def _open(self) -> None:
        request = {"Bucket": self._bucket, "Key": self._key}
        if self._etag:
            request["IfMatch"] = self._etag
        if self._position:
            request["Range"] = f"bytes={self._position}-"
        try:
            response = self._clients.s3().get_object(**request)
        except AWS_ERRORS as error:
            code = error_code(error)
            if code in ("NoSuchKey", "404"):
                raise StreamBroken(f"{self.uri}: the object is gone (deleted after it was listed)") from None
            if code == "PreconditionFailed":
                when = "while it was read" if self._position else "after it was listed"
                raise StreamBroken(
                    f"{self.uri}: the object was replaced {when}; run the command again to load the new version"
                ) from None
            if code == "InvalidObjectState":
                raise StreamBroken(f"{self.uri}: the object is archived (Glacier); restore it to load it") from None
            if code == "InvalidRange" and self._position:
                self._ended = True
                self._body = io.BytesIO(b"")
                return
            raise explain(error, self.uri, "reading the object", READ_PERMISSION) from None
        self._body = response["Body"]

    def _drop_body(self) -> None:
        if self._body is not None:
            with contextlib.suppress(OSError, HTTPClientError):
                self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        super().close()
