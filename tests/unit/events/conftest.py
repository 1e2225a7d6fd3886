"""Fixtures for building event documents and capturing rejections.

Helpers are fixtures rather than importable modules so the tests work under any pytest
import mode.
"""

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from events import EventRejected, parse_event
from events.examples import EXAMPLES

Document = dict[str, Any]


@pytest.fixture
def example() -> Callable[[str], Document]:
    """A private copy of an event type's example document, safe to mutate."""
    return lambda event_type: copy.deepcopy(EXAMPLES[event_type])


@pytest.fixture
def reject_bytes() -> Callable[[bytes], EventRejected]:
    """Parse bytes that must be rejected and return the rejection."""

    def reject(raw: bytes) -> EventRejected:
        with pytest.raises(EventRejected) as caught:
            parse_event(raw)
        return caught.value

    return reject


@pytest.fixture
def reject(reject_bytes: Callable[[bytes], EventRejected]) -> Callable[[Any], EventRejected]:
    """Serialize a document that must be rejected, parse it, and return the rejection."""
    return lambda document: reject_bytes(json.dumps(document).encode("utf-8"))
