"""Who asks, where from, and what for: what every access record of one request carries."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from events import AccessChannel
from services.auth import Principal, Role

__all__ = ["ReadRequest", "command_line_reader"]

_LABEL = 128
"""The longest token name an access record holds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadRequest:
    """One request for patient data, as the access log records it."""

    principal: Principal
    channel: AccessChannel
    resource: str
    """What was asked for, e.g. ``GET /v1/sessions/s-1/timeline`` or ``POST /v1/exports``."""
    query: Mapping[str, str]
    """The parameters as the reader gave them (the period's ``from``/``to`` among them)."""


def command_line_reader() -> Principal:
    """Whoever runs ``kapaudit`` on this machine, as the access log names them:
    ``cli:<os user>@<host>`` with the role ``admin``, since the command line holds the
    database's credentials and may read every clinic."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    name = "".join(c for c in f"cli:{user}@{socket.gethostname()}" if c.isprintable())
    # The token id is the API's; the command line has no token, and the record names the
    # reader, not the id.
    return Principal(token_id=0, name=name[:_LABEL], role=Role.ADMIN, clinics=frozenset())
