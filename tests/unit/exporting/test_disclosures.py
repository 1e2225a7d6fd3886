"""An export's disclosures go through the audited reads: recorded per patient, fail closed."""

from __future__ import annotations

import pytest

from events import AccessChannel, AccessOutcome, AccessRole
from services.exporting.disclosure import AuditedDisclosures, cli_requester
from services.exporting.ports import Requester
from services.reading import UnrecordedReadError
from tests.unit.reading.fakes import CLINIC, HangingLog, RecordingLog, reads

REGULATOR = Requester(name="state-board", role=AccessRole.REGULATOR, channel=AccessChannel.API)
QUERY = {"export_id": "exp-1", "from": "2026-11-24T07:00:00Z", "to": "2026-11-25T07:00:00Z"}


async def test_each_disclosed_patient_is_recorded_once_naming_the_requester_and_range() -> None:
    log = RecordingLog()
    await AuditedDisclosures(reads=reads(log)).disclosed(
        requester=REGULATOR,
        clinic_id=CLINIC,
        patient_ids=["pt-2", "pt-1", "pt-2"],
        resource="export exp-1",
        query=QUERY,
    )
    [record] = log.allowed
    assert record["patient_ids"] == ("pt-1", "pt-2")
    assert (record["principal"].name, record["principal"].role) == ("state-board", "regulator")
    assert (record["channel"], record["outcome"]) == (AccessChannel.API, AccessOutcome.ALLOWED)
    assert (record["resource"], record["query"]) == ("export exp-1", QUERY)


async def test_a_disclosure_the_access_log_does_not_acknowledge_in_time_is_an_error() -> None:
    disclosures = AuditedDisclosures(reads=reads(HangingLog(), deadline=0.05))
    with pytest.raises(UnrecordedReadError):
        await disclosures.disclosed(
            requester=cli_requester(),
            clinic_id=CLINIC,
            patient_ids=["pt-1"],
            resource="export exp-1",
            query=QUERY,
        )


def test_the_command_line_discloses_as_an_admin_named_after_the_os_user_and_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    monkeypatch.setattr("socket.gethostname", lambda: "ward-3")
    requester = cli_requester()
    assert requester.name == "cli:alice@ward-3"
    assert (requester.role, requester.channel) == (AccessRole.ADMIN, AccessChannel.CLI)
