"""The log format modules stay importable by an offline verifier."""

from __future__ import annotations

import subprocess
import sys

_MODULES = (
    "links",
    "verify",
    "merkle",
    "compact_range",
    "tree_cover",
    "canonical_base64",
    "note",
    "checkpoint",
)


def test_the_log_format_imports_only_the_standard_library_and_cryptography() -> None:
    # A regulator's verifier installs cryptography and copies services/log;
    # a fresh interpreter shows what importing it really drags in.
    code = "; ".join(
        ["import sys", *(f"import services.chain.{m}" for m in _MODULES), "print(*sys.modules)"]
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    tops = {name.split(".")[0] for name in loaded}
    # Underscored names are interpreter and installer hooks, not packages.
    foreign = {t for t in tops - sys.stdlib_module_names if not t.startswith("_")}
    assert foreign == {"services", "cryptography"}
    project = {
        n for n in loaded if n.startswith("services.") and not n.startswith("services.chain")
    }
    assert project == set()
