"""iCalendar (``.ics``), the fallback every system exports: one VEVENT a session, its ``UID`` the
stable id. Indico writes the speakers into the DESCRIPTION as ``Speakers: Name (Affiliation), …``;
that line is read, nothing else of the free text is."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import icalendar

from engagement.programme.model import Entry, Programme, ProgrammeError, Speaker
from engagement.programme.times import kind_of, zone

SPEAKERS_LINE = re.compile(r"^\s*Speakers?\s*:\s*(?P<names>.+)$", re.IGNORECASE | re.MULTILINE)
# "Name (Affiliation)", separated by commas outside parentheses.
SPEAKER = re.compile(r"\s*(?P<name>[^,()]+?)\s*(?:\((?P<affiliation>[^()]*)\))?\s*(?:,|$)")


def read_ics(raw: bytes, where: str, zone_name: str | None = None) -> Programme:
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except ValueError as error:
        raise ProgrammeError(f"{where}: not an iCalendar file ({error})") from None
    zone_name = zone_name or str(calendar.get("X-WR-TIMEZONE") or "") or None
    in_zone = zone(zone_name, where) if zone_name else None
    entries = [_event(event, in_zone, f"{where}: VEVENT {n}") for n, event in enumerate(calendar.walk("VEVENT"))]
    dates = [e.starts_at.date() for e in entries]
    return Programme(
        source="iCalendar",
        entries=entries,
        title=str(calendar.get("X-WR-CALNAME") or ""),
        time_zone=zone_name,
        start_date=min(dates) if dates else None,
        end_date=max(dates) if dates else None,
    )


def _moment(value, in_zone, what: str, where: str) -> datetime:
    moment = getattr(value, "dt", None)
    if moment is None:
        raise ProgrammeError(f"{where}: no {what}")
    if not isinstance(moment, datetime) and isinstance(moment, date):
        raise ProgrammeError(f"{where}: an all-day {what} ({moment}) has no time of day")
    if moment.tzinfo is None:  # floating time: the calendar's zone
        if in_zone is None:
            raise ProgrammeError(f"{where}: {what} {moment} has no zone and the calendar names none")
        moment = moment.replace(tzinfo=in_zone)
    return moment.astimezone(UTC)


def speakers_in(description: str) -> list[Speaker]:
    match = SPEAKERS_LINE.search(description or "")
    if not match:
        return []
    found = []
    for part in SPEAKER.finditer(match["names"]):
        name = part["name"].strip()
        if name:
            found.append(Speaker(name=name, affiliation=(part["affiliation"] or "").strip(), role="speaker"))
    return found


def _event(event, in_zone, where: str) -> Entry:
    title = str(event.get("SUMMARY") or "").strip()
    if not title:
        raise ProgrammeError(f"{where}: the event has no SUMMARY")
    where = f"{where} ({title[:60]!r})"
    uid = str(event.get("UID") or "").strip()
    if not uid:
        raise ProgrammeError(f"{where}: the event has no UID")
    starts = _moment(event.get("DTSTART"), in_zone, "start", where)
    if event.get("DTEND") is not None:
        ends = _moment(event.get("DTEND"), in_zone, "end", where)
    elif event.get("DURATION") is not None and isinstance(event["DURATION"].dt, timedelta):
        ends = starts + event["DURATION"].dt
    else:
        raise ProgrammeError(f"{where}: the event has neither DTEND nor DURATION")
    description = str(event.get("DESCRIPTION") or "")
    return Entry(
        source_id=uid,
        title=title,
        starts_at=starts,
        ends_at=ends,
        kind=kind_of(title),
        room=str(event.get("LOCATION") or ""),
        speakers=speakers_in(description),
        where=where,
    )
