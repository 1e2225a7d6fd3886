"""An export's disclosures, recorded through the audited reads (``services.reading``):
the API, the dashboard, the command line and the export share one path to the access
log, and the export fails closed within its deadline as every other read does."""

from __future__ import annotations

from collections.abc import Sequence

from events import AccessChannel
from services.auth import Principal
from services.exporting.ports import Requester
from services.reading import AuditedReads, ReadRequest, command_line_reader

__all__ = ["AuditedDisclosures", "cli_requester"]


def cli_requester() -> Requester:
    """The command line has no API token: its exports are recorded as the reports' reads
    are, ``cli:<os user>@<host>`` with the role ``admin`` (whoever runs it holds the
    database and the signing key), on the channel ``cli``."""
    reader = command_line_reader()
    return Requester(name=reader.name, role=reader.role, channel=AccessChannel.CLI)


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
