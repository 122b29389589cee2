# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, call-overload, union-attr, misc"
"""What organisers change from the Admin pages: the agenda, the groups, the directory, overrides.

Each change re-derives what depends on it (attribution, classification) in the same transaction,
so no post is re-ingested.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, func, select
from sqlmodel import Session

from engagement.rules.attribution import reattribute_in_steps
from engagement.rules.classification import reclassify_in_steps
from engagement.rules.event import (
    COLOUR,
    SESSION_KINDS,
    AgendaRow,
    EventConfig,
    EventConfigError,
    GroupRow,
    normalise_hashtag,
    speaker_fields,
    speaker_text,
    translated,
)
from engagement.rules.sync import SyncResult, assign_in_steps, sync_agenda, sync_event, sync_groups
from engagement.storage import db
from engagement.storage.models import (
    AgendaSession,
    Author,
    DirectoryEntry,
    IngestRun,
    Post,
    RejectedRecord,
    StakeholderGroup,
)
from engagement.timeutil import to_local, to_utc

AGENDA_COLUMNS = ["key", "title", "kind", "start", "end", "room", "hashtags", "illustrative", "speakers"]
# Where a speaker's group came from: the ones an organiser set are written back to agenda.csv.
GIVEN = ("agenda", "organiser")


def agenda_frame(session: Session, event: EventConfig) -> pd.DataFrame:
    """The agenda as agenda.csv's columns, a ``title_<lang>`` column for each language a title is in."""
    rows = []
    items = list(session.scalars(select(AgendaSession).order_by(AgendaSession.starts_at, AgendaSession.key)))
    languages = sorted({code for item in items for code in item.titles or {}})
    for item in items:
        rows.append(
            {
                **{f"title_{code}": (item.titles or {}).get(code, "") for code in languages},
                "key": item.key,
                "title": item.title,
                "kind": item.kind,
                "start": to_local(item.starts_at, event.time_zone).replace(tzinfo=None),
                "end": to_local(item.ends_at, event.time_zone).replace(tzinfo=None),
                "room": item.room,
                "hashtags": " ".join(item.hashtags),
                "illustrative": item.illustrative,
                "speakers": speakers_text(item.speakers),
            }
        )
    return pd.DataFrame(rows, columns=AGENDA_COLUMNS + [f"title_{code}" for code in languages])


def _translations(item: dict, prefix: str, where: str) -> dict[str, str] | None:
    """An edited row's ``<prefix>_<lang>`` cells (None: the table has no such column, keep the stored)."""
    cells = {
        str(column): "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()
        for column, value in item.items()
        if str(column).startswith(f"{prefix}_")
    }
    return translated(cells, prefix, where) if cells else None


def speakers_text(speakers: list[dict[str, str]]) -> str:
    """agenda.csv's speakers column: ``Name (group): affiliation [role]``, with the groups organisers gave (the
    ones found from an affiliation are found again at every load)."""
    parts = []
    for speaker in speakers:
        group = speaker.get("group") if speaker.get("group_source") in GIVEN else ""
        name, affiliation, role = speaker_fields(speaker)
        parts.append(speaker_text(name, group or "", affiliation, role))
    return "; ".join(parts)


def speakers_frame(session: Session) -> pd.DataFrame:
    """Every speaker once (by name), with their affiliation, sessions, group and where it came from;
    the ones without a group first, for an organiser to choose."""
    found: dict[str, dict] = {}
    for item in session.scalars(select(AgendaSession).order_by(AgendaSession.starts_at, AgendaSession.key)):
        for speaker in item.speakers:
            row = found.setdefault(
                speaker["name"],
                {
                    "name": speaker["name"],
                    "affiliation": speaker_fields(speaker)[1],
                    "role": speaker_fields(speaker)[2],
                    "sessions": [],
                    "group": speaker.get("group") or None,
                    "decided by": speaker.get("group_source") or "unclassified",
                },
            )
            row["sessions"].append(item.title)
    rows = [{**row, "sessions": "; ".join(row["sessions"])} for row in found.values()]
    frame = pd.DataFrame(rows, columns=["name", "affiliation", "role", "sessions", "group", "decided by"])
    return frame.sort_values(["group", "name"], na_position="first", kind="stable").reset_index(drop=True)


def speaker_choices(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, str | None]:
    """The groups an organiser changed in the speakers table (``speakers_frame`` edited), by name."""

    def group(value) -> str | None:
        return value if isinstance(value, str) and value else None

    was = {name: group(g) for name, g in zip(before["name"], before["group"], strict=True)}
    return {name: group(g) for name, g in zip(after["name"], after["group"], strict=True) if group(g) != was.get(name)}


def set_speaker_groups(session: Session, choices: dict[str, str | None]) -> int:
    """An organiser's groups for speakers, by name, in every session they speak in; None: back to
    what the affiliation gives at the next load. Returns how many speaker entries changed."""
    known = set(session.scalars(select(StakeholderGroup.key)))
    unknown = sorted({g for g in choices.values() if g and g not in known})
    if unknown:
        raise EventConfigError(f"unknown stakeholder group(s): {', '.join(unknown)}")
    changed = 0
    for item in session.scalars(select(AgendaSession)):
        speakers, here = [], 0
        for speaker in item.speakers:
            choice = choices.get(speaker["name"], speaker.get("group") or None)
            if speaker["name"] in choices and choice != (speaker.get("group") or None):
                speaker = {**speaker, "group": choice or "", "group_source": "organiser" if choice else "unclassified"}
                here += 1
            speakers.append(speaker)
        if here:
            item.speakers = speakers  # a new list: the JSON column sees the change
            session.add(item)
            changed += here
    session.flush()
    return changed


def save_agenda(session: Session, event: EventConfig, frame: pd.DataFrame) -> None:
    """Replace the agenda with ``frame`` (edited in the event's time zone). Stored posts move to their
    new sessions after it commits: ``attribution.reattribute_in_steps``."""
    speakers = {s.key: (s.speakers, s.source_note) for s in session.scalars(select(AgendaSession))}
    rows, seen = [], set()
    for number, item in enumerate(frame.to_dict("records"), start=1):
        key = str(item.get("key") or "").strip()
        if not key or not str(item.get("title") or "").strip():
            raise EventConfigError(f"row {number}: key and title are required")
        if key in seen:
            raise EventConfigError(f"row {number}: key {key!r} appears twice")
        seen.add(key)
        if item.get("kind") not in SESSION_KINDS:
            raise EventConfigError(f"row {number}: kind must be one of {', '.join(sorted(SESSION_KINDS))}")
        start, end = pd.Timestamp(item["start"]), pd.Timestamp(item["end"])
        if pd.isna(start) or pd.isna(end) or end <= start:
            raise EventConfigError(f"row {number}: the session needs a start before its end")
        old_speakers, note = speakers.get(key, ([], ""))
        rows.append(
            AgendaRow(
                key=key,
                title=str(item["title"]).strip(),
                kind=item["kind"],
                starts_at=to_utc(start.to_pydatetime(), event.time_zone),
                ends_at=to_utc(end.to_pydatetime(), event.time_zone),
                room=str(item.get("room") or ""),
                hashtags=[normalise_hashtag(t) for t in str(item.get("hashtags") or "").split()],
                speakers=old_speakers,
                illustrative=bool(item.get("illustrative")),
                source_note=note,
                titles=_translations(item, "title", f"row {number}"),
            )
        )
    warnings: list[str] = []
    db.take_turns_counting(session)  # before sync_agenda moves posts out of removed sessions
    sync_agenda(session, rows, warnings)
    if warnings:
        raise EventConfigError("; ".join(warnings))


def save_agenda_and_reattribute(event: EventConfig, frame: pd.DataFrame, url: str | None = None) -> int:
    """Save the agenda ``frame`` in one transaction (``save_agenda``; an ``EventConfigError`` saves
    nothing), then move stored posts to their sessions in short steps; returns how many moved."""
    with db.writing(url) as session:
        save_agenda(session, event, frame)
    return reattribute_in_steps(event.grace, url)


def groups_frame(session: Session) -> pd.DataFrame:
    """The groups as stakeholder_groups.csv's columns, a ``label_<lang>`` column for each language."""
    groups = list(session.scalars(select(StakeholderGroup).order_by(StakeholderGroup.display_order)))
    languages = sorted({code for group in groups for code in group.labels or {}})
    rows = [
        (g.key, g.label, g.description, g.display_order, g.colour, *((g.labels or {}).get(c, "") for c in languages))
        for g in groups
    ]
    columns = ["key", "label", "description", "display_order", "colour", *(f"label_{c}" for c in languages)]
    return pd.DataFrame(rows, columns=columns)


def save_groups(session: Session, frame: pd.DataFrame) -> None:
    """Labels, descriptions, order and colours of the existing groups (keys are fixed: data refer to them)."""
    known = set(session.scalars(select(StakeholderGroup.key)))
    rows = []
    for number, item in enumerate(frame.to_dict("records"), start=1):
        if item["key"] not in known:
            raise EventConfigError(
                f"row {number}: group keys cannot be added or renamed here; edit "
                "stakeholder_groups.csv and run `python -m ingest config`"
            )
        if not COLOUR.match(str(item["colour"])):
            raise EventConfigError(f"row {number}: colour {item['colour']!r} is not '#RRGGBB'")
        rows.append(
            GroupRow(
                item["key"],
                str(item["label"]),
                str(item.get("description") or ""),
                int(item["display_order"]),
                str(item["colour"]),
                _translations(item, "label", f"row {number}"),
            )
        )
    sync_groups(session, rows)


def directory_frame(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            DirectoryEntry.handle, DirectoryEntry.organisation, DirectoryEntry.group_key, DirectoryEntry.note
        ).order_by(DirectoryEntry.handle)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["handle", "organisation", "group", "note"])


def save_directory(session: Session, frame: pd.DataFrame) -> None:
    """Replace the known accounts (keyword rules stay). Stored authors follow after it commits:
    ``classification.reclassify_in_steps``."""
    known = set(session.scalars(select(StakeholderGroup.key)))
    entries, seen = [], set()
    for number, item in enumerate(frame.to_dict("records"), start=1):
        handle = str(item.get("handle") or "").strip().lstrip("@").lower()
        if not handle:
            continue
        if item.get("group") not in known:
            raise EventConfigError(f"row {number}: group {item.get('group')!r} is not a stakeholder group key")
        if handle in seen:
            raise EventConfigError(f"row {number}: account {handle!r} appears twice")
        seen.add(handle)
        entries.append(
            DirectoryEntry(
                handle=handle,
                organisation=str(item.get("organisation") or ""),
                group_key=item["group"],
                note=str(item.get("note") or ""),
            )
        )
    session.execute(delete(DirectoryEntry))
    session.add_all(entries)
    session.flush()


def save_directory_and_reclassify(frame: pd.DataFrame, url: str | None = None) -> int:
    """Save the directory ``frame`` in one transaction (``save_directory``; an ``EventConfigError``
    saves nothing), then reclassify every author in short steps; returns how many changed group."""
    with db.writing(url) as session:
        save_directory(session, frame)
    return reclassify_in_steps(url)


def load_event_files(url: str | None = None) -> SyncResult:
    """Load the event files in one transaction, then reclassify authors and reattribute posts in
    short steps (``sync.assign_in_steps``), as ``python -m ingest config`` does."""
    with db.writing(url) as session:
        result = sync_event(session, assign=False)
    return assign_in_steps(result, url)


def find_authors(session: Session, text: str, limit: int = 50) -> pd.DataFrame:
    pattern = f"%{text.strip().lstrip('@').lower()}%"
    rows = session.execute(
        select(
            Author.id,
            Author.handle,
            Author.display_name,
            Author.bio,
            Author.group_key,
            Author.group_source,
            Author.organisation,
            func.count(Post.id),
        )
        .outerjoin(Post, Post.author_id == Author.id)
        .where(func.lower(Author.handle).like(pattern) | func.lower(Author.display_name).like(pattern))
        .group_by(Author.id)
        .order_by(func.count(Post.id).desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["id", "handle", "name", "bio", "group", "decided by", "organisation", "posts"],
    )


def ingest_overview(session: Session, limit: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    latest = select(IngestRun.source, func.max(IngestRun.id).label("id")).group_by(IngestRun.source).subquery()
    runs = session.execute(
        select(
            IngestRun.source,
            IngestRun.command,
            IngestRun.status,
            IngestRun.started_at,
            IngestRun.ended_at,
            IngestRun.counts,
            IngestRun.last_error,
        )
        .join(latest, IngestRun.id == latest.c.id)
        .order_by(IngestRun.source)
    ).all()
    run_frame = pd.DataFrame(
        [
            (
                r.source,
                r.command,
                r.status,
                r.started_at,
                r.ended_at,
                ", ".join(f"{k} {v}" for k, v in (r.counts or {}).items()),
                r.last_error or "",
            )
            for r in runs
        ],
        columns=["source", "command", "status", "started", "ended", "counts", "last error"],
    )
    rejected = session.execute(
        select(
            RejectedRecord.source,
            RejectedRecord.location,
            RejectedRecord.reason,
            func.substr(RejectedRecord.raw, 1, 300),
            RejectedRecord.created_at,
        )
        .order_by(RejectedRecord.id.desc())
        .limit(limit)
    ).all()
    rejected_frame = pd.DataFrame(
        [tuple(r) for r in rejected], columns=["source", "location", "reason", "record (start)", "kept at"]
    )
    return run_frame, rejected_frame
