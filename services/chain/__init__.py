"""The append-only log's format: the hash chain and its verification (pure code, no I/O).

The Merkle tree over the whole log and its signed checkpoints live in
``merkle``, ``compact_range``, ``note`` and ``checkpoint``; import them from
there, so that the recorder's hot path does not load the signing library.
"""

from services.chain.links import (
    GENESIS_HASH,
    ChainLink,
    chain_hash,
    format_recorded_at,
    record_bytes,
)
from services.chain.ownership import OwnershipCheck, SessionOwner
from services.chain.verify import BrokenLink, LogRow, Problem, verify_rows

__all__ = [
    "GENESIS_HASH",
    "BrokenLink",
    "ChainLink",
    "LogRow",
    "OwnershipCheck",
    "Problem",
    "SessionOwner",
    "chain_hash",
    "format_recorded_at",
    "record_bytes",
    "verify_rows",
]
