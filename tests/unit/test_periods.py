"""Periods: whole days cut at midnight in the clinic's zone, instants kept as given."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.period import Period, PeriodError, parse_bound, parse_day, resolve_period

DENVER = ZoneInfo("America/Denver")
NOW = datetime(2026, 12, 3, 22, 40, tzinfo=UTC)
"""15:40 on 2026-12-03 in Denver."""


def _period(start: str | None, end: str | None, zone: ZoneInfo = DENVER) -> Period:
    return resolve_period(
        parse_bound(start, parameter="from") if start else None,
        parse_bound(end, parameter="to") if end else None,
        zone=zone,
        now=NOW,
    )


def test_dates_are_whole_days_both_included_cut_at_midnight_in_the_clinics_zone() -> None:
    period = _period("2026-11-27", "2026-12-03")

    assert period.start == datetime(2026, 11, 27, 7, tzinfo=UTC)
    assert period.end == datetime(2026, 12, 4, 7, tzinfo=UTC)
    assert (period.first, period.last) == (date(2026, 11, 27), date(2026, 12, 3))


def test_one_date_as_both_bounds_is_that_one_day() -> None:
    period = _period("2026-12-03", "2026-12-03")

    assert period.end - period.start == timedelta(hours=24)


def test_a_day_when_clocks_spring_forward_is_23_hours_and_one_when_they_fall_back_25() -> None:
    spring = _period("2026-03-08", "2026-03-08")
    autumn = _period("2026-11-01", "2026-11-01")

    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)
    assert autumn.start == datetime(2026, 11, 1, 6, tzinfo=UTC)


def test_an_instant_with_an_offset_is_kept_exactly_as_before() -> None:
    period = _period("2026-11-24T17:00:00-07:00", "2026-11-25T03:00:00Z")

    assert period.start == datetime(2026, 11, 25, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 25, 3, tzinfo=UTC)


def test_a_time_without_offset_is_on_the_clinics_clock() -> None:
    period = _period("2026-11-24T08:00", "2026-11-24T12:00")

    assert period.start == datetime(2026, 11, 24, 15, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 24, 19, tzinfo=UTC)


def test_without_bounds_the_period_is_the_last_seven_days_at_the_clinic_today_included() -> None:
    period = _period(None, None)

    assert (period.first, period.last) == (date(2026, 11, 27), date(2026, 12, 3))
    assert period.end == datetime(2026, 12, 4, 7, tzinfo=UTC)


def test_today_is_the_clinics_today_not_utcs() -> None:
    late_evening = datetime(2026, 12, 4, 4, 0, tzinfo=UTC)  # 21:00 on 12-03 in Denver

    period = resolve_period(None, None, zone=DENVER, now=late_evening)

    assert period.last == date(2026, 12, 3)


def test_the_description_gives_the_wall_clock_the_zone_and_the_exact_utc_instants() -> None:
    assert _period("2026-11-27", "2026-12-03").describe() == (
        "2026-11-27 00:00 to 2026-12-04 00:00 America/Denver "
        "(2026-11-27T07:00:00Z/2026-12-04T07:00:00Z)"
    )


def test_a_year_of_366_days_across_dst_changes_is_allowed_and_367_days_is_not() -> None:
    assert _period("2025-12-04", "2026-12-04").last == date(2026, 12, 4)
    with pytest.raises(PeriodError, match="spans 367 days") as refused:
        _period("2025-12-03", "2026-12-04")
    assert refused.value.parameter == "from"


def test_to_before_from_is_refused_naming_to() -> None:
    with pytest.raises(PeriodError) as refused:
        _period("2026-12-03", "2026-12-02")
    assert refused.value.parameter == "to"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("last tuesday", "is not an ISO 8601"), ("0001-01-01", "outside the years 1900 to 2999")],
)
def test_an_unreadable_or_far_away_bound_is_refused_naming_its_parameter(
    text: str, problem: str
) -> None:
    with pytest.raises(PeriodError, match=problem) as refused:
        parse_bound(text, parameter="from")
    assert str(refused.value).startswith("from: ")


def test_a_day_only_parameter_refuses_an_instant() -> None:
    with pytest.raises(PeriodError, match=r"not a date \(YYYY-MM-DD\)"):
        parse_day("2026-11-24T00:00", parameter="to")
