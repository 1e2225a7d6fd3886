"""What each role may do, and for which clinics."""

from __future__ import annotations

from services.auth import Principal, Role, hash_token, new_token


def _principal(role: Role, *clinics: str) -> Principal:
    return Principal(token_id=1, name="t", role=role, clinics=frozenset(clinics))


def test_a_compliance_officer_reads_only_their_clinics_and_never_publishes() -> None:
    officer = _principal(Role.COMPLIANCE_OFFICER, "clinic-a")
    assert officer.may_read("clinic-a")
    assert not officer.may_read("clinic-b")
    assert not officer.may_publish("clinic-a")
    # Re-hashing the whole log is seconds of CPU: an admin's call, not every officer's.
    assert not officer.may_verify


def test_a_publisher_publishes_only_for_its_clinics_and_reads_nothing() -> None:
    publisher = _principal(Role.PUBLISHER, "clinic-a")
    assert publisher.may_publish("clinic-a")
    assert not publisher.may_publish("clinic-b")
    assert not publisher.may_read("clinic-a")
    assert not publisher.may_verify


def test_a_regulator_reads_nothing_until_exports_exist_and_an_admin_does_everything() -> None:
    regulator = _principal(Role.REGULATOR, "clinic-a")
    admin = _principal(Role.ADMIN)
    assert not (regulator.may_read("clinic-a"))
    assert not (regulator.may_publish("clinic-a"))
    assert admin.may_read("any")
    assert admin.may_publish("any")
    assert admin.may_verify


def test_auditors_get_proofs_of_their_clinics_events_and_publishers_none() -> None:
    regulator = _principal(Role.REGULATOR, "clinic-a")
    assert regulator.may_audit_log
    assert regulator.may_prove("clinic-a")
    assert not regulator.may_prove("clinic-b")
    assert _principal(Role.ADMIN).may_prove("any")
    publisher = _principal(Role.PUBLISHER, "clinic-a")
    assert not publisher.may_audit_log
    assert not publisher.may_prove("clinic-a")


def test_tokens_are_random_prefixed_and_hashed_with_sha256() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert first.startswith("kap_")
    assert len(first) > 40
    assert len(hash_token(first)) == 64
    assert hash_token(first) != hash_token(second)
