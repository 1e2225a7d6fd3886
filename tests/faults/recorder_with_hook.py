"""``kapaudit record`` with the fault suite's hook: dies right after its Nth database
commit, before the offsets are committed, the moment most likely to record twice.

Run as ``python -m tests.faults.recorder_with_hook N``. The stack is the product's own
(``running_stack``, settings from the environment); only ``after_commit`` is added.
"""

from __future__ import annotations

import asyncio
import os
import sys

from services.config import Settings
from services.recording import BatchOutcome
from services.runtime import running_stack

EXIT_CODE = 17


async def main(commits: int) -> None:
    left = commits

    async def after_commit(outcome: BatchOutcome) -> None:
        nonlocal left
        if outcome.recorded:
            left -= 1
            if left == 0:
                print(f"dying after committing {len(outcome.recorded)} events", flush=True)
                os._exit(EXIT_CODE)

    async with running_stack(
        Settings(), record=True, project=False, serve_http=False, after_commit=after_commit
    ):
        await asyncio.sleep(300)
    raise SystemExit("never died: fewer batches arrived than expected")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
