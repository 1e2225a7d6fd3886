"""With ``previous``, the bundle's checkpoint must extend the earlier one."""

from __future__ import annotations

from pathlib import Path

from services.chain.note import Verifier
from services.offline.bundle_format import CONSISTENCY_FILE
from services.offline.findings import Code
from services.offline.verify import verify_bundle
from tests.support.synthetic_bundle import SyntheticBundle, build_bundle


def _note(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "previous-checkpoint.txt"
    path.write_text(text)
    return path


def test_a_previous_checkpoint_that_the_bundle_extends_passes(
    bundle: SyntheticBundle, tmp_path: Path
) -> None:
    report = verify_bundle(
        bundle.path,
        key=Verifier.parse(bundle.verifier),
        previous=_note(tmp_path, bundle.earlier[40]),
    )
    assert report.findings == ()
    assert report.previous_size == 40


def test_a_previous_bundle_that_the_bundle_extends_passes(tmp_path: Path) -> None:
    first = build_bundle(tmp_path / "first", entries=60, streams=4, foreign_every=5)
    second = build_bundle(
        tmp_path / "second",
        entries=90,
        streams=4,
        foreign_every=5,
        earlier_sizes=(first.size,),
        key=first.signer,
    )
    report = verify_bundle(second.path, key=Verifier.parse(second.verifier), previous=first.path)
    assert report.findings == ()
    assert report.previous_size == first.size


def test_history_rewritten_between_two_exports_is_not_an_extension(
    bundle: SyntheticBundle, tmp_path: Path
) -> None:
    # The earlier export saw other clinics' entries that the log later rewrote.
    before = build_bundle(
        tmp_path / "before",
        entries=120,
        streams=7,
        access_streams=2,
        foreign_every=5,
        earlier_sizes=(40,),
        foreign_salt="as first recorded",
        key=bundle.signer,
    )
    report = verify_bundle(
        bundle.path,
        key=Verifier.parse(bundle.verifier),
        previous=_note(tmp_path, before.earlier[40]),
    )
    assert [(f.file, f.code) for f in report.findings] == [
        (CONSISTENCY_FILE, Code.NOT_AN_EXTENSION)
    ]
    assert "rewritten" in report.findings[0].message


def test_a_previous_checkpoint_larger_than_the_bundle_means_the_log_shrank(
    bundle: SyntheticBundle, tmp_path: Path
) -> None:
    larger = build_bundle(
        tmp_path / "larger", entries=150, streams=7, foreign_every=5, key=bundle.signer
    )
    previous = larger.path / "data" / "proofs" / "checkpoint.txt"
    report = verify_bundle(bundle.path, key=Verifier.parse(bundle.verifier), previous=previous)
    assert [f.code for f in report.findings] == [Code.NOT_AN_EXTENSION]
    assert "shrank" in report.findings[0].message


def test_a_previous_size_without_a_proof_is_not_shown_to_be_extended(
    bundle: SyntheticBundle, tmp_path: Path
) -> None:
    other = build_bundle(
        tmp_path / "other",
        entries=120,
        streams=7,
        foreign_every=5,
        earlier_sizes=(50,),
        access_streams=2,
        key=bundle.signer,
    )
    report = verify_bundle(
        bundle.path,
        key=Verifier.parse(bundle.verifier),
        previous=_note(tmp_path, other.earlier[50]),
    )
    assert [f.code for f in report.findings] == [Code.NOT_AN_EXTENSION]
    assert "no consistency proof" in report.findings[0].message
