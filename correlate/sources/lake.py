"""Where a lake lives: a local folder or an `s3://bucket/prefix`; its files in and out.

Both engines write a table's partitions as files staged on local disk first (DuckDB's `httpfs`
cannot be installed here, and local staging makes a partition's replacement one step):
`replace_folder` then makes the staged files the partition's whole content. On local disk that is
two renames; on S3 the new objects are uploaded first and the old ones deleted after, so a reader
may briefly see both, never neither.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from correlate.errors import LakeMissing, SourceAccessError
from correlate.sources.aws import AWS_ERRORS, AwsClients, explain
from correlate.sources.listing import is_s3

WRITE_PERMISSION = "s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject"


class LakeFiles:
    """The files of one lake. Paths given to and returned by methods are relative to the root and
    use `/`."""

    root: str

    def files(self, folder: str) -> list[str]:
        """The Parquet files under `folder` (recursively), sorted; none when it does not exist."""
        raise NotImplementedError

    def require(self, table: str, remedy: str) -> None:
        """Fail with one line when the lake holds no files of `table`; `remedy` says what to run."""
        if not self.files(table):
            raise LakeMissing(f"{self.root} holds no {table}: {remedy}")

    def local(self, files: list[str], scratch: Path) -> list[Path]:
        """The files as local paths a DuckDB query can read (downloaded into `scratch` if remote)."""
        raise NotImplementedError

    def replace_folder(self, folder: str, staged: Path) -> None:
        """Make the files of the local folder `staged` (moved, not copied) the whole content of
        `folder`."""
        raise NotImplementedError

    def write_text(self, path: str, text: str) -> None:
        raise NotImplementedError

    def staging(self) -> Path:
        """A new local folder to stage files in, on the same disk as the lake where it is local."""
        raise NotImplementedError


@dataclass
class LocalLake(LakeFiles):
    root: str

    def __post_init__(self) -> None:
        self.root = str(Path(self.root).absolute())

    def files(self, folder: str) -> list[str]:
        base = Path(self.root) / folder
        if not base.is_dir():
            return []
        found = (path.relative_to(self.root) for path in base.rglob("*.parquet"))
        return sorted(path.as_posix() for path in found if _visible(path))

    def local(self, files: list[str], scratch: Path) -> list[Path]:
        return [Path(self.root) / name for name in files]

    def replace_folder(self, folder: str, staged: Path) -> None:
        target = Path(self.root) / folder
        target.parent.mkdir(parents=True, exist_ok=True)
        retired = None
        if target.exists():
            retired = target.with_name(f".retired-{uuid.uuid4().hex}-{target.name}")
            target.rename(retired)
        staged.rename(target)
        if retired is not None:
            shutil.rmtree(retired)

    def write_text(self, path: str, text: str) -> None:
        target = Path(self.root) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def staging(self) -> Path:
        folder = Path(self.root) / "_staging" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        return folder


@dataclass
class S3Lake(LakeFiles):
    root: str
    clients: AwsClients
    bucket: str = field(init=False)
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        from correlate.sources.s3 import parse_s3_uri

        self.root = self.root.rstrip("/")
        self.bucket, prefix = parse_s3_uri(self.root)
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    def files(self, folder: str) -> list[str]:
        return sorted(key for key in self._keys(folder) if key.endswith(".parquet") and _visible(Path(key)))

    def local(self, files: list[str], scratch: Path) -> list[Path]:
        paths = []
        for name in files:
            path = scratch / name
            path.parent.mkdir(parents=True, exist_ok=True)
            self._call("reading", name, "download_file", self.bucket, self.prefix + name, str(path))
            paths.append(path)
        return paths

    def replace_folder(self, folder: str, staged: Path) -> None:
        old = set(self._keys(folder))
        new = set()
        for path in sorted(staged.rglob("*")):
            if path.is_file():
                name = f"{folder.strip('/')}/{path.relative_to(staged).as_posix()}"
                self._call("writing", name, "upload_file", str(path), self.bucket, self.prefix + name)
                new.add(name)
        stale = sorted(old - new)
        for start in range(0, len(stale), 1000):
            batch = [{"Key": self.prefix + name} for name in stale[start : start + 1000]]
            self._call("deleting", folder, "delete_objects", Bucket=self.bucket, Delete={"Objects": batch})
        shutil.rmtree(staged)

    def write_text(self, path: str, text: str) -> None:
        self._call("writing", path, "put_object", Bucket=self.bucket, Key=self.prefix + path, Body=text.encode())

    def staging(self) -> Path:
        import tempfile

        return Path(tempfile.mkdtemp(prefix="correlate-lake-"))

    def _keys(self, folder: str) -> Iterator[str]:
        prefix = f"{self.prefix}{folder.strip('/')}/"
        pages = self._call("listing", folder, "get_paginator", "list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :]
        except AWS_ERRORS as error:
            raise self._explain(error, "listing", folder) from None

    def _call(self, action: str, name: str, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.clients.s3(), method)(*args, **kwargs)
        except AWS_ERRORS as error:
            raise self._explain(error, action, name) from None

    def _explain(self, error: Exception, action: str, name: str) -> SourceAccessError:
        return explain(error, f"s3://{self.bucket}/{self.prefix}{name}", f"{action} the lake", WRITE_PERMISSION)


def _visible(path: Path) -> bool:
    """Files and folders starting with `_` or `.` are not data (Spark's `_SUCCESS`, staging)."""
    return not any(part.startswith(("_", ".")) for part in path.parts)


def open_lake(root: str | None, clients: AwsClients | None = None) -> LakeFiles:
    """The lake at `root` (a local folder, created when written, or s3://bucket/prefix)."""
    if root is None or not root.strip():
        raise SourceAccessError(
            f"--lake is {'missing' if root is None else 'empty'}: pass the lake, a local folder or s3://bucket/prefix."
        )
    if is_s3(root):
        return S3Lake(root, clients or AwsClients())
    return LocalLake(os.path.expanduser(root))
