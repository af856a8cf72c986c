"""When a request was received: the moment, and its calendar date in the controller's time zone
(deadlines count from that date; docs/legal.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from dsr.settings import Settings


def received_moment(
    settings: Settings, received: date | datetime | None, now: datetime
) -> tuple[datetime, date]:
    """The receipt time and the calendar date in the controller's time zone (docs/legal.md §1)."""
    if received is None:
        at = now
    elif isinstance(received, datetime):
        at = received if received.tzinfo else received.replace(tzinfo=settings.tz)
    else:
        at = datetime.combine(received, time(12, 0), tzinfo=settings.tz)
        if received == settings.today(now):
            at = min(at, now)  # today's date, entered in the morning: not received in the future
    at = at.astimezone(UTC)
    return at, at.astimezone(settings.tz).date()


def received_in_future(settings: Settings, received: date | datetime, now: datetime) -> bool:
    """A staff-entered receipt after today in the controller's time zone (docs/legal.md §1), or a
    time after now. Compared in DSR_TIMEZONE, not UTC, so staff east of UTC can enter today."""
    at, day = received_moment(settings, received, now)
    if day > settings.today(now):
        return True
    return isinstance(received, datetime) and at > now
