"""Refusals that reveal nothing: a 403 never says whether the resource exists.

Which reads of patient data are refused, and when a 404 may be told instead, is
``services.reading``'s to decide."""

from __future__ import annotations

from fastapi import HTTPException, status

__all__ = ["NOT_PERMITTED", "not_permitted"]

NOT_PERMITTED = "not permitted"


def not_permitted(detail: str = NOT_PERMITTED) -> HTTPException:
    return HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=detail)
