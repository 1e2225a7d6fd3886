"""The one read the dashboard needs beyond ``HistoryQueries``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql.read_model_tables import proj_sessions

__all__ = ["clinics_with_sessions"]


async def clinics_with_sessions(engine: AsyncEngine) -> list[str]:
    """Every clinic that has a session in the read models (the admin's clinic picker)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(proj_sessions.c.clinic_id).distinct().order_by(proj_sessions.c.clinic_id)
        )
        return list(rows.scalars())
