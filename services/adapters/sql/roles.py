"""The PostgreSQL roles kapaudit runs as, and every privilege each one needs.

``ACCESS`` is the one place that says which component touches which table and how;
``kapaudit db roles`` prints SQL from it, and a test runs each component as its role, so
a table a component starts to use without a grant here fails that test instead of
stalling a least-privilege deployment. No role but the owner may UPDATE, DELETE or
TRUNCATE the log, ``rejected_events``, ``session_owners``, the Merkle tree or the
checkpoints: the append-only triggers guard against mistakes, the missing privileges
against a compromised process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql.auth_tables import api_tokens
from services.adapters.sql.read_model_tables import (
    proj_patients,
    proj_profiles,
    proj_sessions,
    proj_verdicts,
    projection_checkpoints,
    projection_faults,
)
from services.adapters.sql.tables import (
    checkpoints,
    event_log,
    exports,
    merkle_leaves,
    merkle_nodes,
    metadata,
    rejected_events,
    session_owners,
)

__all__ = [
    "ACCESS",
    "VERSION_TABLE",
    "Component",
    "apply_roles",
    "create_roles_sql",
    "grants_sql",
    "role_name",
    "sequence_name",
]

VERSION_TABLE = "alembic_version"
"""Alembic's table: every process reads it at start to see that the schema is current."""


class Component(StrEnum):
    """A kapaudit process with a database role of its own (besides the owner)."""

    RECORDER = "recorder"
    """``kapaudit record``: appends to the log."""
    PROJECTOR = "projector"
    """``kapaudit project``: folds the log into the read models."""
    READER = "reader"
    """``kapaudit serve`` and ``kapaudit verify``: reads the log, never writes it (it keeps
    its bookkeeping of the exports it serves, and appends the checkpoints they pin)."""


_READ = ("SELECT",)
_APPEND = ("SELECT", "INSERT")
_READ_MODEL = ("SELECT", "INSERT", "UPDATE", "DELETE")

ACCESS: Mapping[Component, Mapping[str, tuple[str, ...]]] = {
    Component.RECORDER: {
        event_log.name: _APPEND,
        rejected_events.name: _APPEND,
        session_owners.name: _APPEND,
        # The Merkle tree grows in the transaction that appends the rows it hashes, and
        # the recorder signs a checkpoint of it every so often.
        merkle_leaves.name: _APPEND,
        merkle_nodes.name: _APPEND,
        checkpoints.name: _APPEND,
        VERSION_TABLE: _READ,
    },
    Component.PROJECTOR: {
        event_log.name: _READ,
        proj_sessions.name: _READ_MODEL,
        proj_patients.name: _READ_MODEL,
        proj_profiles.name: _READ_MODEL,
        proj_verdicts.name: _READ_MODEL,
        # UPDATE also covers the SELECT ... FOR UPDATE that keeps two projectors apart.
        projection_checkpoints.name: ("SELECT", "INSERT", "UPDATE"),
        # Events a fold could not take are kept on record, never removed.
        projection_faults.name: _APPEND,
        VERSION_TABLE: _READ,
    },
    Component.READER: {
        event_log.name: _READ,
        # verify checks each session's owner against the log.
        session_owners.name: _READ,
        # verify checks the log against the newest checkpoint; the API serves proofs.
        merkle_leaves.name: _READ,
        merkle_nodes.name: _READ,
        # An export pins a checkpoint of the whole log, signing a fresh one when the
        # recorder's newest falls short: appended, as the recorder appends them.
        checkpoints.name: _APPEND,
        proj_sessions.name: _READ,
        proj_patients.name: _READ,
        proj_profiles.name: _READ,
        proj_verdicts.name: _READ,
        # `kapaudit projections faults`, an operator's read.
        projection_faults.name: _READ,
        # Tokens are created and revoked by `kapaudit tokens`, run as the owner.
        api_tokens.name: _READ,
        # The exports the API starts and reports on: its bookkeeping, not the log.
        exports.name: ("SELECT", "INSERT", "UPDATE"),
        VERSION_TABLE: _READ,
    },
}
"""Component -> table -> privileges. Tables no component touches belong to the owner."""

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")


def role_name(prefix: str, component: Component | None) -> str:
    """``<prefix>_owner`` for ``None``, else ``<prefix>_<component>``."""
    if not _NAME.fullmatch(prefix):
        raise ValueError(
            f"role prefix {prefix!r} must be lowercase letters, digits and _ (at most 41)"
        )
    return f"{prefix}_{component.value if component else 'owner'}"


def sequence_name(table: Table) -> str | None:
    """The sequence PostgreSQL creates for ``table``'s serial key, if it has one."""
    column = table.autoincrement_column
    return None if column is None else f"{table.name}_{column.name}_seq"


def create_roles_sql(*, prefix: str, schema: str, database: str, owner: bool = True) -> list[str]:
    """Run once as a database administrator: the login roles (the owner's only with
    ``owner``), owning nothing yet.

    Idempotent. Passwords are set apart (``\\password``), so they never reach this
    output or a shell history.
    """
    statements = []
    for component in ((None,) if owner else ()) + tuple(Component):
        role = role_name(prefix, component)
        statements.append(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
            f"{_literal(role)}) THEN CREATE ROLE {_ident(role)} LOGIN NOSUPERUSER "
            "NOCREATEDB NOCREATEROLE NOINHERIT; END IF; END $$"
        )
        statements.append(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {_ident(role)}")
        schema_rights = "USAGE, CREATE" if component is None else "USAGE"
        statements.append(f"GRANT {schema_rights} ON SCHEMA {_ident(schema)} TO {_ident(role)}")
    return statements


def grants_sql(*, prefix: str, schema: str) -> list[str]:
    """Run as the owner after every ``kapaudit db upgrade``: each component's grants."""
    tables = {table.name: table for table in metadata.tables.values()}
    statements = []
    for component, access in ACCESS.items():
        role = _ident(role_name(prefix, component))
        for name, privileges in access.items():
            qualified = f"{_ident(schema)}.{_ident(name)}"
            statements.append(f"GRANT {', '.join(privileges)} ON {qualified} TO {role}")
            sequence = sequence_name(tables[name]) if name in tables else None
            if "INSERT" in privileges and sequence is not None:
                # nextval() for the serial key; USAGE allows no setval().
                statements.append(
                    f"GRANT USAGE ON SEQUENCE {_ident(schema)}.{_ident(sequence)} TO {role}"
                )
    return statements


async def apply_roles(
    engine: AsyncEngine, *, prefix: str, passwords: Mapping[Component, str]
) -> list[str]:
    """Create each component's role and grant it, connected as the tables' owner (who
    must also be allowed to create roles, as the compose file's superuser is); returns
    the roles' names. Idempotent, so it can run after every ``db upgrade``."""
    async with engine.begin() as connection:
        schema = str((await connection.exec_driver_sql("SELECT current_schema()")).scalar_one())
        database = str((await connection.exec_driver_sql("SELECT current_database()")).scalar_one())
        statements = [
            *create_roles_sql(prefix=prefix, schema=schema, database=database, owner=False),
            *(
                f"ALTER ROLE {_ident(role_name(prefix, component))} PASSWORD {_literal(password)}"
                for component, password in passwords.items()
            ),
            *grants_sql(prefix=prefix, schema=schema),
        ]
        for statement in statements:
            # Not text(): a password may hold ":name", which would be read as a parameter.
            await connection.exec_driver_sql(statement)
    return [role_name(prefix, component) for component in Component]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
