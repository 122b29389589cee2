# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload, union-attr"
"""Engagement analytics: every figure the Analyse pages show, aggregated in SQL under one set of filters.

Counts are of *collected* posts (those that matched the event query); context posts only serve as
the other end of a retweet, reply or quote. The "who was heard" figures (``by_group``,
``session_by_group``, and the report's voice gap built on them) leave out the organiser's own posts:
the organiser speaking is not participation. ``by_reason`` counts them beside the others.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, distinct, func, literal, select, text
from sqlmodel import Session

from engagement.analysis import display, facts, rollups
from engagement.rules.attribution import BETWEEN_SESSIONS
from engagement.rules.event import NETWORKS
from engagement.rules.reasons import REASONS
from engagement.storage.covering import scanned
from engagement.storage.models import (
    AgendaSession,
    Author,
    GroupSource,
    Post,
    Question,
    QuestionStatus,
    SessionKind,
    StakeholderGroup,
)

BETWEEN = rollups.BETWEEN  # the session filter's value for "between sessions"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    start: datetime | None = None
    end: datetime | None = None
    sessions: tuple[int, ...] | None = None  # agenda_session ids; BETWEEN for posts outside every session
    groups: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    reasons: tuple[str, ...] | None = None  # why posts were collected (engagement.rules.reasons)
    networks: tuple[str, ...] | None = None  # "x", "bluesky", "mastodon"

    def posts(self, post=Post) -> list:
        """Conditions on a post for these filters: collected, and ``rollups.where``'s (the one
        mapping of the filters to SQL, for the posts and the rollups alike)."""
        return [post.collected.is_(True), *rollups.where(post, self)]

    def questions(self) -> list:
        """Conditions on a question. The time is tested in the question counts index (revision 0011),
        not looked up through the index on the time alone: that would read every question row."""
        where = []
        if self.start:
            where.append(scanned(Question.created_at) >= self.start)
        if self.end:
            where.append(scanned(Question.created_at) < self.end)
        if self.sessions is not None:
            where.append(Question.session_id.in_([s for s in self.sessions if s != BETWEEN] or [-1]))
        if self.groups is not None:
            where.append(Question.group_key.in_(self.groups))
        return where


ALL = Filters()


def _frame(rows, columns) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def groups(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            StakeholderGroup.key, StakeholderGroup.label, StakeholderGroup.colour, StakeholderGroup.display_order
        ).order_by(StakeholderGroup.display_order)
    )
    return _frame(rows, ["key", "label", "colour", "order"])


def sessions(db_session: Session, include_breaks: bool = False) -> pd.DataFrame:
    """The agenda sessions (breaks only with ``include_breaks``), in agenda order."""
    query = select(
        AgendaSession.id,
        AgendaSession.key,
        AgendaSession.title,
        AgendaSession.kind,
        AgendaSession.starts_at,
        AgendaSession.ends_at,
    ).order_by(AgendaSession.starts_at, AgendaSession.key)
    if not include_breaks:
        query = query.where(AgendaSession.kind != SessionKind.break_)
    return _frame(db_session.execute(query), ["id", "key", "title", "kind", "starts_at", "ends_at"])


def remembered(session: Session, name: str, f: Filters, compute):
    """``compute()``, or what it gave for ``name`` under ``f`` before in this read session's transaction
    (one snapshot), or in any of the sessions ``db.reading_together`` gave with it (one snapshot for
    all): the summary shows the posts per group in three sections and per (session, group) in three,
    the groups page per group twice (0.14–0.17 s of CPU each at a million posts). Only in sessions of
    ``db.reading``/``reading_together``: a writer may change what it would read again.

    A figure another thread is computing is waited for, not computed again: the summary's threads
    asked for the posts per (session, group) at the same moment, and both read them (0.39 and 0.93 s
    of the cold run's 3.3 s in statements at a million posts, on SQLite)."""
    if not session.info.get("reading"):
        return compute()
    figures: dict[tuple[str, Filters], Future] | None = session.info.get("snapshot")
    if figures is None:
        session.connection()  # the transaction begun, so that its first read is remembered under it
        transaction = session.get_transaction()
        memo: tuple[Any, dict[tuple[str, Filters], Future]] | None = session.info.get("figures")
        if memo is None or memo[0] is not transaction:
            memo = session.info["figures"] = (transaction, {})
        figures = memo[1]
    key = (name, f)
    with _COMPUTING:
        found = figures.get(key)
        mine = found is None
        if found is None:
            found = figures[key] = Future()
    if mine:
        try:
            found.set_result(compute())
        except BaseException as problem:
            with _COMPUTING:
                figures.pop(key, None)  # asked again, read again
            found.set_exception(problem)
            raise
    return found.result()


_COMPUTING = threading.Lock()  # held only to find or add a figure's entry, never while computing it

# Published in any way: approved for the screen, on it, or answered.
PUBLISHED = (QuestionStatus.approved, QuestionStatus.on_screen, QuestionStatus.answered)


@dataclass(frozen=True)
class Asked:
    """How many questions, and their votes, have one session, group, status, status before archiving
    and forgetting flag: a row of ``question_counts``."""

    session_id: int
    group_key: str | None
    status: str
    previous_status: str | None
    forgotten: bool
    questions: int
    votes: int

    def was(self, *statuses: str) -> bool:
        """In one of ``statuses``, or archived from one of them."""
        return self.status in statuses or (self.status == QuestionStatus.archived and self.previous_status in statuses)

    @property
    def merged(self) -> bool:
        """Folded into another question of its session: counted among the submitted, not asked again."""
        return self.status == QuestionStatus.merged


def question_counts(session: Session, f: Filters = ALL) -> list[Asked]:
    """The questions under ``f`` per (session, status, previous status, group, forgotten), which every
    question figure is summed from: read once a snapshot (``remembered``), from the question counts
    index alone, in its order (revision 0021). The summary's ten question figures each read that
    index themselves before, and the published count every question's row: at 66,666 questions (a
    million posts) 0.22 s of the PostgreSQL server's time against 0.045–0.056 s for this one, and on
    SQLite under 0.01 s."""

    def read() -> list[Asked]:
        keys = (Question.session_id, Question.status, Question.previous_status, Question.group_key, Question.forgotten)
        rows = session.execute(
            select(*keys, func.count(), func.coalesce(func.sum(Question.votes), 0))
            .where(*f.questions())
            .group_by(*keys)
        )
        return [
            Asked(sid, key, status, before, bool(forgotten), n, int(votes))
            for sid, status, before, key, forgotten, n, votes in rows
        ]

    return list(remembered(session, "question_counts", f, read))


def _voices(rows, *by):
    """Distinct authors of the fact ``rows`` (per ``by`` columns) as a subquery with a column ``voices``.
    DISTINCT first, then COUNT: PostgreSQL hashes a DISTINCT but sorts for COUNT(DISTINCT)."""
    pairs = select(*by, rows.c.author_id).distinct().subquery()
    keys = [pairs.c[column.name] for column in by]
    return select(*keys, func.count().label("voices")).select_from(pairs).group_by(*keys)


def _counted(session: Session, f: Filters, by_author):
    """Facts to count posts from: the small volume rollup where it answers ``f``, else ``by_author``."""
    return facts.by_time(session, f) if rollups.volume(f) is not None else by_author


def _heard(f: Filters):
    """A condition on ``Author``: a collected post of theirs under ``f``. Where revision 0019's rollup
    answers ``f``, a probe of its author-first key for each author (a few thousand), not the distinct
    authors of its rows gathered: at a million posts on SQLite, the voices per network 0.100 → 0.013 s
    and the groups heard 0.047 → 0.021 s of CPU."""
    table = rollups.author_sessions(f) or rollups.author_hours(f)
    if table is None:
        rows = facts.by_author(f)
        return Author.id.in_(select(rows.c.author_id))
    # The group tested on the author probed, not through a subquery of the authors inside the probe.
    probe = (
        select(literal(1)).where(table.author_id == Author.id, *rollups.where(table, replace(f, groups=None))).exists()
    )
    return probe if f.groups is None else and_(probe, Author.group_key.in_(f.groups))


def totals(session: Session, f: Filters = ALL) -> dict[str, int]:
    rows = facts.by_author(f)
    posts = session.scalar(select(facts.whole_sum(_counted(session, f, rows).c.posts))) or 0
    voices = session.scalar(select(func.count()).select_from(Author).where(_heard(f))) or 0
    heard = (
        session.scalar(
            select(func.count(distinct(Author.group_key))).where(
                Author.group_key != "public",
                _heard(f),
                Author.id.not_in(facts.organiser_authors()),
            )
        )
        or 0
    )
    questions = sum(row.questions for row in question_counts(session, f))
    return {"posts": posts, "voices": voices, "groups": heard, "questions": questions}


def by_session(session: Session, f: Filters = ALL) -> pd.DataFrame:
    """Posts, unique authors and questions per session in agenda order, then "between sessions"."""
    rows = facts.by_author(f)
    voices = dict(session.execute(_voices(rows, rows.c.session_id)).all())
    counted = _counted(session, f, rows)
    posts = {
        sid: (n, voices.get(sid, 0))
        for sid, n in session.execute(
            select(counted.c.session_id, facts.whole_sum(counted.c.posts)).group_by(counted.c.session_id)
        )
    }
    questions: dict[int, int] = {}
    for row in question_counts(session, f):
        questions[row.session_id] = questions.get(row.session_id, 0) + row.questions
    table = []
    for item in sessions(session).itertuples():
        if f.sessions is not None and item.id not in f.sessions:
            continue
        n, authors = posts.get(item.id, (0, 0))
        table.append((item.id, item.key, item.title, item.starts_at, n, authors, questions.get(item.id, 0)))
    if f.sessions is None or BETWEEN in f.sessions:
        n, authors = posts.get(BETWEEN, (0, 0))
        table.append((BETWEEN, "", BETWEEN_SESSIONS, None, n, authors, 0))
    return pd.DataFrame(table, columns=["id", "key", "session", "starts_at", "posts", "authors", "questions"])


def by_group(session: Session, f: Filters = ALL) -> pd.DataFrame:
    """Posts, authors and questions per stakeholder group, in the taxonomy's order: participants only
    (the organiser's own posts are counted by ``by_reason``)."""
    return remembered(session, "by_group", f, lambda: _by_group(session, f)).copy()


def _by_group(session: Session, f: Filters) -> pd.DataFrame:
    # One aggregate of its own, not the posts per (session, group) summed: the Groups page reads no
    # other figure that needs those, and at a million posts on SQLite they made it 0.1–0.25 s slower.
    per_author = facts.per_author(f, leave_out=facts.organiser_authors())
    counts = {
        key: (n, a)
        for key, n, a in session.execute(
            select(Author.group_key, facts.whole_sum(per_author.c.n), func.count())
            .join(per_author, per_author.c.author_id == Author.id)
            .group_by(Author.group_key)
        )
    }
    questions: dict[str | None, int] = {}
    for row in question_counts(session, f):
        questions[row.group_key] = questions.get(row.group_key, 0) + row.questions
    rows = [
        (g.key, g.label, g.colour, *counts.get(g.key, (0, 0)), questions.get(g.key, 0))
        for g in groups(session).itertuples()
    ]
    return pd.DataFrame(rows, columns=["key", "group", "colour", "posts", "authors", "questions"])


def posts_by_session_group(session: Session, f: Filters = ALL) -> list[tuple[int, str | None, int]]:
    """(session id, group key, posts) of participants (the organiser's own posts left out): the
    heatmap's cells, the report's contributions and the layers per session, read once a snapshot."""

    def read() -> list[tuple[int, str | None, int]]:
        if session.get_bind().dialect.name == "sqlite":
            # Per (author, session) first, in the author rollup's order, then a few thousand authors
            # joined: 0.124 s at a million posts, against 0.19 s joining every row to its author.
            per_author = facts.per_author(f, by=("session_id",), leave_out=facts.organiser_authors())
            query = (
                select(per_author.c.session_id, Author.group_key, facts.whole_sum(per_author.c.n))
                .join(per_author, per_author.c.author_id == Author.id)
                .group_by(per_author.c.session_id, Author.group_key)
            )
        else:
            # PostgreSQL hashes the authors and joins every row to them: 0.06–0.09 s at a million posts,
            # against 0.12–0.21 s for the 75,000 (author, session) sums first, which spill to disk.
            rows = facts.by_author(f)
            query = (
                select(rows.c.session_id, Author.group_key, facts.whole_sum(rows.c.posts))
                .join(Author, Author.id == rows.c.author_id)
                .where(rows.c.author_id.not_in(facts.organiser_authors()))
                .group_by(rows.c.session_id, Author.group_key)
            )
        return [(int(sid), key, int(n)) for sid, key, n in session.execute(query)]

    return list(remembered(session, "posts_by_session_group", f, read))


def session_by_group(session: Session, f: Filters = ALL) -> pd.DataFrame:
    """Posts per (session, group): the heatmap's cells, sessions in agenda order; participants only."""
    counts = posts_by_session_group(session, f)
    titles = {row.id: row.title for row in sessions(session).itertuples()}
    titles[BETWEEN] = BETWEEN_SESSIONS
    taxonomy = groups(session)
    labels = dict(zip(taxonomy["key"], taxonomy["label"], strict=True))
    # Agenda order, then the taxonomy's (posts between sessions last): the same order from every plan.
    agenda, order = {sid: n for n, sid in enumerate(titles)}, dict(zip(taxonomy["key"], taxonomy["order"], strict=True))
    counts = sorted(
        counts, key=lambda r: (r[0] == BETWEEN, agenda.get(r[0], len(agenda)), order.get(r[1], 0), str(r[1]))
    )
    rows = [(titles.get(sid, BETWEEN_SESSIONS), labels.get(key, key), n) for sid, key, n in counts]
    return pd.DataFrame(rows, columns=["session", "group", "posts"])


def by_reason(session: Session, f: Filters = ALL) -> pd.DataFrame:
    """Posts per reason of collection, in ``REASONS`` order (every reason, 0 where none): how many
    carried the hashtag, addressed the organiser without it, or were the organiser's own. From the
    volume rollup where it answers ``f`` (the author rollup under a group filter), keyed by reason
    since revision 0017: at a million posts the covering index's scan took 0.53 s of CPU."""
    rows = _counted(session, f, facts.by_author(f))
    counts = dict(session.execute(select(rows.c.reason, facts.whole_sum(rows.c.posts)).group_by(rows.c.reason)).all())
    return pd.DataFrame(
        [(reason.value, int(counts.get(reason.value, 0))) for reason in REASONS], columns=["reason", "posts"]
    )


def by_network(session: Session, f: Filters = ALL) -> pd.DataFrame:
    """Posts and unique authors per network, most posts first (networks with posts only). Posts from
    the volume rollup where it answers ``f``, authors from the author rollup (both keyed by network
    since revision 0017: the covering index's scan took 0.65 s of CPU at a million posts)."""
    rows = facts.by_author(f)
    authors: dict[str, int] = dict(
        session.execute(select(Author.platform, func.count()).where(_heard(f)).group_by(Author.platform)).all()
    )
    counted = _counted(session, f, rows)
    found = [
        (network, int(posts), int(authors.get(network, 0)))
        for network, posts in session.execute(
            select(counted.c.platform, facts.whole_sum(counted.c.posts)).group_by(counted.c.platform)
        )
        if posts
    ]
    frame = _frame(found, ["network", "posts", "authors"])
    return frame.sort_values(["posts", "network"], ascending=[False, True], ignore_index=True)


def volume(session: Session, f: Filters = ALL, minutes: int = 15) -> pd.DataFrame:
    """Posts per time bucket and kind (bucket start in UTC)."""
    quarters = minutes % rollups.QUARTER == 0 and rollups.volume(f) is not None
    rows = facts.by_time(session, f) if quarters else facts.by_minute(session, f)
    rows = session.execute(
        select(rows.c.minute, rows.c.kind, facts.whole_sum(rows.c.posts)).group_by(rows.c.minute, rows.c.kind)
    ).all()
    frame = _frame(rows, ["minute", "kind", "posts"])
    if frame.empty:
        return pd.DataFrame(columns=["time", "kind", "posts"])
    frame["minute"] = frame["minute"].astype("int64") // minutes * minutes
    frame = frame.groupby(["minute", "kind"], as_index=False)["posts"].sum()
    frame["time"] = pd.to_datetime(frame["minute"] * 60, unit="s", utc=True)
    return frame[["time", "kind", "posts"]]


def peak_minute(session: Session, f: Filters = ALL) -> tuple[int, int] | None:
    """The busiest minute (whole minutes since 1970, UTC) and its posts; the earliest of a tie."""
    per_minute = facts.by_minute(session, f)
    posts = facts.whole_sum(per_minute.c.posts)
    peak = session.execute(
        select(per_minute.c.minute, posts)
        .group_by(per_minute.c.minute)
        .order_by(posts.desc(), per_minute.c.minute)
        .limit(1)
    ).first()
    return None if peak is None else (int(peak[0]), int(peak[1]))


def top_contributors(session: Session, f: Filters = ALL, limit: int = 15) -> pd.DataFrame:
    per_author = facts.per_author(f, sums=("retweets", "likes"))
    rows = session.execute(
        select(
            Author.handle,
            Author.platform,
            Author.display_name,
            StakeholderGroup.label,
            per_author.c.n,
            per_author.c.retweets,
            per_author.c.likes,
        )
        .join(per_author, per_author.c.author_id == Author.id)
        .outerjoin(StakeholderGroup, StakeholderGroup.key == Author.group_key)
        # Authors known by id only (a Bluesky reposter, before hydration) after the named, then by id:
        # the same order on both databases, which sort NULLs at opposite ends.
        .order_by(per_author.c.n.desc(), Author.handle.is_(None), Author.handle, Author.id)
        .limit(limit)
    ).all()
    return _frame(rows, ["handle", "network", "name", "group", "posts", "retweets received", "likes"])


def _entity_counts(kind: str, f: Filters, limit: int, leave_out=()):
    """(value, posts) of one kind of entity over the filtered posts, the commonest first."""
    rows = facts.of_entities(kind, f)
    posts = facts.whole_sum(rows.c.posts)
    query = select(rows.c.value, posts).group_by(rows.c.value).order_by(posts.desc(), rows.c.value).limit(limit)
    return query.where(rows.c.value.not_in(leave_out)) if leave_out else query


def most_mentioned(session: Session, f: Filters = ALL, limit: int = 15) -> pd.DataFrame:
    rows = session.execute(_entity_counts("mention", f, limit)).all()
    return _frame(rows, ["account", "mentions"])


# The condition of revision 0020's partial index, as literal text: SQLite uses a partial index only for
# the very terms it was made with, PostgreSQL where it can prove them, never from a bound parameter.
MOST_REPOSTED = text("post.collected AND post.kind <> 'retweet' AND post.author_id IS NOT NULL")


def most_retweeted(session: Session, f: Filters = ALL, limit: int = 10) -> pd.DataFrame:
    """The posts most reposted (then liked) under ``f``, reposts themselves left out."""
    order = (Post.retweets.desc(), Post.likes.desc(), Post.id)
    # The top posts' ids first, walking revision 0020's index from its top and testing each post met,
    # then their text: at a million posts on SQLite, the event's days 0.372 → 0.007 s of CPU, filtered
    # to X 0.302 → 0.009 (sorting every post of the days from the covering index before). Under a
    # group filter the walk would pass every other group's posts (0.35 → 0.39 s): the terms as before,
    # which the covering index answers.
    chosen = (
        [Post.author_id.is_not(None), *f.posts(), Post.kind != "retweet"]
        if f.groups is not None
        else [MOST_REPOSTED, *rollups.where(Post, f)]
    )
    top = select(Post.id).where(*chosen).order_by(*order).limit(limit).subquery()
    rows = session.execute(
        select(Post.retweets, Post.likes, Author.handle, Post.text, Post.current_id, Post.platform, Post.platform_id)
        .select_from(Post)
        .join(top, top.c.id == Post.id)
        .join(Author, Author.id == Post.author_id)
        .order_by(*order)
    ).all()
    frame = _frame(rows, ["retweets", "likes", "handle", "text", "id", "network", "post"])
    return display.with_links(frame)


def languages(session: Session, f: Filters = ALL) -> pd.DataFrame:
    rows = facts.by_time(session, f)
    posts = facts.whole_sum(rows.c.posts)
    found = session.execute(
        select(rows.c.language, posts).group_by(rows.c.language).order_by(posts.desc(), rows.c.language)
    ).all()
    return _frame([(language or "und", n) for language, n in found], ["language", "posts"])


def hashtags(session: Session, event_tags: list[str], f: Filters = ALL, limit: int = 15) -> pd.DataFrame:
    """Hashtags used beside the event's own."""
    own = [t.lstrip("#").lower() for t in event_tags]
    rows = session.execute(_entity_counts("hashtag", f, limit, leave_out=own)).all()
    frame = _frame(rows, ["hashtag", "posts"])
    frame["hashtag"] = "#" + frame["hashtag"]
    return frame


REACH_DEFINITIONS = {
    "unique contributors": "Accounts with at least one collected post.",
    "potential reach": "The sum of the followers of the unique contributors: how many accounts could have seen "
    "at least one post. An upper bound; audiences overlap.",
    "potential impressions": "The sum, over every post, of its author's followers: how many times posts could "
    "have appeared in timelines. An upper bound.",
    "impressions": "The X API's own count (impression_count), summed over the posts that report it.",
}


def reach(session: Session, f: Filters = ALL) -> dict[str, int]:
    per_author = facts.per_author(f)
    contributors, potential_reach, potential_impressions = session.execute(
        select(func.count(), facts.whole_sum(Author.followers), facts.whole_sum(per_author.c.n * Author.followers))
        .select_from(per_author)
        .join(Author, Author.id == per_author.c.author_id)
    ).one()
    rows = facts.by_time(session, f)
    impressions, reporting = session.execute(
        select(facts.whole_sum(rows.c.impressions), facts.whole_sum(rows.c.reporting))
    ).one()
    return {
        "unique contributors": contributors,
        "potential reach": int(potential_reach),
        "potential impressions": int(potential_impressions),
        "impressions": int(impressions),
        "posts reporting impressions": reporting,
    }


def conversations(session: Session, f: Filters = ALL) -> pd.DataFrame:
    """Who mentions, replies to, quotes and retweets whom, group to group: (from, to, kind, count)."""
    rows = facts.links(f)
    n = facts.whole_sum(rows.c.posts)
    found = session.execute(
        select(rows.c.source_group, rows.c.target_group, rows.c.link, n)
        .group_by(rows.c.source_group, rows.c.target_group, rows.c.link)
        .having(n > 0)
        .order_by(rows.c.link, rows.c.source_group, rows.c.target_group)
    ).all()
    taxonomy = groups(session)
    labels = dict(zip(taxonomy["key"], taxonomy["label"], strict=True))
    # '' is an author with no group, as the rollup keeps it.
    named = [
        (labels.get(a or None, a or None), labels.get(b or None, b or None), kind, int(count))
        for a, b, kind, count in found
    ]
    return pd.DataFrame(named, columns=["from", "to", "kind", "count"])


def coverage(session: Session) -> dict[str, float | int]:
    """Share of collected posts whose author is classified (moderator, directory or rule)."""
    rows = facts.by_author(ALL)
    total = session.scalar(select(facts.whole_sum(_counted(session, ALL, rows).c.posts))) or 0
    classified = (
        session.scalar(
            select(facts.whole_sum(rows.c.posts)).where(
                rows.c.author_id.in_(select(Author.id).where(Author.group_source != GroupSource.unclassified))
            )
        )
        or 0
    )
    by_source: dict[str, int] = dict(
        session.execute(select(Author.group_source, func.count()).group_by(Author.group_source)).all()
    )
    return {
        "posts": total,
        "classified_posts": classified,
        "share": classified / total if total else 0.0,
        **{f"authors_{k}": by_source.get(k, 0) for k in ("moderator", "directory", "rule", "unclassified")},
    }


def networks(session: Session) -> list[str]:
    """The networks collected, in the networks' order. From the authors (thousands of rows), not a
    scan of the posts: a network has authors once it has posts."""
    found = list(session.scalars(select(Author.platform).distinct()))
    return sorted(found, key=lambda n: (NETWORKS.index(n) if n in NETWORKS else len(NETWORKS), n))


def filter_options(session: Session) -> dict[str, Any]:
    """What the filter widgets offer: languages and kinds present, the time span (to the quarter hour
    where the rollup answers)."""
    rows = facts.by_time(session, ALL)
    posts = facts.whole_sum(rows.c.posts)
    langs = [
        language
        for (language,) in session.execute(
            select(rows.c.language).group_by(rows.c.language).order_by(posts.desc(), rows.c.language)
        )
        if language
    ]
    first, last = session.execute(select(func.min(rows.c.minute), func.max(rows.c.minute))).one()
    first, last = (None if m is None else EPOCH + timedelta(minutes=int(m)) for m in (first, last))
    return {
        "languages": langs,
        "kinds": ["original", "retweet", "reply", "quote"],
        "networks": networks(session),
        "first": first,
        "last": last,
    }
