"""The API app served in-process over ASGI, with a client that knows the test tokens."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from services.http import create_app
from tests.http.support import http_context


@dataclass(frozen=True, slots=True, kw_only=True)
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    engine: AsyncEngine
    bootstrap_servers: str
    tokens: dict[str, str]

    def auth(self, token_name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[token_name]}"}


@contextlib.asynccontextmanager
async def serving(
    *, engine: AsyncEngine, broker: KafkaBroker, bootstrap: str, tokens: dict[str, str]
) -> AsyncIterator[Api]:
    app = create_app(http_context(engine=engine, broker=broker))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client=client, app=app, engine=engine, bootstrap_servers=bootstrap, tokens=tokens)


def closed_port() -> int:
    """A port on 127.0.0.1 that nobody listens on (free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
