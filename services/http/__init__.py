"""The HTTP side: the v1 API for compliance officers and publishers, and the dashboard."""

from services.http.app import create_app
from services.http.context import HttpContext

__all__ = ["HttpContext", "create_app"]
