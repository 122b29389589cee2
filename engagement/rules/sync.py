"""Bring the database in step with the organisers' event files, then re-derive what depends on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from engagement.rules import event as event_files
from engagement.rules.attribution import Attributor, reattribute, reattribute_in_steps
from engagement.rules.classification import Classifier, reclassify, reclassify_in_steps
from engagement.rules.reasons import Reasons, reason_all, reason_in_steps
from engagement.storage import db
from engagement.storage.models import (
    AgendaSession,
    ClassificationRule,
    DirectoryEntry,
    GroupSource,
    Post,
    Question,
    Setting,
    StakeholderGroup,
)
from engagement.timeutil import utcnow


@dataclass
class SyncResult:
    sessions: int = 0
    groups: int = 0
    directory: int = 0
    keywords: int = 0
    authors_reclassified: int = 0
    posts_reattributed: int = 0
    posts_reasoned: int = 0  # posts whose reason of collection changed (the event's hashtags or accounts did)
    speakers_unmatched: int = 0  # speakers whose group neither agenda.csv nor their affiliation gives
    warnings: list[str] = field(default_factory=list)


def sync_groups(session: Session, groups: list[event_files.GroupRow]) -> None:
    for row in groups:
        item = session.get(StakeholderGroup, row.key) or StakeholderGroup(
            key=row.key, label=row.label, colour=row.colour
        )
        item.label, item.description = row.label, row.description
        item.display_order, item.colour = row.display_order, row.colour
        if row.labels is not None:
            item.labels = dict(row.labels)  # a new dict: the JSON column sees the change
        session.add(item)
    session.flush()


def sync_agenda(session: Session, agenda: list[event_files.AgendaRow], warnings: list[str]) -> None:
    existing = {s.key: s for s in session.scalars(select(AgendaSession))}
    for row in agenda:
        item = existing.get(row.key) or AgendaSession(
            key=row.key, title=row.title, starts_at=row.starts_at, ends_at=row.ends_at
        )
        for name in (
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "room",
            "hashtags",
            "speakers",
            "illustrative",
            "source_note",
        ):
            setattr(item, name, getattr(row, name))
        if row.titles is not None:
            item.titles = dict(row.titles)
        session.add(item)
    keep = {row.key for row in agenda}
    for key, item in existing.items():
        if key in keep:
            continue
        asked = session.scalar(select(func.count()).select_from(Question).where(col(Question.session_id) == item.id))
        if asked:
            warnings.append(f"session {key!r} is no longer in agenda.csv but has {asked} question(s): kept")
            continue
        session.execute(update(Post).where(col(Post.session_id) == item.id).values(session_id=None))
        session.delete(item)
    session.flush()


def sync_directory(session: Session, accounts, keywords) -> None:
    """The files are the organisers' master copy: the tables are replaced, not merged."""
    session.execute(delete(DirectoryEntry))
    session.execute(delete(ClassificationRule))
    for row in accounts:
        session.add(
            DirectoryEntry(
                handle=row.handle,
                platform_user_id=row.platform_user_id,
                organisation=row.organisation,
                group_key=row.group_key,
                note=row.note,
            )
        )
    for position, row in enumerate(keywords):
        session.add(
            ClassificationRule(
                position=position, keyword=row.keyword, group_key=row.group_key, language=row.language, note=row.note
            )
        )
    session.flush()


def classify_speakers(session: Session, classifier: Classifier) -> int:
    """Give each speaker without a group in agenda.csv the one their affiliation names (directory,
    then keyword rules), keeping where it came from (``group_source``: agenda, directory, rule or
    unclassified); returns how many are left without one (the Agenda page lists them)."""
    unmatched = 0
    for item in session.scalars(select(AgendaSession)):
        speakers = []
        for speaker in item.speakers:
            speaker = {k: v for k, v in speaker.items() if k not in ("group_source", "organisation")}
            if speaker.get("group"):
                speaker["group_source"] = "agenda"
            else:
                found = classifier.classify_affiliation(event_files.speaker_fields(speaker)[1])
                if found.source == GroupSource.unclassified:
                    unmatched += 1
                    speaker["group_source"] = str(found.source)
                else:
                    speaker |= {"group": found.group_key, "group_source": str(found.source)}
                    if found.organisation:
                        speaker["organisation"] = found.organisation
            speakers.append(speaker)
        if speakers != item.speakers:
            item.speakers = speakers  # a new list: the JSON column sees the change
            session.add(item)
    session.flush()
    return unmatched


def sync_event(session: Session, folder: Path | None = None, *, assign: bool = True) -> SyncResult:
    """Load every event file (all are checked before anything is written), then reclassify and
    reattribute (``assign=False``: the caller does, in steps of their own; see ``assign_in_steps``)."""
    config = event_files.load_event(folder)
    groups = event_files.load_groups(folder)
    agenda = event_files.load_agenda(config, folder)
    accounts, keywords = event_files.load_directory({g.key for g in groups}, folder)
    for item in agenda:
        for speaker in item.speakers:
            if speaker["group"] and speaker["group"] not in {g.key for g in groups}:
                raise event_files.EventConfigError(
                    f"agenda.csv: speaker {speaker['name']!r} of {item.key!r} has unknown group {speaker['group']!r}"
                )

    result = SyncResult(sessions=len(agenda), groups=len(groups), directory=len(accounts), keywords=len(keywords))
    db.take_turns_counting(session)  # first: what follows moves posts between sessions and authors between groups
    sync_groups(session, groups)
    sync_agenda(session, agenda, result.warnings)
    sync_directory(session, accounts, keywords)
    result.speakers_unmatched = classify_speakers(session, Classifier.from_database(session))
    if assign:
        result.authors_reclassified = reclassify(session, Classifier.from_database(session))
        result.posts_reattributed = reattribute(session, Attributor.from_database(session, config.grace))
        result.posts_reasoned = reason_all(session, Reasons.from_database(session, config))
    session.merge(Setting(key="event_synced_at", value=utcnow().isoformat(), updated_at=utcnow()))
    return result


def assign_in_steps(result: SyncResult, url: str | None = None, folder: Path | None = None) -> SyncResult:
    """Reclassify every author, reattribute every post and decide its reason again after ``sync_event(..., assign=False)``
    committed, a short transaction at a time (``db.in_steps``), so that the worker and participants
    keep their turns at the database while a large one is brought up to date."""
    result.authors_reclassified = reclassify_in_steps(url)
    event = event_files.load_event(folder)
    result.posts_reattributed = reattribute_in_steps(event.grace, url)
    result.posts_reasoned = reason_in_steps(url, event)
    return result


def ensure_event(session: Session, folder: Path | None = None) -> SyncResult | None:
    """Load the event files into a database that has no agenda yet (a first start)."""
    if session.scalar(select(func.count()).select_from(AgendaSession)):
        return None
    return sync_event(session, folder)
