"""Child processes that do not outlive their parent."""

from __future__ import annotations

import ctypes
import signal
import sys

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """For ``preexec_fn``: on Linux, the child gets SIGKILL when its parent dies, however
    the parent dies (a kill -9 included), so nothing is left holding a port or a server
    that is gone. Elsewhere it does nothing."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
