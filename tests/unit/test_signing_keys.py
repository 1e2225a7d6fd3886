"""The signing key file and the keys trusted after a rotation."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.chain.note import generate_key
from services.config import Settings
from services.signing_keys import SigningKeyError, create_key_file, trusted_verifiers


@pytest.fixture(autouse=True)
def _no_key_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAPAUDIT_SIGNING_KEY_FILE", "KAPAUDIT_TRUSTED_KEYS", "KAPAUDIT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_the_signing_key_and_every_listed_old_key_are_trusted(tmp_path: Path) -> None:
    current = create_key_file(tmp_path / "new.key", name="kapaudit.test/log")
    old, older = (generate_key("kapaudit.test/log").verifier for _ in range(2))
    settings = Settings(
        signing_key_file=tmp_path / "new.key", trusted_keys=f" {old},{older}\n", data_dir=tmp_path
    )
    assert [str(v) for v in trusted_verifiers(settings)] == [str(current), old, older]


def test_without_a_configured_key_the_one_up_created_is_trusted(tmp_path: Path) -> None:
    assert trusted_verifiers(Settings(data_dir=tmp_path)) == []
    created = create_key_file(tmp_path / "signing.key", name="kapaudit.test/log")
    assert trusted_verifiers(Settings(data_dir=tmp_path)) == [created]


def test_a_malformed_trusted_key_is_named_by_its_setting(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match="KAPAUDIT_TRUSTED_KEYS"):
        trusted_verifiers(Settings(data_dir=tmp_path, trusted_keys="not-a-key"))


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    first = create_key_file(tmp_path / "k.key", name="kapaudit.test/log")
    with pytest.raises(SigningKeyError, match="never overwritten"):
        create_key_file(tmp_path / "k.key", name="kapaudit.test/log")
    assert trusted_verifiers(Settings(data_dir=tmp_path, signing_key_file=tmp_path / "k.key")) == [
        first
    ]
