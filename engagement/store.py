"""Writes normalised records: everything keyed on (platform, platform id), so a second import of
the same data changes nothing, and overlapping pages merge.

- A post seen again with a newer edit takes the newer text; an older version never wins, but dates
  the logical post.
- Metrics keep the latest reading (by retrieval time), so an old file never overwrites newer figures.
- A context post (only referenced) becomes collected when it later matches the event query; a
  collected post never falls back to context.
- An author missing from ``includes`` gets a placeholder row, filled in when the profile arrives.

This is the hot path of every import, so it works on plain rows through SQLAlchemy Core: one
SELECT of the keys already stored, then ``executemany`` inserts of prepared values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlmodel import Session

from .attribution import Attributor
from .classification import Classifier
from .models import Author, Post, PostEntity
from .normalize import PLATFORM, PostRecord, UserRecord
from .timeutil import to_utc, utcnow

CHUNK = 500  # stays under SQLite's bound-parameter limit in IN (...) lists
PROFILE_FIELDS = ("handle", "display_name", "bio", "location", "followers", "verified")
CONTENT_FIELDS = ("current_id", "text", "language", "kind", "referenced", "referenced_platform_id",
                  "in_reply_to_user_id", "conversation_id", "hashtags", "mentions", "urls", "media_count", "raw")
METRIC_FIELDS = ("retweets", "replies", "likes", "quotes", "impressions")
JSON_FIELDS = {"referenced", "hashtags", "mentions", "urls", "raw"}
POST_COLUMNS = ("platform", "platform_id", "author_id", "created_at", "collected", "session_id", "metrics_at",
                "first_seen", "last_updated") + CONTENT_FIELDS + METRIC_FIELDS
AUTHOR_COLUMNS = ("platform", "platform_user_id", "group_key", "group_source", "organisation", "profile_known",
                  "first_seen", "last_updated") + PROFILE_FIELDS
ENTITY_COLUMNS = ("post_id", "kind", "value")


def _insert_many(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """``executemany`` at the driver level: positional rows, no per-row work in SQLAlchemy."""
    if not rows:
        return
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})", rows)


@dataclass
class StoreCounts:
    posts_new: int = 0
    posts_updated: int = 0
    duplicates: int = 0
    context_new: int = 0
    context_updated: int = 0
    authors_new: int = 0
    authors_updated: int = 0

    def add(self, other: StoreCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _json(value: Any) -> str:
    """JSON for a JSON column; the importer may hand over ``raw`` already serialised."""
    if isinstance(value, str):
        return value
    if not value:
        return "[]" if isinstance(value, list) else json.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _time_writer(session: Session):
    """Datetimes as SQLAlchemy stores them: on SQLite naive-UTC text, elsewhere aware values."""
    if session.get_bind().dialect.name == "sqlite":
        return lambda value: to_utc(value).strftime("%Y-%m-%d %H:%M:%S.%f") if value is not None else None
    return lambda value: to_utc(value) if value is not None else None


def _merge_posts(records: Iterable[PostRecord]) -> dict[str, PostRecord]:
    """One record per logical post: the newest version, collected if any copy was, dated by the first."""
    merged: dict[str, PostRecord] = {}
    for record in records:
        seen = merged.get(record.platform_id)
        if seen is None:
            merged[record.platform_id] = record
            continue
        newest = record if int(record.current_id) > int(seen.current_id) else seen
        newest.collected = seen.collected or record.collected
        newest.created_at = min(seen.created_at, record.created_at)
        merged[record.platform_id] = newest
    return merged


def store_users(session: Session, users: Iterable[UserRecord], wanted_ids: set[str],
                classifier: Classifier, counts: StoreCounts) -> dict[str, int]:
    """Upsert authors; returns platform user id → author.id for every id in ``users`` and ``wanted_ids``."""
    profiles = {u.platform_user_id: u for u in users}
    ids = sorted(set(profiles) | wanted_ids)
    columns = (Author.id, Author.platform_user_id, Author.override_group_key, Author.override_organisation,
               Author.profile_known) + tuple(getattr(Author, f) for f in PROFILE_FIELDS)
    existing = {}
    for chunk in _chunks(ids):
        for row in session.execute(select(*columns).where(Author.platform == PLATFORM,
                                                          Author.platform_user_id.in_(chunk))):
            existing[row.platform_user_id] = row
    now, stamp = utcnow(), _time_writer(session)
    now_text = stamp(now)
    new_rows = []
    for user_id in ids:
        profile, row = profiles.get(user_id), existing.get(user_id)
        if row is not None and (profile is None or all(getattr(row, f) == getattr(profile, f) for f in PROFILE_FIELDS)):
            continue
        values = {f: getattr(profile, f) if profile else None for f in PROFILE_FIELDS}
        result = classifier.classify(
            handle=values["handle"], platform_user_id=user_id, display_name=values["display_name"],
            bio=values["bio"], override_group_key=row.override_group_key if row else None,
            override_organisation=row.override_organisation if row else None)
        values.update(group_key=result.group_key, group_source=result.source, organisation=result.organisation,
                      profile_known=profile is not None)
        if row is None:
            values.update(platform=PLATFORM, platform_user_id=user_id, first_seen=now_text, last_updated=now_text)
            new_rows.append(tuple(values[c] for c in AUTHOR_COLUMNS))
            counts.authors_new += 1
        else:
            session.execute(update(Author.__table__).where(Author.__table__.c.id == row.id)
                            .values(**values, last_updated=now))
            counts.authors_updated += 1
    ids_by_user = {user_id: row.id for user_id, row in existing.items()}
    if new_rows:
        _insert_many(session, "author", AUTHOR_COLUMNS, new_rows)
        position = AUTHOR_COLUMNS.index("platform_user_id")
        for chunk in _chunks([r[position] for r in new_rows]):
            ids_by_user.update(session.execute(select(Author.platform_user_id, Author.id).where(
                Author.platform == PLATFORM, Author.platform_user_id.in_(chunk))).all())
    return ids_by_user


def _entities(post_id: int, record: PostRecord) -> list[tuple]:
    rows = {("hashtag", tag.lower()) for tag in record.hashtags} | {("mention", m.lower()) for m in record.mentions}
    return [(post_id, kind, value) for kind, value in sorted(rows)]


def _metrics_newer(reading: datetime, stored: datetime | None) -> bool:
    return stored is None or to_utc(reading) >= to_utc(stored)


EXISTING_COLUMNS = (Post.id, Post.platform_id, Post.current_id, Post.collected, Post.created_at, Post.metrics_at,
                    Post.author_id) + tuple(getattr(Post, f) for f in METRIC_FIELDS)


def store_posts(session: Session, records: Iterable[PostRecord], users: Iterable[UserRecord], *,
                classifier: Classifier, attributor: Attributor, metrics_at: datetime | None = None) -> StoreCounts:
    """Upsert posts and their authors in the caller's transaction."""
    counts = StoreCounts()
    metrics_at = to_utc(metrics_at) if metrics_at else utcnow()
    posts = _merge_posts(records)
    author_ids = store_users(session, users, {p.author_platform_id for p in posts.values() if p.author_platform_id},
                             classifier, counts)

    existing = {}
    for chunk in _chunks(list(posts)):
        for row in session.execute(select(*EXISTING_COLUMNS).where(Post.platform == PLATFORM,
                                                                   Post.platform_id.in_(chunk))):
            existing[row.platform_id] = row

    now, stamp = utcnow(), _time_writer(session)
    now_text, metrics_text = stamp(now), stamp(metrics_at)
    new_rows, entity_changes, updates = [], [], []
    for platform_id, record in posts.items():
        post = existing.get(platform_id)
        if post is None:
            row = {name: getattr(record, name) for name in CONTENT_FIELDS + METRIC_FIELDS}
            for name in JSON_FIELDS:
                row[name] = _json(row[name])
            row.update(platform=PLATFORM, platform_id=platform_id, created_at=stamp(record.created_at),
                       author_id=author_ids.get(record.author_platform_id), collected=record.collected,
                       session_id=attributor.attribute(record.created_at, record.hashtags),
                       metrics_at=metrics_text, first_seen=now_text, last_updated=now_text)
            new_rows.append(tuple(row[c] for c in POST_COLUMNS))
            if record.collected:
                counts.posts_new += 1
            else:
                counts.context_new += 1
            continue

        changes: dict[str, Any] = {}
        if record.collected and not post.collected:
            changes["collected"] = True
        if int(record.current_id) > int(post.current_id):
            changes.update({name: getattr(record, name) for name in CONTENT_FIELDS})
            if isinstance(changes["raw"], str):
                changes["raw"] = json.loads(changes["raw"])
            changes["session_id"] = attributor.attribute(post.created_at, record.hashtags)
            entity_changes.append((post.id, record))
        if record.created_at < to_utc(post.created_at):
            # An earlier version of an edited post: the logical post began then.
            changes["created_at"] = record.created_at
            hashtags = changes.get("hashtags") or session.scalar(select(Post.hashtags).where(Post.id == post.id))
            changes["session_id"] = attributor.attribute(record.created_at, hashtags or ())
        if _metrics_newer(metrics_at, post.metrics_at):
            metric_changes = {n: getattr(record, n) for n in METRIC_FIELDS if getattr(record, n) != getattr(post, n)}
            if record.impressions is None:
                metric_changes.pop("impressions", None)  # an older API shape: keep what we had
            if metric_changes:
                changes.update(metric_changes, metrics_at=metrics_at)
        if post.author_id is None and record.author_platform_id:
            changes["author_id"] = author_ids.get(record.author_platform_id)
        if changes:
            updates.append((post.id, changes))
            if changes.get("collected"):
                counts.posts_new += 1  # first seen as context, collected now
            elif record.collected or post.collected:
                counts.posts_updated += 1
            else:
                counts.context_updated += 1
        elif record.collected:
            counts.duplicates += 1

    # Most updates change the same few columns (a context post now collected; new metrics): one
    # executemany per set of columns instead of a statement per post.
    table = Post.__table__
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for post_id, changes in updates:
        changes["last_updated"] = now
        by_columns.setdefault(tuple(sorted(changes)), []).append({"_id": post_id, **changes})
    for columns, rows in by_columns.items():
        statement = update(table).where(table.c.id == bindparam("_id")).values(
            {name: bindparam(name) for name in columns})
        session.execute(statement, rows)
    if new_rows:
        _insert_many(session, "post", POST_COLUMNS, new_rows)
        position = POST_COLUMNS.index("platform_id")
        new_ids = [r[position] for r in new_rows]
        ids = {}
        for chunk in _chunks(new_ids):
            ids.update(session.execute(select(Post.platform_id, Post.id).where(
                Post.platform == PLATFORM, Post.platform_id.in_(chunk))).all())
        _insert_many(session, "post_entity", ENTITY_COLUMNS,
                     [row for platform_id in new_ids for row in _entities(ids[platform_id], posts[platform_id])])
    for post_id, record in entity_changes:
        session.execute(delete(PostEntity).where(PostEntity.post_id == post_id))
        _insert_many(session, "post_entity", ENTITY_COLUMNS, _entities(post_id, record))
    return counts

