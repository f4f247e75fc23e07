"""Bytes in: local files, directories and globs, and S3 prefixes (and, later in the flow, the
CloudTrail API)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from correlate.sources.listing import S3Pruning, is_s3
from correlate.sources.local import expand_local
from correlate.sources.streams import InputObject

if TYPE_CHECKING:
    from correlate.sources.aws import AwsClients

TEST_FILE_NAME = "ELBAccessLogTestFile"


def expand_sources(
    sources: Sequence[str],
    suffixes: Sequence[str],
    *,
    also_names: Sequence[str] = (TEST_FILE_NAME,),
    aws: AwsClients | None = None,
    pruning: S3Pruning | None = None,
) -> Iterator[InputObject]:
    """Every object the SOURCE arguments name, in argument order, each once.

    A SOURCE that names nothing is an error before anything is loaded: local paths are expanded
    here, and each s3:// prefix is listed up to its first object (a missing bucket, denied access or
    an empty prefix fail now). The rest of an S3 listing is fetched page by page as the caller
    consumes objects, skipping what `pruning` rules out."""
    parts: list[Iterable[InputObject]] = []
    for source in sources:
        if is_s3(source):
            from correlate.sources.aws import AwsClients
            from correlate.sources.s3 import list_s3

            listing = list_s3(aws or AwsClients(), source, suffixes, also_names, pruning)
            first = next(listing, None)
            parts.append(itertools.chain([first], listing) if first is not None else ())
        else:
            parts.append(expand_local(source, suffixes, also_names))
    objects = itertools.chain.from_iterable(parts)
    return _unique(objects) if len(sources) > 1 else objects


def _unique(objects: Iterable[InputObject]) -> Iterator[InputObject]:
    seen: set[str] = set()
    for obj in objects:
        if obj.uri not in seen:
            seen.add(obj.uri)
            yield obj


def reopen(uri: str, size: int, fingerprint: str, aws: AwsClients | None = None) -> InputObject:
    """The object a listing found, from its plain description (uri, size, fingerprint): how another
    process (a Spark executor) reads an object its driver listed."""
    if is_s3(uri):
        from correlate.sources.aws import AwsClients
        from correlate.sources.s3 import S3ObjectStream, parse_s3_uri

        bucket, key = parse_s3_uri(uri)
        clients = aws or AwsClients()
        etag = f'"{fingerprint}"' if fingerprint else ""
        opener = partial(S3ObjectStream, clients, bucket, key, etag)
    else:
        opener = partial(open, uri, "rb")
    return InputObject(uri=uri, name=uri.rsplit("/", 1)[-1], size=size, fingerprint=fingerprint, opener=opener)
