"""The demo clinic day: realistic contract-v1 events with a few planted compliance lapses."""

from services.demo.clinic_day import CLINIC_ZONE, DEFAULT_DAY, PLANTED_LAPSES, demo_day_events

__all__ = ["CLINIC_ZONE", "DEFAULT_DAY", "PLANTED_LAPSES", "demo_day_events"]
