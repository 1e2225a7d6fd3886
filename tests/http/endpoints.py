"""Every endpoint of the API, with an address that exists in the seeded store."""

from __future__ import annotations

from typing import Final

from tests.http.support import CLINIC

SESSION: Final = "sess-demo-05"
"""A SPRAVATO session of the demo day whose 40-minute blood pressure is missing."""

READS: Final = (
    f"/v1/sessions?clinic_id={CLINIC}",
    f"/v1/sessions/{SESSION}/timeline",
    f"/v1/sessions/{SESSION}/compliance",
    f"/v1/clinics/{CLINIC}/compliance-report",
    f"/v1/clinics/{CLINIC}/controlled-substances",
    f"/v1/clinics/{CLINIC}/access-report",
)
"""The reads of session and patient data, all of the demo clinic."""

VERIFY: Final = "/v1/log/verify"
