"""Each role reads only what it may, and a refusal never tells whether the thing exists."""

from __future__ import annotations

import pytest

from tests.conftest import both_stores
from tests.http.endpoints import READS, SESSION, VERIFY
from tests.http.serving import Api
from tests.http.support import OTHER_SESSION

# Served from the memory ports (tests/http/conftest.py), but for the tests about the
# SQL dialect (both_stores), which ask for sql_api.
pytestmark = pytest.mark.memory_ports


@pytest.mark.parametrize(
    ("token_name", "reads", "verify"),
    [
        ("officer", 200, 403),
        ("admin", 200, 200),
        ("other-officer", 403, 403),
        ("publisher", 403, 403),
        ("regulator", 403, 403),
    ],
)
async def test_each_role_reads_the_demo_clinic_only_when_it_may(
    api: Api, token_name: str, reads: int, verify: int
) -> None:
    answers = {
        path: (await api.client.get(path, headers=api.auth(token_name))).status_code
        for path in (*READS, VERIFY)
    }

    assert answers == {**dict.fromkeys(READS, reads), VERIFY: verify}


@pytest.mark.parametrize("view", ["timeline", "compliance"])
async def test_a_missing_session_and_another_clinics_session_are_refused_alike(
    api: Api, view: str
) -> None:
    missing = await api.client.get(f"/v1/sessions/sess-nowhere/{view}", headers=api.auth("officer"))
    foreign = await api.client.get(
        f"/v1/sessions/{OTHER_SESSION}/{view}", headers=api.auth("officer")
    )

    assert (missing.status_code, missing.json()) == (403, {"detail": "not permitted"})
    assert (foreign.status_code, foreign.json()) == (403, {"detail": "not permitted"})


async def test_an_admin_is_told_that_a_session_does_not_exist(api: Api) -> None:
    response = await api.client.get("/v1/sessions/sess-nowhere/timeline", headers=api.auth("admin"))

    assert response.status_code == 404


async def test_the_other_clinics_officer_reads_its_own_session(api: Api) -> None:
    own = await api.client.get(
        f"/v1/sessions/{OTHER_SESSION}/timeline", headers=api.auth("other-officer")
    )
    demo = await api.client.get(
        f"/v1/sessions/{SESSION}/timeline", headers=api.auth("other-officer")
    )

    assert own.status_code == 200
    assert own.json()["session_id"] == OTHER_SESSION
    assert demo.status_code == 403


# SQLite would store such an id and find no session; PostgreSQL refuses a NUL with an error.
@both_stores
async def test_an_identifier_no_session_can_have_is_refused_like_a_missing_one(
    sql_api: Api,
) -> None:
    api = sql_api  # the dialect matters here: never the memory ports
    officer = await api.client.get(
        f"/v1/sessions/{'x' * 65}/compliance", headers=api.auth("officer")
    )
    admin = await api.client.get("/v1/sessions/a%00b/compliance", headers=api.auth("admin"))

    assert officer.status_code == 403
    assert admin.status_code == 404
