"""One JSON object per log record, for a log collector (``KAPAUDIT_LOG_FORMAT=json``).

Only the fields named in ``FIELDS`` leave the process besides the message: a record's other
``extra`` values, whatever a library put there, are dropped. The ids kapaudit passes are
event ids, Kafka coordinates and log positions, never an event's content; patients appear
only as the pseudonymous ids the publishers chose, and only inside messages that already
carry them in the readable format.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Final

__all__ = ["FIELDS", "JsonFormatter"]

FIELDS: Final = (
    "event_id",
    "event_ids",
    "reason",
    "topic",
    "partition",
    "offset",
    "position",
    "projection",
    "recorded",
    "duplicates",
    "rejected",
)
"""The ``extra=`` keys a record may carry into its JSON line."""


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...FIELDS, "exception"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        # default=str: an id that is a UUID or a datetime must not cost the line.
        return json.dumps(line, ensure_ascii=False, default=str)
