"""frab / c3voc schedules, as pretalx and frab export them: ``schedule.json`` and ``schedule.xml``.

Old exports lack the newer fields (``end``; persons' ``name``), so both forms are read: ``end`` or
``date`` + ``duration``, ``name`` or ``public_name``. An event's ``date`` carries its own offset,
which wins over the conference's ``time_zone_name`` (pretalx's demo export says UTC beside +01:00).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import date
from typing import Any

from engagement.programme.model import Entry, Programme, ProgrammeError, Speaker
from engagement.programme.times import duration, instant, kind_of, on_day, zone
from engagement.rules import translations


def read_json(data: Any, where: str, zone_name: str | None = None) -> Programme:
    """``zone_name`` (``--timezone``) wins over the file's ``time_zone_name``."""
    conference = (data.get("schedule") or {}).get("conference") if isinstance(data, dict) else None
    if not isinstance(conference, dict):
        raise ProgrammeError(f"{where}: no schedule.conference: not a frab schedule.json")
    zone_name = zone_name or conference.get("time_zone_name") or None
    in_zone = zone(zone_name, where) if zone_name else None
    entries = []
    for d, day in enumerate(conference.get("days") or []):
        rooms = day.get("rooms") or {}
        for room_name, events in rooms.items():
            for n, event in enumerate(events or []):
                place = f"{where}: days[{d}].rooms[{room_name!r}][{n}]"
                entries.append(_json_event(event, room_name, day.get("date"), in_zone, place))
    return Programme(
        source="frab schedule.json",
        entries=entries,
        title=str(conference.get("title") or ""),
        time_zone=zone_name,
        start_date=_date(conference.get("start")),
        end_date=_date(conference.get("end")),
    )


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _json_event(event: Any, room: str, day: Any, in_zone, where: str) -> Entry:
    if not isinstance(event, dict):
        raise ProgrammeError(f"{where}: an event must be an object")
    title, titles = _titles(event.get("title"), event.get("language"))
    if not title:
        raise ProgrammeError(f"{where}: the event has no title")
    where = f"{where} ({title[:60]!r})"
    source_id = str(event.get("guid") or "").strip()
    if not source_id:
        raise ProgrammeError(f"{where}: the event has no guid")
    starts = _start(event.get("date"), event.get("start"), day, in_zone, where)
    if event.get("end"):
        ends = instant(str(event["end"]), in_zone, where)
    elif event.get("duration"):
        ends = starts + duration(event["duration"], where)
    else:
        raise ProgrammeError(f"{where}: the event has neither an end nor a duration")
    persons = [p for p in event.get("persons") or [] if isinstance(p, dict)]
    speakers = [
        # ``affiliation`` and ``role`` are not in the schema; some exporters add them (our demo programme does).
        Speaker(
            name=str(p.get("name") or p.get("public_name") or "").strip(),
            affiliation=str(p.get("affiliation") or "").strip(),
            role=str(p.get("role") or "").strip() or "speaker",
        )
        for p in persons
        if (p.get("name") or p.get("public_name"))
    ]
    return Entry(
        source_id=source_id,
        title=title,
        starts_at=starts,
        ends_at=ends,
        kind=kind_of(str(event.get("type") or ""), title),
        room=str(event.get("room") or room or ""),
        track=str(event.get("track") or ""),
        speakers=speakers,
        where=where,
        titles=titles,
    )


def _titles(value: Any, language: Any) -> tuple[str, dict[str, str]]:
    """The title, and the title in other languages when the file gives one per language (pretalx's
    own API writes ``{"en": …, "de": …}``): the talk's language first, else English, else the first."""
    if not isinstance(value, dict):
        return str(value or "").strip(), {}
    given = {}
    for code, text in value.items():
        key = translations.language_key(str(code))
        if key and str(text or "").strip():
            given[key] = str(text).strip()
    if not given:
        return "", {}
    first = next(iter(given))
    default = next((c for c in (str(language or "").lower(), "en") if c in given), first)
    return given.pop(default), given


def _start(iso: Any, clock: Any, day: Any, in_zone, where: str):
    if iso:
        return instant(str(iso), in_zone, where)
    if clock and day and in_zone is not None:
        parsed = _date(day)
        if parsed:
            return on_day(parsed, str(clock), in_zone, where)
    raise ProgrammeError(f"{where}: the event has no start")


def read_xml(text: bytes, where: str, zone_name: str | None = None) -> Programme:
    # ElementTree on expat: Python's expat refuses entity expansion bombs (billion laughs) itself,
    # and ElementTree resolves no external entities, so a hostile file cannot reach the disk or network.
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise ProgrammeError(f"{where}: not well-formed XML ({error})") from None
    if root.tag != "schedule":
        raise ProgrammeError(f"{where}: the root element is <{root.tag}>, not <schedule>")
    conference = root.find("conference")
    if not zone_name:
        zone_name = (conference.findtext("time_zone_name") if conference is not None else None) or None
    in_zone = zone(zone_name, where) if zone_name else None
    entries = []
    for d, day in enumerate(root.iter("day")):
        for room in day.iter("room"):
            for n, event in enumerate(room.iter("event")):
                place = f"{where}: day[{d}] room {room.get('name')!r} event {n}"
                entries.append(_xml_event(event, room.get("name") or "", day.get("date"), in_zone, place))
    title = conference.findtext("title") if conference is not None else ""
    return Programme(
        source="frab schedule.xml",
        entries=entries,
        title=(title or "").strip(),
        time_zone=zone_name,
        start_date=_date(conference.findtext("start") if conference is not None else None),
        end_date=_date(conference.findtext("end") if conference is not None else None),
    )


def _xml_event(event: ElementTree.Element, room: str, day: str | None, in_zone, where: str) -> Entry:
    fields = {child.tag: (child.text or "").strip() for child in event}
    record: dict[str, Any] = {**fields, "guid": event.get("guid") or fields.get("guid")}
    persons = event.find("persons")
    record["persons"] = [
        {"name": (person.text or "").strip()} for person in (persons if persons is not None else []) if person.text
    ]
    return _json_event(record, room, day, in_zone, where)
