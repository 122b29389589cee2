# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload"
"""Writes normalised records: everything keyed on (platform, platform id), so a second import of
the same data changes nothing, and overlapping pages merge.

- A post seen again with a newer edit takes the newer text; an older version never wins, but dates
  the logical post.
- Metrics keep the latest reading (by retrieval time), so an old file never overwrites newer figures.
- A context post (only referenced) becomes collected when it later matches the event query; a
  collected post never falls back to context.
- An author missing from ``includes`` gets a placeholder row, filled in when the profile arrives.
- Mastodon: the same post read on several instances is one row (its status ``uri``). Its counts
  are its origin instance's (the one whose domain is the uri's host) when read there: such a
  reading replaces the stored counts as any other does. A copy read on another instance
  (``PostRecord.instance``) only ever raises them: each instance counts only what reached it, so
  the highest copy is the nearest to the truth, and a smaller instance's later reading never
  lowers it. (``mastodon-poll`` sends a copy without counts when its origin is read too.)

This is the hot path of every import, so it works on plain rows through SQLAlchemy Core: one
SELECT of the keys already stored, then ``executemany`` inserts of prepared values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ARRAY, any_, bindparam, delete, func, literal_column, select, update
from sqlmodel import Session

from engagement.analysis import rollups
from engagement.collection import fastjson
from engagement.collection.records import PostRecord, UserRecord
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classification, Classifier
from engagement.rules.reasons import Reason, Reasons, reposted
from engagement.storage import db
from engagement.storage.models import Author, DeletedPost, Post, PostEntity, PostKind
from engagement.timeutil import to_utc, utcnow

CHUNK = 500  # stays under SQLite's bound-parameter limit in IN (...) lists
PROFILE_FIELDS = ("handle", "display_name", "bio", "location", "followers", "verified")
CONTENT_FIELDS = (
    "current_id",
    "text",
    "language",
    "kind",
    "referenced",
    "referenced_platform_id",
    "in_reply_to_user_id",
    "conversation_id",
    "hashtags",
    "mentions",
    "urls",
    "media_count",
    "raw",
    "content_warning",
)
# What names the post a reply or quote refers to: filled in later where a first reading lacked it.
LINK_FIELDS = ("referenced", "referenced_platform_id", "in_reply_to_user_id", "conversation_id")
METRIC_FIELDS = ("retweets", "replies", "likes", "quotes", "impressions")
JSON_FIELDS = {"referenced", "hashtags", "mentions", "urls", "raw"}
# A new post's row: what follows from the record alone (``shape``), then its text and raw JSON (kept
# apart so an import does not send them twice from its reading process), then what the database decides.
BULKY_FIELDS = ("text", "raw")
SHAPED_COLUMNS = (
    ("platform", "platform_id", "created_at", "collected", "session_id")
    + tuple(name for name in CONTENT_FIELDS if name not in BULKY_FIELDS)
    + METRIC_FIELDS
)
POST_COLUMNS = (
    SHAPED_COLUMNS + BULKY_FIELDS + ("author_id", "reason", "hidden", "metrics_at", "first_seen", "last_updated")
)
AUTHOR_COLUMNS = (
    "platform",
    "platform_user_id",
    "group_key",
    "group_source",
    "organisation",
    "profile_known",
    "first_seen",
    "last_updated",
) + PROFILE_FIELDS
ENTITY_COLUMNS = ("post_id", "kind", "value")


def _insert_many(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """``executemany`` at the driver level: positional rows, no per-row work in SQLAlchemy."""
    if not rows:
        return
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})", rows
    )


@dataclass
class StoreCounts:
    posts_new: int = 0
    posts_updated: int = 0
    duplicates: int = 0
    context_new: int = 0
    context_updated: int = 0
    authors_new: int = 0
    authors_updated: int = 0
    posts_deleted: int = 0  # stored posts forgotten: their authors deleted them
    authors_renamed: int = 0  # stored authors whose handle changed (a Bluesky identity event)
    deleted_skipped: int = 0  # posts their authors had deleted, not stored again

    def add(self, other: StoreCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _among(column, dialect: str):
    """``column`` among the values of the parameter ``ids`` (``_ids``): one bound parameter however
    many values. Expanded into a parameter a value, SQLAlchemy rendered each execution's statement
    again, name by name: 1.2 s of the writer's 11 s of CPU for 50,000 demo posts."""
    if dialect == "sqlite":
        return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam("ids"))))
    return column == any_(bindparam("ids", type_=ARRAY(column.type)))


def _ids(values: Iterable, dialect: str) -> dict[str, Any]:
    """The parameters of ``_among`` for ``values``."""
    return {"ids": fastjson.dumps(list(values)) if dialect == "sqlite" else list(values)}


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _json(value: Any) -> str:
    """JSON for a JSON column; the importer may hand over ``raw`` already serialised."""
    if isinstance(value, str):
        return value
    if not value:
        return "[]" if isinstance(value, list) else json.dumps(value)
    return fastjson.dumps(value)


def time_writer(dialect: str):
    """Datetimes as SQLAlchemy stores them: on SQLite naive-UTC text, elsewhere aware values."""
    if dialect == "sqlite":
        # "YYYY-MM-DD HH:MM:SS.ffffff" (isoformat is twice as fast as strftime; the zone suffix is cut off)
        return lambda value: to_utc(value).isoformat(" ", "microseconds")[:26] if value is not None else None
    return lambda value: to_utc(value) if value is not None else None


def _time_writer(session: Session):
    return time_writer(session.get_bind().dialect.name)


def shape(record: PostRecord, attributor: Attributor, stamp) -> tuple[tuple, list[tuple[str, str]]]:
    """A new post's row (``SHAPED_COLUMNS``, in that order) and its entities, from the record alone: an
    import does this in its reading process, so the writer only adds what the database knows."""
    r = record
    row = (
        r.platform,
        r.platform_id,
        stamp(r.created_at),
        r.collected,
        attributor.attribute(r.created_at, r.hashtags),
        r.current_id,
        r.language,
        r.kind,
        _json(r.referenced),
        r.referenced_platform_id,
        r.in_reply_to_user_id,
        r.conversation_id,
        _json(r.hashtags),
        _json(r.mentions),
        _json(r.urls),
        r.media_count,
        r.content_warning,
        r.retweets,
        r.replies,
        r.likes,
        r.quotes,
        r.impressions,
    )
    entities = {("hashtag", tag.lower()) for tag in r.hashtags} | {("mention", m.lower()) for m in r.mentions}
    return row, sorted(entities)


def newer(version: str, than: str) -> bool:
    """Whether post version id ``version`` is newer than ``than``: X numbers the versions of an edited
    post; a network whose posts are not edited (Bluesky: the URI is the post) has one version."""
    return version.isdigit() and than.isdigit() and int(version) > int(than)


def read_elsewhere(record: PostRecord) -> bool:
    """A Mastodon copy read on an instance other than its origin: its counts are that instance's
    share of the real ones."""
    if record.instance is None or record.platform != "mastodon":
        return False
    try:
        origin = urlsplit(record.platform_id).hostname
    except ValueError:
        return True
    return (origin or "").lower() != record.instance.lower()


def _highest_counts(newest: PostRecord, other: PostRecord) -> None:
    """Give ``newest`` (a copy read elsewhere) the highest counts of it and ``other``."""
    for name in METRIC_FIELDS:
        theirs = getattr(other, name)
        if theirs is not None and theirs > (getattr(newest, name) or 0):
            setattr(newest, name, theirs)
            newest.shaped = None


def _merge_posts(records: Iterable[PostRecord]) -> dict[str, PostRecord]:
    """One record per logical post: the newest version, collected if any copy was, dated by the first."""
    merged: dict[str, PostRecord] = {}
    for record in records:
        seen = merged.get(record.platform_id)
        if seen is None:
            merged[record.platform_id] = record
            continue
        newest = record if newer(record.current_id, seen.current_id) else seen
        other = seen if newest is record else record
        if other.metrics_known and newest.metrics_known and read_elsewhere(newest) and read_elsewhere(other):
            _highest_counts(newest, other)  # two instances' copies: the highest of their counts
        elif other.metrics_known and not read_elsewhere(other) and other.instance and read_elsewhere(newest):
            newest.retweets, newest.replies, newest.likes, newest.quotes = (
                other.retweets,
                other.replies,
                other.likes,
                other.quotes,
            )  # the origin's counts, with the newest text
            newest.metrics_known, newest.instance, newest.shaped = True, other.instance, None
        if (
            newest is seen
            and not seen.metrics_known
            and record.metrics_known
            and not newer(seen.current_id, record.current_id)
        ):
            newest = record  # the same version: the copy that knows the counts (a view, not a bare record)
        donor = seen if newest is record else record
        if newest.referenced_platform_id is None and donor.referenced_platform_id:
            # One copy knows the post it replies to and the other not (mastodon/threads.py).
            for name in LINK_FIELDS:
                setattr(newest, name, getattr(donor, name))
            newest.shaped = None
        collected, created_at = seen.collected or record.collected, min(seen.created_at, record.created_at)
        hidden = seen.hidden or record.hidden  # any copy that says so hides it
        if (collected, created_at, hidden) != (newest.collected, newest.created_at, newest.hidden):
            newest.collected, newest.created_at, newest.hidden, newest.shaped = collected, created_at, hidden, None
        merged[record.platform_id] = newest
    return merged


def store_users(
    session: Session,
    users: Iterable[UserRecord],
    wanted_ids: set[str],
    classifier: Classifier,
    counts: StoreCounts,
    platform: str = "x",
) -> dict[str, int]:
    """Upsert the authors of ``platform``; returns platform user id → author.id for every id in
    ``users`` and ``wanted_ids``."""
    profiles = {u.platform_user_id: u for u in users}
    ids = sorted(set(profiles) | wanted_ids)
    columns = (
        Author.id,
        Author.platform_user_id,
        Author.override_group_key,
        Author.override_organisation,
        Author.profile_known,
    ) + tuple(getattr(Author, f) for f in PROFILE_FIELDS)
    dialect = _dialect(session)
    statement = select(*columns).where(Author.platform == platform, _among(Author.platform_user_id, dialect))
    existing: dict[str, Any] = {
        stored.platform_user_id: stored for stored in session.execute(statement, _ids(ids, dialect))
    }
    now, stamp = utcnow(), _time_writer(session)
    now_text = stamp(now)
    new_rows: list[tuple] = []
    for user_id in ids:
        profile, row = profiles.get(user_id), existing.get(user_id)
        if row is not None and profile is None:
            continue
        # None is "not in this payload" (a Bluesky PostView's author has no bio or follower count),
        # not "emptied": the value stored from a fuller profile stays. An emptied bio comes as "".
        values = {
            f: (getattr(profile, f) if profile and getattr(profile, f) is not None else getattr(row, f, None))
            for f in PROFILE_FIELDS
        }
        if row is not None and all(getattr(row, f) == values[f] for f in PROFILE_FIELDS):
            continue
        if row is None and profile is not None and profile.classified is not None:
            result = Classification(*profile.classified)
        else:
            result = classifier.classify(
                handle=values["handle"],
                platform_user_id=user_id,
                display_name=values["display_name"],
                bio=values["bio"],
                override_group_key=row.override_group_key if row else None,
                override_organisation=row.override_organisation if row else None,
            )
        values.update(
            group_key=result.group_key,
            group_source=result.source,
            organisation=result.organisation,
            profile_known=profile is not None,
        )
        if row is None:
            values.update(platform=platform, platform_user_id=user_id, first_seen=now_text, last_updated=now_text)
            new_rows.append(tuple(values[c] for c in AUTHOR_COLUMNS))
            counts.authors_new += 1
        else:
            session.execute(
                update(Author.__table__).where(Author.__table__.c.id == row.id).values(**values, last_updated=now)
            )
            counts.authors_updated += 1
    ids_by_user = {user_id: row.id for user_id, row in existing.items()}
    if new_rows:
        _insert_many(session, "author", AUTHOR_COLUMNS, new_rows)
        position = AUTHOR_COLUMNS.index("platform_user_id")
        statement = select(Author.platform_user_id, Author.id).where(
            Author.platform == platform, _among(Author.platform_user_id, dialect)
        )
        ids_by_user.update(session.execute(statement, _ids((r[position] for r in new_rows), dialect)).all())
    return ids_by_user


def classify_new(classifier: Classifier, user: UserRecord) -> tuple[str, str, str | None]:
    """The group, source and organisation ``user``'s profile gives a new author, as ``store_users``
    works them out (a stored author may have an override). An import's reading process does this
    for every profile it hands on: 1,884 new authors of 50,000 demo posts took 0.34 s of the
    writer's CPU, which waits for no one else, and the reader has time to spare."""
    result = classifier.classify(
        handle=user.handle, platform_user_id=user.platform_user_id, display_name=user.display_name, bio=user.bio
    )
    return (result.group_key, result.source, result.organisation)


def _insert_posts(session: Session, rows: list[tuple], platform: str) -> dict[str, int]:
    """Insert new posts; returns platform id → post.id."""
    position = POST_COLUMNS.index("platform_id")
    if session.get_bind().dialect.name == "sqlite":
        # Writes on SQLite hold the database from their first statement (BEGIN IMMEDIATE), so the ids
        # after the largest are ours to give, and no query is needed to learn them afterwards.
        first = (session.scalar(select(func.max(Post.id))) or 0) + 1
        _insert_many(session, "post", ("id",) + POST_COLUMNS, [(first + i,) + row for i, row in enumerate(rows)])
        return {row[position]: first + i for i, row in enumerate(rows)}
    _insert_many(session, "post", POST_COLUMNS, rows)
    dialect = _dialect(session)
    statement = select(Post.platform_id, Post.id).where(Post.platform == platform, _among(Post.platform_id, dialect))
    return dict(session.execute(statement, _ids((row[position] for row in rows), dialect)).all())


def _entities(post_id: int, entities: list[tuple[str, str]]) -> list[tuple]:
    return [(post_id, kind, value) for kind, value in entities]


def _metrics_newer(reading: datetime, stored: datetime | None) -> bool:
    return stored is None or to_utc(reading) >= to_utc(stored)


EXISTING_COLUMNS = (
    Post.id,
    Post.platform_id,
    Post.current_id,
    Post.collected,
    Post.created_at,
    Post.metrics_at,
    Post.author_id,
    Post.reason,
    Post.hidden,
    Post.referenced_platform_id,
) + tuple(getattr(Post, f) for f in METRIC_FIELDS)


def store_posts(
    session: Session,
    records: Iterable[PostRecord],
    users: Iterable[UserRecord],
    *,
    classifier: Classifier,
    attributor: Attributor,
    reasons: Reasons | None = None,
    metrics_at: datetime | None = None,
) -> StoreCounts:
    """Upsert posts and their authors, of any network, in the caller's transaction. ``reasons``: the
    event's terms (``Reasons.from_database``), built here when not given."""
    db.take_turns_counting(session)
    records, users = list(records), list(users)
    reasons = reasons or Reasons.from_database(session)
    reasons.learn(users)
    metrics_at = to_utc(metrics_at) if metrics_at else utcnow()
    counts = StoreCounts()
    # Each network's ids are its own: a network at a time (nearly every batch is of one).
    for platform in sorted({r.platform for r in records} | {u.platform for u in users}):
        _store_network(
            session,
            platform,
            [r for r in records if r.platform == platform],
            [u for u in users if u.platform == platform],
            classifier=classifier,
            attributor=attributor,
            reasons=reasons,
            metrics_at=metrics_at,
            counts=counts,
        )
    return counts


def forget_posts(session: Session, deleted: Iterable[tuple[str, str]]) -> int:
    """Forget posts their authors deleted, by (platform, platform id): the row goes, text and all,
    and with it every count (the rollups' delete triggers); a tombstone stays, so that no later
    import brings the post back. Returns how many stored posts went."""
    db.take_turns_counting(session)
    by_platform: dict[str, set[str]] = {}
    for platform, platform_id in deleted:
        by_platform.setdefault(platform, set()).add(platform_id)
    gone = 0
    for platform, ids in sorted(by_platform.items()):
        known = _tombstoned(session, platform, sorted(ids))
        now = utcnow()
        session.add_all(DeletedPost(platform=platform, platform_id=i, deleted_at=now) for i in sorted(ids - known))
        session.flush()
        for chunk in _chunks(sorted(ids)):
            result = session.execute(delete(Post).where(Post.platform == platform, Post.platform_id.in_(chunk)))
            gone += result.rowcount or 0
    return gone


def rename_authors(
    session: Session, renamed: Iterable[tuple[str, str, str]], classifier: Classifier, reasons: Reasons | None = None
) -> int:
    """Give authors their new handles, by (platform, user id, handle), and their group again (a
    directory row may name the new handle); an author not stored yet is stored with its handle only,
    so that its first post is known as the event's own when the handle is an event account's.
    ``reasons`` learns the event's accounts among them. Returns how many were changed or added."""
    db.take_turns_counting(session)
    renamed = list(renamed)
    if reasons is not None:
        reasons.learn(UserRecord(u, h, None, None, None, None, None, platform=p) for p, u, h in renamed)
    changed = 0
    for platform, user_id, handle in renamed:
        author = session.scalar(select(Author).where(Author.platform == platform, Author.platform_user_id == user_id))
        if author is None:
            author = Author(platform=platform, platform_user_id=user_id)
        elif author.handle == handle:
            continue
        author.handle = handle
        result = classifier.classify_author(author)
        author.group_key, author.group_source, author.organisation = (
            result.group_key,
            result.source,
            result.organisation,
        )
        author.last_updated = utcnow()
        session.add(author)
        changed += 1
    session.flush()
    return changed


def _reposted_reasons(
    session: Session, platform: str, posts: dict[str, PostRecord], existing: dict[str, Any], reasons: Reasons
) -> dict[str, str]:
    """The reasons new reposts take from the posts they repost (``reasons.reposted``), by the
    reposted post's platform id: from this batch, else as stored."""
    subjects = {
        r.referenced_platform_id
        for r in posts.values()
        if r.kind == PostKind.retweet and r.referenced_platform_id and r.platform_id not in existing
    }
    if not subjects:
        return {}
    found: dict[str, str | None] = {s: reasons.of(posts[s]) for s in subjects if s in posts}
    if subjects - set(found):
        dialect = _dialect(session)
        statement = select(Post.platform_id, Post.reason).where(
            Post.platform == platform, _among(Post.platform_id, dialect)
        )
        found.update(session.execute(statement, _ids(sorted(subjects - set(found)), dialect)).all())
    return {s: spread for s, r in found.items() if (spread := reposted(r))}


def _tombstoned(session: Session, platform: str, platform_ids: list[str]) -> set[str]:
    dialect = _dialect(session)
    statement = select(DeletedPost.platform_id).where(
        DeletedPost.platform == platform, _among(DeletedPost.platform_id, dialect)
    )
    return set(session.scalars(statement, _ids(platform_ids, dialect)))


def _store_network(
    session: Session,
    platform: str,
    records: list[PostRecord],
    users: list[UserRecord],
    *,
    classifier: Classifier,
    attributor: Attributor,
    reasons: Reasons,
    metrics_at: datetime,
    counts: StoreCounts,
) -> None:
    posts = _merge_posts(records)
    # A post its author deleted never comes back (a tombstone: ``forget_posts``).
    for platform_id in _tombstoned(session, platform, list(posts)):
        del posts[platform_id]
        counts.deleted_skipped += 1
    author_ids = store_users(
        session,
        users,
        {p.author_platform_id for p in posts.values() if p.author_platform_id},
        classifier,
        counts,
        platform,
    )
    existing = _find_stored(session, list(posts), platform)

    now, stamp = utcnow(), _time_writer(session)
    now_text, metrics_text = stamp(now), stamp(metrics_at)
    new_rows: list[tuple] = []
    new_entities: dict[str, list[tuple[str, str]]] = {}
    entity_changes: list[tuple[int, list[tuple[str, str]]]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    from_reposted = _reposted_reasons(session, platform, posts, existing, reasons)
    for platform_id, record in posts.items():
        post = existing.get(platform_id)
        if post is None:
            row, new_entities[platform_id] = record.shaped or shape(record, attributor, stamp)
            author = author_ids.get(record.author_platform_id)
            reason = reasons.of(record)
            if reason == Reason.other and record.kind == PostKind.retweet:
                reason = from_reposted.get(record.referenced_platform_id or "", reason)
            new_rows.append(
                row + (record.text, _json(record.raw), author, reason, record.hidden, metrics_text, now_text, now_text)
            )
            _count_new(counts, record)
            continue
        changes, entities = _changes(session, record, post, attributor, stamp, metrics_at, author_ids)
        if record.collected or post.collected:
            reason = _reason(reasons, record, post, changes)
            if reason != post.reason:
                changes["reason"] = reason
        if record.hidden and not post.hidden:
            changes["hidden"] = True  # once its author asked, it stays hidden (a bare record cannot say)
        if entities is not None:
            entity_changes.append((post.id, entities))
        if changes:
            updates.append((post.id, changes))
        _count_stored(counts, record, post, changes)

    _update_posts(session, updates, now)
    # Before the new posts' counting (whose references to them from posts stored before include
    # these, collected now) and before any entities are replaced (their triggers take away what
    # is counted here).
    rollups.add_collected(session, [post_id for post_id, changes in updates if changes.get("collected")])
    if new_rows:
        _insert_new_posts(session, new_rows, new_entities, platform)
    if entity_changes:
        _replace_entities(session, entity_changes)


def _find_stored(session: Session, platform_ids: list[str], platform: str) -> dict[str, Any]:
    """The stored posts among ``platform_ids``, by platform id (the columns a merge compares)."""
    dialect = _dialect(session)
    statement = select(*EXISTING_COLUMNS).where(Post.platform == platform, _among(Post.platform_id, dialect))
    return {row.platform_id: row for row in session.execute(statement, _ids(platform_ids, dialect))}


def _count_new(counts: StoreCounts, record: PostRecord) -> None:
    if record.collected:
        counts.posts_new += 1
    else:
        counts.context_new += 1


def _changes(
    session: Session, record: PostRecord, post, attributor: Attributor, stamp, metrics_at: datetime, author_ids
) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
    """What ``record`` changes in the stored ``post``, and its entities when they are to replace the
    stored ones (a newer edit), else None."""
    changes: dict[str, Any] = {}
    entities = None
    if record.collected and not post.collected:
        changes["collected"] = True
    if newer(record.current_id, post.current_id):
        changes.update({name: getattr(record, name) for name in CONTENT_FIELDS})
        if isinstance(changes["raw"], str):
            changes["raw"] = json.loads(changes["raw"])
        changes["session_id"] = attributor.attribute(post.created_at, record.hashtags)
        entities = (record.shaped or shape(record, attributor, stamp))[1]
    elif record.referenced_platform_id and post.referenced_platform_id is None:
        # A reply stored before its parent was known (Mastodon names it by an id local to an
        # instance: mastodon/threads.py), read again with it: the same version, now linked.
        changes.update({name: getattr(record, name) for name in LINK_FIELDS})
    if record.created_at < to_utc(post.created_at):
        # An earlier version of an edited post: the logical post began then.
        changes["created_at"] = record.created_at
        hashtags = changes.get("hashtags") or session.scalar(select(Post.hashtags).where(Post.id == post.id))
        changes["session_id"] = attributor.attribute(record.created_at, hashtags or ())
    if record.metrics_known and read_elsewhere(record):
        # A copy read away from the origin: counts only rise, whenever it was read.
        raised = {n: getattr(record, n) for n in METRIC_FIELDS if (getattr(record, n) or 0) > (getattr(post, n) or 0)}
        if raised:
            changes.update(raised, metrics_at=metrics_at)
    elif record.metrics_known and _metrics_newer(metrics_at, post.metrics_at):
        metric_changes = {n: getattr(record, n) for n in METRIC_FIELDS if getattr(record, n) != getattr(post, n)}
        if record.impressions is None:
            metric_changes.pop("impressions", None)  # an older API shape: keep what we had
        if metric_changes:
            changes.update(metric_changes, metrics_at=metrics_at)
    if post.author_id is None and record.author_platform_id:
        changes["author_id"] = author_ids.get(record.author_platform_id)
    return changes, entities


def _reason(reasons: Reasons, record: PostRecord, post, changes: dict[str, Any]) -> str | None:
    """A stored post's reason after ``changes``: from its newest content when this record is it (an
    edit may add or drop the hashtag), else the stored one, decided now if it was context."""
    if "text" in changes or "in_reply_to_user_id" in changes or (changes.get("collected") and not post.reason):
        return reasons.decide(
            record.author_platform_id, record.hashtags, record.in_reply_to_user_id, record.mentions, record.platform
        )
    return post.reason


def _count_stored(counts: StoreCounts, record: PostRecord, post, changes: dict[str, Any]) -> None:
    if changes:
        if changes.get("collected"):
            counts.posts_new += 1  # first seen as context, collected now
        elif record.collected or post.collected:
            counts.posts_updated += 1
        else:
            counts.context_updated += 1
    elif record.collected:
        counts.duplicates += 1


def _update_posts(session: Session, updates: list[tuple[int, dict[str, Any]]], now: datetime) -> None:
    """Apply the ``updates`` (post id, changes). Most change the same few columns (a context post now
    collected; new metrics): one executemany per set of columns instead of a statement per post."""
    table = Post.__table__
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for post_id, changes in updates:
        changes["last_updated"] = now
        by_columns.setdefault(tuple(sorted(changes)), []).append({"_id": post_id, **changes})
    for columns, rows in by_columns.items():
        statement = (
            update(table).where(table.c.id == bindparam("_id")).values({name: bindparam(name) for name in columns})
        )
        session.execute(statement, rows)


def _insert_new_posts(
    session: Session, rows: list[tuple], entities: dict[str, list[tuple[str, str]]], platform: str
) -> None:
    """Insert the new posts' ``rows`` and their ``entities`` (by platform id), counted in the rollups."""
    ids = _insert_posts(session, rows, platform)
    _insert_many(
        session,
        "post_entity",
        ENTITY_COLUMNS,
        [row for platform_id, post_id in ids.items() for row in _entities(post_id, entities[platform_id])],
    )
    rollups.add_posts(session, list(ids.values()))


def _replace_entities(session: Session, entity_changes: list[tuple[int, list[tuple[str, str]]]]) -> None:
    """Replace the entities of edited posts (post id, entities), and count them in the rollups again."""
    changed = [post_id for post_id, _ in entity_changes]
    for chunk in _chunks(changed):
        session.execute(delete(PostEntity).where(PostEntity.post_id.in_(chunk)))  # a trigger takes them away
    _insert_many(
        session,
        "post_entity",
        ENTITY_COLUMNS,
        [row for post_id, entities in entity_changes for row in _entities(post_id, entities)],
    )
    rollups.add_entities(session, changed)
