"""The demo day, published to the real broker, reaches the verdicts: each planted lapse is
caught by its rule and by nothing else, and no other session fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.adapters.kafka import EventPublisher
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.adapters.tansu import EmbeddedBroker
from services.clock import FixedClock
from services.demo import PLANTED_LAPSES, demo_day_events
from services.runtime import running_stack
from tests.integration.support import projections_caught_up, settings_for, wait_until


async def test_the_demo_days_lapses_are_each_found_by_the_right_rule_and_nothing_else_fails(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    now = datetime.now(UTC)
    documents = demo_day_events(now=now)
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    async with running_stack(settings) as stack:
        async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
            await publisher.publish_many(documents)

        async def projected() -> bool:
            return await projections_caught_up(stack.engine, events=len(documents))

        await wait_until(projected, within=120, what="the demo day to be recorded and projected")
        # Judged just after recording: only what the log holds by then counts.
        queries = SqlComplianceQueries(engine=stack.engine, clock=FixedClock(at=datetime.now(UTC)))
        report = await queries.clinic_report(
            "clinic-demo", start=now - timedelta(days=2), end=now + timedelta(days=1)
        )
        lapse = await queries.verdict("sess-demo-05")
    failing = {item.session_id: set(item.failed_rules) for item in report.failing_sessions}
    assert failing == {session: {rule} for session, rule in PLANTED_LAPSES.items()}
    assert report.sessions == 24
    assert report.by_status["open"] == 0
    assert report.by_status["non_compliant"] == len(PLANTED_LAPSES)
    assert lapse.result("vitals.bp_at_40_min").detail.startswith("No blood pressure")
