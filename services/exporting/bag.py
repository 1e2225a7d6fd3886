"""Sealing a written payload into a signed BagIt bag, as a folder or a zip, atomically.

Everything is built in a work directory next to the destination and renamed into place
at the very end: a crashed export leaves a ``.partial`` directory, never something that
looks like a finished bundle.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit

from services.chain.note import Signer, sign_note
from services.offline.bundle_format import (
    MANIFEST_FILE,
    MANIFEST_SIGNATURE_FILE,
    manifest_note_text,
)

__all__ = ["BundleExistsError", "WorkDirectory", "seal_bag"]

_TAG_MANIFEST = "tagmanifest-sha256.txt"
_HASH_BLOCK = 1 << 20


class BundleExistsError(FileExistsError):
    """The destination exists already; a bundle never replaces anything."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkDirectory:
    """``.<name>.partial-<export id>`` beside the destination: same file system, so the
    final rename is atomic."""

    out: Path
    export_id: str

    @property
    def path(self) -> Path:
        return self.out.parent / f".{self.out.name}.partial-{self.export_id}"

    @property
    def bag(self) -> Path:
        """Where the payload is written (``bag/data/...``) and the bag is made."""
        return self.path / "bag"

    @property
    def scratch(self) -> Path:
        return self.path / "leaf-indices.bin"

    def create(self) -> None:
        self.bag.mkdir(parents=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def seal_bag(
    *,
    work: WorkDirectory,
    bag_info: Mapping[str, str],
    manifest: Mapping[str, Any],
    signer: Signer,
) -> Path:
    """Make ``work.bag`` a bag, add ``manifest.json`` (``manifest`` plus ``files``) and its
    signature, and move the bundle to ``work.out``; returns it."""
    bag_dir = work.bag
    # make_bag moves the folder's contents into data/, so the payload, written under
    # bag/data/, first becomes the folder itself.
    loose = work.path / "payload"
    (bag_dir / "data").rename(loose)
    bag_dir.rmdir()
    loose.rename(bag_dir)
    # make_bag changes the process's working directory while it runs; it runs here, on
    # the event loop's thread, so no other task can resolve a relative path meanwhile.
    bag = bagit.make_bag(str(bag_dir), bag_info=dict(bag_info), checksums=["sha256"])
    files: dict[str, dict[str, Any]] = {}
    for name, digests in sorted(bag.entries.items()):
        if name.startswith("data/"):
            files[name] = {"bytes": (bag_dir / name).stat().st_size, "sha256": digests["sha256"]}
    for name in ("bagit.txt", "bag-info.txt"):
        files[name] = {"bytes": (bag_dir / name).stat().st_size, "sha256": _sha256(bag_dir / name)}
    encoded = (json.dumps({**manifest, "files": files}, indent=2, sort_keys=True) + "\n").encode(
        "utf-8"
    )
    (bag_dir / MANIFEST_FILE).write_bytes(encoded)
    (bag_dir / MANIFEST_SIGNATURE_FILE).write_text(
        sign_note(manifest_note_text(encoded), signer), encoding="utf-8"
    )
    _write_tag_manifest(bag_dir)
    return _move_into_place(work)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _write_tag_manifest(bag_dir: Path) -> None:
    # As bagit writes it, now also covering manifest.json and manifest.sig, which were
    # added after make_bag (Bag.save would hash the whole payload again).
    lines = [
        f"{_sha256(path)} {path.relative_to(bag_dir).as_posix()}\n"
        for path in sorted(bag_dir.rglob("*"))
        if path.is_file()
        and path.relative_to(bag_dir).parts[0] != "data"
        and not path.name.startswith("tagmanifest-")
    ]
    (bag_dir / _TAG_MANIFEST).write_text("".join(lines), encoding="utf-8")


def _move_into_place(work: WorkDirectory) -> Path:
    out = work.out
    if out.suffix.lower() == ".zip":
        archive = work.path / "bundle.zip"
        top = out.stem
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for path in sorted(work.bag.rglob("*")):
                if path.is_file():
                    z.write(path, f"{top}/{path.relative_to(work.bag).as_posix()}")
        final = archive
    else:
        final = work.bag
    if out.exists():
        raise BundleExistsError(f"{out} exists already; an export never replaces anything")
    os.rename(final, out)
    work.remove()
    return out
