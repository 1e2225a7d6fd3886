"""`kapaudit db roles`: the grants come from one table of who touches what."""

from __future__ import annotations

import pytest

from services.adapters.sql import auth_tables, read_model_tables  # noqa: F401
from services.adapters.sql.roles import (
    ACCESS,
    VERSION_TABLE,
    Component,
    grants_sql,
    role_name,
)
from services.adapters.sql.tables import APPEND_ONLY_TABLES, metadata


def test_every_table_is_granted_to_some_component() -> None:
    granted = {table for access in ACCESS.values() for table in access}
    assert set(metadata.tables) | {VERSION_TABLE} == granted


def test_only_the_owner_may_change_or_remove_rows_of_an_append_only_table() -> None:
    rights = {
        (component, table, privilege)
        for component, access in ACCESS.items()
        for table, privileges in access.items()
        for privilege in privileges
        if table in APPEND_ONLY_TABLES
    }
    assert {p for _, _, p in rights} <= {"SELECT", "INSERT"}


def test_a_role_that_inserts_into_a_serial_table_may_draw_from_its_sequence() -> None:
    grants = grants_sql(prefix="kapaudit", schema="public")
    assert {g for g in grants if " SEQUENCE " in g} == {
        'GRANT USAGE ON SEQUENCE "public"."event_log_position_seq" TO "kapaudit_recorder"',
        'GRANT USAGE ON SEQUENCE "public"."rejected_events_id_seq" TO "kapaudit_recorder"',
        'GRANT USAGE ON SEQUENCE "public"."checkpoints_id_seq" TO "kapaudit_recorder"',
        'GRANT USAGE ON SEQUENCE "public"."checkpoints_id_seq" TO "kapaudit_reader"',
        'GRANT USAGE ON SEQUENCE "public"."projection_faults_id_seq" TO "kapaudit_projector"',
    }


def test_every_process_may_read_the_schema_version() -> None:
    assert all(access[VERSION_TABLE] == ("SELECT",) for access in ACCESS.values())
    assert set(ACCESS) == set(Component)


@pytest.mark.parametrize("prefix", ["", "Kap", "kap;drop", "a" * 42])
def test_a_prefix_that_is_not_a_plain_lowercase_name_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="role prefix"):
        role_name(prefix, None)
