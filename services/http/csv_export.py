"""CSV answers: content negotiation and the download (the tables: ``services.csv_tables``)."""

from __future__ import annotations

import re

from fastapi import Response

from services.period import Period

__all__ = ["CSV_MEDIA_TYPE", "PERIOD_HEADER", "accept_weights", "csv_response", "wants_csv"]

CSV_MEDIA_TYPE = "text/csv"

PERIOD_HEADER = "Kapaudit-Period"
"""The exact period of a CSV answer: the CSV itself holds only its columns, so that
spreadsheets read it as they are."""


def accept_weights(accept: str | None) -> dict[str, float]:
    """Each media type the Accept header names with its weight (``q``, default 1)."""
    weights: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *parameters = (piece.strip().lower() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media] = max(weights.get(media, 0.0), weight)
    return weights


def wants_csv(accept: str | None) -> bool:
    """Whether the Accept header prefers text/csv to application/json (JSON by default)."""
    weights = accept_weights(accept)
    csv_weight = weights.get(CSV_MEDIA_TYPE, 0.0)
    return csv_weight > 0 and csv_weight > weights.get("application/json", 0.0)


def csv_response(text: str, *, filename: str, period: Period) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(
        content=text,
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            PERIOD_HEADER: period.describe(),
        },
    )
