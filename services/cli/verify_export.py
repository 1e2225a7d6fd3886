"""``kapaudit verify-export``: check an export bundle offline, one line per problem.

This module and what it imports load neither the database nor the broker libraries
(``services.cli.entry`` dispatches here before ``main`` would import them), so the
command runs on a regulator's machine that has never seen a kapaudit server.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.chain.note import NoteError, Verifier
from services.cli.cli_error import CliError, print_error
from services.offline.findings import Finding
from services.offline.verify import BundleReport, verify_bundle
from services.offline.verify import Progress as ProgressCallback

__all__ = ["verify_export", "verify_export_app"]

PROBLEMS_FOUND: Final = 1
USAGE_ERROR: Final = 2
_KEY_HINT: Final = (
    "pass the verifier key the clinic published (name+hexid+base64, as `kapaudit keys "
    "create` prints it), or a file holding it"
)


def verify_export(
    bundle: Annotated[
        Path, typer.Argument(help="The export bundle: its directory or .zip.", metavar="BUNDLE")
    ],
    public_key: Annotated[
        str,
        typer.Option(
            "--public-key",
            help="The log's verifier key (name+hexid+base64), or a file holding it.",
            show_default=False,
        ),
    ],
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="An earlier bundle (directory or .zip) or checkpoint file of the same log: "
            "this bundle's checkpoint must extend it.",
        ),
    ] = None,
) -> None:
    """Check an export bundle offline: signatures, files, every event and chain, and that
    the entries are in the signed checkpoint. Exit 0 only when everything holds."""
    try:
        key = _verifier(public_key)
        for path, option in ((bundle, "BUNDLE"), (previous, "--previous")):
            if path is not None and not path.exists():
                raise CliError(
                    f"{option}: {path} does not exist",
                    hint="give the bundle's directory or .zip, or a checkpoint file",
                )
        with _progress_bar() as progress:
            report = verify_bundle(
                bundle, key=key, previous=previous, on_finding=_print, progress=progress
            )
    except CliError as error:
        print_error(error)
        raise typer.Exit(code=USAGE_ERROR) from None
    typer.echo(_summary(report, bundle))
    if not report.ok:
        raise typer.Exit(code=PROBLEMS_FOUND)


def _verifier(text: str) -> Verifier:
    candidate = text.strip()
    try:
        return Verifier.parse(candidate)
    except NoteError as error:
        parse_error = error
    path = Path(text)
    if not path.is_file():
        raise CliError(f"--public-key: {parse_error}", hint=_KEY_HINT)
    try:
        content = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeError) as error:
        raise CliError(f"--public-key: cannot read {path}: {error}", hint=_KEY_HINT) from None
    try:
        return Verifier.parse(content)
    except NoteError as error:
        message = f"--public-key: {path} holds no verifier key: {error}"
        raise CliError(message, hint=_KEY_HINT) from None


def _print(finding: Finding) -> None:
    typer.echo(finding.line())


def _summary(report: BundleReport, bundle: Path) -> str:
    if not report.ok:
        plural = "" if report.problems == 1 else "s"
        return f"FAILED: {report.problems} problem{plural} in {bundle}"
    signer = "+".join(report.key.split("+")[:2])  # name+key id: enough to recognise it
    extends = (
        ""
        if report.previous_size is None
        else f"; it extends the previous checkpoint of size {report.previous_size}"
    )
    return (
        f"OK: {report.entries} entries in {report.streams} streams, every chain intact, "
        f"all in the checkpoint of size {report.checkpoint_size} signed by {signer}{extends}"
    )


@contextlib.contextmanager
def _progress_bar() -> Iterator[ProgressCallback | None]:
    """A bar on standard error when it is a terminal; findings go to standard output."""
    if not sys.stderr.isatty():
        yield None
        return
    console = Console(stderr=True)
    columns = (
        TextColumn("verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("verifying", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


verify_export_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
verify_export_app.command(name="verify-export")(verify_export)
