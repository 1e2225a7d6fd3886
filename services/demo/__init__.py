"""The demo clinic: one day with a lapse per rule, and a month with a realistic handful."""

from services.demo.clinic_day import CLINIC_ZONE, DEFAULT_DAY, PLANTED_LAPSES, demo_day_events
from services.demo.clinic_month import (
    DEMO_MONTH_DAYS,
    DemoBatch,
    DemoMonth,
    demo_month,
    demo_month_events,
)

__all__ = [
    "CLINIC_ZONE",
    "DEFAULT_DAY",
    "DEMO_MONTH_DAYS",
    "PLANTED_LAPSES",
    "DemoBatch",
    "DemoMonth",
    "demo_day_events",
    "demo_month",
    "demo_month_events",
]
