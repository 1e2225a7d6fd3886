"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys.

A note is UTF-8 text ending in a newline, a blank line, then one line per
signature: ``— <key name> <base64(4-byte key id || signature)>``. Keys are
written as Go's ``golang.org/x/mod/sumdb/note`` writes them, so the Go
tooling and ours verify each other's notes:

* verifier key: ``<name>+<8 hex key id>+<base64(0x01 || public key)>``
* signer key: ``PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || seed)>``

The signing key never appears in a ``repr``: it would end up in logs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from services.chain import canonical_base64 as b64

__all__ = [
    "MAX_SIGNATURES",
    "InvalidSignatureError",
    "KeyPair",
    "MalformedKeyError",
    "MalformedNoteError",
    "NoteError",
    "OpenedNote",
    "Signature",
    "Signer",
    "UnverifiedNoteError",
    "Verifier",
    "generate_key",
    "key_id",
    "open_note",
    "sign_note",
]

MAX_SIGNATURES = 100
"""More signature lines than this make a note malformed (the spec asks for at least 16)."""

_ED25519 = b"\x01"
_KEY_SIZE = 32
_SIG_PREFIX = "\u2014 "  # em dash, space
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")


class NoteError(ValueError):
    """A note, or a key for notes, cannot be trusted; the message says why."""


class MalformedNoteError(NoteError):
    """The bytes are not a signed note as c2sp.org/signed-note defines it."""


class MalformedKeyError(NoteError):
    """A signer or verifier key string is not well formed, or its key id is wrong."""


class InvalidSignatureError(NoteError):
    """A trusted key's signature does not verify: the note was altered or forged."""


class UnverifiedNoteError(NoteError):
    """No trusted key has signed the note."""


def key_id(name: str, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` as a big-endian integer."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + _ED25519 + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _valid_name(name: str) -> bool:
    # Non-empty, no Unicode space, no plus; control characters are already
    # banned from the whole note, but a key string is checked on its own.
    return (
        bool(name)
        and "+" not in name
        and not any(c.isspace() or c < " " for c in name)
        and _is_utf8(name)
    )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class Verifier:
    """A trusted Ed25519 public key and the name it signs under."""

    name: str
    key_id: int
    public_key: bytes

    def __post_init__(self) -> None:
        if not _valid_name(self.name):
            raise MalformedKeyError(f"invalid key name {self.name!r}")
        if len(self.public_key) != _KEY_SIZE:
            raise MalformedKeyError(f"an Ed25519 public key is {_KEY_SIZE} bytes")
        if self.key_id != key_id(self.name, self.public_key):
            raise MalformedKeyError(f"key id {self.key_id:08x} does not match key {self.name}")

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Read ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
        name, _, rest = vkey.partition("+")
        hex_id, _, key64 = rest.partition("+")
        try:
            if not _HEX_ID.fullmatch(hex_id):
                raise ValueError("the key id is not 8 hex digits")
            raw = b64.decode(key64)
        except ValueError as exc:
            raise MalformedKeyError(f"malformed verifier key: {exc}") from None
        if raw[:1] != _ED25519:
            raise MalformedKeyError("malformed verifier key: not an Ed25519 key (type 0x01)")
        return cls(name=name, key_id=int(hex_id, 16), public_key=raw[1:])

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{b64.encode(_ED25519 + self.public_key)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class Signer:
    """An Ed25519 private key and the name it signs under."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)
    verifier: Verifier = field(init=False)

    def __post_init__(self) -> None:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        verifier = Verifier(name=self.name, key_id=key_id(self.name, public), public_key=public)
        object.__setattr__(self, "verifier", verifier)

    @classmethod
    def parse(cls, skey: str) -> Signer:
        """Read ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise MalformedKeyError("malformed signer key: it must start with PRIVATE+KEY+")
        name, hex_id, key64 = parts[2:]
        try:
            if not _HEX_ID.fullmatch(hex_id):
                raise ValueError("the key id is not 8 hex digits")
            raw = b64.decode(key64)
        except ValueError as exc:
            raise MalformedKeyError(f"malformed signer key: {exc}") from None
        if raw[:1] != _ED25519 or len(raw) != 1 + _KEY_SIZE:
            raise MalformedKeyError("malformed signer key: not a 32-byte Ed25519 seed")
        if not _valid_name(name):
            raise MalformedKeyError(f"invalid key name {name!r}")
        signer = cls(name=name, private_key=Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id != int(hex_id, 16):
            raise MalformedKeyError(f"key id {hex_id} does not match signer key {name}")
        return signer

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    def secret(self) -> str:
        """The signer key string; not ``__str__``, so that it is never printed by accident."""
        seed = self.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{b64.encode(_ED25519 + seed)}"

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyPair:
    """A new key: the secret signer string and the verifier string to publish."""

    signer: str = field(repr=False)
    verifier: str


def generate_key(name: str) -> KeyPair:
    """A fresh Ed25519 key named ``name`` (a schema-less URL such as ``example.com/log``)."""
    signer = Signer(name=name, private_key=Ed25519PrivateKey.generate())
    return KeyPair(signer=signer.secret(), verifier=str(signer.verifier))


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        raw = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_SIG_PREFIX}{self.name} {b64.encode(raw)}\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedNote:
    """A note whose text a trusted key has signed."""

    text: str
    verified_by: tuple[Verifier, ...]
    """The trusted keys whose signatures verified, in the note's order."""
    unverified: tuple[Signature, ...] = ()
    """Signatures by keys not trusted, ignored as the spec requires (e.g. cosigners)."""


def _check_text(text: str, *, what: str) -> bytes:
    if not _is_utf8(text):
        raise MalformedNoteError(f"the {what} is not valid UTF-8")
    bad = next((c for c in text if c < " " and c != "\n"), None)
    if bad is not None:
        raise MalformedNoteError(f"the {what} contains control character U+{ord(bad):04X}")
    return text.encode("utf-8")


def sign_note(text: str, *signers: Signer) -> str:
    """``text`` followed by a blank line and one signature line per signer."""
    if not signers:
        raise ValueError("a note needs at least one signer")
    if not text.endswith("\n"):
        raise MalformedNoteError("the note text must end with a newline")
    message = _check_text(text, what="note text")
    lines = [
        Signature(name=s.name, key_id=s.key_id, signature=s.sign(message)).line() for s in signers
    ]
    return text + "\n" + "".join(lines)


def open_note(note: str | bytes, *, verifiers: Iterable[Verifier]) -> OpenedNote:
    """Parse a signed note and verify it against the trusted ``verifiers``.

    A signature by a trusted key (same name and key id) must verify, or the
    whole note is refused; signatures by other keys are ignored. Trusting old
    and new keys at once is how a key is rotated. At least one trusted
    signature is required.
    """
    trusted = _index(verifiers)
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("the note is not valid UTF-8") from None
    _check_text(note, what="note")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("the note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("the note must end with a signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"the note has more than {MAX_SIGNATURES} signatures")
    message = text.encode("utf-8")
    verified: dict[tuple[str, int], Verifier] = {}
    unverified: dict[str, Signature] = {}
    for line in lines:
        signature = _parse_signature(line)
        verifier = trusted.get((signature.name, signature.key_id))
        if verifier is None:
            unverified.setdefault(line, signature)
            continue
        if not verifier.verify(message, signature.signature):
            raise InvalidSignatureError(
                f"the signature by {signature.name}+{signature.key_id:08x} does not verify"
            )
        verified.setdefault((signature.name, signature.key_id), verifier)
    if not verified:
        signed_by = ", ".join(f"{s.name}+{s.key_id:08x}" for s in unverified.values())
        raise UnverifiedNoteError(f"no trusted key signed the note (signed by {signed_by})")
    return OpenedNote(
        text=text, verified_by=tuple(verified.values()), unverified=tuple(unverified.values())
    )


def _parse_signature(line: str) -> Signature:
    if not line.startswith(_SIG_PREFIX):
        raise MalformedNoteError(f"not a signature line: {line[:40]!r}")
    name, _, encoded = line[len(_SIG_PREFIX) :].partition(" ")
    if not _valid_name(name):
        raise MalformedNoteError(f"invalid key name in signature line: {name!r}")
    try:
        raw = b64.decode(encoded)
    except ValueError as exc:
        raise MalformedNoteError(f"the signature by {name} is {exc}") from None
    if len(raw) < 5:
        raise MalformedNoteError(f"the signature by {name} is too short")
    return Signature(name=name, key_id=int.from_bytes(raw[:4], "big"), signature=raw[4:])


def _index(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier]:
    index: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        known = index.setdefault((v.name, v.key_id), v)
        if known.public_key != v.public_key:
            raise MalformedKeyError(f"two trusted keys are both {v.name}+{v.key_id:08x}")
    return index
