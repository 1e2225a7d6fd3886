"""Edits a tamperer could make to a bundle's entry files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.offline.bundle_format import encode_line

__all__ = ["entries_of", "line_of", "read_lines", "write_lines"]


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines), encoding="utf-8")


def entries_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in read_lines(path)]


def line_of(entry: dict[str, Any]) -> str:
    return encode_line(entry)
