"""Chart geometry for the server-rendered SVG charts (no JavaScript, so they print too).

The functions here only compute coordinates; the templates in ``_charts.html`` draw them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "Bar",
    "BarChart",
    "Line",
    "Marker",
    "Panel",
    "Point",
    "Reading",
    "Series",
    "TimeMarker",
    "VitalsChart",
    "bar_chart",
    "vitals_chart",
]

# --- Failures by rule: horizontal bars ------------------------------------------------------

_BAR_WIDTH = 720
_BAR_LABELS = 300
"""Room for the longest rule id at the chart's font size."""
_BAR_ROW = 28


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    label: str
    value: int
    href: str
    y: float
    width: float


@dataclass(frozen=True, slots=True, kw_only=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[Bar, ...]


def bar_chart(counts: Mapping[str, int], *, href: Callable[[str], str]) -> BarChart:
    """One bar per key, longest for the largest count, in the order given."""
    most = max(counts.values(), default=0) or 1
    room = _BAR_WIDTH - _BAR_LABELS - 40
    bars = tuple(
        Bar(
            label=label,
            value=value,
            href=href(label),
            y=8 + index * _BAR_ROW,
            width=max(2.0, room * value / most),
        )
        for index, (label, value) in enumerate(counts.items())
    )
    return BarChart(
        width=_BAR_WIDTH,
        height=16 + len(bars) * _BAR_ROW,
        label_width=_BAR_LABELS,
        bar_height=_BAR_ROW - 8,
        bars=bars,
    )


# --- Vital signs over time --------------------------------------------------------------------

_WIDTH = 1000
_LEFT = 48
_RIGHT = 16
_TOP = 56
"""Room above the plots for the markers' labels."""
_GAP = 28
_PRESSURE_HEIGHT = 220
_SPO2_HEIGHT = 90
_BOTTOM = 28


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One monitoring check, with corrections applied."""

    at: datetime
    event_id: str
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeMarker:
    """A moment drawn as a labelled vertical line (a dose, the end of an infusion, discharge)."""

    at: datetime
    label: str
    kind: str
    event_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    x: float
    y: float
    title: str
    event_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    name: str
    css: str
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        """SVG polyline ``points``."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """A horizontal line across a panel (a grid line), or from its left edge to ``x2`` (a
    threshold that applies only to the start of the session; None: across)."""

    y: float
    label: str
    css: str
    x2: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Panel:
    title: str
    top: float
    height: float
    grid: tuple[Line, ...]
    thresholds: tuple[Line, ...]
    series: tuple[Series, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Marker:
    x: float
    label: str
    kind: str
    event_id: str
    label_y: float
    anchor: str
    """``start``, or ``end`` near the right edge so that the label stays inside the chart."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VitalsChart:
    width: int
    height: int
    left: int
    right: int
    panels: tuple[Panel, ...]
    markers: tuple[Marker, ...]
    ticks: tuple[tuple[float, str], ...]
    """(x, HH:MM) along the time axis."""
    bottom: float


class _Scale:
    """Maps a value range onto pixels (``flip`` puts larger values higher up)."""

    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        self.low, self.high, self.start, self.end = low, high, start, end

    def __call__(self, value: float) -> float:
        span = (self.high - self.low) or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)


def vitals_chart(
    readings: Sequence[Reading],
    markers: Sequence[TimeMarker],
    *,
    systolic_max: int | None = None,
    diastolic_max: int | None = None,
    limits_until: datetime | None = None,
) -> VitalsChart | None:
    """Blood pressure and heart rate above, SpO2 below, sharing one time axis; None without data.

    The BP limits are pre-dose limits: drawn from the start up to ``limits_until`` (the last
    dose), so that readings after it above the line do not look like missed breaches.
    Without a dose there is nothing they stop at: drawn across.
    """
    if not readings:
        return None
    moments = [r.at for r in readings] + [m.at for m in markers]
    first, last = min(moments) - timedelta(minutes=5), max(moments) + timedelta(minutes=5)
    x = _Scale(0.0, (last - first).total_seconds(), _LEFT, _WIDTH - _RIGHT)

    def at(moment: datetime) -> float:
        return x((moment - first).total_seconds())

    pressure_top = _TOP
    spo2_top = pressure_top + _PRESSURE_HEIGHT + _GAP
    panels = (
        _pressure_panel(
            readings,
            at,
            top=pressure_top,
            limits=(systolic_max, diastolic_max),
            limits_end=at(limits_until) if limits_until is not None else None,
        ),
        _spo2_panel(readings, at, top=spo2_top),
    )
    bottom = spo2_top + _SPO2_HEIGHT
    return VitalsChart(
        width=_WIDTH,
        height=int(bottom + _BOTTOM),
        left=_LEFT,
        right=_WIDTH - _RIGHT,
        panels=panels,
        markers=tuple(
            Marker(
                x=at(m.at),
                label=m.label,
                kind=m.kind,
                event_id=m.event_id,
                # Alternate label heights so that close markers (a booster) stay legible.
                label_y=14 + (index % 2) * 14,
                anchor="end" if at(m.at) > _WIDTH - _RIGHT - 90 else "start",
            )
            for index, m in enumerate(sorted(markers, key=lambda m: m.at))
        ),
        ticks=_time_ticks(first, last, at),
        bottom=bottom,
    )


def _pressure_panel(
    readings: Sequence[Reading],
    at: Callable[[datetime], float],
    *,
    top: float,
    limits: tuple[int | None, int | None],
    limits_end: float | None,
) -> Panel:
    values = [
        v for r in readings for v in (r.systolic, r.diastolic, r.heart_rate) if v is not None
    ] + [limit for limit in limits if limit is not None]
    low = min(40, _floor(min(values, default=40), 20))
    high = max(180, _ceil(max(values, default=180) + 10, 20))
    y = _Scale(low, high, top + _PRESSURE_HEIGHT, top)

    def series(name: str, css: str, pick: Callable[[Reading], float | None], unit: str) -> Series:
        return Series(
            name=name,
            css=css,
            points=tuple(
                Point(
                    x=at(r.at),
                    y=y(value),
                    title=f"{r.at:%H:%M} {name} {value:g} {unit}",
                    event_id=r.event_id,
                )
                for r in readings
                if (value := pick(r)) is not None
            ),
        )

    systolic_max, diastolic_max = limits
    thresholds = tuple(
        Line(y=y(limit), label=f"pre-dose {name} max {limit}", css=css, x2=limits_end)
        for name, limit, css in (
            ("systolic", systolic_max, "threshold-systolic"),
            ("diastolic", diastolic_max, "threshold-diastolic"),
        )
        if limit is not None
    )
    return Panel(
        title="Blood pressure (mmHg) and heart rate (bpm)",
        top=top,
        height=_PRESSURE_HEIGHT,
        grid=tuple(Line(y=y(v), label=str(v), css="grid") for v in range(low, high + 1, 20)),
        thresholds=thresholds,
        series=tuple(
            s
            for s in (
                series("systolic", "systolic", lambda r: r.systolic, "mmHg"),
                series("diastolic", "diastolic", lambda r: r.diastolic, "mmHg"),
                series("heart rate", "heart-rate", lambda r: r.heart_rate, "bpm"),
            )
            if s.points
        ),
    )


def _spo2_panel(
    readings: Sequence[Reading], at: Callable[[datetime], float], *, top: float
) -> Panel:
    values = [r.spo2 for r in readings if r.spo2 is not None]
    low = min(85, _floor(min(values, default=85), 5))
    y = _Scale(low, 100, top + _SPO2_HEIGHT, top)
    points = tuple(
        Point(x=at(r.at), y=y(r.spo2), title=f"{r.at:%H:%M} SpO2 {r.spo2:g} %", event_id=r.event_id)
        for r in readings
        if r.spo2 is not None
    )
    return Panel(
        title="SpO2 (%)",
        top=top,
        height=_SPO2_HEIGHT,
        grid=tuple(Line(y=y(v), label=str(v), css="grid") for v in range(low, 101, 5)),
        thresholds=(),
        series=(Series(name="SpO2", css="spo2", points=points),) if points else (),
    )


def _time_ticks(
    first: datetime, last: datetime, at: Callable[[datetime], float]
) -> tuple[tuple[float, str], ...]:
    span_minutes = (last - first).total_seconds() / 60
    step = next((s for s in (10, 15, 30, 60, 120, 240) if span_minutes / s <= 10), 480)
    # Ticks on round clock times of the clinic's own clock (the readings' offset).
    tick = first.replace(second=0, microsecond=0)
    tick += timedelta(minutes=(-tick.minute) % step if step < 60 else (60 - tick.minute) % 60)
    ticks: list[tuple[float, str]] = []
    while tick <= last:
        ticks.append((at(tick), f"{tick:%H:%M}"))
        tick += timedelta(minutes=step)
    return tuple(ticks)


def _floor(value: float, step: int) -> int:
    return int(math.floor(value / step) * step)


def _ceil(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)
