"""Who may see an export: the API's list and the dashboard's Exports page ask the same."""

from __future__ import annotations

from services.auth import Principal, Role
from services.exporting.ports import ExportRecord

__all__ = ["visible_to"]


def visible_to(principal: Principal, record: ExportRecord) -> bool:
    """An admin sees every export; a regulator those its token asked for."""
    if principal.role is Role.ADMIN:
        return True
    return (
        principal.role is Role.REGULATOR
        and record.requested_by == principal.name
        and principal.may_export(record.clinic_id)
    )
