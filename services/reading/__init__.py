"""Audited reads (issue 8 §5): the one path from a request to patient data.

Every read of patient data goes through ``AuditedReads``: check the identifier, look up
the clinic and patient, check the token's scope, record a refusal (in the background,
after it, bounded), load, record the read (fail closed, within the deadline), and answer
``Allowed(value=...)``, ``Denied(...)`` or ``Missing(...)``. The API, the dashboard and
the export only translate that answer into a response:

- ``Allowed``: show ``value``;
- ``Denied``: refuse without saying whether anything exists (HTTP 403);
- ``Missing``: only ever returned to an admin, who may learn that nothing has that id
  (HTTP 404); anyone else gets ``Denied`` instead;
- ``UnrecordedReadError`` (raised): the access log did not acknowledge in time, so nothing
  may be shown (HTTP 503, retry later).

One request is a ``ReadRequest``: the principal, the channel (``AccessChannel.API``,
``DASHBOARD`` or ``CLI``; ``command_line_reader()`` is the command line's principal), the
resource (``GET /v1/sessions/s-1/timeline``) and its query; those are what the access
records carry. Build the service per request, since the deadline is the request's broker
wait::

    reads = AuditedReads(
        access_log=context.auditor,
        session_owners=context.queries.clinic_and_patient_of,
        deadline=broker_wait,
    )
    outcome = await reads.clinic(
        request,
        clinic_id="clinic-demo",
        period=period,  # services.period.Period, the one period type
        load=lambda p: queries.ledger("clinic-demo", start=p.start, end=p.end),
        disclosed=lambda ledger: (line.patient_id for line in ledger.lines),
    )

The access report lists every patient read, and would fill with its own readers' looks
if each look recorded a read of each: ``reads.clinic_look(request, clinic_id=...,
period=..., load=..., patient_id=...)`` records one clinic-level look instead (patient
``-``), or one read of ``patient_id`` when the look was narrowed to that patient.

The export (``services.exporting``) calls it in two steps, so that nothing heavy is
built for a principal who may not have it and nothing is handed over unaccounted::

    request = ReadRequest(
        principal=principal,
        channel=AccessChannel.API,
        resource="POST /v1/exports",
        query={"clinic_id": clinic_id, "from": "2026-11-01", "to": "2026-11-30"},
    )
    if not reads.may_export(principal, clinic_id):  # regulator or admin, its clinics
        ...  # 403
    bundle = build_the_bundle(...)
    await reads.record_disclosure(  # raises UnrecordedReadError: do not hand it over
        request, clinic_id=clinic_id, patient_ids=bundle.patient_ids
    )

or in one, when the bundle is built in memory: ``await reads.export(request,
clinic_id=..., period=..., load=..., disclosed=...)``, which answers as ``clinic`` does
under the export rule.
"""

from services.reading.identifiers import storable_identifier
from services.reading.outcomes import Allowed, Denied, Missing, ReadOutcome, UnrecordedReadError
from services.reading.ports import AccessLog, SessionOwner, SessionOwners
from services.reading.requests import ReadRequest, command_line_reader
from services.reading.service import AuditedReads, ClinicRule

__all__ = [
    "AccessLog",
    "Allowed",
    "AuditedReads",
    "ClinicRule",
    "Denied",
    "Missing",
    "ReadOutcome",
    "ReadRequest",
    "SessionOwner",
    "SessionOwners",
    "UnrecordedReadError",
    "command_line_reader",
    "storable_identifier",
]
