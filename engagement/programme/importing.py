"""``ingest agenda-import``: read programmes, write them as the event's agenda, load it as
``ingest config`` does (posts reattributed in steps), and say what changed."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engagement import settings
from engagement.programme import agenda, reading
from engagement.programme.model import Programme, ProgrammeError
from engagement.rules import event as event_files
from engagement.rules.sync import SyncResult, assign_in_steps, sync_event
from engagement.storage import db


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
    event_file = folder / "event.toml"
    first = not event_file.exists() and not dry_run
    if first:
        write_event_file(folder, programme)
    previous = (folder / "agenda.csv").read_bytes() if (folder / "agenda.csv").exists() else None
    try:
        event = event_files.load_event(folder)
        existing = agenda.read_rows(folder / "agenda.csv")
        rows, changes = agenda.merge(existing, programme, event.zone)
        if dry_run or not changes.any:
            if first:
                event_file.unlink()  # nothing imported: no event file of ours left behind
            return ImportResult(changes, len(rows), None)
        agenda.write(folder, rows, event)
        # The event files in one transaction: refused (a directory naming an unknown group, a file
        # missing), the database keeps what it had and the files go back to what they were.
        with db.writing(url) as session:
            loaded = sync_event(session, assign=False)
    except BaseException as error:
        _put_back(folder / "agenda.csv", previous)
        if first:
            event_file.unlink(missing_ok=True)
        if isinstance(error, event_files.EventConfigError):
            raise ProgrammeError(f"the programme was not imported, nothing written: {error}") from None
        raise
    return ImportResult(changes, len(rows), assign_in_steps(loaded, url))


def _put_back(path: Path, previous: bytes | None) -> None:
    """``path`` as it was before this import: its old bytes (written whole, then renamed), or none."""
    if previous is None:
        path.unlink(missing_ok=True)
        return
    if path.exists() and path.read_bytes() == previous:
        return
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".agenda-restore-", delete=False) as scratch:
        scratch.write(previous)
    os.replace(scratch.name, path)
