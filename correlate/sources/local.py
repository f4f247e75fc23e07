"""SOURCE arguments on local disk → InputObjects: files, directories (recursive) and globs; and
standard input, for commands that take `-`."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import BinaryIO

from correlate.errors import NoInputFound
from correlate.sources.streams import InputObject

_GLOB_CHARS = frozenset("*?[")


def expand_local(source: str, suffixes: Sequence[str], also_names: Sequence[str] = ()) -> list[InputObject]:
    """The files SOURCE names, sorted. Inside directories, only names ending in `suffixes` (or equal
    to one of `also_names`) are taken; a file named explicitly is taken whatever its name."""
    looked_for = ", ".join(f"*{suffix}" for suffix in suffixes)
    if _GLOB_CHARS & set(source):
        matches = sorted(glob.glob(source, recursive=True))
        if not matches:
            raise NoInputFound(
                f"{source}: the pattern matches no files. Check the path, or quote the pattern so the shell "
                "does not expand it."
            )
        found = [obj for match in matches for obj in _expand_path(Path(match), suffixes, also_names, True)]
        if not found:
            raise NoInputFound(f"{source}: the pattern matches no log files (looked for {looked_for}).")
        return found
    path = Path(source)
    if not path.exists():
        raise NoInputFound(f"{source}: no such file or directory. Pass a file, a directory, a glob or an s3:// prefix.")
    found = list(_expand_path(path, suffixes, also_names, explicit=True))
    if not found:
        raise NoInputFound(
            f"No log files under {source} (looked for {looked_for}). Pass a directory, a glob or an s3:// prefix."
        )
    return found


def _expand_path(
    path: Path, suffixes: Sequence[str], also_names: Sequence[str], explicit: bool
) -> Iterator[InputObject]:
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(tuple(suffixes)) or name in also_names:
                    yield file_object(Path(root) / name)
    elif path.is_file() and (explicit or path.name.endswith(tuple(suffixes))):
        yield file_object(path)


def file_object(path: Path) -> InputObject:
    absolute = path.absolute()
    stat = absolute.stat()
    return InputObject(
        uri=str(absolute),
        name=absolute.name,
        size=stat.st_size,
        fingerprint=f"{stat.st_size}:{stat.st_mtime_ns}",
        opener=partial(open, absolute, "rb"),
    )


STDIN = "stdin"  # the source_file of what was read from standard input


def stdin_object(stream: BinaryIO) -> InputObject:
    """Standard input as an input object: nothing to fingerprint, so no ledger row can skip it."""
    return InputObject(uri=STDIN, name="-", size=0, fingerprint="", opener=lambda: stream)
