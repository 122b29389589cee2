# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload, union-attr"
"""The rows every Analyse aggregate reads: from a rollup where one answers the filters exactly, from
the posts otherwise — the same columns either way, so each aggregate is written once.

Each function returns a subquery of collected posts with a known author (as the pages count them):
``posts`` is how many posts a row stands for (1 for a post itself), ``session_id`` 0 is "between
sessions", ``language`` '' is "none given" and ``reason`` '' none decided, as in the rollups; ``platform``
is the post's network.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, and_, case, cast, func, literal, select, text, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session

from engagement.analysis import rollups
from engagement.storage.covering import scanned
from engagement.storage.models import Author, Post, PostEntity


def _posts(columns, f):
    return select(*columns).select_from(Post).where(Post.author_id.is_not(None), *f.posts())


def minute(session: Session, column):
    """Whole minutes since the epoch, in SQL."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer) // 60
    return cast(func.floor(func.extract("epoch", column) / 60), Integer)


def seconds(session: Session, column):
    """Whole seconds since the epoch, in SQL: a number to convert in one go, where reading tens of
    thousands of datetimes one by one would cost more than the query."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), BigInteger)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def _session_of_post():
    return func.coalesce(scanned(Post.session_id), 0).label("session_id")


def _language_of_post():
    return func.coalesce(scanned(Post.language), "").label("language")


def _network_of_post():
    """The post's network and reason, as the rollups keep them (revision 0017)."""
    return scanned(Post.platform).label("platform"), func.coalesce(scanned(Post.reason), "").label("reason")


def by_author(f):
    """session_id, author_id, platform, reason, posts, retweets (received), likes: per author. From the
    coarsest author rollup that answers ``f``: without time (revision 0022), without kind and
    language (0019: half the rows, in author order), the fine one; else the posts."""
    table = rollups.author_sessions(f) or rollups.author_hours(f) or rollups.authors(f)
    if table is not None:
        return (
            select(
                table.session_id,
                table.author_id,
                table.platform,
                table.reason,
                table.posts,
                table.retweets,
                table.likes,
            )
            .where(*rollups.where(table, f))
            .subquery("facts")
        )
    return _posts(
        (
            _session_of_post(),
            scanned(Post.author_id).label("author_id"),
            *_network_of_post(),
            literal(1).label("posts"),
            scanned(Post.retweets).label("retweets"),
            scanned(Post.likes).label("likes"),
        ),
        f,
    ).subquery("facts")


def by_time(session: Session, f):
    """session_id, kind, language, minute (quarter hours, or finer), platform, reason, posts,
    impressions, reporting (posts that report impressions)."""
    table = rollups.volume(f)
    if table is not None:
        return (
            select(
                table.session_id,
                table.kind,
                table.language,
                table.minute,
                table.platform,
                table.reason,
                table.posts,
                table.impressions,
                table.reporting,
            )
            .where(*rollups.where(table, f))
            .subquery("facts")
        )
    impressions = scanned(Post.impressions)
    return _posts(
        (
            _session_of_post(),
            scanned(Post.kind).label("kind"),
            _language_of_post(),
            minute(session, Post.created_at).label("minute"),
            *_network_of_post(),
            literal(1).label("posts"),
            func.coalesce(impressions, 0).label("impressions"),
            case((impressions.is_(None), 0), else_=1).label("reporting"),
        ),
        f,
    ).subquery("facts")


def by_minute(session: Session, f):
    """session_id, kind, language, minute, posts: per minute."""
    table = rollups.by_minute(f)
    if table is not None:
        return (
            select(table.session_id, table.kind, table.language, table.minute, table.posts)
            .where(*rollups.where(table, f))
            .subquery("facts")
        )
    return _posts(
        (
            _session_of_post(),
            scanned(Post.kind).label("kind"),
            _language_of_post(),
            minute(session, Post.created_at).label("minute"),
            literal(1).label("posts"),
        ),
        f,
    ).subquery("facts")


def of_entities(kind: str, f):
    """value, posts: the hashtags or mentions (``kind``) of the filtered posts."""
    table = rollups.entities(f)
    if table is not None:
        return select(table.value, table.posts).where(table.entity == kind, *rollups.where(table, f)).subquery("facts")
    # The posts from the covering index, each one's entities found by its id (the entity table's
    # primary key covers the rest).
    return (
        _posts((scanned(PostEntity.value).label("value"), literal(1).label("posts")), f)
        .join(PostEntity, and_(PostEntity.post_id == scanned(Post.id), scanned(PostEntity.kind) == kind))
        .subquery("facts")
    )


def links(f):
    """source_group, target_group, link, posts: who retweets, replies to, quotes and mentions whom
    (group keys, '' for none), as the link rollup counts them (revision 0009); with no time, kind or
    language chosen, from its coarser twin (revision 0022: 23,860 rows at a million posts, not 441,831)."""
    table = rollups.link_sessions(f) or rollups.links(f)
    if table is not None:
        return (
            select(table.source_group, table.target_group, table.link, table.posts)
            .where(*rollups.where(table, f))
            .subquery("facts")
        )
    source, author, target, target_author = aliased(Post), aliased(Author), aliased(Post), aliased(Author)
    source_group = func.coalesce(author.group_key, "").label("source_group")
    # From the covering index of the posts, as every aggregate here (see covering.py).
    references = (
        select(
            source_group,
            func.coalesce(target_author.group_key, "").label("target_group"),
            scanned(source.kind).label("link"),
            literal(1).label("posts"),
        )
        .select_from(source)
        .join(author, author.id == scanned(source.author_id))
        .join(
            target,
            and_(
                target.platform == scanned(source.platform),
                target.platform_id == scanned(source.referenced_platform_id),
            ),
        )
        .join(target_author, target_author.id == target.author_id)
        .where(*f.posts(source), scanned(source.kind) != "original")
    )
    # Mentions counted per (source group, handle) first, then each handle given to the first author
    # who had it, as in the rollup: joining a million mentions to the authors row by row took minutes.
    per_handle = (
        select(source_group, PostEntity.value.label("handle"), func.count().label("posts"))
        .select_from(source)
        .join(author, author.id == scanned(source.author_id))
        .join(PostEntity, and_(PostEntity.post_id == scanned(source.id), scanned(PostEntity.kind) == "mention"))
        .where(*f.posts(source))
        .group_by(source_group, PostEntity.value)
        .subquery("per_handle")
    )
    holders = (
        select(func.lower(Author.handle).label("handle"), func.min(Author.id).label("id"))
        .where(Author.handle.is_not(None))
        .group_by(func.lower(Author.handle))
        .subquery("holders")
    )
    named = aliased(Author)
    mentions = (
        select(
            per_handle.c.source_group,
            func.coalesce(named.group_key, "").label("target_group"),
            literal("mention").label("link"),
            per_handle.c.posts,
        )
        .join(holders, holders.c.handle == per_handle.c.handle)
        .join(named, named.id == holders.c.id)
    )
    return union_all(references, mentions).subquery("facts")


def per_author(f, sums=(), by=(), among=None, leave_out=None):
    """A subquery of the filtered posts per author (and the fact columns named in ``by``):
    ``author_id``, ``n`` (posts) and the sums of the fact columns named in ``sums``. Author columns
    are joined to these rows afterwards: a few thousand authors, not a million posts. ``among``: a
    query of author ids, to count only theirs (before grouping, which costs most); ``leave_out``, one
    of author ids not to count."""
    rows = by_author(f)
    keys = [rows.c.author_id, *(rows.c[name] for name in by)]
    query = select(*keys, whole_sum(rows.c.posts).label("n"), *(whole_sum(rows.c[name]).label(name) for name in sums))
    if among is not None:
        query = query.where(rows.c.author_id.in_(among))
    if leave_out is not None:
        query = query.where(rows.c.author_id.not_in(leave_out))
    return query.group_by(*keys).subquery()


def organiser_authors():
    """The authors of the organiser's own posts (reason ``own``), from the small partial index of
    those posts (revision 0012). The condition is literal text: SQLite uses a partial index only
    for the very term it was made with, never for a bound parameter. No NULL among them: a NOT IN
    with one would leave out every author."""
    return select(Post.author_id).where(text("post.reason = 'own'"), Post.author_id.is_not(None)).distinct()


def whole_sum(column):
    """A sum as a whole number on both databases (PostgreSQL sums bigints as numeric)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)
