"""Time handling: the database holds UTC (aware datetimes in Python); people see the event's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

UTC = UTC


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime, zone: str | ZoneInfo | None = None) -> datetime:
    """An aware UTC datetime; a naive ``value`` is read in ``zone`` (UTC when none is given)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone) if isinstance(zone, str) else (zone or UTC))
    return value.astimezone(UTC)


def to_local(value: datetime, zone: str) -> datetime:
    """The same instant in ``zone``; a naive value is taken as UTC."""
    return to_utc(value).astimezone(ZoneInfo(zone))


def parse_api_time(text: str) -> datetime:
    """X API timestamps: ``2021-05-18T19:24:56.000Z`` (always UTC)."""
    return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def format_api_time(value: datetime) -> str:
    value = to_utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
