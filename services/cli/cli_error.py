"""``CliError``: a failure the user can act on, without the adapters' imports.

Apart from ``errors`` so that ``kapaudit verify-export``, which runs where neither the
database nor the broker libraries need be usable, can raise and print one too.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

__all__ = ["CliError", "print_error"]

# Error messages quote names, ids and paths as the user typed them or the database holds
# them: printed through escape() and without emoji codes, so "[/x]" or ":x:" stay as typed.
_stderr = Console(stderr=True, emoji=False)


class CliError(Exception):
    """A failure the user can act on; ``hint`` says how."""

    def __init__(self, message: str, *, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def print_error(error: CliError) -> None:
    """``error: ...`` and ``hint: ...`` on standard error."""
    _stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    _stderr.print(f"[yellow]hint:[/] {escape(error.hint)}", highlight=False, soft_wrap=True)
