"""The offline verifier could ship on its own: it loads only pure code."""

from __future__ import annotations

import subprocess
import sys


def test_the_verifier_imports_only_the_standard_library_cryptography_and_the_log_format() -> None:
    code = "import sys; import services.offline.verify; print(*sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    tops = {name.split(".")[0] for name in loaded}
    foreign = {t for t in tops - sys.stdlib_module_names if not t.startswith("_")}
    assert foreign == {"services", "cryptography"}
    project = {n.rsplit(".", 1)[0] for n in loaded if n.startswith("services.")}
    assert project <= {"services", "services.chain", "services.offline"}
