"""How every page, report and export shows an instant: on the clinic's clock, with its offset.

One form everywhere (``2026-11-24 08:05 UTC-07:00``), so that a rule's sentence, its
evidence link, the page header and the access report name the same event with the same
clock time. Events keep the offset their publisher wrote; shown, they are all moved to the
clinic's zone, the zone its reporting days are cut in (``services.clinic_zones``).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

__all__ = ["clinic_time", "offset_text"]


def offset_text(instant: datetime) -> str:
    """``UTC`` or ``UTC-07:00``: the UTC offset of an aware ``instant``."""
    offset = instant.utcoffset()
    if offset is None:
        return ""
    if not offset:
        return "UTC"
    text = instant.strftime("%z")
    return f"UTC{text[:3]}:{text[3:]}"


def clinic_time(instant: datetime | None, zone: tzinfo | None) -> str:
    """``2026-11-24 08:05 UTC-07:00``: ``instant`` on ``zone``'s clock, with the offset in
    force there at that instant (so a DST day shows both); empty for None.

    Without a zone (a page about no clinic) the instant keeps its own offset. A naive
    instant is shown as it is, without an offset, rather than guessed at.
    """
    if instant is None:
        return ""
    if zone is not None and instant.tzinfo is not None:
        instant = instant.astimezone(zone)
    return f"{instant:%Y-%m-%d %H:%M} {offset_text(instant)}".rstrip()
