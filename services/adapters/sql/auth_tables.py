"""The API tokens table."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, UniqueConstraint

from services.adapters.sql.tables import metadata
from services.adapters.sql.types import UtcDateTime

__all__ = ["api_tokens"]

api_tokens = Table(
    "api_tokens",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("name", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("clinics_json", Text, nullable=False),
    Column("token_sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    UniqueConstraint("name", name="uq_api_tokens_name"),
    UniqueConstraint("token_sha256", name="uq_api_tokens_token_sha256"),
)
