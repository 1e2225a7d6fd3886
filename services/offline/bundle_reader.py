"""Read a bundle's files from a directory or straight out of a ``.zip``, never extracting.

A regulator may receive the zip by e-mail and should not have to unpack it, so members
are streamed from the archive. Nothing is ever written, but a member whose name climbs
out of the bag (``../x``, ``/etc/x``) or a symbolic link is still refused and reported:
a bag built that way is not one ``kapaudit export`` wrote, and another tool that does
extract it would write outside the folder.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from pathlib import Path
from typing import IO, Final

from services.offline.findings import NO_EVENT, Code, Finding

__all__ = ["READ_ERRORS", "Bundle", "BundleError", "open_bundle"]

READ_ERRORS: Final = (OSError, zipfile.BadZipFile, zlib.error, EOFError)
"""What reading a member of a damaged bundle can raise: a cut-short zip, a bad CRC."""

_BAG_DECLARATION: Final = "bagit.txt"


class BundleError(ValueError):
    """The path is no bundle at all: not a directory, or a zip that cannot be opened."""


class Bundle:
    """The files of one bag, by their path inside it (``data/events.jsonl``)."""

    def __init__(self, *, name: str, problems: list[Finding]) -> None:
        self.name = name
        self.problems: tuple[Finding, ...] = tuple(problems)

    def files(self) -> frozenset[str]:
        raise NotImplementedError

    def size(self, name: str) -> int:
        raise NotImplementedError

    def open(self, name: str) -> IO[bytes]:
        raise NotImplementedError

    def read(self, name: str, *, limit: int) -> bytes:
        """A small file whole; ``BundleError`` if it is larger than ``limit`` bytes."""
        if self.size(name) > limit:
            raise BundleError(f"{name} is larger than {limit} bytes")
        with self.open(name) as stream:
            return stream.read()

    def close(self) -> None:
        """Release the archive, if any."""

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _DirectoryBundle(Bundle):
    def __init__(self, *, root: Path, name: str) -> None:
        problems: list[Finding] = []
        self._root = root
        self._sizes: dict[str, int] = {}
        for directory, subdirectories, filenames in os.walk(root, followlinks=False):
            base = Path(directory)
            for entry in [*subdirectories, *filenames]:
                path = base / entry
                relative = path.relative_to(root).as_posix()
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    problems.append(_refused(relative, "a symbolic link; a bag holds files only"))
                elif stat.S_ISREG(info.st_mode):
                    self._sizes[relative] = info.st_size
                elif not stat.S_ISDIR(info.st_mode):
                    problems.append(_refused(relative, "not a regular file"))
        super().__init__(name=name, problems=problems)

    def files(self) -> frozenset[str]:
        return frozenset(self._sizes)

    def size(self, name: str) -> int:
        return self._sizes[name]

    def open(self, name: str) -> IO[bytes]:
        if name not in self._sizes:
            raise FileNotFoundError(name)
        return (self._root / name).open("rb")


class _ZipBundle(Bundle):
    def __init__(self, *, archive: zipfile.ZipFile, name: str) -> None:
        problems: list[Finding] = []
        self._archive = archive
        self._members: dict[str, zipfile.ZipInfo] = {}
        members = [m for m in archive.infolist() if not m.is_dir()]
        prefix = _bag_folder(members)
        for member in members:
            relative = _inside(member.filename, prefix)
            if relative is None:
                problems.append(
                    _refused(member.filename, "outside the bag folder or escaping it (..)")
                )
            elif stat.S_ISLNK(member.external_attr >> 16):
                problems.append(_refused(member.filename, "a symbolic link, not a file"))
            elif relative in self._members:
                problems.append(_refused(member.filename, "a second zip member of the same name"))
            else:
                self._members[relative] = member
        super().__init__(name=name, problems=problems)

    def files(self) -> frozenset[str]:
        return frozenset(self._members)

    def size(self, name: str) -> int:
        return self._members[name].file_size

    def open(self, name: str) -> IO[bytes]:
        if name not in self._members:
            raise FileNotFoundError(name)
        return self._archive.open(self._members[name])

    def close(self) -> None:
        self._archive.close()


def _refused(name: str, why: str) -> Finding:
    return Finding(file=name, event_id=NO_EVENT, code=Code.MALFORMED, message=f"ignored: {why}")


def _bag_folder(members: list[zipfile.ZipInfo]) -> str:
    """The one top-level folder holding ``bagit.txt``; "" for a bag zipped without one."""
    for member in members:
        parts = member.filename.split("/")
        if len(parts) == 2 and parts[1] == _BAG_DECLARATION and _safe(parts[0]):
            return parts[0] + "/"
    return ""


def _inside(filename: str, prefix: str) -> str | None:
    if not filename.startswith(prefix):
        return None
    relative = filename[len(prefix) :]
    parts = relative.split("/")
    if "\\" in relative or not all(_safe(part) for part in parts):
        return None
    return relative


def _safe(part: str) -> bool:
    return part not in ("", ".", "..") and ":" not in part and not part.startswith("/")


def open_bundle(path: Path) -> Bundle:
    """The bag in ``path``: a directory, or a zip of the bag's folder."""
    name = str(path)
    if path.is_dir():
        return _DirectoryBundle(root=path, name=name)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file or directory")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise BundleError(f"not a readable zip (cut short?): {error}") from None
    try:
        return _ZipBundle(archive=archive, name=name)
    except BaseException:
        archive.close()
        raise
