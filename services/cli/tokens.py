"""``kapaudit tokens``: create, list and revoke API tokens."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from events import ClinicId, Identifier
from services.adapters.sql import engine_from_settings, upgrade_schema
from services.adapters.sql.token_store import SqlTokenStore, TokenInfo
from services.auth import Role
from services.cli.common import console, load_settings
from services.cli.errors import CliError, friendly_errors
from services.clock import SystemClock

__all__ = ["tokens_app"]

tokens_app = typer.Typer(
    help="API tokens (the database keeps only their hashes).", no_args_is_help=True
)

# A token's name is what access.recorded events carry as token_name, so it follows the
# event contract's identifier rule; a clinic id follows the contract's clinic id rule.
_NAME: TypeAdapter[str] = TypeAdapter(Identifier)
_CLINIC: TypeAdapter[str] = TypeAdapter(ClinicId)
_NAME_RULE = "a name is 1-64 characters, not blank, without control characters"
_CLINIC_RULE = "a clinic id is 1-64 characters, not blank, without '/' or control characters"
_PROBLEMS = {
    "string_too_short": "is empty",
    "string_too_long": "is longer than 64 characters",
    "string_blank": "is blank",
    "string_control_character": "contains a control character",
    "string_slash": "contains '/'",
}


def _problem(adapter: TypeAdapter[str], value: str) -> str | None:
    """Why ``value`` breaks the rule ``adapter`` checks, or None when it keeps it."""
    try:
        adapter.validate_python(value)
    except ValidationError as error:
        first = error.errors()[0]
        return _PROBLEMS.get(first["type"], first["msg"].lower())
    return None


def _checked_clinics(role: Role, clinics: list[str]) -> frozenset[str]:
    for clinic in clinics:
        if problem := _problem(_CLINIC, clinic):
            raise CliError(f"--clinic: {clinic!r} {problem}", hint=_CLINIC_RULE)
    if role is Role.ADMIN and clinics:
        raise CliError(
            "--clinic: an admin token acts for every clinic",
            hint="leave out --clinic, or choose a role that a clinic can scope",
        )
    if role is not Role.ADMIN and not clinics:
        raise CliError(
            f"--clinic: a {role.value} token needs at least one clinic",
            hint="repeat --clinic for each clinic it may act for",
        )
    return frozenset(clinics)


def _checked_name(name: str | None, role: Role, clinics: list[str]) -> str:
    if name is not None:
        if problem := _problem(_NAME, name):
            raise CliError(f"--name: {name!r} {problem}", hint=_NAME_RULE)
        return name
    default = f"{role.value}-{'-'.join(clinics or ['all'])}"
    if problem := _problem(_NAME, default):
        raise CliError(
            f"--name: the default name {default!r} {problem}", hint="choose one with --name"
        )
    return default


def _shown(adapter: TypeAdapter[str], value: str) -> str:
    # Rows written before names and clinic ids were checked may break the rule, e.g. a
    # clinic id "" or a name with an escape sequence; quoted as Python writes strings,
    # such a value cannot pass for another one, for "all", or reach the terminal raw.
    return value if _problem(adapter, value) is None else repr(value)


def _scope(role: Role, clinics: frozenset[str]) -> str:
    """The clinics a token acts for, as the authorisation checks read them."""
    if role is Role.ADMIN:
        return "all"
    return ", ".join(_shown(_CLINIC, clinic) for clinic in sorted(clinics)) or "none"


@tokens_app.command("create")
@friendly_errors
def create(
    role: Annotated[str, typer.Option("--role", help=", ".join(r.value for r in Role))],
    clinic: Annotated[
        list[str] | None,
        typer.Option(
            "--clinic",
            help="A clinic the token may act for (repeat; required unless --role admin, which "
            "acts for every clinic and takes none). 1-64 characters, no '/'.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Who holds it: 1-64 characters, no control characters; unique among live "
            "tokens (default: ROLE-CLINIC...).",
        ),
    ] = None,
) -> None:
    """Create a token and print it once.

    A revoked token's name can be given to a new token: the revoked one stays in
    `kapaudit tokens list` as NAME@revoked-TIME, and the access log still shows its
    reads under NAME (all of them from before it was revoked). The name of a live
    token is refused; revoke that token first.
    """
    try:
        chosen = Role(role)
    except ValueError:
        raise CliError(
            f"--role: unknown role {role!r}", hint=f"use one of {', '.join(r.value for r in Role)}"
        ) from None
    clinics = _checked_clinics(chosen, clinic or [])
    label = _checked_name(name, chosen, clinic or [])
    # Built before the token exists, as plain Text (no markup to misread), so that once
    # the row is in the database nothing stands between it and the operator's screen.
    header = Text.assemble(
        "token ",
        (label, "bold"),
        f" ({chosen.value}, clinics: {_scope(chosen, clinics)}); it is shown only once:",
    )

    async def run() -> str:
        engine = engine_from_settings(load_settings())
        try:
            await upgrade_schema(engine)
            store = SqlTokenStore(engine=engine)
            now = SystemClock().now()
            await store.rename_revoked(label, now=now)
            token, _ = await store.create(name=label, role=chosen, clinics=clinics, now=now)
            return token
        except ValueError as problem:
            # Revoked tokens have just given up the name, so the one holding it is live.
            raise CliError(
                f"--name: {problem}", hint="revoke that token first, or choose another name"
            ) from None
        finally:
            await engine.dispose()

    token = asyncio.run(run())
    console.print(header)
    typer.echo(token)


@tokens_app.command("list")
@friendly_errors
def list_tokens() -> None:
    """Every token: name, role, clinics, created, revoked."""

    async def run() -> list[TokenInfo]:
        engine = engine_from_settings(load_settings())
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
            Text(_shown(_NAME, info.principal.name)),
            Text(info.principal.role.value),
            Text(_scope(info.principal.role, info.principal.clinics)),
            info.created_at.isoformat(timespec="seconds"),
            info.revoked_at.isoformat(timespec="seconds") if info.revoked_at else "",
        )
    console.print(table)


@tokens_app.command("revoke")
@friendly_errors
def revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token; requests with it are refused from now on."""

    async def run() -> bool:
        engine = engine_from_settings(load_settings())
        try:
            await upgrade_schema(engine)
            return await SqlTokenStore(engine=engine).revoke(name, now=SystemClock().now())
        finally:
            await engine.dispose()

    if not asyncio.run(run()):
        raise CliError(f"no live token named {name!r}", hint="see `kapaudit tokens list`")
    console.print(f"revoked {escape(name)}")
