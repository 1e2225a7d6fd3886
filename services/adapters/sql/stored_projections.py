"""Thin SQL storage for projections: load the touched entries, save the folded ones,
move the checkpoint, all in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from projections import (
    PATIENTS,
    PROFILES,
    SESSIONS,
    PatientHistory,
    Projection,
    ProtocolProfile,
    Recorded,
    SessionHistory,
)
from projections.projection import fold
from services.adapters.sql.read_model_tables import (
    proj_patients,
    proj_profiles,
    proj_sessions,
    projection_checkpoints,
)
from services.adapters.sql.tables import event_log

__all__ = [
    "STORED_PROJECTIONS",
    "StoredProjection",
    "built_version",
    "first_unfolded_at",
    "insert_for",
    "read_checkpoint",
    "write_checkpoint",
]

_CHUNK = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredProjection:
    """A pure projection plus the table that keeps its entries."""

    projection: Projection[str, Any]
    table: Table
    key_column: str
    columns: Any  # Callable[[state], dict[str, Any]]: the queryable columns of one entry

    @property
    def name(self) -> str:
        return self.projection.name

    async def apply(
        self,
        connection: AsyncConnection,
        events: Iterable[Recorded],
        *,
        on_fault: Callable[[Recorded, Exception], None] | None = None,
        on_changed: Callable[[AsyncConnection, list[Any]], Awaitable[Any]] | None = None,
    ) -> int:
        """Fold ``events`` into the stored entries they touch; returns entries written.

        ``on_fault`` receives each event the fold fails on, which is then left out (see
        ``projections.fold``); without it, such an event raises. ``on_changed`` receives
        the entries written, after they are, in the same transaction (the projector
        judges the sessions they concern again).
        """
        events = list(events)
        keys: set[Any] = set()
        for recorded in events:
            try:
                keys.update(self.projection.keys(recorded))
            except Exception:
                if on_fault is None:
                    raise
                # fold() meets the same failure and reports it.
        states = await self._load(connection, keys)
        changed = fold(self.projection, states, events, on_fault=on_fault)
        rows = [
            {
                self.key_column: key,
                **self.columns(state),
                "history_json": json.dumps(
                    self.projection.to_document(state), sort_keys=True, separators=(",", ":")
                ),
            }
            for key, state in sorted(changed.items())
        ]
        if rows:
            await connection.execute(_upsert(connection, self.table, self.key_column), rows)
        if rows and on_changed is not None:
            await on_changed(connection, [state for _, state in sorted(changed.items())])
        return len(rows)

    async def _load(self, connection: AsyncConnection, keys: set[str]) -> dict[str, Any]:
        key_column = self.table.c[self.key_column]
        states: dict[str, Any] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), _CHUNK):
            result = await connection.execute(
                select(key_column, self.table.c.history_json).where(
                    key_column.in_(ordered[start : start + _CHUNK])
                )
            )
            for key, history_json in result:
                states[key] = self.projection.from_document(json.loads(history_json))
        return states

    async def clear(self, connection: AsyncConnection) -> None:
        """Forget every entry; the log is replayed from the start by the current fold."""
        await connection.execute(delete(self.table))
        await write_checkpoint(
            connection, name=self.name, position=0, version=self.projection.version
        )


def _session_columns(history: SessionHistory) -> dict[str, Any]:
    return {
        "clinic_id": history.clinic_id,
        "patient_id": history.patient_id,
        "protocol": history.protocol.value if history.protocol else None,
        "session_start": history.scheduled_start or history.first_occurred_at,
        "ended": history.ended,
        "last_position": history.last_position,
    }


def _patient_columns(history: PatientHistory) -> dict[str, Any]:
    return {
        "clinic_id": history.clinic_id,
        "patient_id": history.patient_id,
        "last_position": history.events[-1].position if history.events else 0,
    }


def _profile_columns(profile: ProtocolProfile) -> dict[str, Any]:
    return {
        "clinic_id": profile.clinic_id,
        "protocol": profile.protocol.value,
        "version": profile.latest.version,
        "last_position": profile.latest.position,
    }


STORED_PROJECTIONS: Mapping[str, StoredProjection] = {
    stored.name: stored
    for stored in (
        StoredProjection(
            projection=SESSIONS,
            table=proj_sessions,
            key_column="session_id",
            columns=_session_columns,
        ),
        StoredProjection(
            projection=PATIENTS,
            table=proj_patients,
            key_column="patient_key",
            columns=_patient_columns,
        ),
        StoredProjection(
            projection=PROFILES,
            table=proj_profiles,
            key_column="profile_key",
            columns=_profile_columns,
        ),
    )
}


async def read_checkpoint(connection: AsyncConnection, *, name: str, lock: bool = False) -> int:
    """The last log position folded into projection ``name`` (0 when never run)."""
    query = select(projection_checkpoints.c.position).where(projection_checkpoints.c.name == name)
    if lock and connection.dialect.name == "postgresql":
        # Two projector processes must not fold the same batch twice.
        query = query.with_for_update()
    position = (await connection.execute(query)).scalar_one_or_none()
    if position is None:
        await connection.execute(
            insert_for(connection, projection_checkpoints)
            .values(name=name, position=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        # Read again, locked: a projector that raced us to the first insert waited for it
        # above and must now see (and wait on) the row the other one holds.
        position = (await connection.execute(query)).scalar_one()
    return int(position)


async def first_unfolded_at(connection: AsyncConnection, *, after: int) -> datetime | None:
    """When the first log event past position ``after`` was recorded (None if none is)."""
    query = (
        select(event_log.c.recorded_at)
        .where(event_log.c.position > after)
        .order_by(event_log.c.position)
        .limit(1)
    )
    recorded_at: datetime | None = (await connection.execute(query)).scalar()
    return recorded_at


async def built_version(connection: AsyncConnection, *, name: str) -> int | None:
    """The fold version that built projection ``name``'s read model (None when never run)."""
    query = select(projection_checkpoints.c.version).where(projection_checkpoints.c.name == name)
    version = (await connection.execute(query)).scalar_one_or_none()
    return None if version is None else int(version)


async def write_checkpoint(
    connection: AsyncConnection, *, name: str, position: int, version: int | None = None
) -> None:
    """Move projection ``name``'s checkpoint, and record the fold ``version`` when given."""
    await read_checkpoint(connection, name=name)
    values: dict[str, int] = {"position": position}
    if version is not None:
        values["version"] = version
    await connection.execute(
        update(projection_checkpoints).where(projection_checkpoints.c.name == name).values(values)
    )


def insert_for(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT of the connection's dialect, so callers can add ON CONFLICT clauses."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _upsert(connection: AsyncConnection, table: Table, key_column: str) -> Any:
    statement = insert_for(connection, table)
    return statement.on_conflict_do_update(
        index_elements=[key_column],
        set_={c.name: statement.excluded[c.name] for c in table.c if c.name != key_column},
    )
