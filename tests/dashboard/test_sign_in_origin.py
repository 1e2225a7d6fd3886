"""Another site's page cannot sign a visitor in (or out): login CSRF is refused."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import Dashboard


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://attacker.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
async def test_a_sign_in_posted_from_another_site_is_refused_and_sets_no_cookie(
    dashboard: Dashboard, headers: dict[str, str]
) -> None:
    response = await dashboard.client.post(
        "/sign-in", data={"token": dashboard.tokens["officer"]}, headers=headers
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert "sent from another site" in response.text


async def test_a_sign_in_from_the_dashboards_own_page_sets_the_cookie(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.client.post(
        "/sign-in",
        data={"token": dashboard.tokens["officer"]},
        headers={"Origin": "http://dashboard.test", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 303
    assert "HttpOnly" in response.headers["set-cookie"]


async def test_a_sign_in_without_origin_headers_still_works_for_scripts(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.client.post("/sign-in", data={"token": dashboard.tokens["officer"]})
    assert response.status_code == 303


async def test_a_sign_out_posted_from_another_site_leaves_the_visitor_signed_in(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.client.post(
        "/sign-out", headers={"Origin": "https://attacker.example"}
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
