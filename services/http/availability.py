"""Waiting for the broker's acknowledgement, within a deadline; else 503 and a retry hint."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Annotated, Final

from fastapi import Depends, HTTPException, status

from services.http.outage import RETRY_AFTER_SECONDS

__all__ = [
    "BROKER_TIMEOUT_SECONDS",
    "RETRY_AFTER_SECONDS",
    "BrokerTimeout",
    "acknowledged",
    "get_broker_timeout",
]

_log = logging.getLogger("kapaudit.http")

BROKER_TIMEOUT_SECONDS: Final = 10.0
"""The longest a request waits for the broker. aiokafka retries an unreachable broker for
much longer than a client waits, so the API gives up first and says so."""


def get_broker_timeout() -> float:
    """A dependency, so that tests can shorten the wait (``app.dependency_overrides``)."""
    return BROKER_TIMEOUT_SECONDS


BrokerTimeout = Annotated[float, Depends(get_broker_timeout)]


async def acknowledged(operation: Awaitable[object], *, within: float, refusal: str) -> None:
    """Await a publish; on any failure or after ``within`` seconds answer 503 with ``refusal``.

    A publish abandoned here may still reach the broker later. That is safe: every event
    carries its ``event_id``, so the client's retry and the late copy are recorded once.
    """
    try:
        async with asyncio.timeout(within):
            await operation
    except Exception as error:
        _log.warning("broker did not acknowledge: %r", error)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=refusal,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from error
