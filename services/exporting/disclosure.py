"""An export's disclosures, recorded as ``access.recorded`` events: the one place the
export touches the access auditor (swap it here when the audited-read path moves)."""

from __future__ import annotations

import getpass
from collections.abc import Sequence

from events import AccessChannel, AccessOutcome, AccessRole
from services.access import AccessAuditor
from services.auth import Principal
from services.exporting.ports import Requester

__all__ = ["AuditedDisclosures", "cli_requester"]

_LABEL = 128


def cli_requester() -> Requester:
    """The command line has no API token: its exports are recorded as ``cli:<os user>``
    with the role ``admin`` (whoever runs it holds the database and the signing key), on
    the channel ``api``, the contract's only channel that is not the dashboard."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    name = "".join(c for c in f"cli:{user}" if c.isprintable())[:_LABEL]
    return Requester(name=name, role=AccessRole.ADMIN, channel=AccessChannel.API)


class AuditedDisclosures:
    """Implements ``Disclosures`` with the ``AccessAuditor``: one ``access.recorded``
    per patient, acknowledged by the broker before the bundle is written."""

    def __init__(self, *, auditor: AccessAuditor) -> None:
        self._auditor = auditor

    async def disclosed(
        self,
        *,
        requester: Requester,
        clinic_id: str,
        patient_ids: Sequence[str],
        resource: str,
        query: dict[str, str],
    ) -> None:
        principal = Principal(
            # No token for the CLI; the access event names the token, not its id.
            token_id=0,
            name=requester.name,
            role=requester.role,
            clinics=frozenset({clinic_id}),
        )
        await self._auditor.record(
            principal=principal,
            channel=requester.channel,
            resource=resource,
            query=query,
            outcome=AccessOutcome.ALLOWED,
            clinic_id=clinic_id,
            patient_ids=patient_ids,
        )
