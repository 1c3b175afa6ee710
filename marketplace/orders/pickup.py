"""Pickup slots: the next days a farmer is at their pickup point, from their weekly hours."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from marketplace.accounts.api import PickupWindow
from marketplace.core.timeutils import utcnow


@dataclass(frozen=True)
class PickupSlot:
    day: date
    opens_minute: int
    closes_minute: int

    @property
    def key(self) -> str:
        """What the checkout form sends back: '2026-12-05@480-720'."""
        return f"{self.day.isoformat()}@{self.opens_minute}-{self.closes_minute}"


def local_now() -> datetime:
    return utcnow().astimezone(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC")))


def next_slots(windows: Iterable[PickupWindow], count: int = 4, now: datetime | None = None) -> list[PickupSlot]:
    """The next `count` windows that have not closed yet, soonest first (within three weeks)."""
    now = now or local_now()
    today, minute_now = now.date(), now.hour * 60 + now.minute
    by_weekday: dict[int, list[PickupWindow]] = {}
    for window in windows:
        by_weekday.setdefault(window.weekday, []).append(window)
    slots: list[PickupSlot] = []
    for offset in range(21):
        day = today + timedelta(days=offset)
        for window in sorted(by_weekday.get(day.weekday(), []), key=lambda w: w.opens_minute):
            if offset == 0 and window.closes_minute <= minute_now:
                continue
            slots.append(PickupSlot(day, window.opens_minute, window.closes_minute))
            if len(slots) == count:
                return slots
    return slots


def slot_from_key(key: str, offered: list[PickupSlot]) -> PickupSlot | None:
    """The offered slot the form named; None for anything else (a stale or forged value)."""
    return next((slot for slot in offered if slot.key == key), None)
