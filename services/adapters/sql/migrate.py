"""Bring a database to the latest schema with Alembic, from code (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["alembic_config", "upgrade_schema"]

_MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    """An Alembic configuration that points at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


async def upgrade_schema(engine: AsyncEngine, *, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` inside one connection."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
