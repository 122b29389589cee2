"""Times as programme files write them: ISO with an offset, a date and a clock time in a named zone,
a duration as ``HH:MM`` (frab also writes ``D:HH:MM`` past a day), and the kind an entry's type or
title implies."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engagement.programme.model import ProgrammeError

DURATION = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# What makes an entry a break (it takes no posts) or a plenary, in the words programmes use.
BREAK_WORDS = re.compile(r"\b(break|coffee|lunch|pause|dinner|reception)\b", re.IGNORECASE)
PLENARY_WORDS = re.compile(r"\b(plenary|keynote|opening|closing)\b", re.IGNORECASE)
SIDE_EVENT_WORDS = re.compile(r"\bside[ -]?event\b", re.IGNORECASE)


def zone(name: str, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProgrammeError(f"{where}: unknown time zone {name!r}") from None


def instant(text: str, default_zone: ZoneInfo | None, where: str) -> datetime:
    """An ISO date-time in UTC: its own offset when it has one, else ``default_zone``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ProgrammeError(f"{where}: {text!r} is not an ISO date and time") from None
    if moment.tzinfo is None:
        if default_zone is None:
            raise ProgrammeError(f"{where}: {text!r} has no offset and the file names no time zone")
        moment = moment.replace(tzinfo=default_zone)
    return moment.astimezone(UTC)


def on_day(day: date, clock: str, in_zone: ZoneInfo, where: str) -> datetime:
    try:
        local = time.fromisoformat(clock.strip())
    except (ValueError, AttributeError):
        raise ProgrammeError(f"{where}: {clock!r} is not a time of day") from None
    return datetime.combine(day, local, in_zone).astimezone(UTC)


def duration(text: str, where: str) -> timedelta:
    match = DURATION.match(str(text).strip())
    if not match:
        raise ProgrammeError(f"{where}: duration {text!r} is not HH:MM")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def kind_of(*words: str) -> str:
    """The agenda kind an entry's type, title or Indico entry type suggests; a panel otherwise."""
    text = " ".join(w for w in words if w)
    if BREAK_WORDS.search(text):
        return "break"
    if SIDE_EVENT_WORDS.search(text):
        return "side_event"
    if PLENARY_WORDS.search(text):
        return "plenary"
    return "panel"
