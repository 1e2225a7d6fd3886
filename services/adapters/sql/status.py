"""What the store says about the pipeline's health, in a few cheap queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql.read_model_tables import projection_checkpoints
from services.adapters.sql.stored_projections import STORED_PROJECTIONS, first_unfolded_at
from services.adapters.sql.tables import checkpoints, event_log, rejected_events

__all__ = ["LatestCheckpoint", "ProjectionLag", "StoreStatus", "store_status"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectionLag:
    name: str
    positions: int
    """Log positions not folded yet."""
    seconds: float
    """Age of the oldest event not folded yet; 0 when caught up."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LatestCheckpoint:
    size: int
    created_at: datetime
    key_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStatus:
    events: int
    last_recorded_at: datetime | None
    rejected: dict[str, int] = field(default_factory=dict)
    """Reason -> messages stored in ``rejected_events``."""
    projections: list[ProjectionLag] = field(default_factory=list)
    checkpoint: LatestCheckpoint | None = None


async def store_status(engine: AsyncEngine, *, now: datetime) -> StoreStatus:
    """Counts, projector lag and the newest checkpoint as of one connection's reads."""
    async with engine.connect() as connection:
        events, head, last = (
            await connection.execute(
                select(
                    func.count(), func.max(event_log.c.position), func.max(event_log.c.recorded_at)
                )
            )
        ).one()
        rejected = {
            reason: int(count)
            for reason, count in (
                await connection.execute(
                    select(rejected_events.c.reason, func.count())
                    .group_by(rejected_events.c.reason)
                    .order_by(rejected_events.c.reason)
                )
            ).all()
        }
        done = dict(
            (
                await connection.execute(
                    select(projection_checkpoints.c.name, projection_checkpoints.c.position)
                )
            ).all()
        )
        lags = []
        for name in STORED_PROJECTIONS:
            folded = int(done.get(name, 0))
            oldest = await first_unfolded_at(connection, after=folded)
            lags.append(
                ProjectionLag(
                    name=name,
                    positions=max(0, (head or 0) - folded),
                    seconds=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
                )
            )
        newest = (
            await connection.execute(
                select(checkpoints.c.size, checkpoints.c.created_at, checkpoints.c.key_id)
                .order_by(checkpoints.c.id.desc())
                .limit(1)
            )
        ).one_or_none()
    return StoreStatus(
        events=int(events),
        last_recorded_at=last,
        rejected=rejected,
        projections=lags,
        checkpoint=(
            None
            if newest is None
            else LatestCheckpoint(
                size=int(newest.size), created_at=newest.created_at, key_id=newest.key_id
            )
        ),
    )
