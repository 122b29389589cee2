# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="attr-defined, call-overload, union-attr"
"""The rollups (revisions 0008–0010, keyed also by network and reason since 0017, 0019's author
rollup without kind and language, and 0022's author and link rollups without time): which one answers
an aggregate under a set of filters, and the worker's counting of the posts it inserts and of the
context posts it collects (triggers follow every other change after that).

A rollup counts posts per time bucket, so it answers a time filter exactly only when the filter's
bounds fall on its buckets' edges; the Analyse pages filter by whole days in the event's time zone,
which fall on every hour edge in all but a few zones (India, Nepal, parts of Australia) and on every
quarter-hour edge in all of them. The volume and entity rollups have no author column, so a filter
by stakeholder group needs the author rollup (the link rollup filters by its source group) or the
posts themselves. Every rollup keeps the network and the reason (revision 0017: filtered to X at a
million posts, Engagement took 6.05 s of CPU counting the posts). The per-author figures read the
coarser author rollup (revision 0019) unless a kind or language is chosen: half the rows, in author
order. With no time, kind or language chosen (the post-event summary) the per-author figures and the
links read revision 0022's rollups (the links kept by triggers on the finer link rollup's rows).
Anything a rollup cannot answer exactly is counted from the posts (slower at a million posts,
never wrong).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import delete, func, literal, or_, select, text
from sqlmodel import Session

from engagement.storage import db
from engagement.storage.covering import scanned
from engagement.storage.models import (
    Author,
    AuthorHourRollup,
    AuthorRollup,
    AuthorSessionRollup,
    EntityRollup,
    LinkRollup,
    LinkSessionRollup,
    MinuteRollup,
    VolumeRollup,
)

QUARTER, HOUR = 15, 60  # bucket sizes in minutes, as the migration that made the tables
BETWEEN = 0  # the session filter's value for "between sessions", a rollup row's session then


def minutes(moment: datetime) -> int:
    """Whole minutes since 1970 (UTC); a naive time is taken as UTC, as stored."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) // 60


def _on_edges(f, bucket: int) -> bool:
    for moment in (f.start, f.end):
        if moment is not None and (moment.second or moment.microsecond or minutes(moment) % bucket):
            return False
    return True


def volume(f) -> type[VolumeRollup] | None:
    """The volume rollup, if it answers ``f`` exactly."""
    return VolumeRollup if f.groups is None and _on_edges(f, QUARTER) else None


def by_minute(f) -> type[MinuteRollup] | None:
    """The volume rollup's finer twin (posts only), if it answers ``f`` exactly."""
    return MinuteRollup if f.groups is None and _on_edges(f, 1) else None


def authors(f) -> type[AuthorRollup] | None:
    return AuthorRollup if _on_edges(f, HOUR) else None


def author_hours(f) -> type[AuthorHourRollup] | None:
    """The author rollup without kind and language (revision 0019), if it answers ``f`` exactly."""
    return AuthorHourRollup if f.kinds is None and f.languages is None and _on_edges(f, HOUR) else None


def _timeless(f) -> bool:
    return f.start is None and f.end is None and f.kinds is None and f.languages is None


def author_sessions(f) -> type[AuthorSessionRollup] | None:
    """The author rollup without time, kind and language (revision 0022), if it answers ``f``."""
    return AuthorSessionRollup if _timeless(f) else None


def entities(f) -> type[EntityRollup] | None:
    return EntityRollup if f.groups is None and _on_edges(f, QUARTER) else None


def links(f) -> type[LinkRollup] | None:
    return LinkRollup if _on_edges(f, QUARTER) else None


def link_sessions(f) -> type[LinkSessionRollup] | None:
    """The link rollup without time, kind and language (revision 0022), if it answers ``f``."""
    return LinkSessionRollup if _timeless(f) else None


def where(table, f) -> list:
    """Conditions on ``table`` for the filters ``f``: the one mapping of the Analyse filters to SQL,
    for the posts (``Post`` or an alias of it) and the rollups alike, whose dimension columns have the
    same names. A post's time is ``created_at``, a rollup row's its bucket's ``minute``; a post between
    sessions has no session, a rollup row then has session 0 (``BETWEEN``); a stakeholder group is
    matched through the small author table (no query joins every post to its author just to filter),
    in the link rollup by its source group; why a post was collected ('' for none in a rollup row, which a
    filter never asks for) and its network, as stored. Whether a post was collected is for the caller
    (``Filters.posts``): the rollups count only collected posts."""
    posts = hasattr(table, "created_at")
    conditions = []
    if f.start or f.end:
        time, edge = (table.created_at, lambda moment: moment) if posts else (table.minute, minutes)
        if f.start:
            conditions.append(time >= edge(f.start))
        if f.end:
            conditions.append(time < edge(f.end))
    if f.sessions is not None:
        conditions.append(_of_sessions(table.session_id, f.sessions) if posts else table.session_id.in_(f.sessions))
    if f.groups is not None and hasattr(table, "source_group"):
        conditions.append(table.source_group.in_(f.groups))
    elif f.groups is not None:
        conditions.append(table.author_id.in_(select(Author.id).where(Author.group_key.in_(f.groups))))
    if f.kinds is not None:
        conditions.append(table.kind.in_(f.kinds))
    if f.languages is not None:
        conditions.append(table.language.in_(f.languages))
    if f.reasons is not None:
        conditions.append(table.reason.in_(f.reasons))
    if f.networks is not None:
        # On the posts, a term no index can use: SQLite otherwise walks the (platform, platform id) key
        # and reads every wide row of the network's posts (the summary's top posts filtered to X:
        # 1.56 s of CPU at a million posts; from the covering index instead, see below).
        conditions.append((scanned(table.platform) if posts else table.platform).in_(f.networks))
    return conditions


def _of_sessions(session_id, sessions):
    """A post's session among ``sessions``, where ``BETWEEN`` is no session."""
    ids = [s for s in sessions if s != BETWEEN]
    options = [session_id.in_(ids)] if ids else []
    if BETWEEN in sessions:
        options.append(session_id.is_(None))
    return or_(*options) if options else literal(False)


# The writer's side. The same counting as the migration that made the tables (revision 0017, after
# 0008 to 0010, whose copies stay as they were), for the posts a batch inserted. In the statements,
# ``{chosen}`` follows a post id to select the batch's posts and ``{others}`` to leave them out.
# Counting in the database beats counting the rows the writer holds: for 50,000 demo posts on
# SQLite, the five INSERT … SELECTs before the links took about 1.4 s of the writer's CPU; counted
# in Python and upserted with executemany (the author rollups nearly a row a post), 3.0 s.


def _bucket(dialect: str, minutes: int, row: str = "post") -> str:
    if dialect == "sqlite":
        return f"(CAST(strftime('%s', {row}.created_at) AS INTEGER) / {minutes * 60} * {minutes})"
    return f"(CAST(floor(extract(epoch FROM {row}.created_at) / {minutes * 60}) AS INTEGER) * {minutes})"


KEYS = "session_id, kind, language, minute, platform, reason"  # each rollup's key, as revision 0017 made it
AUTHOR_KEYS = "session_id, author_id, kind, language, minute, platform, reason"
AUTHOR_HOUR_KEYS = "author_id, session_id, minute, platform, reason"  # revision 0019
AUTHOR_SESSION_KEYS = "author_id, session_id, platform, reason"  # revision 0022


def _add_authors(table: str, keys: str, values: str, counted: str) -> str:
    """Posts, retweets and likes of the posts ``counted``, added to an author rollup keyed by ``keys``."""
    return f"""INSERT INTO {table} ({keys}, posts, retweets, likes)
        SELECT {values}, count(*), sum(post.retweets), sum(post.likes)
        FROM post WHERE {counted} GROUP BY {values}
        ON CONFLICT ({keys}) DO UPDATE SET
            posts = {table}.posts + excluded.posts,
            retweets = {table}.retweets + excluded.retweets,
            likes = {table}.likes + excluded.likes"""


def _add_statements(dialect: str) -> list[str]:
    """Volume, minute, author (all three) and entity counts of the posts ``{chosen}``, added to the rollups (the
    entities last: add_entities runs that one alone)."""
    dimensions = "coalesce(post.session_id, 0), post.kind, coalesce(post.language, '')"
    network = "post.platform, coalesce(post.reason, '')"
    keys = f"{dimensions}, {_bucket(dialect, QUARTER)}, {network}"
    per_minute = f"{dimensions}, {_bucket(dialect, 1)}, {network}"
    counted = "post.collected AND post.author_id IS NOT NULL AND post.id {chosen}"
    authors = (
        f"coalesce(post.session_id, 0), post.author_id, post.kind, coalesce(post.language, ''), "
        f"{_bucket(dialect, HOUR)}, {network}"
    )
    author_hours = f"post.author_id, coalesce(post.session_id, 0), {_bucket(dialect, HOUR)}, {network}"
    author_sessions = f"post.author_id, coalesce(post.session_id, 0), {network}"
    return [
        f"""INSERT INTO rollup_volume ({KEYS}, posts, impressions, reporting)
        SELECT {keys}, count(*), coalesce(sum(post.impressions), 0), count(post.impressions)
        FROM post WHERE {counted} GROUP BY {keys}
        ON CONFLICT ({KEYS}) DO UPDATE SET
            posts = rollup_volume.posts + excluded.posts,
            impressions = rollup_volume.impressions + excluded.impressions,
            reporting = rollup_volume.reporting + excluded.reporting""",
        f"""INSERT INTO rollup_minute ({KEYS}, posts)
        SELECT {per_minute}, count(*) FROM post WHERE {counted} GROUP BY {per_minute}
        ON CONFLICT ({KEYS}) DO UPDATE SET posts = rollup_minute.posts + excluded.posts""",
        _add_authors("rollup_author", AUTHOR_KEYS, authors, counted),
        _add_authors("rollup_author_hour", AUTHOR_HOUR_KEYS, author_hours, counted),
        _add_authors("rollup_author_session", AUTHOR_SESSION_KEYS, author_sessions, counted),
        f"""INSERT INTO rollup_entity (entity, value, {KEYS}, posts)
        SELECT e.kind, e.value, {keys}, count(*)
        FROM post_entity AS e JOIN post ON post.id = e.post_id WHERE {counted} GROUP BY e.kind, e.value, {keys}
        ON CONFLICT (entity, value, {KEYS}) DO UPDATE SET
            posts = rollup_entity.posts + excluded.posts""",
    ]


LINK_KEYS = f"source_group, target_group, link, {KEYS}"


def _link_columns(dialect: str, link: str, target: str) -> str:
    return (
        f"coalesce(a.group_key, '') AS source_group, coalesce({target}.group_key, '') AS target_group, "
        f"{link} AS link, coalesce(p.session_id, 0) AS session_id, p.kind AS kind, "
        f"coalesce(p.language, '') AS language, {_bucket(dialect, QUARTER, 'p')} AS minute, "
        "p.platform AS platform, coalesce(p.reason, '') AS reason"
    )


def _references(dialect: str, condition: str) -> str:
    """Retweets, replies and quotes (``p``) of stored posts (``t``) with known authors."""
    platform = "+p.platform" if dialect == "sqlite" else "(p.platform || '')"  # as in revision 0009
    return f"""SELECT {_link_columns(dialect, "p.kind", "ta")}
        FROM post AS p JOIN author AS a ON a.id = p.author_id
        JOIN post AS t ON t.platform = {platform} AND t.platform_id = p.referenced_platform_id
        JOIN author AS ta ON ta.id = t.author_id
        WHERE p.collected AND p.kind <> 'original' AND {condition}"""


def _mentions(dialect: str, condition: str) -> str:
    """Mentions (``e``) by collected posts (``p``) of a handle an author has (the first such author)."""
    # As in revision 0009: terms no index can use, for the plans that use the right indexes.
    value, kind = ("+e.value", "+e.kind") if dialect == "sqlite" else ("e.value", "(e.kind || '')")
    return f"""SELECT {_link_columns(dialect, "'mention'", "ma")}
        FROM post_entity AS e JOIN post AS p ON p.id = e.post_id JOIN author AS a ON a.id = p.author_id
        JOIN author AS ma ON ma.id = (SELECT min(b.id) FROM author AS b WHERE lower(b.handle) = {value})
        WHERE {kind} = 'mention' AND p.collected AND {condition}"""


def _add_links(rows: list[str]) -> str:
    return f"""INSERT INTO rollup_link ({LINK_KEYS}, posts)
        SELECT {LINK_KEYS}, count(*) FROM ({" UNION ALL ".join(rows)}) AS links WHERE 1 = 1 GROUP BY {LINK_KEYS}
        ON CONFLICT ({LINK_KEYS}) DO UPDATE SET posts = rollup_link.posts + excluded.posts"""


def _links_statements(dialect: str) -> list[str]:
    """The links of the posts ``{chosen}`` (their references, their mentions), and the references
    to them from posts stored before (last: ``add_collected`` leaves that one out)."""
    return [
        _add_links([_references(dialect, "p.id {chosen}")]),
        _add_links([_mentions(dialect, "e.post_id {chosen}")]),
        _add_links([_references(dialect, "t.id {chosen} AND p.id {others}")]),
    ]


def _chosen(session: Session, statement: str, ids: list[int]) -> None:
    if not ids:
        return
    low, high = min(ids), max(ids)
    values: dict[str, object]
    if session.get_bind().dialect.name != "sqlite":
        # NOT IN a subquery is hashed; <> ALL compares each row with every id.
        chosen, others, values = (
            "= ANY(CAST(:ids AS BIGINT[]))",
            "NOT IN (SELECT unnest(CAST(:ids AS BIGINT[])))",
            {"ids": list(ids)},
        )
    elif high - low + 1 == len(ids):
        # A run of ids, as a SQLite writer gives them (it holds the whole database meanwhile).
        chosen, others, values = "BETWEEN :low AND :high", "NOT BETWEEN :low AND :high", {"low": low, "high": high}
    else:
        listed = "(SELECT value FROM json_each(:ids))"
        chosen, others, values = f"IN {listed}", f"NOT IN {listed}", {"ids": json.dumps(ids)}
    session.execute(text(statement.replace("{chosen}", chosen).replace("{others}", others)), values)


def add_posts(session: Session, ids: list[int]) -> None:
    """Count the posts ``ids``, just inserted with their entities, in every rollup. Only new posts:
    triggers follow every change to a post (and author) once it is stored, but one (``add_collected``)."""
    dialect = session.get_bind().dialect.name
    for statement in _add_statements(dialect) + _links_statements(dialect):
        _chosen(session, statement, ids)


def add_collected(session: Session, ids: list[int]) -> None:
    """Count the stored posts ``ids``, just updated from context to collected, in every rollup
    (revision 0023: the update triggers leave such a row to the writer). Context counted nowhere,
    so this adds their own rows, entities and links; not the links to them, which were counted
    when the posts pointing at them were stored."""
    dialect = session.get_bind().dialect.name
    for statement in _add_statements(dialect) + _links_statements(dialect)[:2]:
        _chosen(session, statement, ids)


def add_entities(session: Session, ids: list[int]) -> None:
    """Count the entities of the stored posts ``ids`` after they were replaced (deleting the old ones
    took them away): in the entity rollup, and their mentions in the link rollup."""
    dialect = session.get_bind().dialect.name
    _chosen(session, _add_statements(dialect)[-1], ids)
    _chosen(session, _add_links([_mentions(dialect, "e.post_id {chosen}")]), ids)


def recount(session: Session) -> int:
    """Count every rollup anew from the posts (after posts were inserted by hand, say); returns how
    many posts they count. One transaction: readers see the old counts until it commits."""
    db.take_turns_counting(session)
    dialect = session.get_bind().dialect.name
    # The links per session after the links: its triggers take away what the finer rows held, which
    # leaves whatever went wrong in it; counting the finer rows anew fills it again.
    tables = (VolumeRollup, MinuteRollup, AuthorRollup, AuthorHourRollup, AuthorSessionRollup, EntityRollup)
    for table in (*tables, LinkRollup, LinkSessionRollup):
        session.execute(delete(table))
    for statement in _add_statements(dialect):
        session.execute(text(statement.replace("{chosen}", "IS NOT NULL")))
    session.execute(text(_add_links([_references(dialect, "1 = 1"), _mentions(dialect, "1 = 1")])))
    return session.scalar(select(func.coalesce(func.sum(VolumeRollup.posts), 0))) or 0
