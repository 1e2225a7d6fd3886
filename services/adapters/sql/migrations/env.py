"""Alembic environment: migrations always run on a connection handed over by ``migrate.py``."""

from __future__ import annotations

from alembic import context

from services.adapters.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `kapaudit db upgrade`, which supplies a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
