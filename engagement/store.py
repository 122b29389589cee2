"""Writes normalised records: everything keyed on (platform, platform id), so a second import of
the same data changes nothing, and overlapping pages merge.

- A post seen again with a newer edit takes the newer text; an older version never wins.
- Metrics keep the latest reading (by retrieval time), so an old file never overwrites newer figures.
- A context post (only referenced) becomes collected when it later matches the event query; a
  collected post never falls back to context.
- An author missing from ``includes`` gets a placeholder row, filled in when the profile arrives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from .attribution import Attributor
from .classification import Classifier
from .models import Author, GroupSource, Post, PostEntity
from .normalize import PLATFORM, PostRecord, UserRecord
from .timeutil import to_utc, utcnow

CHUNK = 500  # stays under SQLite's bound-parameter limit in IN (...) lists
PROFILE_FIELDS = ("handle", "display_name", "bio", "location", "followers", "verified")
CONTENT_FIELDS = ("current_id", "text", "language", "kind", "referenced", "referenced_platform_id",
                  "in_reply_to_user_id", "conversation_id", "hashtags", "mentions", "urls", "media_count", "raw")
METRIC_FIELDS = ("retweets", "replies", "likes", "quotes", "impressions")


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
    existing: dict[str, Author] = {}
    for chunk in _chunks(ids):
        for author in session.scalars(select(Author).where(Author.platform == PLATFORM,
                                                           Author.platform_user_id.in_(chunk))):
            existing[author.platform_user_id] = author
    now = utcnow()
    for user_id in ids:
        profile = profiles.get(user_id)
        author = existing.get(user_id)
        if author is None:
            author = Author(platform=PLATFORM, platform_user_id=user_id, first_seen=now, last_updated=now,
                            group_key="public", group_source=GroupSource.unclassified)
            counts.authors_new += 1
        elif profile is None or all(getattr(author, f) == getattr(profile, f) for f in PROFILE_FIELDS):
            continue
        else:
            counts.authors_updated += 1
        if profile is not None:
            for name in PROFILE_FIELDS:
                setattr(author, name, getattr(profile, name))
            author.profile_known = True
            author.last_updated = now
        result = classifier.classify_author(author)
        author.group_key, author.group_source, author.organisation = result.group_key, result.source, result.organisation
        session.add(author)
        existing[user_id] = author
    session.flush()
    return {user_id: author.id for user_id, author in existing.items()}


def _entities(post_id: int, record: PostRecord) -> list[dict]:
    rows = {("hashtag", tag.lower()) for tag in record.hashtags} | {("mention", m.lower()) for m in record.mentions}
    return [{"post_id": post_id, "kind": kind, "value": value} for kind, value in sorted(rows)]


def _metrics_newer(reading: datetime, stored: datetime | None) -> bool:
    return stored is None or to_utc(reading) >= to_utc(stored)


def store_posts(session: Session, records: Iterable[PostRecord], users: Iterable[UserRecord], *,
                classifier: Classifier, attributor: Attributor, metrics_at: datetime | None = None) -> StoreCounts:
    """Upsert posts and their authors in the caller's transaction."""
    counts = StoreCounts()
    metrics_at = to_utc(metrics_at) if metrics_at else utcnow()
    posts = _merge_posts(records)
    author_ids = store_users(session, users, {p.author_platform_id for p in posts.values() if p.author_platform_id},
                             classifier, counts)

    existing: dict[str, Post] = {}
    for chunk in _chunks(sorted(posts)):
        for post in session.scalars(select(Post).where(Post.platform == PLATFORM, Post.platform_id.in_(chunk))):
            existing[post.platform_id] = post

    now = utcnow()
    new_rows, entity_changes = [], []
    for platform_id, record in posts.items():
        post = existing.get(platform_id)
        if post is None:
            row = {name: getattr(record, name) for name in CONTENT_FIELDS + METRIC_FIELDS}
            row.update(platform=PLATFORM, platform_id=platform_id, created_at=record.created_at,
                       author_id=author_ids.get(record.author_platform_id), collected=record.collected,
                       session_id=attributor.attribute(record.created_at, record.hashtags),
                       metrics_at=metrics_at, first_seen=now, last_updated=now)
            new_rows.append(row)
            if record.collected:
                counts.posts_new += 1
            else:
                counts.context_new += 1
            continue

        changes = {}
        if record.collected and not post.collected:
            changes["collected"] = True
        if int(record.current_id) > int(post.current_id):
            changes.update({name: getattr(record, name) for name in CONTENT_FIELDS})
            changes["session_id"] = attributor.attribute(post.created_at, record.hashtags)
            entity_changes.append((post.id, record))
        if record.created_at < to_utc(post.created_at):
            # An earlier version of an edited post: the logical post began then.
            changes["created_at"] = record.created_at
            changes["session_id"] = attributor.attribute(record.created_at, changes.get("hashtags", post.hashtags))
        if _metrics_newer(metrics_at, post.metrics_at):
            metric_changes = {n: getattr(record, n) for n in METRIC_FIELDS if getattr(record, n) != getattr(post, n)}
            if record.impressions is None:
                metric_changes.pop("impressions", None)  # an older API shape: keep what we had
            if metric_changes:
                changes.update(metric_changes, metrics_at=metrics_at)
        if post.author_id is None and record.author_platform_id:
            changes["author_id"] = author_ids.get(record.author_platform_id)
        if changes:
            changes["last_updated"] = now
            session.execute(update(Post).where(Post.id == post.id).values(**changes))
            if changes.get("collected"):
                counts.posts_new += 1  # first seen as context, collected now
            elif record.collected or post.collected:
                counts.posts_updated += 1
            else:
                counts.context_updated += 1
        elif record.collected:
            counts.duplicates += 1

    for chunk in _chunks(new_rows, 200):
        session.execute(insert(Post), chunk)
    if new_rows:
        ids = {}
        for chunk in _chunks([r["platform_id"] for r in new_rows]):
            ids.update(session.execute(select(Post.platform_id, Post.id).where(
                Post.platform == PLATFORM, Post.platform_id.in_(chunk))).all())
        entity_rows = [row for r in new_rows for row in _entities(ids[r["platform_id"]], posts[r["platform_id"]])]
        for chunk in _chunks(entity_rows):
            session.execute(insert(PostEntity), chunk)
    for post_id, record in entity_changes:
        session.execute(delete(PostEntity).where(PostEntity.post_id == post_id))
        rows = _entities(post_id, record)
        if rows:
            session.execute(insert(PostEntity), rows)
    return counts
