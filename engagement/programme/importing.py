"""``ingest agenda-import``: read programmes, write them as the event's agenda, load it as
``ingest config`` does (posts reattributed in steps), and say what changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engagement import settings
from engagement.programme import agenda, reading
from engagement.programme.model import Programme, ProgrammeError
from engagement.rules import admin
from engagement.rules import event as event_files
from engagement.rules.sync import SyncResult


@dataclass
class ImportResult:
    changes: agenda.Changes
    sessions: int
    loaded: SyncResult | None  # None: nothing changed, nothing loaded


def read_all(sources: list[str], fmt: str = "auto", zone_name: str | None = None) -> Programme:
    """One programme of every source's entries (a conference may export each day or track apart)."""
    if zone_name:
        from engagement.programme.times import zone

        zone(zone_name, "--timezone")
    programmes = [reading.read(source, fmt, zone_name) for source in sources]
    first = programmes[0]
    dates = [d for p in programmes for d in (p.start_date, p.end_date) if d]
    return Programme(
        source=", ".join(dict.fromkeys(p.source for p in programmes)),
        entries=[entry for p in programmes for entry in p.entries],
        title=next((p.title for p in programmes if p.title), ""),
        time_zone=zone_name or next((p.time_zone for p in programmes if p.time_zone), None) or first.time_zone,
        start_date=min(dates) if dates else None,
        end_date=max(dates) if dates else None,
    )


def write_event_file(folder: Path, programme: Programme) -> None:
    """A first event.toml from the programme, for an event that has none yet."""
    hashtags = settings.event_hashtags()
    if not hashtags:
        raise ProgrammeError(
            f"{folder / 'event.toml'}: there is no event file yet; set EVENT_HASHTAGS (the event's hashtags) "
            "and this writes one from the programme's title, days and time zone"
        )
    if not programme.time_zone:
        raise ProgrammeError("the programme names no time zone: give --timezone (such as Europe/Vienna)")
    dates = sorted(e.starts_at.date() for e in programme.entries)
    start, end = programme.start_date or dates[0], programme.end_date or dates[-1]
    name = programme.title or "Conference"
    tags = ", ".join(f'"{tag}"' for tag in hashtags)
    text = (
        f"# Written by ingest agenda-import from {programme.source}: review and complete it.\n"
        f"name = {_toml(name)}\n"
        f"hashtags = [{tags}]\n"
        f"time_zone = {_toml(programme.time_zone)}\n"
        f"start_date = {start.isoformat()}\n"
        f"end_date = {end.isoformat()}\n"
    )
    (folder / "event.toml").write_text(text, encoding="utf-8")


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def import_programme(
    sources: list[str],
    *,
    fmt: str = "auto",
    zone_name: str | None = None,
    url: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import ``sources`` into EVENT_DATA_DIR's agenda.csv and load the event files into ``url``'s
    database; with ``dry_run``, only say what would change."""
    folder = settings.data_dir()
    programme = read_all(sources, fmt, zone_name)
    agenda.check(programme)
    if not (folder / "event.toml").exists() and not dry_run:
        write_event_file(folder, programme)
    event = event_files.load_event(folder)
    existing = agenda.read_rows(folder / "agenda.csv")
    rows, changes = agenda.merge(existing, programme, event.zone)
    if dry_run or not changes.any:
        return ImportResult(changes, len(rows), None)
    agenda.write(folder, rows, event)
    return ImportResult(changes, len(rows), admin.load_event_files(url))
