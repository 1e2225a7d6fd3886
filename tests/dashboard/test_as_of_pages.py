"""Every clinic page is judged as of an instant typed on the clinic's clock, says so when
the instant is unusable, in the future or before anything was recorded, and tells times
on the clinic's clock."""

from __future__ import annotations

import re
from html import unescape

from tests.dashboard.conftest import Dashboard

PERIOD = "from=2026-11-24&to=2026-11-24"


def _text(html: str) -> str:
    """The page's words, tags dropped, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _element(html: str, element_id: str) -> str:
    found = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.DOTALL)
    assert found is not None, f"no #{element_id}"
    return _text(found.group(2))


async def test_an_as_of_without_offset_is_read_on_the_clinics_clock(dashboard: Dashboard) -> None:
    response = await dashboard.get(f"/overview?{PERIOD}&as_of=2026-11-24T08:00", as_token="officer")

    assert "Verdicts as of 2026-11-24 08:00 UTC-07:00" in _text(response.text)


async def test_the_overview_has_a_datetime_picker_showing_the_chosen_instant(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get(
        f"/overview?{PERIOD}&as_of=2026-11-24T15:00:00%2B00:00", as_token="officer"
    )

    assert '<input type="datetime-local" name="as_of" value="2026-11-24T08:00">' in response.text


async def test_navigation_and_session_links_keep_the_as_of(dashboard: Dashboard) -> None:
    response = await dashboard.get(f"/overview?{PERIOD}&as_of=2026-11-24T18:00", as_token="officer")

    ledger_link = re.search(r'href="(/clinics/clinic-demo/ledger[^"]*)"', response.text)
    session_link = re.search(r'class="session-link" href="([^"]*)"', response.text)
    assert ledger_link is not None
    assert session_link is not None
    assert "as_of=2026-11-24T18%3A00" in ledger_link.group(1)
    assert "as_of=2026-11-24T18%3A00" in unescape(session_link.group(1))


async def test_an_unreadable_as_of_is_said_on_the_same_page_with_its_form_and_navigation(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get(f"/overview?{PERIOD}&as_of=12/01/2026", as_token="officer")

    assert response.status_code == 200
    assert _element(response.text, "as-of-error").startswith("as_of: '12/01/2026' is not")
    assert 'name="as_of"' in response.text
    assert 'class="nav-item current"' in response.text


async def test_an_as_of_outside_the_years_1900_to_2999_is_said_on_the_ledger_page(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get(
        "/clinics/clinic-demo/ledger?as_of=0001-01-01T00:00", as_token="officer"
    )

    assert response.status_code == 200
    assert "outside the years 1900 to 2999" in _element(response.text, "as-of-error")


async def test_an_unreadable_as_of_on_a_session_page_is_said_there(dashboard: Dashboard) -> None:
    response = await dashboard.get("/sessions/sess-demo-05?as_of=soon", as_token="officer")

    assert response.status_code == 200
    assert _element(response.text, "as-of-error").startswith("as_of: 'soon' is not")


async def test_an_as_of_after_now_is_judged_with_a_warning(dashboard: Dashboard) -> None:
    response = await dashboard.get(f"/overview?{PERIOD}&as_of=2027-01-01T00:00", as_token="officer")

    assert _element(response.text, "as-of-future").startswith("Judged in the future.")


async def test_an_as_of_before_now_has_no_future_warning(dashboard: Dashboard) -> None:
    response = await dashboard.get(f"/overview?{PERIOD}&as_of=2026-11-24T18:00", as_token="officer")

    assert 'id="as-of-future"' not in response.text


async def test_a_session_judged_before_its_first_event_says_nothing_is_recorded_yet(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get(
        "/sessions/sess-demo-05?as_of=2026-11-01T00:00", as_token="officer"
    )

    banner = _element(response.text, "nothing-recorded")
    assert banner.startswith("Nothing recorded yet.")
    assert "2026-11-01 00:00 UTC-06:00" in banner
    assert 'id="rules"' not in response.text
    assert "badge-open" not in response.text


async def test_a_pending_rule_says_until_when_and_why(dashboard: Dashboard) -> None:
    response = await dashboard.get("/sessions/sess-demo-05", as_token="officer")

    banner = _element(response.text, "pending-rules")
    assert re.search(
        r"Integration note on time ?: pending until 2026-1\d-\d\d \d\d:\d\d UTC-07:00 because No "
        r"integration note yet",
        banner,
    ), banner


async def test_the_overview_shows_pending_rules_with_their_due_dates(dashboard: Dashboard) -> None:
    response = await dashboard.get(f"/overview?{PERIOD}", as_token="officer")

    assert re.search(
        r"Integration note on time pending until 2026-1\d-\d\d \d\d:\d\d UTC-07:00",
        _text(response.text),
    )


async def test_the_headline_rate_says_what_it_counts(dashboard: Dashboard) -> None:
    response = await dashboard.get(f"/overview?{PERIOD}", as_token="officer")

    assert re.fullmatch(
        r"\d+ of \d+ decided sessions? compliant \(\d+%\); \d+ pending(, \d+ open)?",
        _element(response.text, "rate-counts"),
    )


async def test_failed_rules_show_a_human_title_next_to_the_id(dashboard: Dashboard) -> None:
    response = await dashboard.get(f"/overview?{PERIOD}", as_token="officer")

    assert "Blood pressure at 40 minutes vitals.bp_at_40_min" in _text(response.text)


async def test_every_time_of_a_session_page_is_on_the_clinics_clock(dashboard: Dashboard) -> None:
    response = await dashboard.get("/sessions/sess-demo-05", as_token="officer")

    text = _text(response.text)

    # Late October is still on daylight time in Denver, late November is not.
    assert set(re.findall(r"2026-11-\d\d \d\d:\d\d (UTC[-+]?[\d:]*)", text)) == {"UTC-07:00"}
    assert set(re.findall(r"2026-10-\d\d \d\d:\d\d (UTC[-+]?[\d:]*)", text)) == {"UTC-06:00"}
    assert "times at the clinic (America/Denver)" in text


async def test_a_rules_sentence_and_its_evidence_link_give_the_same_clock_time(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get("/sessions/sess-demo-05", as_token="officer")

    rule = _element(response.text, "rule-consent.before_first_dose")
    [evidence] = re.findall(r"Evidence: (\d{4}-\d\d-\d\d \d\d:\d\d) UTC-06:00 consent.given", rule)
    assert f"given at {evidence} preceded" in rule


async def test_the_timelines_summary_cells_do_not_take_the_card_grid_class(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get("/sessions/sess-demo-05", as_token="officer")

    assert '<td class="summary">' not in response.text
    assert '<td class="event-summary">' in response.text
