"""An export's disclosures, recorded through the audited reads (``services.reading``):
the API, the dashboard, the command line and the export share one path to the access
log, and the export fails closed within its deadline as every other read does."""

from __future__ import annotations

import getpass
from collections.abc import Sequence

from events import AccessChannel, AccessRole
from services.auth import Principal
from services.exporting.ports import Requester
from services.reading import AuditedReads, ReadRequest

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
    """Implements ``Disclosures`` with ``AuditedReads.record_disclosure``: one
    ``access.recorded`` per patient, acknowledged before the bundle is written, else
    ``UnrecordedReadError`` (and the export fails)."""

    def __init__(self, *, reads: AuditedReads) -> None:
        self._reads = reads

    async def disclosed(
        self,
        *,
        requester: Requester,
        clinic_id: str,
        patient_ids: Sequence[str],
        resource: str,
        query: dict[str, str],
    ) -> None:
        request = ReadRequest(
            principal=Principal(
                # The access event names the token, not its id (the CLI has none).
                token_id=0,
                name=requester.name,
                role=requester.role,
                clinics=frozenset({clinic_id}),
            ),
            channel=requester.channel,
            resource=resource,
            query=query,
        )
        await self._reads.record_disclosure(request, clinic_id=clinic_id, patient_ids=patient_ids)
