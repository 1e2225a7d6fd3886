"""What every signed-in page shares: the navigation, the clinic and period pickers."""

from __future__ import annotations

from typing import Any

from services.auth import Principal
from services.http.context import HttpContext
from services.http.dashboard.scope import AsOfChoice, readable_clinics
from services.period import Period

__all__ = ["chrome", "period_params"]


def period_params(
    clinic: str | None, period: Period, as_of: AsOfChoice | None = None
) -> dict[str, str]:
    """The query parameters that keep the clinic, period and as-of from page to page."""
    return {
        "clinic": clinic or "",
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        # Only a readable as-of travels: a typo is said once, on the page it was typed on.
        "as_of": as_of.picker_value if as_of else "",
    }


async def chrome(
    principal: Principal,
    context: HttpContext,
    *,
    clinic: str | None,
    period: Period,
    section: str,
    as_of: AsOfChoice | None = None,
) -> dict[str, Any]:
    """Template variables of the page frame; ``section`` highlights the current nav item.

    ``zone`` is the clinic's: the ``when`` filter shows every time of the page on it.
    """
    return {
        "principal": principal,
        "clinics": await readable_clinics(principal, context),
        "clinic": clinic,
        "period": period,
        # The exact instants the page's figures cover, as the API and the CLI print them.
        "period_text": period.describe(),
        "section": section,
        "nav_params": period_params(clinic, period, as_of),
        "zone": period.zone,
        "as_of": as_of,
    }
