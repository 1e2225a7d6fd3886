"""``kapaudit verify-export`` as a regulator runs it: a subprocess, no server anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.offline.bundle_format import EVENTS_FILE
from tests.support.synthetic_bundle import SyntheticBundle, build_bundle, zip_bundle

KAPAUDIT = [sys.executable, "-m", "services.cli.entry"]
# Not pydantic: Typer itself imports it, when installed, to convert parameters.
_SERVER_ONLY = (
    "sqlalchemy",
    "aiokafka",
    "faststream",
    "fastapi",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "events",
    "projections",
    "services.adapters",
    "services.config",
    "services.cli.main",
    "services.cli.errors",
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KAPAUDIT, "verify-export", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> SyntheticBundle:
    root = tmp_path_factory.mktemp("cli")
    built = build_bundle(root / "bag", entries=40, streams=3, foreign_every=4, earlier_sizes=(9,))
    zip_bundle(built.path, root / "bag.zip")
    (root / "key.pub").write_text(built.verifier + "\n")
    (root / "previous.txt").write_text(built.earlier[9])
    return built


def test_an_intact_bundle_exits_0_with_one_ok_line(made: SyntheticBundle) -> None:
    result = _run(str(made.path), "--public-key", made.verifier)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"OK: 40 entries in 3 streams, every chain intact, all in the checkpoint of size "
        f"{made.size} signed by {'+'.join(made.verifier.split('+')[:2])}"
    ]


def test_a_zip_with_a_key_file_and_a_previous_checkpoint_exits_0(made: SyntheticBundle) -> None:
    root = made.path.parent
    result = _run(
        str(root / "bag.zip"),
        "--public-key",
        str(root / "key.pub"),
        "--previous",
        str(root / "previous.txt"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("it extends the previous checkpoint of size 9")


def test_a_tampered_bundle_exits_1_with_one_line_per_problem(
    made: SyntheticBundle, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "bag"
    shutil.copytree(made.path, copy)
    lines = (copy / EVENTS_FILE).read_text().splitlines(keepends=True)
    dropped = json.loads(lines[5])
    (copy / EVENTS_FILE).write_text("".join(lines[:5] + lines[6:]))
    result = _run(str(copy), "--public-key", made.verifier)
    assert result.returncode == 1
    *problems, summary = result.stdout.splitlines()
    assert summary == f"FAILED: {len(problems)} problems in {copy}"
    assert f"{EVENTS_FILE}: -: file-changed: " in "\n".join(problems)
    assert any(p.startswith(f"{EVENTS_FILE}: ") and ": event-missing: " in p for p in problems)
    assert all(len(p.split(": ", 3)) == 4 for p in problems)
    assert dropped["event_id"] not in result.stdout  # it is gone; its successor is named


def test_a_malformed_key_is_a_usage_error_without_a_traceback(made: SyntheticBundle) -> None:
    result = _run(str(made.path), "--public-key", "not-a-key")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith("error: --public-key: ")
    assert result.stderr.splitlines()[1].startswith("hint: ")
    assert "Traceback" not in result.stderr


def test_a_missing_bundle_is_a_usage_error(made: SyntheticBundle, tmp_path: Path) -> None:
    result = _run(str(tmp_path / "absent"), "--public-key", made.verifier)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: BUNDLE: {tmp_path / 'absent'} does not exist")


def test_verify_export_loads_no_database_or_broker_code(
    made: SyntheticBundle, tmp_path: Path
) -> None:
    # A regulator's machine may have none of the server's libraries working; a fresh
    # interpreter shows what the command really imports.
    modules = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        "from services.cli.entry import main\n"
        f"sys.argv = ['kapaudit', 'verify-export', {str(made.path)!r}, '--public-key', "
        f"{made.verifier!r}]\n"
        "try:\n    main()\n"
        "except SystemExit as stop:\n    code = stop.code\n"
        f"open({str(modules)!r}, 'w').write(json.dumps([code, sorted(sys.modules)]))\n"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120)
    code_, loaded = json.loads(modules.read_text())
    assert code_ in (0, None)
    assert "services.offline.verify" in loaded
    server = {
        m for m in loaded for banned in _SERVER_ONLY if m == banned or m.startswith(f"{banned}.")
    }
    assert server == set()


def test_the_main_cli_lists_verify_export() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "verify-export" in result.stdout
