"""The log's signed checkpoints and Merkle proofs: hashes, indexes and sizes, no content.

A regulator holding a checkpoint can check that an event is in the log and that the
log only grew since, without trusting kapaudit's database. An inclusion proof is asked
for by event id, so it is scoped like a read: another clinic's event is answered 404,
exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from services.chain import canonical_base64 as b64
from services.http.api.guards import not_permitted
from services.http.api.models import (
    CheckpointOut,
    ConsistencyProofOut,
    InclusionProofOut,
    error_responses,
)
from services.http.api.routing import ApiRoute
from services.http.deps import Context, CurrentPrincipal
from services.proofs import ProofUnavailableError

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["log"])

_MAX_SIZE = (1 << 63) - 1
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _unavailable(error: ProofUnavailableError) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(error))


@router.get(
    "/log/checkpoints/latest",
    summary="The newest signed checkpoint of the whole log (C2SP tlog-checkpoint)",
    response_model=CheckpointOut,
    responses=error_responses(401, 403, 404, descriptions={404: "No checkpoint yet."}),
)
async def latest_checkpoint(principal: CurrentPrincipal, context: Context) -> CheckpointOut:
    """Size and root of the log's Merkle tree as signed; keep it to check later proofs."""
    if not principal.may_audit_log:
        raise not_permitted()
    latest = await context.proofs.latest_checkpoint()
    if latest is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="no checkpoint yet")
    return CheckpointOut(
        size=latest.size,
        root_hash=b64.encode(bytes.fromhex(latest.root_hash)),
        note=latest.note_text,
        created_at=latest.created_at,
    )


@router.get(
    "/log/proofs/inclusion",
    summary="Proof that an event is in the newest signed checkpoint (hashes only)",
    response_model=InclusionProofOut,
    responses=error_responses(
        401,
        403,
        404,
        422,
        descriptions={
            404: "No such event in the token's clinics, or no checkpoint covering it yet.",
            403: "The token's role may not ask for proofs.",
        },
    ),
)
async def inclusion_proof(
    event_id: Annotated[
        str,
        Query(
            pattern=_UUID,
            description="The event's id.",
            examples=["6f1c1c9e-3a53-4bb5-9a3e-4b8f5c0a9d11"],
        ),
    ],
    principal: CurrentPrincipal,
    context: Context,
) -> InclusionProofOut:
    """The RFC 9162 audit path from the event's leaf to the checkpoint's root."""
    if not principal.may_audit_log:
        raise not_permitted()
    try:
        proof = await context.proofs.inclusion(event_id, may_see=principal.may_prove)
    except ProofUnavailableError as error:
        raise _unavailable(error) from None
    return InclusionProofOut(
        event_id=proof.event_id,
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        leaf_hash=b64.encode(proof.leaf_hash),
        hashes=[b64.encode(h) for h in proof.hashes],
        checkpoint=proof.checkpoint,
    )


@router.get(
    "/log/proofs/consistency",
    summary="Proof that the log of `to` entries extends the log of `from` entries",
    response_model=ConsistencyProofOut,
    responses=error_responses(
        401,
        403,
        404,
        422,
        descriptions={
            404: "The log has fewer than `to` entries, or `from` is more than `to`.",
            403: "The token's role may not ask for proofs.",
        },
    ),
)
async def consistency_proof(
    principal: CurrentPrincipal,
    context: Context,
    from_size: Annotated[
        int, Query(alias="from", ge=0, le=_MAX_SIZE, description="Earlier tree size.")
    ],
    to_size: Annotated[int, Query(alias="to", ge=0, le=_MAX_SIZE, description="Later size.")],
) -> ConsistencyProofOut:
    """RFC 9162 consistency proof, with the signed checkpoints of both sizes if written."""
    if not principal.may_audit_log:
        raise not_permitted()
    try:
        proof = await context.proofs.consistency(from_size, to_size)
    except ProofUnavailableError as error:
        raise _unavailable(error) from None
    return ConsistencyProofOut(
        from_size=proof.old_size,
        to_size=proof.new_size,
        hashes=[b64.encode(h) for h in proof.hashes],
        from_checkpoint=proof.old_checkpoint,
        to_checkpoint=proof.new_checkpoint,
    )
