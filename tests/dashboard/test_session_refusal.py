"""A session page checks the token's clinic before it reads the session's history.

So refusing another clinic's session costs what refusing a missing one does, and the
two refusals cannot be told apart, while the refusal is still accounted for.
"""

from __future__ import annotations

from tests.dashboard.conftest import Dashboard
from tests.http.support import CLINIC, OTHER_CLINIC, OTHER_PATIENT, OTHER_SESSION


async def test_another_clinics_session_is_refused_before_its_history_is_read(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get(f"/sessions/{OTHER_SESSION}", as_token="officer")

    assert response.status_code == 403
    assert dashboard.queries.histories_read == []


async def test_another_clinics_session_and_a_missing_one_get_the_same_refusal_page(
    dashboard: Dashboard,
) -> None:
    foreign = await dashboard.get(f"/sessions/{OTHER_SESSION}", as_token="officer")
    missing = await dashboard.get("/sessions/sess-nowhere", as_token="officer")

    assert (foreign.status_code, foreign.text) == (missing.status_code, missing.text)
    assert OTHER_CLINIC not in foreign.text
    assert OTHER_PATIENT not in foreign.text


async def test_refusing_another_clinics_session_records_a_denial_of_its_patient(
    dashboard: Dashboard,
) -> None:
    await dashboard.get(f"/sessions/{OTHER_SESSION}?as_of=", as_token="officer")
    await dashboard.get("/sessions/sess-nowhere", as_token="officer")

    [denial] = dashboard.auditor.denied
    assert denial["principal"].name == "officer"
    assert (denial["clinic_id"], denial["patient_id"], denial["session_id"]) == (
        OTHER_CLINIC,
        OTHER_PATIENT,
        OTHER_SESSION,
    )
    assert denial["resource"] == f"/sessions/{OTHER_SESSION}"
    assert dashboard.auditor.allowed == []


async def test_an_officer_still_sees_their_own_clinics_session_and_its_read_is_recorded(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get("/sessions/sess-demo-05", as_token="officer")

    assert response.status_code == 200
    assert "vitals.bp_at_40_min" in response.text
    [read] = dashboard.auditor.allowed
    assert (read["clinic_id"], read["session_id"]) == (CLINIC, "sess-demo-05")
    assert dashboard.auditor.denied == []
