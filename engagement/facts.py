"""The rows every Analyse aggregate reads: from a rollup where one answers the filters exactly, from
the posts otherwise — the same columns either way, so each aggregate is written once.

Each function returns a subquery of collected posts with a known author (as the pages count them):
``posts`` is how many posts a row stands for (1 for a post itself), ``session_id`` 0 is "between
sessions" and ``language`` '' is "none given", as in the rollups.
"""

from __future__ import annotations

from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlmodel import Session

from . import rollups
from .covering import scanned
from .models import Post, PostEntity


def _posts(columns, f):
    return select(*columns).select_from(Post).where(Post.author_id.is_not(None), *f.posts())


def minute(session: Session, column):
    """Whole minutes since the epoch, in SQL."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer) // 60
    return cast(func.floor(func.extract("epoch", column) / 60), Integer)


def _session_of_post():
    return func.coalesce(scanned(Post.session_id), 0).label("session_id")


def _language_of_post():
    return func.coalesce(scanned(Post.language), "").label("language")


def by_author(f):
    """session_id, author_id, kind, language, posts, retweets (received), likes."""
    table = rollups.authors(f)
    if table is not None:
        return (select(table.session_id, table.author_id, table.kind, table.language, table.posts, table.retweets,
                       table.likes).where(*rollups.where(table, f)).subquery("facts"))
    return _posts((_session_of_post(), scanned(Post.author_id).label("author_id"), scanned(Post.kind).label("kind"),
                   _language_of_post(), literal(1).label("posts"), scanned(Post.retweets).label("retweets"),
                   scanned(Post.likes).label("likes")), f).subquery("facts")


def by_time(session: Session, f, bucket: int = rollups.QUARTER):
    """session_id, kind, language, minute (a multiple of ``bucket`` minutes or finer), posts,
    impressions, reporting (posts that report impressions)."""
    table = rollups.volume(f) if bucket % rollups.QUARTER == 0 else None
    if table is not None:
        return (select(table.session_id, table.kind, table.language, table.minute, table.posts, table.impressions,
                       table.reporting).where(*rollups.where(table, f)).subquery("facts"))
    impressions = scanned(Post.impressions)
    return _posts((_session_of_post(), scanned(Post.kind).label("kind"), _language_of_post(),
                   minute(session, Post.created_at).label("minute"), literal(1).label("posts"),
                   func.coalesce(impressions, 0).label("impressions"),
                   case((impressions.is_(None), 0), else_=1).label("reporting")), f).subquery("facts")


def of_entities(kind: str, f):
    """value, posts: the hashtags or mentions (``kind``) of the filtered posts."""
    table = rollups.entities(f)
    if table is not None:
        return (select(table.value, table.posts).where(table.entity == kind, *rollups.where(table, f))
                .subquery("facts"))
    # The posts from the covering index, each one's entities found by its id (the entity table's
    # primary key covers the rest).
    return (_posts((scanned(PostEntity.value).label("value"), literal(1).label("posts")), f)
            .join(PostEntity, and_(PostEntity.post_id == scanned(Post.id), scanned(PostEntity.kind) == kind))
            .subquery("facts"))
