"""A programme written as the event's ``agenda.csv``, merged with the agenda already there.

A session keeps its key across imports: the key is found by the source's stable id (the
``source_id`` column), or, on the first import over a hand-written agenda, by the same title and
start; a new session gets a key made from its title. What the programme does not carry stays as
the organisers set it: a session's kind, hashtags, the group they gave a speaker. The file is
written whole or not at all (a temporary file checked by the agenda loader, then renamed).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from engagement.programme.model import Entry, Programme, ProgrammeError, Speaker
from engagement.rules import event as event_files

COLUMNS = [
    "key",
    "title",
    "kind",
    "start",
    "end",
    "room",
    "hashtags",
    "speakers",
    "illustrative",
    "source_note",
    "source_id",
]
KEY_LENGTH = 48
MAX_PROBLEMS = 20  # listed in the refusal; a file with more has the same few faults many times


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.moved or self.renamed or self.rooms or self.speakers or self.removed)

    def lines(self) -> list[str]:
        """What changed, one line a session, for the command's output."""
        return [
            *(f"added    {line}" for line in self.added),
            *(f"moved    {line}" for line in self.moved),
            *(f"renamed  {line}" for line in self.renamed),
            *(f"room     {line}" for line in self.rooms),
            *(f"speakers {line}" for line in self.speakers),
            *(f"removed  {line}" for line in self.removed),
        ]

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "moved": len(self.moved),
            "renamed": len(self.renamed),
            "room changed": len(self.rooms),
            "speakers changed": len(self.speakers),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
        }


def check(programme: Programme) -> None:
    """Refuse a programme with an entry that cannot be a session, naming every such entry."""
    problems = []
    if not programme.entries:
        problems.append(f"{programme.source}: no sessions in the file")
    seen: dict[str, Entry] = {}
    slots: dict[tuple[str, str], list[Entry]] = {}
    for entry in programme.entries:
        if entry.ends_at <= entry.starts_at:
            problems.append(f"{entry.where}: ends at or before its start")
        earlier = seen.get(entry.source_id)
        if earlier is not None:
            problems.append(f"{entry.where}: the id {entry.source_id!r} is also {earlier.where}")
        seen[entry.source_id] = entry
        for other in slots.get((entry.title.casefold(), entry.room.casefold()), []):
            if other.starts_at < entry.ends_at and entry.starts_at < other.ends_at:
                problems.append(f"{entry.where}: overlaps {other.where}, with the same title and room (a duplicate?)")
        slots.setdefault((entry.title.casefold(), entry.room.casefold()), []).append(entry)
    if problems:
        listed = problems[:MAX_PROBLEMS] + (
            [f"… and {len(problems) - MAX_PROBLEMS} more"] if len(problems) > MAX_PROBLEMS else []
        )
        raise ProgrammeError("the programme was not imported:\n  " + "\n  ".join(listed))


def read_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [
            {k: event_files.plain_agenda_cell(v or "") for k, v in row.items() if k is not None}
            for row in csv.DictReader(handle)
        ]


def slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return words[:KEY_LENGTH].rstrip("-") or "session"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def speakers_text(speakers: list[Speaker], groups: dict[str, str]) -> str:
    """The speakers column: ``Name (group): affiliation [role]``, the group an organiser gave them kept."""
    parts = []
    for speaker in speakers:
        text = event_files.speaker_text(speaker.name, "", speaker.affiliation, speaker.role)
        name = event_files.parse_speakers(text, "")[0]["name"]  # as the loader will read it back
        parts.append(
            event_files.speaker_text(speaker.name, groups.get(name.casefold(), ""), speaker.affiliation, speaker.role)
        )
    return "; ".join(parts)


def _groups_given(row: dict[str, str]) -> dict[str, str]:
    try:
        speakers = event_files.parse_speakers(row.get("speakers", ""), "agenda.csv")
    except event_files.EventConfigError:
        return {}
    return {s["name"].casefold(): s["group"] for s in speakers if s["group"]}


def merge(existing: list[dict[str, str]], programme: Programme, zone: ZoneInfo) -> tuple[list[dict[str, str]], Changes]:
    """The agenda rows after importing ``programme`` over ``existing``, and what changed."""
    changes = Changes()
    by_source = {row["source_id"]: row for row in existing if row.get("source_id")}
    by_slot = {
        (row.get("title", "").casefold(), row.get("start", "")): row for row in existing if not row.get("source_id")
    }
    used = {row.get("key", "") for row in existing}
    # A group given to a speaker anywhere in the agenda holds for them in every session.
    everywhere: dict[str, str] = {}
    for row in existing:
        everywhere.update(_groups_given(row))
    rows, kept = [], set()
    for entry in sorted(programme.entries, key=lambda e: (e.starts_at, e.room, e.title)):
        start, end = _local(entry.starts_at, zone), _local(entry.ends_at, zone)
        old = by_source.get(entry.source_id) or by_slot.get((entry.title.casefold(), start))
        if old is not None and old.get("key") not in kept:
            key = old["key"]
        else:
            old, key = None, _new_key(entry, used)
            used.add(key)
        kept.add(key)
        row = {
            **(old or {}),
            "key": key,
            "title": entry.title,
            "kind": (old or {}).get("kind") or entry.kind,
            "start": start,
            "end": end,
            "room": entry.room,
            "hashtags": (old or {}).get("hashtags", ""),
            "speakers": speakers_text(entry.speakers, everywhere | _groups_given(old or {})),
            "illustrative": "",  # from the organiser's own system: not modelled
            "source_note": f"Imported from {programme.source}",
            "source_id": entry.source_id,
            # The programme's own titles in other languages; the ones organisers added stay.
            **{f"title_{code}": text for code, text in entry.titles.items()},
        }
        rows.append(row)
        _note(changes, old, row)
    changes.removed = [f"{row['key']}: {row.get('title', '')}" for row in existing if row.get("key") not in kept]
    return rows, changes


def _new_key(entry: Entry, used: set[str]) -> str:
    base = slug(entry.title)
    key, n = base, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    return key


def _note(changes: Changes, old: dict[str, str] | None, row: dict[str, str]) -> None:
    label = f"{row['key']}: {row['title']}"
    if old is None:
        changes.added.append(f"{label} ({row['start']}, {row['room'] or 'no room'})")
        return
    changed = False
    if (old.get("start"), old.get("end")) != (row["start"], row["end"]):
        changes.moved.append(
            f"{label}: {old.get('start')}–{old.get('end', '')[-5:]} → {row['start']}–{row['end'][-5:]}"
        )
        changed = True
    if old.get("title") != row["title"]:
        changes.renamed.append(f"{row['key']}: {old.get('title')!r} → {row['title']!r}")
        changed = True
    for column in sorted(name for name in row if name.startswith("title_") and row[name] != old.get(name, "")):
        changes.renamed.append(f"{row['key']}: {column} {old.get(column, '')!r} → {row[column]!r}")
        changed = True
    if old.get("room", "") != row["room"]:
        changes.rooms.append(f"{label}: {old.get('room') or 'no room'} → {row['room'] or 'no room'}")
        changed = True
    if old.get("speakers", "") != row["speakers"]:
        changes.speakers.append(label)
        changed = True
    changes.unchanged += not changed


def render(rows: list[dict[str, str]]) -> str:
    extra = [name for row in rows for name in row if name not in COLUMNS]
    header = COLUMNS + list(dict.fromkeys(extra))  # columns organisers added stay, after ours
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    # A title such as "=HYPERLINK(…)" would run as a formula when organisers open the file: a "'"
    # before it keeps it text, as exports do; read_rows and the agenda loader take it off again.
    writer.writerows({name: neutral(value) for name, value in row.items()} for row in rows)
    return out.getvalue()


def neutral(value: str) -> str:
    return "'" + value if isinstance(value, str) and event_files.needs_neutralising(value) else value


def write(folder: Path, rows: list[dict[str, str]], event: event_files.EventConfig) -> None:
    """Replace ``folder``'s agenda.csv with ``rows`` once the agenda loader accepts them."""
    text = render(rows)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".agenda-import-") as scratch:
        candidate = Path(scratch) / "agenda.csv"
        candidate.write_text(text, encoding="utf-8")
        try:
            event_files.load_agenda(event, Path(scratch))
        except event_files.EventConfigError as error:
            raise ProgrammeError(f"the agenda this programme makes was refused, nothing written: {error}") from None
        os.replace(candidate, folder / "agenda.csv")
