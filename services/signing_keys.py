"""The checkpoint signing key: created once, read from a file, never put in the database."""

from __future__ import annotations

import os
import re
from pathlib import Path

from services.chain.note import NoteError, Signer, Verifier, generate_key
from services.config import Settings

__all__ = [
    "DEFAULT_KEY_FILE",
    "SigningKeyError",
    "configured_key_file",
    "create_key_file",
    "load_signer",
    "trusted_verifiers",
]

DEFAULT_KEY_FILE = "signing.key"
"""Where ``kapaudit up`` keeps the key it creates, under the data directory."""


class SigningKeyError(ValueError):
    """A key file or verifier key that cannot be used; the message says which."""


def create_key_file(path: Path, *, name: str) -> Verifier:
    """Write a new signer key to ``path`` (mode 0600, never over an existing file)."""
    key = generate_key(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: a second `keys create` must not destroy the key old checkpoints need.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningKeyError(
            f"{path} exists already; a signing key is never overwritten"
        ) from None
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key.signer + "\n")
    return Verifier.parse(key.verifier)


def load_signer(path: Path) -> Signer:
    """The signer key in ``path``."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeError) as error:
        raise SigningKeyError(f"cannot read the signing key {path}: {error}") from None
    try:
        return Signer.parse(text)
    except NoteError as error:
        raise SigningKeyError(f"{path} is not a signer key: {error}") from None


def configured_key_file(settings: Settings) -> Path | None:
    """``signing_key_file``, else the key ``kapaudit up`` created under the data dir."""
    if settings.signing_key_file is not None:
        return settings.signing_key_file
    default = settings.data_dir / DEFAULT_KEY_FILE
    return default if default.exists() else None


def trusted_verifiers(settings: Settings) -> list[Verifier]:
    """The keys whose checkpoints are believed: the signing key's and ``trusted_keys``."""
    key_file = configured_key_file(settings)
    trusted = [] if key_file is None else [load_signer(key_file).verifier]
    for vkey in re.split(r"[\s,]+", settings.trusted_keys or ""):
        if not vkey:
            continue
        try:
            trusted.append(Verifier.parse(vkey))
        except NoteError as error:
            raise SigningKeyError(f"KAPAUDIT_TRUSTED_KEYS: {error}") from None
    return trusted
