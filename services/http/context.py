"""What the HTTP handlers need, wired once by the runtime (or by a test): ports, so that a
test can hand in the memory implementations (``services.adapters.memory``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.auth.ports import TokenAuthenticator
from services.chain.note import Verifier
from services.clinic_zones import ClinicZones
from services.clock import Clock
from services.exporting.queue import ExportQueue
from services.http.shared_run import SharedRun
from services.metrics import NO_METRICS, Metrics
from services.proofs import LogProofs
from services.publishing import Publisher
from services.rate_limits import ApiLimits
from services.reading.ports import AccessLog
from services.reading.queries import HistoryQueries
from services.recording.ports import LogReader
from services.verification import VerificationReport

__all__ = ["HttpContext"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpContext:
    store: LogReader
    queries: HistoryQueries
    tokens: TokenAuthenticator
    publisher: Publisher
    """Where the intake and profile changes publish clinic events."""
    auditor: AccessLog
    """Where every read of patient data is recorded before it is answered."""
    clock: Clock
    zones: ClinicZones
    """Each clinic's time zone, where its reporting days begin."""
    broker_ready: Callable[[], Awaitable[bool]]
    """True when the Kafka broker answers (for /readyz)."""
    database_ready: Callable[[], Awaitable[bool]]
    """True when the store answers (for /readyz)."""
    proofs: LogProofs
    """Inclusion and consistency proofs, each with the checkpoint it proves against."""
    log_origin: str = "kapaudit.local/log"
    """The origin the log's checkpoints must name."""
    trusted_keys: tuple[Verifier, ...] = ()
    """Keys whose checkpoints are believed; none: checkpoints are read unverified."""
    verification: SharedRun[VerificationReport] = field(default_factory=SharedRun)
    """The log check under way, if any: concurrent requests share it."""
    metrics: Metrics = NO_METRICS
    """Counts requests and verifications; ``/metrics`` shows them."""

    limits: ApiLimits | None = None
    """Per-token rate limits of the API; None: unlimited (tests that are not about them)."""
    exports: ExportQueue | None = None
    """Makes the bundles regulators request; None without a signing key (no export can
    be signed, so none is offered)."""
