"""``data/reports/``: the four report files, folded from whole streams as they arrive.

Each session stream is folded into its history, judged with the clinic's profile versions
in force at the export's instant (the same ``judge`` the API uses) and turned into report
rows at once; the history is then dropped, so memory holds rows, not events. The periods' rules:

- the compliance report and the REMS forms list the sessions that **start** in the period
  (booked start, else first event: the API's report selects them so), judged as of the
  export; a stream that reaches outside the period (the export takes streams whole) adds
  no session that started before or after it;
- the controlled-substance log lists administrations and wastes whose **own time** lies in
  the period, as the API's ledger does and as a DEA log is kept (by date of
  administration), whichever day their session started.

Order: streams arrive grouped by patient, each patient's own stream (consents, REMS
enrolment) before their sessions (``C/patient/…`` sorts before ``C/session/…``), so only the
current patient's history is held: memory stays flat however many patients there are. A
patient stream arriving after one of that patient's sessions was judged is an error rather
than a silently wrong verdict. An integration note filed in another session's stream
counts for the session it integrates when that stream arrived first (the demo and most
clinics file the note under the session it follows up, in its own stream).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from events import IntegrationNoteRecorded, Protocol
from projections import PatientHistory, Recorded, SessionHistory
from projections.compliance import Outcome
from projections.history import evolve_patient, evolve_session
from projections.reports import build_clinic_report
from projections.verdicts import judge
from services.csv_tables import SortedCsv, report_csv
from services.exporting.compliance_html import compliance_report_html
from services.exporting.controlled_substances import (
    CONTROLLED_SUBSTANCE_COLUMNS,
    controlled_substance_order,
    controlled_substance_rows,
)
from services.exporting.documents import DocumentCounts, ExportScope
from services.exporting.rems_forms import REMS_COLUMNS, rems_form_order, rems_form_row
from services.judging import JudgedSession, session_start
from services.offline.bundle_format import (
    COMPLIANCE_CSV_FILE,
    COMPLIANCE_HTML_FILE,
    CONTROLLED_SUBSTANCES_FILE,
    REMS_FILE,
)
from services.reporting import thresholds_applied

__all__ = ["ClinicReportDocuments", "StreamOrderError"]

_SPRAVATO = Protocol.SPRAVATO_REMS


class StreamOrderError(ValueError):
    """A patient stream came after a session of that patient had been judged without it."""


class ClinicReportDocuments:
    """Writes the compliance report (CSV, HTML), the REMS forms and the controlled-substance
    log under ``bag`` on ``close``, from the streams ``add_stream`` was given."""

    def __init__(self, *, bag: Path, scope: ExportScope) -> None:
        self._bag = bag
        self._scope = scope
        self._patient_id: str | None = None
        """The patient whose streams are passing; only their history is held."""
        self._patient: PatientHistory | None = None
        self._forgotten: set[str] = set()
        """Patients whose streams have all passed."""
        self._judged_patients: set[str] = set()
        self._seen_sessions: set[str] = set()
        self._notes_for: dict[str, list[Recorded]] = {}
        """Notes filed in one session's stream for another session not yet arrived."""
        self._sessions: list[JudgedSession] = []
        self._rems = SortedCsv(columns=REMS_COLUMNS, key=rems_form_order)
        self._substances = SortedCsv(
            columns=CONTROLLED_SUBSTANCE_COLUMNS, key=controlled_substance_order
        )

    def add_stream(self, stream_id: str, entries: Sequence[Recorded]) -> None:
        # A clinic's own access stream (`<clinic>/access`, looks at the access report) has
        # no key, and no report document to go into.
        clinic_id, kind, key = [*stream_id.split("/", 2), "", ""][:3]
        if clinic_id != self._scope.clinic_id or not entries:
            return
        if kind == "patient":
            self._add_patient(key, entries)
        elif kind == "session":
            self._add_session(key, entries)

    def close(self) -> DocumentCounts:
        scope = self._scope
        sessions = sorted(
            self._sessions,
            key=lambda s: (s.session_start or scope.period.end, s.verdict.session_id),
        )
        report = build_clinic_report(
            ((s.verdict, s.session_start) for s in sessions),
            clinic_id=scope.clinic_id,
            start=scope.period.start,
            end=scope.period.end,
            as_of=scope.created_at,
        )
        counts = {
            "report_sessions": len(sessions),
            "rems_forms": len(self._rems),
            "controlled_substance_lines": len(self._substances),
        }
        self._write(COMPLIANCE_CSV_FILE, report_csv(sessions))
        self._write(
            COMPLIANCE_HTML_FILE,
            compliance_report_html(
                scope=scope,
                report=report,
                sessions=sessions,
                counts=counts,
                thresholds=thresholds_applied(
                    scope.profiles,
                    scope.clinic_id,
                    {s.verdict.protocol for s in sessions if s.verdict.protocol is not None},
                    as_of=scope.created_at,
                ),
            ),
        )
        for relative, table in (
            (REMS_FILE, self._rems),
            (CONTROLLED_SUBSTANCES_FILE, self._substances),
        ):
            path = self._bag / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="") as out:
                table.write(out)
        return DocumentCounts(counts=counts)

    def _add_patient(self, patient_id: str, entries: Sequence[Recorded]) -> None:
        if patient_id in self._judged_patients:
            raise StreamOrderError(
                f"the stream of patient {patient_id} arrived after one of their sessions was "
                "judged; pass a clinic's patient streams before its session streams"
            )
        self._enter(patient_id)
        history = self._patient
        key = f"{self._scope.clinic_id}/{patient_id}"
        for recorded in entries:
            history = evolve_patient(history, recorded, key=key)
        self._patient = history

    def _add_session(self, session_id: str, entries: Sequence[Recorded]) -> None:
        self._seen_sessions.add(session_id)
        for recorded in entries:
            event = recorded.event
            if isinstance(event, IntegrationNoteRecorded):
                integrated = event.payload.integrates_session_id
                if integrated != session_id and integrated not in self._seen_sessions:
                    self._notes_for.setdefault(integrated, []).append(recorded)
        joined = sorted((*entries, *self._notes_for.pop(session_id, ())), key=lambda r: r.position)
        history: SessionHistory | None = None
        for recorded in joined:
            history = evolve_session(history, recorded, key=session_id)
        if history is None:
            return
        scope = self._scope
        as_of = scope.created_at
        current = history.as_of(as_of)
        if scope.patient_id is not None and history.patient_id != scope.patient_id:
            return
        self._judged_patients.add(history.patient_id)
        zone = scope.period.zone
        for row in controlled_substance_rows(
            history, start=scope.period.start, end=scope.period.end, as_of=as_of, zone=zone
        ):
            self._substances.add(row)
        start = session_start(current)
        if not current.events or start is None:
            return
        if not scope.period.start <= start < scope.period.end:
            return
        self._enter(history.patient_id)
        patient = self._patient
        verdict = judge(
            session=history,
            patient=patient,
            profile_for=lambda protocol: scope.profiles.profile_at(
                history.clinic_id, protocol, as_of=as_of
            ),
            as_of=as_of,
        )
        # Only failed and pending results are kept: the CSV and the page show nothing
        # else, and a year's sessions must not hold every rule's sentence in memory.
        slim = dataclasses.replace(
            verdict,
            rules=tuple(r for r in verdict.rules if r.outcome in (Outcome.FAIL, Outcome.PENDING)),
        )
        self._sessions.append(JudgedSession(verdict=slim, session_start=start))
        form = rems_form_row(
            session=history,
            patient=patient,
            profile=scope.profiles.profile_at(history.clinic_id, _SPRAVATO, as_of=as_of),
            as_of=as_of,
            zone=zone,
        )
        if form is not None:
            self._rems.add(form)

    def _enter(self, patient_id: str) -> None:
        """Forget the previous patient's history when the next patient's streams begin."""
        if patient_id == self._patient_id:
            return
        if patient_id in self._forgotten:
            raise StreamOrderError(
                f"the streams of patient {patient_id} are not together; pass each patient's "
                "streams as one group, their own stream first"
            )
        if self._patient_id is not None:
            self._forgotten.add(self._patient_id)
        self._patient_id, self._patient = patient_id, None

    def _write(self, relative: str, text: str) -> None:
        path = self._bag / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
