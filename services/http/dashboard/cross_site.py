"""Forms the dashboard accepts only from its own pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, status

from services.http.dashboard.pages import PageError

__all__ = ["refuse_cross_site"]


_SIGN_IN = (
    "Sign in from this site",
    "This form was sent from another site, so it was ignored. Open the dashboard and "
    "sign in there.",
)


def refuse_cross_site(request: Request, *, refusal: tuple[str, str] = _SIGN_IN) -> None:
    """403 for a form (sign-in, sign-out, export request) posted by another site's page.

    SameSite stops the cookie from being *sent* cross-site, not from being *set*: without
    this, another site could sign a visitor in with the attacker's token (login CSRF), so
    the visitor's reading would be filed under the attacker's name. Browsers say where a
    request comes from in ``Sec-Fetch-Site`` and ``Origin``; a request naming neither
    (curl, old browsers) is let through, since it cannot carry a victim's session anyway.
    ``refusal`` is the error page's title and message.
    """
    fetch_site = request.headers.get("sec-fetch-site", "")
    origin = request.headers.get("origin", "")
    cross_site = fetch_site == "cross-site" or (
        origin not in ("", "null") and urlsplit(origin).netloc != request.headers.get("host", "")
    )
    if cross_site or origin == "null":
        raise PageError(status.HTTP_403_FORBIDDEN, *refusal, principal=None)
