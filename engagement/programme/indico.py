"""Indico's timetable export (``/export/timetable/<id>.json``): per day, session blocks with their
contributions nested, contributions on their own, and breaks.

A session block is one agenda session (a panel): its conveners and the presenters of the
contributions inside it are its speakers, each with their affiliation. A block that runs past
midnight is listed under both days: it is kept once, by its id.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engagement.programme.model import Entry, Programme, ProgrammeError, Speaker
from engagement.programme.times import kind_of, on_day, zone


def read_json(data: Any, where: str, zone_name: str | None = None) -> Programme:
    """Every Indico time carries its zone; ``zone_name`` only names the programme's."""
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise ProgrammeError(f"{where}: no 'results': not an Indico timetable export")
    if not results:
        raise ProgrammeError(f"{where}: the export is empty (Indico returns {{}} for a timetable not published)")
    entries: dict[str, Entry] = {}
    zones: set[str] = set()
    for event_id, days in results.items():
        if not isinstance(days, dict):
            raise ProgrammeError(f"{where}: results[{event_id!r}] is not a timetable")
        for day, items in sorted(days.items()):
            for entry_id, item in (items or {}).items():
                place = f"{where}: results[{event_id!r}][{day!r}][{entry_id!r}]"
                entry = _entry(item, event_id, place, zones)
                if entry is not None:
                    entries.setdefault(entry.source_id, entry)
    listed = sorted(entries.values(), key=lambda e: (e.starts_at, e.room, e.title))
    dates = [e.starts_at.date() for e in listed]
    return Programme(
        source="Indico timetable",
        entries=listed,
        time_zone=zone_name or (next(iter(zones)) if len(zones) == 1 else None),
        start_date=min(dates) if dates else None,
        end_date=max(dates) if dates else None,
    )


def _person(person: Any, role: str) -> Speaker | None:
    if not isinstance(person, dict):
        return None
    name = str(person.get("name") or "").strip()
    if not name:
        name = " ".join(str(person.get(k) or "").strip() for k in ("firstName", "familyName")).strip()
    if not name:
        return None
    return Speaker(name=name, affiliation=str(person.get("affiliation") or "").strip(), role=role)


def _moment(value: Any, what: str, where: str, zones: set[str]):
    if not isinstance(value, dict) or not value.get("date") or not value.get("time"):
        raise ProgrammeError(f"{where}: no {what} (startDate/endDate need date, time and tz)")
    if not value.get("tz"):
        raise ProgrammeError(f"{where}: the {what} has no time zone")
    zones.add(value["tz"])
    try:
        day = date.fromisoformat(value["date"])
    except ValueError:
        raise ProgrammeError(f"{where}: {what} date {value['date']!r} is not YYYY-MM-DD") from None
    return on_day(day, value["time"], zone(value["tz"], where), where)


def _entry(item: Any, event_id: str, where: str, zones: set[str]) -> Entry | None:
    if not isinstance(item, dict):
        raise ProgrammeError(f"{where}: an entry must be an object")
    entry_type = str(item.get("entryType") or "")
    if entry_type not in ("Session", "Contribution", "Break"):
        raise ProgrammeError(f"{where}: entryType {entry_type!r} is not Session, Contribution or Break")
    title = str(item.get("slotTitle") or item.get("title") or "").strip()
    if entry_type == "Session" and item.get("title") and item.get("slotTitle"):
        title = f"{item['title']}: {item['slotTitle']}".strip()
    if not title:
        raise ProgrammeError(f"{where}: the entry has no title")
    where = f"{where} ({title[:60]!r})"
    starts = _moment(item.get("startDate"), "start", where, zones)
    ends = _moment(item.get("endDate"), "end", where, zones)
    speakers: list[Speaker] = []
    if entry_type == "Session":
        speakers += filter(None, (_person(p, "convener") for p in item.get("conveners") or []))
        for inner in (item.get("entries") or {}).values():
            if isinstance(inner, dict) and inner.get("entryType") == "Contribution":
                speakers += filter(None, (_person(p, "presenter") for p in inner.get("presenters") or []))
    elif entry_type == "Contribution":
        speakers += filter(None, (_person(p, "presenter") for p in item.get("presenters") or []))
    unique: dict[tuple[str, str], Speaker] = {}
    for speaker in speakers:  # one presenter of two contributions is one speaker of the block
        unique.setdefault((speaker.name.casefold(), speaker.affiliation.casefold()), speaker)
    source_id = item.get("uniqueId") or (f"{event_id}:{item['id']}" if item.get("id") else None)
    if not source_id:
        raise ProgrammeError(f"{where}: the entry has neither uniqueId nor id")
    return Entry(
        source_id=str(source_id),
        title=title,
        starts_at=starts,
        ends_at=ends,
        kind="break" if entry_type == "Break" else kind_of(title),
        room=str(item.get("room") or item.get("location") or ""),
        speakers=list(unique.values()),
        where=where,
    )
