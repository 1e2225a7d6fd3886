"""Standard base64 (RFC 4648 §4) as the C2SP specs use it, decoded strictly.

Only the canonical spelling is accepted: a decoder that ignored the unused low
bits of the last character would accept several spellings of one signature or
root hash, and a changed byte of a signed note could then go unnoticed.
"""

from __future__ import annotations

import base64
import binascii

__all__ = ["decode", "encode"]


def encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def decode(text: str) -> bytes:
    """The bytes of ``text``; ``ValueError`` unless it is canonical, padded base64."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not standard base64") from exc
    if encode(raw) != text:
        raise ValueError("not canonical base64")
    return raw
