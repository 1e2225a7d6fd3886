"""``kapaudit prove``: inclusion and consistency proofs, checked before they are printed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from services.adapters.sql import engine_from_settings, upgrade_schema
from services.bootstrap import wire_proofs
from services.chain import canonical_base64 as b64
from services.chain.checkpoint import Checkpoint, open_checkpoint
from services.chain.merkle import ProofError, verify_consistency, verify_inclusion
from services.chain.note import NoteError
from services.cli.common import load_settings
from services.cli.errors import CliError, friendly_errors
from services.config import Settings
from services.proofs import ConsistencyProof, InclusionProof, LogProofs, ProofUnavailableError
from services.signing_keys import trusted_verifiers

__all__ = ["consistency_json", "inclusion_json", "prove_app"]

prove_app = typer.Typer(
    help="Merkle proofs that an event is in the log, or that the log only grew.",
    no_args_is_help=True,
)

T = TypeVar("T")


def inclusion_json(proof: InclusionProof) -> dict[str, object]:
    return {
        "event_id": proof.event_id,
        "leaf_index": proof.leaf_index,
        "tree_size": proof.tree_size,
        "leaf_hash": b64.encode(proof.leaf_hash),
        "hashes": [b64.encode(h) for h in proof.hashes],
        "checkpoint": proof.checkpoint,
    }


def consistency_json(proof: ConsistencyProof) -> dict[str, object]:
    return {
        "from_size": proof.old_size,
        "to_size": proof.new_size,
        "hashes": [b64.encode(h) for h in proof.hashes],
        "from_checkpoint": proof.old_checkpoint,
        "to_checkpoint": proof.new_checkpoint,
    }


@prove_app.command("inclusion")
@friendly_errors
def inclusion(
    event_id: Annotated[str, typer.Argument(help="The event to prove.")],
    checkpoint: Annotated[
        int | None,
        typer.Option("--checkpoint", help="Tree size of a stored checkpoint (default: newest)."),
    ] = None,
) -> None:
    """Print the proof that EVENT_ID is in the log's signed checkpoint, as JSON."""
    settings = load_settings()
    proof = _run(settings, lambda proofs: proofs.inclusion(event_id, size=checkpoint))
    signed = _checkpoint(settings, proof.checkpoint)
    try:
        verify_inclusion(
            proof.leaf_hash, proof.leaf_index, proof.tree_size, proof.hashes, signed.root_hash
        )
    except ProofError as error:
        raise _tampered(error) from None
    typer.echo(json.dumps(inclusion_json(proof), indent=2))


@prove_app.command("consistency")
@friendly_errors
def consistency(
    old_size: Annotated[int, typer.Argument(help="The earlier tree size.", min=0)],
    new_size: Annotated[int, typer.Argument(help="The later tree size.", min=0)],
) -> None:
    """Print the proof that the log of NEW_SIZE entries extends the one of OLD_SIZE."""
    settings = load_settings()
    proof = _run(settings, lambda proofs: proofs.consistency(old_size, new_size))
    if proof.old_checkpoint is not None and proof.new_checkpoint is not None:
        old = _checkpoint(settings, proof.old_checkpoint)
        new = _checkpoint(settings, proof.new_checkpoint)
        try:
            verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof.hashes)
        except ProofError as error:
            raise _tampered(error) from None
    typer.echo(json.dumps(consistency_json(proof), indent=2))


def _run(settings: Settings, ask: Callable[[LogProofs], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = engine_from_settings(settings)
        try:
            await upgrade_schema(engine)
            return await ask(wire_proofs(engine=engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except ProofUnavailableError as error:
        raise CliError(
            str(error), hint="`kapaudit checkpoint` signs the current log; sizes are entries"
        ) from None


def _checkpoint(settings: Settings, note: str) -> Checkpoint:
    verifiers = trusted_verifiers(settings)
    try:
        if verifiers:
            return open_checkpoint(note, verifiers=verifiers, origin=settings.log_origin).checkpoint
        return Checkpoint.parse(note.partition("\n\n")[0] + "\n")
    except NoteError as error:
        raise CliError(
            f"the stored checkpoint does not verify: {error}",
            hint="check KAPAUDIT_TRUSTED_KEYS and KAPAUDIT_LOG_ORIGIN, then run `kapaudit verify`",
        ) from None


def _tampered(error: ProofError) -> CliError:
    return CliError(
        f"the proof does not match its signed checkpoint: {error}",
        hint="the log or its Merkle tree was changed; run `kapaudit verify`",
    )
