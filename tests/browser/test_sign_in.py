"""Signing in and out of the dashboard, and what each kind of token is allowed to see."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page, expect

from tests.browser.support import Demo, sign_in


async def test_a_wrong_token_stays_on_the_sign_in_form_with_an_error(
    demo: Demo, page: Page, context: BrowserContext
) -> None:
    await page.goto(f"{demo.url}/sign-in")
    await page.fill("#token", "kap_not-a-token-anyone-was-given")
    async with page.expect_response(f"{demo.url}/sign-in") as answer:
        await page.click("form[action='/sign-in'] button[type=submit]")
    assert (await answer.value).status == 401
    assert page.url == f"{demo.url}/sign-in"
    await expect(page.locator(".error")).to_contain_text("not valid")
    assert await context.cookies() == []


async def test_the_token_cookie_is_http_only_and_same_site_strict(
    demo: Demo, page: Page, context: BrowserContext
) -> None:
    await sign_in(page, demo, demo.officer)
    await expect(page).to_have_url(f"{demo.url}/overview")
    [cookie] = [c for c in await context.cookies() if c["name"] == "kapaudit_token"]
    assert cookie["value"] == demo.officer
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/"
    # Served over plain HTTP here, so the cookie must not be Secure or the browser drops it.
    assert cookie["secure"] is False
    assert "kapaudit_token" not in await page.evaluate("document.cookie")


async def test_a_page_asked_for_before_signing_in_opens_after_signing_in(
    demo: Demo, page: Page
) -> None:
    await page.goto(f"{demo.url}/sessions/sess-demo-05")
    assert page.url.startswith(f"{demo.url}/sign-in?next=")
    await page.fill("#token", demo.officer)
    await page.click("form[action='/sign-in'] button[type=submit]")
    await expect(page).to_have_url(f"{demo.url}/sessions/sess-demo-05")
    await expect(page.locator("h1")).to_contain_text("sess-demo-05")


async def test_the_root_sends_a_visitor_without_a_token_to_sign_in(demo: Demo, page: Page) -> None:
    await page.goto(demo.url)
    await expect(page).to_have_url(f"{demo.url}/sign-in")


async def test_signing_out_forgets_the_token(
    demo: Demo, page: Page, context: BrowserContext
) -> None:
    await sign_in(page, demo, demo.officer)
    await expect(page).to_have_url(f"{demo.url}/overview")
    await page.click("form.sign-out button")
    await expect(page).to_have_url(f"{demo.url}/sign-in")
    assert [c for c in await context.cookies() if c["name"] == "kapaudit_token"] == []
    await page.goto(f"{demo.url}/overview")
    await expect(page).to_have_url(f"{demo.url}/sign-in")


async def test_a_publisher_token_is_told_it_cannot_read_clinic_data(demo: Demo, page: Page) -> None:
    await sign_in(page, demo, demo.publisher)
    response = await page.goto(f"{demo.url}/overview")
    assert response is not None
    assert response.status == 403
    await expect(page.locator("h1")).to_have_text("This token cannot read clinic data")
    await expect(page.locator("main")).not_to_contain_text("sess-demo")


async def test_an_officer_of_another_clinic_is_refused_the_demo_clinics_pages(
    demo: Demo, page: Page
) -> None:
    await sign_in(page, demo, demo.stranger)
    for path, title in (
        # A session page must not tell another clinic's session from a missing one.
        ("/sessions/sess-demo-05", "Not found or not permitted"),
        ("/sessions/no-such-session", "Not found or not permitted"),
        ("/clinics/clinic-demo/ledger", "Not one of your clinics"),
        ("/overview?clinic=clinic-demo", "Not one of your clinics"),
    ):
        response = await page.goto(f"{demo.url}{path}")
        assert response is not None
        assert response.status == 403, path
        await expect(page.locator("h1")).to_have_text(title)
        # Refused before anything about the session is shown: not even its patient.
        await expect(page.locator("main")).not_to_contain_text("pt-")
        if path.startswith("/sessions/"):
            # Nor which clinic the session belongs to.
            await expect(page.locator("main")).not_to_contain_text("clinic-demo")


async def test_signing_in_never_redirects_off_the_site(demo: Demo, page: Page) -> None:
    await page.goto(f"{demo.url}/sign-in?next=//example.org/phish")
    await page.fill("#token", demo.officer)
    await page.click("form[action='/sign-in'] button[type=submit]")
    await expect(page).to_have_url(f"{demo.url}/overview")


async def test_an_admin_picks_among_the_clinics_found_in_the_read_models(
    demo: Demo, page: Page
) -> None:
    await sign_in(page, demo, demo.admin)
    options = page.locator("select[name=clinic] option")
    assert await options.all_inner_texts() == ["clinic-demo"]
    await expect(page.locator("h1")).to_contain_text("clinic-demo")
