"""Which rollup table (revision 0008) can answer an aggregate under a set of filters.

A rollup counts posts per time bucket, so it answers a time filter exactly only when the filter's
bounds fall on its buckets' edges; the Analyse pages filter by whole days in the event's time zone,
which fall on every hour edge in all but a few zones (India, Nepal, parts of Australia) and on every
quarter-hour edge in all of them. The volume and entity rollups have no author column, so a filter
by stakeholder group needs the author rollup or the posts themselves. Anything a rollup cannot
answer exactly is counted from the posts (slower at a million posts, never wrong).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from .models import Author, AuthorRollup, EntityRollup, VolumeRollup

QUARTER, HOUR = 15, 60  # bucket sizes in minutes, as the migration that made the tables


def minutes(moment: datetime) -> int:
    """Whole minutes since 1970 (UTC); a naive time is taken as UTC, as stored."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp()) // 60


def _on_edges(f, bucket: int) -> bool:
    for moment in (f.start, f.end):
        if moment is not None and (moment.second or moment.microsecond or minutes(moment) % bucket):
            return False
    return True


def volume(f) -> type[VolumeRollup] | None:
    """The volume rollup, if it answers ``f`` exactly."""
    return VolumeRollup if f.groups is None and _on_edges(f, QUARTER) else None


def authors(f) -> type[AuthorRollup] | None:
    return AuthorRollup if _on_edges(f, HOUR) else None


def entities(f) -> type[EntityRollup] | None:
    return EntityRollup if f.groups is None and _on_edges(f, QUARTER) else None


def where(table, f) -> list:
    """Conditions on a rollup ``table`` for the filters ``f`` (session 0 is "between sessions" in both)."""
    conditions = []
    if f.start:
        conditions.append(table.minute >= minutes(f.start))
    if f.end:
        conditions.append(table.minute < minutes(f.end))
    if f.sessions is not None:
        conditions.append(table.session_id.in_(f.sessions))
    if f.groups is not None:
        conditions.append(table.author_id.in_(select(Author.id).where(Author.group_key.in_(f.groups))))
    if f.kinds is not None:
        conditions.append(table.kind.in_(f.kinds))
    if f.languages is not None:
        conditions.append(table.language.in_(f.languages))
    return conditions
