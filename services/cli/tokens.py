"""``kapaudit tokens``: create, list and revoke API tokens."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.sql.token_store import SqlTokenStore, TokenInfo
from services.auth import Principal, Role
from services.cli.common import console, load_settings
from services.cli.errors import CliError, friendly_errors
from services.clock import SystemClock

__all__ = ["tokens_app"]

tokens_app = typer.Typer(
    help="API tokens (the database keeps only their hashes).", no_args_is_help=True
)


@tokens_app.command("create")
@friendly_errors
def create(
    role: Annotated[str, typer.Option("--role", help=", ".join(r.value for r in Role))],
    clinic: Annotated[
        list[str] | None, typer.Option("--clinic", help="A clinic the token may act for (repeat).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Who holds it (unique).")] = None,
) -> None:
    """Create a token and print it once."""
    try:
        chosen = Role(role)
    except ValueError:
        raise CliError(
            f"--role: unknown role {role!r}", hint=f"use one of {', '.join(r.value for r in Role)}"
        ) from None
    label = name or f"{chosen.value}-{'-'.join(clinic or ['all'])}"

    async def run() -> tuple[str, Principal]:
        engine = create_engine(load_settings().resolved_database_url())
        try:
            await upgrade_schema(engine)
            return await SqlTokenStore(engine=engine).create(
                name=label, role=chosen, clinics=clinic or [], now=SystemClock().now()
            )
        except ValueError as problem:
            raise CliError(str(problem), hint="see `kapaudit tokens list`") from None
        finally:
            await engine.dispose()

    token, principal = asyncio.run(run())
    console.print(
        f"token [bold]{principal.name}[/] ({principal.role.value}, "
        f"clinics: {', '.join(sorted(principal.clinics)) or 'all'}); it is shown only once:"
    )
    typer.echo(token)


@tokens_app.command("list")
@friendly_errors
def list_tokens() -> None:
    """Every token: name, role, clinics, created, revoked."""

    async def run() -> list[TokenInfo]:
        engine = create_engine(load_settings().resolved_database_url())
        try:
            await upgrade_schema(engine)
            return await SqlTokenStore(engine=engine).list()
        finally:
            await engine.dispose()

    table = Table(title="API tokens")
    for column in ("name", "role", "clinics", "created", "revoked"):
        table.add_column(column)
    for info in asyncio.run(run()):
        table.add_row(
            info.principal.name,
            info.principal.role.value,
            ", ".join(sorted(info.principal.clinics)) or "all",
            info.created_at.isoformat(timespec="seconds"),
            info.revoked_at.isoformat(timespec="seconds") if info.revoked_at else "",
        )
    console.print(table)


@tokens_app.command("revoke")
@friendly_errors
def revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token; requests with it are refused from now on."""

    async def run() -> bool:
        engine = create_engine(load_settings().resolved_database_url())
        try:
            await upgrade_schema(engine)
            return await SqlTokenStore(engine=engine).revoke(name, now=SystemClock().now())
        finally:
            await engine.dispose()

    if not asyncio.run(run()):
        raise CliError(f"no live token named {name!r}", hint="see `kapaudit tokens list`")
    console.print(f"revoked {name}")
