"""The web dashboard: server-rendered pages for compliance officers and regulators (no
JavaScript).

``router`` holds every page; ``STATIC_DIR`` holds the stylesheet, served at ``/static``.
"""

from fastapi import APIRouter

from services.http.dashboard import (
    clinic_pages,
    exports_page,
    overview,
    report_download,
    session_page,
    sign_in,
    thresholds_page,
)
from services.http.dashboard.templating import STATIC_DIR

__all__ = ["STATIC_DIR", "router"]

router = APIRouter(include_in_schema=False)
for _pages in (
    sign_in,
    overview,
    session_page,
    clinic_pages,
    exports_page,
    report_download,
    thresholds_page,
):
    router.include_router(_pages.router)
