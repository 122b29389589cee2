"""One programme, whatever system it came from: entries with their source's stable id, UTC times,
room, kind and speakers. The readers build it; ``agenda`` writes it as the event's agenda."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


class ProgrammeError(ValueError):
    """A file that cannot be read as a programme; the message names the file, the entry and why."""


@dataclass(frozen=True)
class Speaker:
    name: str
    affiliation: str = ""
    role: str = ""  # what the source calls them: speaker, presenter, convener


@dataclass
class Entry:
    """One item of the programme: a talk, a panel (an Indico session block), a break."""

    source_id: str  # frab guid, Indico entry id, iCal UID: what a re-import matches on
    title: str
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    kind: str = "panel"  # one of the agenda's kinds: plenary, panel, side_event, break
    room: str = ""
    track: str = ""
    speakers: list[Speaker] = field(default_factory=list)
    where: str = ""  # the entry's place in its file, for messages
    titles: dict[str, str] = field(default_factory=dict)  # the title in other languages, when the file has them


@dataclass
class Programme:
    source: str  # the format's name, for the agenda's source_note
    entries: list[Entry]
    title: str = ""
    time_zone: str | None = None  # the file's own zone, when it says one
    start_date: date | None = None
    end_date: date | None = None
