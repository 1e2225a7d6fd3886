"""The ``kapaudit`` executable: ``verify-export`` without the server's imports.

``services.cli.main`` imports the database and broker adapters at the top, as every
other command needs them; a regulator's ``verify-export`` must not, so it is dispatched
before ``main`` is imported.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    if sys.argv[1:2] == ["verify-export"]:
        from services.cli.verify_export import verify_export_app

        verify_export_app(args=sys.argv[2:], prog_name="kapaudit verify-export")
    else:
        from services.cli.main import app

        app()


if __name__ == "__main__":
    main()
