"""C2SP tlog checkpoints: the signed tree head a regulator keeps and compares."""

from __future__ import annotations

import base64

import pytest

from services.chain.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    sign_checkpoint,
)
from services.chain.compact_range import CompactRange
from services.chain.merkle import (
    EMPTY_ROOT,
    MemoryNodes,
    ProofError,
    consistency_proof,
    leaf_hash,
    verify_consistency,
)
from services.chain.note import (
    InvalidSignatureError,
    Signer,
    UnverifiedNoteError,
    generate_key,
    sign_note,
)
from tests.unit.chain.merkle_vectors import ROOTS

ORIGIN = "kapaudit.example/clinic-log"
# The example of c2sp.org/tlog-checkpoint (its signature line left out).
SPEC_EXAMPLE_TEXT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)


def _signer() -> Signer:
    return Signer.parse(generate_key(ORIGIN).signer)


def test_the_spec_example_checkpoint_text_parses_and_renders_back_identically() -> None:
    checkpoint = Checkpoint.parse(SPEC_EXAMPLE_TEXT)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.text() == SPEC_EXAMPLE_TEXT


def test_a_checkpoint_is_three_lines_origin_decimal_size_base64_root() -> None:
    checkpoint = Checkpoint(origin=ORIGIN, size=8, root_hash=ROOTS[8])
    root64 = base64.b64encode(ROOTS[8]).decode()
    assert checkpoint.text() == f"{ORIGIN}\n8\n{root64}\n"


def test_extension_lines_follow_the_root_and_survive_a_round_trip() -> None:
    checkpoint = Checkpoint(origin=ORIGIN, size=0, root_hash=EMPTY_ROOT, extensions=("x y", "z"))
    assert checkpoint.text().endswith("\nx y\nz\n")
    assert Checkpoint.parse(checkpoint.text()) == checkpoint


def test_a_signed_checkpoint_opens_with_the_logs_key_and_names_that_key() -> None:
    signer = _signer()
    checkpoint = Checkpoint(origin=ORIGIN, size=5, root_hash=ROOTS[5])
    signed = sign_checkpoint(checkpoint, signer)
    assert signed.startswith(checkpoint.text() + "\n\u2014 " + ORIGIN + " ")
    verified = open_checkpoint(signed, verifiers=[signer.verifier], origin=ORIGIN)
    assert verified.checkpoint == checkpoint
    assert verified.verified_by == (signer.verifier,)


def test_a_checkpoint_signed_with_a_retired_key_still_opens_while_both_keys_are_trusted() -> None:
    old, new = _signer(), _signer()
    signed = sign_checkpoint(Checkpoint(origin=ORIGIN, size=1, root_hash=ROOTS[1]), old)
    verified = open_checkpoint(signed, verifiers=[new.verifier, old.verifier], origin=ORIGIN)
    assert verified.verified_by == (old.verifier,)
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(signed, verifiers=[new.verifier], origin=ORIGIN)


def test_a_rewritten_size_or_root_breaks_the_signature() -> None:
    signer = _signer()
    signed = sign_checkpoint(Checkpoint(origin=ORIGIN, size=8, root_hash=ROOTS[8]), signer)
    root8, root7 = (base64.b64encode(r).decode() for r in (ROOTS[8], ROOTS[7]))
    for tampered in [signed.replace("\n8\n", "\n7\n"), signed.replace(root8, root7)]:
        assert tampered != signed
        with pytest.raises(InvalidSignatureError):
            open_checkpoint(tampered, verifiers=[signer.verifier], origin=ORIGIN)


def test_a_checkpoint_of_another_log_is_refused_even_when_signed_by_a_trusted_key() -> None:
    signer = _signer()
    signed = sign_checkpoint(Checkpoint(origin=ORIGIN, size=1, root_hash=ROOTS[1]), signer)
    with pytest.raises(CheckpointError, match=r"expected 'kapaudit\.example/other'"):
        open_checkpoint(signed, verifiers=[signer.verifier], origin="kapaudit.example/other")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{ORIGIN}\n8\n", "origin, a tree size and a root"),
        (f"{ORIGIN}\n08\n{base64.b64encode(ROOTS[8]).decode()}\n", "decimal"),
        (f"{ORIGIN}\n+8\n{base64.b64encode(ROOTS[8]).decode()}\n", "decimal"),
        (f"{ORIGIN}\n\uff18\n{base64.b64encode(ROOTS[8]).decode()}\n", "decimal"),
        (f"{ORIGIN}\n8\n{ROOTS[8].hex()}\n", "root hash"),
        (f"{ORIGIN}\n8\n{base64.b64encode(ROOTS[8][:16]).decode()}\n", "32 bytes"),
        (f"\n8\n{base64.b64encode(ROOTS[8]).decode()}\n", "origin"),
        (f"{ORIGIN}\n{1 << 64}\n{base64.b64encode(ROOTS[8]).decode()}\n", "out of range"),
    ],
)
def test_a_malformed_checkpoint_text_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(text)


def test_an_empty_extension_line_is_refused_because_it_would_end_the_note_text() -> None:
    with pytest.raises(CheckpointError, match="extension"):
        Checkpoint(origin=ORIGIN, size=1, root_hash=ROOTS[1], extensions=("",))


def test_the_log_signs_only_origins_in_the_recommended_url_form() -> None:
    with pytest.raises(CheckpointError, match="without spaces"):
        sign_checkpoint(Checkpoint(origin="my log", size=1, root_hash=ROOTS[1]), _signer())


def test_the_text_is_not_read_when_no_trusted_key_signed_it() -> None:
    # Even a malformed body must fail as unverified first: unsigned text is never parsed.
    stranger, trusted = _signer(), _signer()
    signed = sign_note("not a checkpoint\n", stranger)
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(signed, verifiers=[trusted.verifier], origin=ORIGIN)


def test_two_signed_checkpoints_and_a_consistency_proof_show_the_log_only_grew() -> None:
    # The use that issue 8 is for: a regulator keeps an old checkpoint, gets a
    # new one and a proof, and learns whether history was rewritten.
    signer = _signer()
    leaves = [leaf_hash(f"record {i}".encode()) for i in range(13)]
    state5 = CompactRange().extend(leaves[:5])
    state13 = state5.extend(leaves[5:])
    old = open_checkpoint(
        sign_checkpoint(Checkpoint(origin=ORIGIN, size=5, root_hash=state5.root()), signer),
        verifiers=[signer.verifier],
        origin=ORIGIN,
    ).checkpoint
    new = open_checkpoint(
        sign_checkpoint(Checkpoint(origin=ORIGIN, size=13, root_hash=state13.root()), signer),
        verifiers=[signer.verifier],
        origin=ORIGIN,
    ).checkpoint
    proof = consistency_proof(old.size, new.size, MemoryNodes(leaves))
    verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
    # A log that rewrote record 2 cannot prove its new head extends the old one.
    rewritten = [*leaves[:2], leaf_hash(b"rewritten"), *leaves[3:]]
    forged_root = CompactRange().extend(rewritten).root()
    forged_proof = consistency_proof(old.size, new.size, MemoryNodes(rewritten))
    with pytest.raises(ProofError, match="old root"):
        verify_consistency(old.size, new.size, old.root_hash, forged_root, forged_proof)
