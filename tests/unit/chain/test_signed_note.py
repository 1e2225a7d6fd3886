"""C2SP signed notes: Go's published vectors, round trips, tampering and key rotation.

The PeterNeumann and EnochRoot keys, text and signatures are the test vectors
of Go's golang.org/x/mod/sumdb/note (note_test.go); Ed25519 is deterministic,
so signing the same text with the same key must give the same bytes.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.chain.note import (
    MAX_SIGNATURES,
    InvalidSignatureError,
    MalformedKeyError,
    MalformedNoteError,
    NoteError,
    Signer,
    UnverifiedNoteError,
    Verifier,
    generate_key,
    key_id,
    open_note,
    sign_note,
)

PETER_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK"
    "vqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01o"
    "OTGwnWLox33WWd1RvMc+QQ=\n"
)
# The example note of c2sp.org/signed-note; its public key is not published.
SPEC_EXAMPLE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \u00e8 subito sera.\n"
    "\n"
    "\u2014 quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9"
    "oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def test_signing_gos_vector_text_with_gos_vector_key_gives_gos_note_byte_for_byte() -> None:
    assert sign_note(TEXT, Signer.parse(PETER_SIGNER)) == TEXT + "\n" + PETER_SIG


def test_the_key_id_is_the_first_four_bytes_of_the_hash_of_name_and_typed_key() -> None:
    verifier = Verifier.parse(PETER)
    assert key_id("PeterNeumann", verifier.public_key) == 0xC74F20A3 == verifier.key_id


def test_key_strings_round_trip_in_gos_format() -> None:
    signer = Signer.parse(PETER_SIGNER)
    assert (signer.secret(), str(signer.verifier)) == (PETER_SIGNER, PETER)
    assert str(Verifier.parse(ENOCH)) == ENOCH


def test_a_note_signed_by_two_keys_verifies_against_each_trusted_key_it_names() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    both = open_note(note, verifiers=[Verifier.parse(PETER), Verifier.parse(ENOCH)])
    assert [str(v) for v in both.verified_by] == [PETER, ENOCH]
    only_peter = open_note(note, verifiers=[Verifier.parse(PETER)])
    assert only_peter.text == TEXT
    assert [str(v) for v in only_peter.verified_by] == [PETER]
    assert [(s.name, s.key_id) for s in only_peter.unverified] == [("EnochRoot", 0xAF0CFE78)]


def test_the_spec_example_parses_but_without_its_key_is_refused_as_unverified() -> None:
    with pytest.raises(UnverifiedNoteError, match=r"quasimodo\.example/salvatore\+"):
        open_note(SPEC_EXAMPLE, verifiers=[Verifier.parse(PETER)])


def test_a_generated_key_pair_round_trips_a_note() -> None:
    pair = generate_key("kapaudit.example/log")
    signer = Signer.parse(pair.signer)
    assert signer.verifier == Verifier.parse(pair.verifier)
    assert pair.signer.startswith("PRIVATE+KEY+kapaudit.example/log+")
    note = sign_note("hello\n", signer)
    opened = open_note(note, verifiers=[Verifier.parse(pair.verifier)])
    assert (opened.text, opened.verified_by) == ("hello\n", (signer.verifier,))


def test_the_secret_key_never_appears_in_a_repr() -> None:
    pair = generate_key("kapaudit.example/log")
    signer = Signer.parse(pair.signer)
    # PRIVATE+KEY+<name>+<hash>+<base64 key>: the key itself may contain '+'.
    seed = pair.signer.split("+", 4)[4]
    assert seed not in repr(pair)
    assert seed not in repr(signer)


def test_changing_any_byte_of_a_signed_note_makes_it_fail() -> None:
    note = (TEXT + "\n" + PETER_SIG).encode("utf-8")
    trusted = [Verifier.parse(PETER)]
    assert open_note(note, verifiers=trusted).text == TEXT
    survivors = []
    for i in range(len(note)):
        for replacement in {note[i] ^ 0x01, note[i] ^ 0x20, ord("A")} - {note[i]}:
            tampered = note[:i] + bytes([replacement]) + note[i + 1 :]
            try:
                open_note(tampered, verifiers=trusted)
            except NoteError:
                continue
            survivors.append((i, replacement))
    assert survivors == []


def test_a_bad_signature_by_a_trusted_key_rejects_the_note_even_if_another_verifies() -> None:
    forged = PETER_SIG[:60] + "ABCD" + PETER_SIG[64:]
    with pytest.raises(InvalidSignatureError, match=r"PeterNeumann\+c74f20a3"):
        open_note(
            TEXT + "\n" + ENOCH_SIG + forged,
            verifiers=[Verifier.parse(PETER), Verifier.parse(ENOCH)],
        )


def test_a_signature_sharing_only_the_name_or_only_the_id_of_a_trusted_key_is_ignored() -> None:
    other = Signer.parse(generate_key("PeterNeumann").signer)  # same name, other id
    note = sign_note(TEXT, other, Signer.parse(PETER_SIGNER))
    opened = open_note(note, verifiers=[Verifier.parse(PETER)])
    assert [s.key_id for s in opened.unverified] == [other.key_id]
    renamed = PETER_SIG.replace("PeterNeumann", "CarmenSandiego")  # same id, other name
    with pytest.raises(UnverifiedNoteError):
        open_note(TEXT + "\n" + renamed, verifiers=[Verifier.parse(PETER)])


def test_a_rotated_key_verifies_notes_signed_by_the_old_key_the_new_key_or_both() -> None:
    old = Signer.parse(generate_key("kapaudit.example/log").signer)
    new = Signer.parse(generate_key("kapaudit.example/log").signer)
    trusted = [old.verifier, new.verifier]
    for signers, expected in [((old,), [old]), ((new,), [new]), ((new, old), [new, old])]:
        opened = open_note(sign_note("tree\n", *signers), verifiers=trusted)
        assert list(opened.verified_by) == [s.verifier for s in expected]
    with pytest.raises(UnverifiedNoteError, match="no trusted key"):
        open_note(sign_note("tree\n", old), verifiers=[new.verifier])


def test_two_different_trusted_keys_with_the_same_name_and_id_are_refused() -> None:
    peter = Verifier.parse(PETER)
    impostor = object.__new__(Verifier)  # a colliding id cannot be built the normal way
    for name, value in [("name", peter.name), ("key_id", peter.key_id), ("public_key", b"x" * 32)]:
        object.__setattr__(impostor, name, value)
    with pytest.raises(MalformedKeyError, match="both"):
        open_note(TEXT + "\n" + PETER_SIG, verifiers=[peter, impostor])


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (TEXT, "no blank line"),
        (TEXT + "\n", "must end with a signature line"),
        (TEXT + "\n" + PETER_SIG[:-1], "must end with a signature line"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character U\\+0001"),
        ("\r" + TEXT + "\n" + PETER_SIG, "control character U\\+000D"),
        (TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter Neumann"), "not standard"),
        (TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"), "invalid key name"),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "not a signature line"),
        (TEXT + "\n" + PETER_SIG.replace("\u2014", "-"), "not a signature line"),
        (TEXT + "\n" + PETER_SIG.replace("AM=", "AN="), "not canonical"),
        (TEXT + "\n\u2014 PeterNeumann x08gow==\n", "too short"),
        (TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), "more than 100"),
    ],
)
def test_a_malformed_note_is_refused_with_the_reason(note: str, message: str) -> None:
    with pytest.raises(MalformedNoteError, match=message):
        open_note(note, verifiers=[Verifier.parse(PETER)])


def test_a_note_that_is_not_utf8_is_malformed() -> None:
    with pytest.raises(MalformedNoteError, match="UTF-8"):
        open_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), verifiers=[Verifier.parse(PETER)])


def test_duplicate_signatures_by_one_key_count_once() -> None:
    opened = open_note(TEXT + "\n" + PETER_SIG * 3, verifiers=[Verifier.parse(PETER)])
    assert len(opened.verified_by) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [("no final newline", "end with a newline"), ("tab\there\n", "control character")],
)
def test_text_that_would_not_make_a_valid_note_is_not_signed(text: str, message: str) -> None:
    with pytest.raises(MalformedNoteError, match=message):
        sign_note(text, Signer.parse(PETER_SIGNER))


def test_every_shortening_or_bumped_character_of_a_verifier_key_is_refused() -> None:
    # As Go's TestNewVerifier: a damaged key must never load as some other key.
    manglings = {PETER[i:j] for i in range(len(PETER)) for j in range(i + 1, len(PETER) + 1)}
    manglings |= {PETER[:i] + chr(ord(PETER[i]) + 1) + PETER[i + 1 :] for i in range(len(PETER))}
    manglings.discard(PETER)
    accepted = []
    for key in manglings:
        try:
            Verifier.parse(key)
        except MalformedKeyError:
            continue
        accepted.append(key)
    assert accepted == []


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (PETER_SIGNER.replace("PRIVATE+KEY", "PUBLIC+KEY"), "PRIVATE\\+KEY"),
        (PETER_SIGNER.replace("c74f20a3", "c74f20a4"), "does not match"),
        (PETER_SIGNER.replace("c74f20a3", "0xc74f20"), "8 hex digits"),
        (PETER_SIGNER.replace("+AYEK", "+AoEK"), "Ed25519 seed"),
        (PETER_SIGNER[:-1], "base64"),
    ],
)
def test_a_malformed_signer_key_is_refused_with_the_reason(key: str, message: str) -> None:
    with pytest.raises(MalformedKeyError, match=message):
        Signer.parse(key)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "Ed25519"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==", "32 bytes"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name"),
    ],
)
def test_a_malformed_verifier_key_is_refused_with_the_reason(key: str, message: str) -> None:
    with pytest.raises(MalformedKeyError, match=message):
        Verifier.parse(key)


_TEXT_CHARS = st.characters(exclude_categories=["Cs"], min_codepoint=0x20) | st.just("\n")


@settings(max_examples=50, deadline=None)
@given(body=st.text(_TEXT_CHARS, max_size=200))
def test_any_valid_text_signs_into_a_note_that_opens_to_the_same_text(body: str) -> None:
    text = body + "\n"
    signer = Signer.parse(PETER_SIGNER)
    note = sign_note(text, signer)
    assert note.endswith("\n")
    assert not any(c < " " and c != "\n" for c in note)
    assert note[len(text) :].startswith("\n\u2014 PeterNeumann ")
    assert open_note(note.encode("utf-8"), verifiers=[signer.verifier]).text == text
