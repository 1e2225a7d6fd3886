"""CI must fail, never skip, when PostgreSQL is unreachable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_postgresql_tests_fail_rather_than_skip_when_the_server_is_unreachable() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/contract/test_event_store.py",
            "-k",
            "postgresql and genesis",
        ],
        cwd=ROOT,
        env={**os.environ, "KAPAUDIT_TEST_POSTGRES_DSN": "postgresql://postgres@127.0.0.1:1/test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "PostgreSQL unreachable at postgresql://postgres@127.0.0.1:1/test" in result.stdout
    assert "skipped" not in result.stdout
