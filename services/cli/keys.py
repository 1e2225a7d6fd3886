"""``kapaudit keys`` and ``kapaudit checkpoint``: the signing key and signed tree heads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from services.adapters.kafka import kafka_security, make_broker
from services.adapters.sql import engine_from_settings, upgrade_schema
from services.bootstrap import wire_checkpoints
from services.checkpointing import WrittenCheckpoint
from services.cli.common import console, load_settings, printable
from services.cli.errors import CliError, friendly_errors
from services.clock import SystemClock
from services.config import Settings
from services.signing_keys import (
    SigningKeyError,
    configured_key_file,
    create_key_file,
    load_signer,
)

__all__ = ["checkpoint", "keys_app"]

keys_app = typer.Typer(help="The key that signs the log's checkpoints.", no_args_is_help=True)


@keys_app.command("create")
@friendly_errors
def keys_create(
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key (0600).")],
    name: Annotated[
        str | None,
        typer.Option("--name", help="Key name (default: KAPAUDIT_LOG_ORIGIN)."),
    ] = None,
) -> None:
    """Write a new Ed25519 signing key file and print its public verifier key."""
    if out.exists():
        raise CliError(
            f"{out} exists already",
            hint="a signing key is never overwritten (old checkpoints need it): pick another --out",
        )
    verifier = create_key_file(out, name=name or load_settings().log_origin)
    console.print(f"wrote the private signing key to {printable(out)} (keep it secret)")
    console.print("verifier key (publish it; witnesses and `verify` trust this):")
    typer.echo(str(verifier))


@keys_app.command("verifier")
@friendly_errors
def keys_verifier() -> None:
    """Print the public verifier key of the configured signing key: what regulators
    pass to `kapaudit verify-export --public-key` and witnesses trust."""
    key_file = configured_key_file(load_settings())
    if key_file is None:
        raise CliError(
            "no signing key configured",
            hint="set KAPAUDIT_SIGNING_KEY_FILE, or run `kapaudit up` once (it creates one)",
        )
    try:
        signer = load_signer(key_file)
    except SigningKeyError as error:
        raise CliError(
            str(error), hint="KAPAUDIT_SIGNING_KEY_FILE must name a signer key"
        ) from None
    typer.echo(str(signer.verifier))


@friendly_errors
def checkpoint() -> None:
    """Sign the log's current Merkle tree head now, store it and publish it to Kafka."""
    written = asyncio.run(_checkpoint(load_settings()))
    console.print(
        f"checkpoint of size {written.size}, root {written.root_hash.hex()}"
        + ("" if written.published else " [yellow](stored; not published to Kafka)[/]"),
        soft_wrap=True,
    )
    typer.echo(written.note, nl=False)


async def _checkpoint(settings: Settings) -> WrittenCheckpoint:
    if settings.signing_key_file is None:
        raise CliError(
            "KAPAUDIT_SIGNING_KEY_FILE is not set",
            hint="create a key with `kapaudit keys create --out PATH` and point the setting at it",
        )
    engine = engine_from_settings(settings)
    broker = (
        None
        if settings.kafka_bootstrap_servers is None
        else make_broker(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            idempotent=settings.kafka_idempotent_producer,
            security=kafka_security(settings),
        )
    )
    try:
        await upgrade_schema(engine)
        if broker is not None:
            await broker.start()
        writer = wire_checkpoints(
            settings=settings, engine=engine, broker=broker, clock=SystemClock()
        )
        assert writer is not None  # a key file is configured
        return await writer.write()
    finally:
        if broker is not None:
            await broker.stop()
        await engine.dispose()
