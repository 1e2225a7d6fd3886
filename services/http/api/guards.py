"""Refusals that reveal nothing: a 403 never says whether the resource exists."""

from __future__ import annotations

from fastapi import HTTPException, status

from services.auth import Principal, Role

__all__ = ["NOT_PERMITTED", "missing_session", "not_permitted", "require_reader"]

NOT_PERMITTED = "not permitted"


def not_permitted(detail: str = NOT_PERMITTED) -> HTTPException:
    return HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=detail)


def require_reader(principal: Principal, clinic_id: str) -> None:
    """403 unless the token may read ``clinic_id``'s session and patient data."""
    if not principal.may_read(clinic_id):
        raise not_permitted()


def missing_session(principal: Principal) -> HTTPException:
    """An admin, who may read every clinic, learns that a session does not exist; anyone
    else gets the same 403 as for another clinic's session, so ids cannot be probed."""
    if principal.role is Role.ADMIN:
        return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="no such session")
    return not_permitted()
