"""The rollups (revision 0008): which one answers an aggregate under a set of filters, and the
worker's counting of the posts it inserts (triggers follow every change after that).

A rollup counts posts per time bucket, so it answers a time filter exactly only when the filter's
bounds fall on its buckets' edges; the Analyse pages filter by whole days in the event's time zone,
which fall on every hour edge in all but a few zones (India, Nepal, parts of Australia) and on every
quarter-hour edge in all of them. The volume and entity rollups have no author column, so a filter
by stakeholder group needs the author rollup or the posts themselves. Anything a rollup cannot
answer exactly is counted from the posts (slower at a million posts, never wrong).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import bindparam, delete, func, select, text
from sqlmodel import Session

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


# The writer's side. The same counting as the migration that made the tables (revision 0008, whose
# copy stays as it was), for the posts a batch inserted.

def _bucket(dialect: str, minutes: int) -> str:
    if dialect == "sqlite":
        return f"(CAST(strftime('%s', post.created_at) AS INTEGER) / {minutes * 60} * {minutes})"
    return f"(CAST(floor(extract(epoch FROM post.created_at) / {minutes * 60}) AS INTEGER) * {minutes})"


def _add_statements(dialect: str) -> list[str]:
    """Volume, author and entity counts of the posts ``{chosen}``, added to the rollups."""
    keys = f"coalesce(post.session_id, 0), post.kind, coalesce(post.language, ''), {_bucket(dialect, QUARTER)}"
    counted = "post.collected AND post.author_id IS NOT NULL AND {chosen}"
    authors = (f"coalesce(post.session_id, 0), post.author_id, post.kind, coalesce(post.language, ''), "
               f"{_bucket(dialect, HOUR)}")
    return [
        f"""INSERT INTO rollup_volume (session_id, kind, language, minute, posts, impressions, reporting)
        SELECT {keys}, count(*), coalesce(sum(post.impressions), 0), count(post.impressions)
        FROM post WHERE {counted} GROUP BY {keys}
        ON CONFLICT (session_id, kind, language, minute) DO UPDATE SET
            posts = rollup_volume.posts + excluded.posts,
            impressions = rollup_volume.impressions + excluded.impressions,
            reporting = rollup_volume.reporting + excluded.reporting""",
        f"""INSERT INTO rollup_author (session_id, author_id, kind, language, minute, posts, retweets, likes)
        SELECT {authors}, count(*), sum(post.retweets), sum(post.likes)
        FROM post WHERE {counted} GROUP BY {authors}
        ON CONFLICT (session_id, author_id, kind, language, minute) DO UPDATE SET
            posts = rollup_author.posts + excluded.posts,
            retweets = rollup_author.retweets + excluded.retweets,
            likes = rollup_author.likes + excluded.likes""",
        f"""INSERT INTO rollup_entity (entity, value, session_id, kind, language, minute, posts)
        SELECT e.kind, e.value, {keys}, count(*)
        FROM post_entity AS e JOIN post ON post.id = e.post_id WHERE {counted} GROUP BY e.kind, e.value, {keys}
        ON CONFLICT (entity, value, session_id, kind, language, minute) DO UPDATE SET
            posts = rollup_entity.posts + excluded.posts""",
    ]


def _chosen(session: Session, statement: str, ids: list[int]) -> None:
    if not ids:
        return
    low, high = min(ids), max(ids)
    if session.get_bind().dialect.name == "sqlite" and high - low + 1 == len(ids):
        # A run of ids, as a SQLite writer gives them (it holds the whole database meanwhile).
        session.execute(text(statement.format(chosen="post.id BETWEEN :low AND :high")), {"low": low, "high": high})
        return
    query = text(statement.format(chosen="post.id IN :ids")).bindparams(bindparam("ids", expanding=True))
    for start in range(0, len(ids), 10_000):
        session.execute(query, {"ids": ids[start:start + 10_000]})


def add_posts(session: Session, ids: list[int]) -> None:
    """Count the posts ``ids``, just inserted with their entities, in every rollup. Only new posts:
    triggers follow every change to a post once it is stored."""
    for statement in _add_statements(session.get_bind().dialect.name):
        _chosen(session, statement, ids)


def add_entities(session: Session, ids: list[int]) -> None:
    """Count the entities of the stored posts ``ids`` after they were replaced (deleting the old ones
    took them away)."""
    _chosen(session, _add_statements(session.get_bind().dialect.name)[-1], ids)


def recount(session: Session) -> int:
    """Count every rollup anew from the posts (after posts were inserted by hand, say); returns how
    many posts they count. One transaction: readers see the old counts until it commits."""
    for table in (VolumeRollup, AuthorRollup, EntityRollup):
        session.execute(delete(table))
    for statement in _add_statements(session.get_bind().dialect.name):
        session.execute(text(statement.format(chosen="1 = 1")))
    return session.scalar(select(func.coalesce(func.sum(VolumeRollup.posts), 0)))
