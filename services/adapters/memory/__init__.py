"""In-memory implementations of the application's ports: the same behaviour as the SQL
and Kafka adapters (ordering, errors, idempotency), nothing kept past the process.

For tests and for trying the services without a database or a broker; the contract
suites in ``tests/contract`` run the same tests on these and on SQLite and PostgreSQL.
"""

from services.adapters.memory.access_log import RecordingAccessLog
from services.adapters.memory.checkpoint_store import InMemoryCheckpointStore
from services.adapters.memory.compliance_queries import InMemoryComplianceQueries
from services.adapters.memory.dead_letters import InMemoryDeadLetterSink
from services.adapters.memory.event_store import InMemoryEventStore
from services.adapters.memory.export_ledger import InMemoryExportLedger
from services.adapters.memory.export_source import InMemoryExportSource
from services.adapters.memory.projection_store import InMemoryProjectionStore
from services.adapters.memory.publisher import InMemoryPublisher
from services.adapters.memory.token_store import InMemoryTokenStore

__all__ = [
    "InMemoryCheckpointStore",
    "InMemoryComplianceQueries",
    "InMemoryDeadLetterSink",
    "InMemoryEventStore",
    "InMemoryExportLedger",
    "InMemoryExportSource",
    "InMemoryProjectionStore",
    "InMemoryPublisher",
    "InMemoryTokenStore",
    "RecordingAccessLog",
]
