"""The BagIt parts of a bundle (RFC 8493): the declaration and the checksum manifests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

__all__ = [
    "BAG_INFO",
    "DECLARATION",
    "PAYLOAD_MANIFEST",
    "TAG_MANIFEST",
    "Manifest",
    "check_declaration",
    "parse_manifest",
]

DECLARATION: Final = "bagit.txt"
BAG_INFO: Final = "bag-info.txt"
PAYLOAD_MANIFEST: Final = "manifest-sha256.txt"
TAG_MANIFEST: Final = "tagmanifest-sha256.txt"

_SHA256: Final = re.compile(r"[0-9a-fA-F]{64}")
_VERSION: Final = re.compile(r"BagIt-Version: (1\.0|0\.9[0-9])")


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """A checksum manifest: path to lowercase SHA-256 hex, and the lines it could not read."""

    digests: dict[str, str]
    problems: tuple[str, ...]


def check_declaration(text: bytes) -> Iterator[str]:
    """What is wrong with ``bagit.txt`` (RFC 8493 §2.1.1), if anything."""
    lines = text.decode("utf-8", errors="replace").splitlines()
    if not lines or not _VERSION.fullmatch(lines[0]):
        yield "the first line is not 'BagIt-Version: 1.0'"
    if len(lines) < 2 or lines[1] != "Tag-File-Character-Encoding: UTF-8":
        yield "the second line is not 'Tag-File-Character-Encoding: UTF-8'"


def parse_manifest(text: bytes) -> Manifest:
    """``<sha256> <path>`` lines; paths percent-encode CR, LF and % (RFC 8493 §2.1.3)."""
    digests: dict[str, str] = {}
    problems: list[str] = []
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        return Manifest(digests={}, problems=("not UTF-8",))
    for number, line in enumerate(decoded.splitlines(), 1):
        digest, _, path = line.partition(" ")
        path = _unescape(path.lstrip(" \t"))
        if not _SHA256.fullmatch(digest) or not path:
            problems.append(f"line {number} is not '<sha256> <path>'")
        elif path in digests:
            problems.append(f"line {number} lists {path} a second time")
        else:
            digests[path] = digest.lower()
    return Manifest(digests=digests, problems=tuple(problems))


def _unescape(path: str) -> str:
    return path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
