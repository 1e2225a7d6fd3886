"""Just enough PNG decoding (stdlib only) to tell a real screenshot from a blank one."""

from __future__ import annotations

import struct
import zlib

__all__ = ["distinct_colours", "png_size"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG")
    chunks, at = [], len(_SIGNATURE)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        chunks.append((kind, data[at + 8 : at + 8 + length]))
        at += 12 + length
    return chunks


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk."""
    kind, header = _chunks(data)[0]
    assert kind == b"IHDR"
    width, height = struct.unpack(">II", header[:8])
    return width, height


def distinct_colours(data: bytes, *, enough: int) -> int:
    """Distinct pixel values, counted row by row until ``enough`` are seen.

    Stopping early keeps a tall screenshot cheap to check in pure Python; a blank page is
    read to the end and reports its one or two colours.
    """
    chunks = _chunks(data)
    header = chunks[0][1]
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}")
    pixel = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * pixel
    previous = bytearray(stride)
    seen: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(
            raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, pixel
        )
        seen.update(bytes(line[i : i + pixel]) for i in range(0, stride, pixel))
        if len(seen) >= enough:
            break
        previous = line
    return len(seen)


def _unfilter(kind: int, line: bytearray, previous: bytearray, pixel: int) -> bytearray:
    if kind == 0:
        return line
    for i in range(len(line)):
        left = line[i - pixel] if i >= pixel else 0
        up = previous[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        else:
            corner = previous[i - pixel] if i >= pixel else 0
            line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
    return line


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    to_left, to_up, to_corner = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
    if to_left <= to_up and to_left <= to_corner:
        return left
    return up if to_up <= to_corner else corner
