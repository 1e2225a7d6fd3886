"""As-of instants read on the clinic's clock, and instants shown on it with their offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.clinic_time import clinic_time
from services.period import PeriodError, parse_as_of

DENVER = ZoneInfo("America/Denver")


def test_a_datetime_local_value_is_read_on_the_clinics_clock() -> None:
    assert parse_as_of("2026-12-03T07:30", zone=DENVER) == datetime(2026, 12, 3, 14, 30, tzinfo=UTC)


def test_a_space_instead_of_t_is_read_the_same_way() -> None:
    assert parse_as_of("2026-12-03 07:30", zone=DENVER) == datetime(2026, 12, 3, 14, 30, tzinfo=UTC)


def test_an_instant_with_an_offset_is_that_instant_whatever_the_clinics_zone() -> None:
    instant = parse_as_of("2026-12-03T07:30:00+00:00", zone=DENVER)

    assert instant == datetime(2026, 12, 3, 7, 30, tzinfo=UTC)


def test_a_date_alone_is_that_days_midnight_at_the_clinic() -> None:
    assert parse_as_of("2026-12-03", zone=DENVER) == datetime(2026, 12, 3, 7, tzinfo=UTC)


def test_on_a_dst_day_the_offset_is_the_one_in_force_at_that_wall_time() -> None:
    before = parse_as_of("2026-03-08T01:30", zone=DENVER)
    after = parse_as_of("2026-03-08T03:30", zone=DENVER)

    assert before == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    assert after == datetime(2026, 3, 8, 9, 30, tzinfo=UTC)


def test_a_wall_time_the_dst_change_skips_is_read_with_the_offset_before_it() -> None:
    assert parse_as_of("2026-03-08T02:30", zone=DENVER) == datetime(2026, 3, 8, 9, 30, tzinfo=UTC)


def test_a_wall_time_repeated_in_autumn_is_read_as_its_first_occurrence() -> None:
    assert parse_as_of("2026-11-01T01:30", zone=DENVER) == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["12/01/2026", "soon", "", "2026-13-01T00:00"])
def test_unreadable_text_is_refused_naming_the_field_and_the_forms(text: str) -> None:
    with pytest.raises(PeriodError) as refused:
        parse_as_of(text, zone=DENVER)

    assert refused.value.parameter == "as_of"
    assert "on the clinic's clock" in refused.value.message


def test_an_instant_outside_the_years_1900_to_2999_is_refused() -> None:
    with pytest.raises(PeriodError, match="outside the years 1900 to 2999"):
        parse_as_of("3100-01-01T00:00", zone=DENVER)


def test_an_instant_is_shown_on_the_clinics_clock_with_its_offset() -> None:
    instant = datetime(2026, 11, 24, 15, 5, tzinfo=UTC)

    assert clinic_time(instant, DENVER) == "2026-11-24 08:05 UTC-07:00"


def test_the_same_instant_written_with_another_offset_shows_the_same_text() -> None:
    utc = datetime(2026, 11, 24, 15, 5, tzinfo=UTC)
    eastern = utc.astimezone(timezone(timedelta(hours=-5)))

    assert clinic_time(eastern, DENVER) == clinic_time(utc, DENVER)


def test_across_a_dst_change_each_time_shows_the_offset_in_force_then() -> None:
    before = datetime(2026, 3, 8, 8, 59, tzinfo=UTC)

    assert clinic_time(before, DENVER) == "2026-03-08 01:59 UTC-07:00"
    assert clinic_time(before + timedelta(minutes=1), DENVER) == "2026-03-08 03:00 UTC-06:00"


def test_in_a_utc_clinic_the_offset_reads_utc() -> None:
    assert clinic_time(datetime(2026, 11, 24, 15, 5, tzinfo=UTC), ZoneInfo("UTC")) == (
        "2026-11-24 15:05 UTC"
    )


def test_nothing_shows_as_nothing() -> None:
    assert clinic_time(None, DENVER) == ""
