"""When the recorder signs checkpoints, and that a failing one never stops recording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.chain.checkpoint import open_checkpoint
from services.chain.compact_range import CompactRange
from services.chain.merkle import leaf_hash
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointSchedule, CheckpointWriter
from services.clock import FixedClock
from services.recording import BatchOutcome, Recorder

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ORIGIN = "kapaudit.test/log"


class _Ledger:
    def __init__(self) -> None:
        self.state = CompactRange()
        self.notes: list[str] = []
        self.failing = False

    async def tree_state(self) -> CompactRange:
        if self.failing:
            raise ConnectionError("database down")
        return self.state

    async def add(self, *, note_text: str, **_: object) -> None:
        self.notes.append(note_text)


class _Publisher:
    def __init__(self, *, failing: bool = False) -> None:
        self.published: list[str] = []
        self.failing = failing

    async def publish(self, note: str) -> None:
        if self.failing:
            raise ConnectionError("broker down")
        self.published.append(note)


def _schedule(
    ledger: _Ledger, publisher: _Publisher, clock: FixedClock, signer: Signer
) -> CheckpointSchedule:
    writer = CheckpointWriter(
        ledger=ledger, publisher=publisher, signer=signer, origin=ORIGIN, clock=clock
    )
    return CheckpointSchedule(writer=writer, every_events=10, every_seconds=60, clock=clock)


def _signer() -> Signer:
    return Signer.parse(generate_key(ORIGIN).signer)


async def test_a_checkpoint_is_signed_once_enough_events_were_recorded() -> None:
    ledger, publisher, clock, signer = _Ledger(), _Publisher(), FixedClock(at=START), _signer()
    schedule = _schedule(ledger, publisher, clock, signer)
    await schedule.recorded(6)
    assert ledger.notes == []
    ledger.state = ledger.state.extend(leaf_hash(bytes([i])) for i in range(11))
    await schedule.recorded(5)
    [note] = ledger.notes
    opened = open_checkpoint(note, verifiers=[signer.verifier], origin=ORIGIN).checkpoint
    assert (opened.size, opened.root_hash) == (11, ledger.state.root())
    assert publisher.published == [note]


async def test_a_checkpoint_is_signed_once_enough_time_passed_with_any_event() -> None:
    ledger, publisher, clock, signer = _Ledger(), _Publisher(), FixedClock(at=START), _signer()
    schedule = _schedule(ledger, publisher, clock, signer)
    clock.set(START + timedelta(minutes=5))
    await schedule.recorded(0)
    assert ledger.notes == []
    await schedule.recorded(1)
    assert len(ledger.notes) == 1


async def test_a_failing_database_or_broker_is_retried_after_the_next_batch() -> None:
    ledger, publisher, clock = _Ledger(), _Publisher(failing=True), FixedClock(at=START)
    schedule = _schedule(ledger, publisher, clock, _signer())
    ledger.failing = True
    await schedule.recorded(10)
    assert ledger.notes == []
    ledger.failing = False
    await schedule.recorded(1)
    assert len(ledger.notes) == 1
    assert publisher.published == []


async def test_an_idle_tick_signs_events_left_waiting_once_the_period_is_over() -> None:
    ledger, publisher, clock = _Ledger(), _Publisher(), FixedClock(at=START)
    schedule = _schedule(ledger, publisher, clock, _signer())
    await schedule.recorded(3)
    await schedule.recorded(0)
    assert ledger.notes == []
    clock.set(START + timedelta(seconds=61))
    await schedule.recorded(0)
    assert len(ledger.notes) == 1
    clock.set(START + timedelta(seconds=200))
    await schedule.recorded(0)
    assert len(ledger.notes) == 1  # nothing new to sign


class _Trigger:
    def __init__(self) -> None:
        self.told: list[int] = []

    async def recorded(self, count: int) -> None:
        self.told.append(count)
        raise RuntimeError("a broken trigger")


async def test_the_recorder_tells_idle_time_and_survives_a_broken_trigger() -> None:
    trigger = _Trigger()
    recorder = Recorder(
        store=_NoStore(), dead_letters=_NoSink(), clock=FixedClock(at=START), checkpoints=trigger
    )
    await recorder.idle()
    await recorder.idle()
    assert trigger.told == [0, 0]


class _NoStore:
    async def record(self, **_: object) -> BatchOutcome:
        return BatchOutcome()


class _NoSink:
    async def send(self, rejection: object) -> None:
        raise AssertionError("nothing to dead-letter")
