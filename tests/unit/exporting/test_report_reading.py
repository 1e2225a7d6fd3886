"""The exporter reads the stream pass's events with ``read_stored_event``'s one-pass path;
the reports it writes must be byte for byte those of events parsed the full, strict way."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from events import canonical_json, read_stored_event
from services.demo import demo_day_events
from services.exporting.report_documents import ClinicReportDocuments
from services.offline.bundle_format import (
    COMPLIANCE_CSV_FILE,
    COMPLIANCE_HTML_FILE,
    CONTROLLED_SUBSTANCES_FILE,
    REMS_FILE,
)
from tests.unit.exporting.exported_log import demo_scope, exported_log, streams


def test_reports_from_stored_events_read_back_are_those_of_fully_parsed_events(
    tmp_path: Path,
) -> None:
    by_stream = streams(exported_log(demo_day_events()))
    written = {}
    for name, read_back in (("parsed", False), ("stored", True)):
        bag = tmp_path / name
        writer = ClinicReportDocuments(bag=bag, scope=demo_scope())
        for stream_id, entries in by_stream.items():
            if read_back:
                entries = [
                    replace(r, event=read_stored_event(canonical_json(r.event))) for r in entries
                ]
            writer.add_stream(stream_id, entries)
        counts = writer.close()
        written[name] = (
            dict(counts.counts),
            {
                relative: (bag / relative).read_bytes()
                for relative in (
                    COMPLIANCE_CSV_FILE,
                    COMPLIANCE_HTML_FILE,
                    REMS_FILE,
                    CONTROLLED_SUBSTANCES_FILE,
                )
            },
        )

    assert written["stored"] == written["parsed"]
    assert written["parsed"][0]["report_sessions"] == 24
