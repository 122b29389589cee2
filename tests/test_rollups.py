"""The rollups (revisions 0008–0010, keyed also by network and reason since 0017, 0019's author rollup
without kind and language, 0022's author and link rollups without time) hold exactly what a count
of the posts gives, after every kind of write, and every aggregate gives the same answer from them as from
the posts."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased

from engagement.analysis import analytics, rollups
from engagement.collection.jsonl import import_files
from engagement.collection.questions import import_questions
from engagement.collection.store import store_posts
from engagement.collection.x.normalise import normalize
from engagement.demo import write_collection
from engagement.report import content
from engagement.rules.attribution import Attributor, reattribute, reattribute_in_steps
from engagement.rules.classification import Classifier, reclassify, reclassify_in_steps, set_override
from engagement.rules.event import NETWORKS, load_event
from engagement.rules.reasons import REASONS, Reasons, reason_all, reason_in_steps
from engagement.storage import db
from engagement.storage.migrate import alembic_config, upgrade
from engagement.storage.models import AgendaSession, Author, DirectoryEntry, Post, PostEntity

from .helpers import ROOT, real_data

pytestmark = pytest.mark.both_databases
VIENNA = load_event().time_zone


def _bucket(moment: datetime, minutes: int) -> int:
    return rollups.minutes(moment) // minutes * minutes


def _expected(session) -> dict[str, Counter]:
    """The rollups recounted in Python from the posts and their entities."""
    volume, per_minute, authors, entities = Counter(), Counter(), Counter(), Counter()
    author_hours, author_sessions = Counter(), Counter()
    posts = {}
    for p in session.execute(
        select(
            Post.id,
            Post.collected,
            Post.author_id,
            Post.session_id,
            Post.kind,
            Post.language,
            Post.created_at,
            Post.retweets,
            Post.likes,
            Post.impressions,
            Post.platform,
            Post.reason,
        )
    ):
        if not p.collected or p.author_id is None:
            continue
        keys, network = (p.session_id or 0, p.kind, p.language or ""), (p.platform, p.reason or "")
        posts[p.id] = keys + (_bucket(p.created_at, rollups.QUARTER),) + network
        volume[posts[p.id] + ("posts",)] += 1
        volume[posts[p.id] + ("impressions",)] += p.impressions or 0
        volume[posts[p.id] + ("reporting",)] += p.impressions is not None
        per_minute[keys + (_bucket(p.created_at, 1),) + network] += 1
        author_key = (
            p.session_id or 0,
            p.author_id,
            p.kind,
            p.language or "",
            _bucket(p.created_at, rollups.HOUR),
        ) + network
        hour_key = (p.author_id, p.session_id or 0, _bucket(p.created_at, rollups.HOUR)) + network
        session_key = (p.author_id, p.session_id or 0) + network
        for name, value in (("posts", 1), ("retweets", p.retweets), ("likes", p.likes)):
            authors[author_key + (name,)] += value
            author_hours[hour_key + (name,)] += value
            author_sessions[session_key + (name,)] += value
    for post_id, kind, value in session.execute(select(PostEntity.post_id, PostEntity.kind, PostEntity.value)):
        if post_id in posts:
            entities[(kind, value) + posts[post_id]] += 1
    links = _expected_links(session)
    return {
        "volume": +volume | _zeros(volume),
        "minutes": per_minute,
        "authors": +authors | _zeros(authors),
        "author hours": +author_hours | _zeros(author_hours),
        "author sessions": +author_sessions | _zeros(author_sessions),
        "entities": +entities,
        "links": links,
        "link sessions": _without_time(links),
    }


def _without_time(links: Counter) -> Counter:
    """Links per (source group, target group, link, session, network, reason): kind, language and
    quarter hour summed away."""
    coarse = Counter()
    for key, n in links.items():
        coarse[key[:4] + key[7:]] += n
    return coarse


def _expected_links(session) -> Counter:
    """Who retweets, replies to, quotes and mentions whom, recounted from posts, entities and authors."""
    groups, holders = {}, {}
    for author_id, group_key, handle in session.execute(
        select(Author.id, Author.group_key, Author.handle).order_by(Author.id)
    ):
        groups[author_id] = group_key or ""
        if handle is not None:
            holders.setdefault(handle.lower(), author_id)  # the first author with a handle keeps it
    posts = {p.id: p for p in session.scalars(select(Post))}
    by_platform_id = {(p.platform, p.platform_id): p for p in posts.values()}
    links, keys = Counter(), {}
    for p in posts.values():
        if not p.collected or p.author_id is None:
            continue
        keys[p.id] = key = (
            p.session_id or 0,
            p.kind,
            p.language or "",
            _bucket(p.created_at, rollups.QUARTER),
            p.platform,
            p.reason or "",
        )
        target = by_platform_id.get((p.platform, p.referenced_platform_id))
        if p.kind != "original" and target is not None and target.author_id is not None:
            links[(groups[p.author_id], groups[target.author_id], p.kind) + key] += 1
    for post_id, value in session.execute(
        select(PostEntity.post_id, PostEntity.value).where(PostEntity.kind == "mention")
    ):
        if post_id in keys and value in holders:
            links[(groups[posts[post_id].author_id], groups[holders[value]], "mention") + keys[post_id]] += 1
    return links


def _zeros(counter: Counter) -> Counter:
    # Sums (impressions, likes) may be zero on a row that counts posts; Counter's + would drop them.
    return Counter({k: 0 for k, v in counter.items() if v == 0 and k[-1] != "posts"})


def _stored(session) -> dict[str, Counter]:
    volume, per_minute, authors, entities = Counter(), Counter(), Counter(), Counter()
    author_hours, author_sessions = Counter(), Counter()
    keys = "session_id, kind, language, minute, platform, reason"
    for row in session.execute(text(f"SELECT {keys}, posts FROM rollup_minute")):
        per_minute[tuple(row[:6])] = row[6]
    for row in session.execute(text(f"SELECT {keys}, posts, impressions, reporting FROM rollup_volume")):
        for name, value in zip(("posts", "impressions", "reporting"), row[6:], strict=True):
            volume[tuple(row[:6]) + (name,)] = value
    for row in session.execute(
        text(
            "SELECT session_id, author_id, kind, language, minute, platform, reason, posts, retweets, likes "
            "FROM rollup_author"
        )
    ):
        for name, value in zip(("posts", "retweets", "likes"), row[7:], strict=True):
            authors[tuple(row[:7]) + (name,)] = value
    for row in session.execute(
        text("SELECT author_id, session_id, minute, platform, reason, posts, retweets, likes FROM rollup_author_hour")
    ):
        for name, value in zip(("posts", "retweets", "likes"), row[5:], strict=True):
            author_hours[tuple(row[:5]) + (name,)] = value
    for row in session.execute(
        text("SELECT author_id, session_id, platform, reason, posts, retweets, likes FROM rollup_author_session")
    ):
        assert row[4] > 0, f"an author row with no posts: {row}"
        for name, value in zip(("posts", "retweets", "likes"), row[4:], strict=True):
            author_sessions[tuple(row[:4]) + (name,)] = value
    for row in session.execute(text(f"SELECT entity, value, {keys}, posts FROM rollup_entity")):
        entities[tuple(row[:8])] = row[8]
    links = Counter()
    for row in session.execute(text(f"SELECT source_group, target_group, link, {keys}, posts FROM rollup_link")):
        assert row[9] >= 0, f"a negative link count: {row}"
        if row[9]:  # rows that fell to zero stay (readers only sum)
            links[tuple(row[:9])] = row[9]
    link_sessions = Counter()
    for row in session.execute(
        text("SELECT source_group, target_group, link, session_id, platform, reason, posts FROM rollup_link_session")
    ):
        assert row[6] >= 0, f"a negative link count: {row}"
        if row[6]:
            link_sessions[tuple(row[:6])] = row[6]
    return {
        "volume": volume,
        "minutes": per_minute,
        "authors": authors,
        "author hours": author_hours,
        "author sessions": author_sessions,
        "entities": entities,
        "links": links,
        "link sessions": link_sessions,
    }


def _check(url: str) -> dict[str, Counter]:
    with db.reading(url) as session:
        stored, expected = _stored(session), _expected(session)
    for name in expected:
        assert stored[name] == expected[name], f"rollup {name} differs from a recount of the posts"
    return stored


@pytest.fixture
def imported(db_url, tmp_path):
    posts, questions = write_collection(tmp_path / "demo.jsonl", posts=1200, seed=11)
    assert import_files([posts], url=db_url, progress=False).rejected == 0
    import_questions(questions, url=db_url, origin="demo")
    return db_url


def test_rollups_count_the_posts_after_every_kind_of_write(imported):
    url = imported
    first = _check(url)
    assert sum(v for k, v in first["volume"].items() if k[-1] == "posts") > 1000
    assert first["entities"]

    with db.writing(url) as session:
        ids = list(session.scalars(select(Post.id).where(Post.collected.is_(True)).order_by(Post.id)))
        some = ids[::7]
        # Fresher metrics, and impressions reported or withdrawn.
        session.execute(
            update(Post).where(Post.id.in_(some)).values(retweets=Post.retweets + 3, likes=0, impressions=42)
        )
        session.execute(update(Post).where(Post.id.in_(ids[1::9])).values(impressions=None))
    _check(url)

    with db.writing(url) as session:
        # An agenda edit: a session's posts fall between sessions, as the agenda sync does.
        busiest = session.scalar(
            select(Post.session_id)
            .where(Post.session_id.is_not(None))
            .group_by(Post.session_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        session.execute(update(Post).where(Post.session_id == busiest).values(session_id=None))
        # And some posts move into it, change kind, language and time.
        session.execute(
            update(Post).where(Post.id.in_(ids[2::11])).values(session_id=busiest, kind="quote", language=None)
        )
        session.execute(
            update(Post)
            .where(Post.id.in_(ids[3::13]))
            .values(created_at=datetime(2018, 4, 23, 9, 59, 59, tzinfo=UTC), language="xx")
        )
    _check(url)

    with db.writing(url) as session:
        # Context posts become collected, counted as the store counts them (revision 0023), one with
        # a new author too; authors go missing and are found.
        context = list(session.scalars(select(Post.id).where(Post.collected.is_(False)).limit(20)))
        first_author = session.scalar(select(Author.id).order_by(Author.id).limit(1))
        session.execute(update(Post).where(Post.id == context[0]).values(collected=True, author_id=first_author))
        session.execute(update(Post).where(Post.id.in_(context[1:])).values(collected=True))
        rollups.add_collected(session, context)
        session.execute(update(Post).where(Post.id.in_(ids[4::17])).values(author_id=None))
        author = session.scalar(select(Author.id).order_by(Author.id).limit(1))
        session.execute(update(Post).where(Post.id.in_(ids[5::19])).values(author_id=author))
    _check(url)

    with db.writing(url) as session:
        # Authors reclassified; a mentioned account renamed and its old handle taken by another
        # (written differently); the posts others point at given another author.
        authors = list(session.scalars(select(Author.id).order_by(Author.id)))
        session.execute(update(Author).where(Author.id.in_(authors[::4])).values(group_key="osce"))
        session.execute(update(Author).where(Author.id.in_(authors[1::9])).values(group_key=None))
        mentioned = session.scalar(
            select(PostEntity.value)
            .where(PostEntity.kind == "mention")
            .group_by(PostEntity.value)
            .order_by(func.count().desc(), PostEntity.value)
            .limit(1)
        )
        holder = session.scalar(select(Author.id).where(func.lower(Author.handle) == mentioned))
        session.execute(update(Author).where(Author.id == holder).values(handle="Renamed_Account"))
        session.execute(update(Author).where(Author.id == authors[-1]).values(handle=mentioned.upper()))
        target, source = aliased(Post), aliased(Post)
        targets = list(
            session.scalars(
                select(target.id)
                .join(source, source.referenced_platform_id == target.platform_id)
                .where(source.collected.is_(True))
                .distinct()
                .limit(30)
            )
        )
        session.execute(update(Post).where(Post.id.in_(targets)).values(author_id=authors[2]))
    assert mentioned and holder and len(targets) == 30
    _check(url)

    with db.writing(url) as session:
        # Entities replaced (as a merged edit does), then posts deleted with their entities.
        session.execute(delete(PostEntity).where(PostEntity.post_id.in_(ids[6::5])))
        session.execute(insert(PostEntity), [{"post_id": i, "kind": "hashtag", "value": "newtag"} for i in ids[6::5]])
        rollups.add_entities(session, ids[6::5])
        session.execute(delete(PostEntity).where(PostEntity.post_id.in_(ids[::23])))
        session.execute(delete(Post).where(Post.id.in_(ids[::23])))
    _check(url)

    with db.writing(url) as session:
        # A post inserted by anything but the worker's store counts itself as the store does, with the
        # reply to it stored before it; then the first account with a handle mentioned before.
        author = session.scalar(select(Author.id).order_by(Author.id.desc()).limit(1))
        session.execute(update(Post).where(Post.id == ids[8]).values(kind="reply", referenced_platform_id="1"))
        post = Post(
            platform_id="1",
            current_id="1",
            author_id=author,
            text="by hand",
            language="de",
            created_at=datetime(2018, 4, 24, 7, 31, tzinfo=UTC),
        )
        session.add(post)
        session.flush()
        session.add(PostEntity(post_id=post.id, kind="mention", value="by_hand"))
        session.flush()
        rollups.add_posts(session, [post.id])
        session.add(Author(platform_user_id="by-hand", handle="By_Hand", group_key="government"))
    stored = _check(url)
    assert ("government", "mention") in {(k[1], k[2]) for k in stored["links"]}
    assert any(k[0] == "" for k in stored["links"]) and any(k[1] == "osce" for k in stored["links"])
    assert ("hashtag", "newtag") in {k[:2] for k in stored["entities"]}
    assert ("mention", "by_hand") in {k[:2] for k in stored["entities"]}
    # Rows whose posts all went are gone, so distinct authors count only authors with posts.
    assert all(v > 0 for k, v in stored["authors"].items() if k[-1] == "posts")
    assert all(v > 0 for k, v in stored["author hours"].items() if k[-1] == "posts")


def test_context_posts_collected_by_a_later_batch_are_counted_once_and_the_downgrade_counts_by_trigger(
    db_url, tmp_path
):
    """Revision 0023: the update that collects a post first stored as context fires no trigger; the
    store counts it (``rollups.add_collected``). Batches of 40 posts make many such updates; the
    downgrade to 0022 gives the triggers back, which then count one collected by hand."""
    posts, _ = write_collection(tmp_path / "demo.jsonl", posts=1500, seed=3)
    collecting: list[int] = []

    def seen(connection, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE post SET collected"):
            collecting.append(len(parameters) if executemany else 1)

    sa_event.listen(Engine, "before_cursor_execute", seen)
    try:
        assert import_files([posts], url=db_url, progress=False, batch_posts=40).rejected == 0
    finally:
        sa_event.remove(Engine, "before_cursor_execute", seen)
    assert sum(collecting) > 50
    _check(db_url)
    with db.reading(db_url) as session:
        context = list(session.scalars(select(Post.id).where(Post.collected.is_(False)).order_by(Post.id)))
    assert len(context) >= 2

    db.dispose_engines()
    command.downgrade(alembic_config(db_url), "0022")
    engine = db.get_engine(db_url, migrate=False)
    with engine.begin() as connection:
        connection.execute(update(Post).where(Post.id.in_(context[::2])).values(collected=True))
    _check(db_url)
    db.dispose_engines()
    upgrade(db_url)
    with db.writing(db_url) as session:
        # And at head again, by hand as the store does it.
        session.execute(update(Post).where(Post.id.in_(context[1::2])).values(collected=True))
        rollups.add_collected(session, context[1::2])
    _check(db_url)


def test_a_second_import_of_the_same_file_changes_no_rollup(db_url, tmp_path):
    posts, _ = write_collection(tmp_path / "demo.jsonl", posts=600, seed=5)
    import_files([posts], url=db_url, progress=False)
    before = _check(db_url)
    import_files([posts], url=db_url, progress=False)
    assert _check(db_url) == before


def test_the_upgrade_counts_posts_already_stored_and_the_downgrade_removes_the_rollups(imported):
    url = imported
    before = _check(url)
    db.dispose_engines()
    command.downgrade(alembic_config(url), "0007")
    engine = db.get_engine(url, migrate=False)  # db.reading would bring the schema back up to date
    with engine.begin() as connection:
        names = set(
            connection.execute(
                text("SELECT tablename FROM pg_tables")
                if "postgresql" in url
                else text("SELECT name FROM sqlite_master WHERE type = 'table'")
            ).scalars()
        )
        assert (
            "post" in names
            and not {
                "rollup_volume",
                "rollup_minute",
                "rollup_author",
                "rollup_author_hour",
                "rollup_author_session",
                "rollup_entity",
                "rollup_link_session",
            }
            & names
        )
        # A write with no rollups to keep (no trigger is left to fail on them).
        connection.execute(update(Post).values(likes=Post.likes + 1))
    db.dispose_engines()
    upgrade(url)
    after = _check(url)
    assert sum(after["authors"][k] for k in after["authors"] if k[-1] == "likes") == sum(
        before["authors"][k] for k in before["authors"] if k[-1] == "likes"
    ) + sum(before["authors"][k] for k in before["authors"] if k[-1] == "posts")


def _day(day: int) -> tuple[datetime, datetime]:
    from zoneinfo import ZoneInfo

    start = datetime(2018, 4, day, tzinfo=ZoneInfo(VIENNA)).astimezone(UTC)
    return start, start + timedelta(days=1)


def _filters(session) -> list[analytics.Filters]:
    ids = [int(i) for i in session.scalars(select(AgendaSession.id).order_by(AgendaSession.starts_at))]
    languages = [lang for lang in analytics.filter_options(session)["languages"]][:3]
    start, end = _day(23)
    return [
        analytics.ALL,
        analytics.Filters(start=start, end=end),
        analytics.Filters(sessions=(ids[1], ids[2], analytics.BETWEEN)),
        analytics.Filters(sessions=(analytics.BETWEEN,)),
        analytics.Filters(groups=("civil_society", "government", "public")),
        analytics.Filters(kinds=("original", "quote")),
        analytics.Filters(languages=tuple(languages)),
        analytics.Filters(
            start=start,
            end=end,
            sessions=tuple(ids[:4]),
            groups=("osce", "civil_society"),
            kinds=("retweet", "reply", "original"),
            languages=tuple(languages),
        ),
        # Networks and reasons, which every rollup keeps since revision 0017.
        analytics.Filters(networks=("x",)),
        analytics.Filters(reasons=("own",), networks=("bluesky", "mastodon")),
        analytics.Filters(reasons=("reply", "mention", "other"), networks=("mastodon",), kinds=("original", "reply")),
        analytics.Filters(start=start, end=end, groups=("osce", "public"), reasons=("hashtag", "other")),
    ]


def _aggregates(session, f) -> dict:
    tags = load_event().hashtags
    return {
        "totals": analytics.totals(session, f),
        "by_session": analytics.by_session(session, f),
        "by_group": analytics.by_group(session, f),
        "session_by_group": analytics.session_by_group(session, f),
        "volume 5": analytics.volume(session, f, 5),
        "volume 15": analytics.volume(session, f, 15),
        "volume 60": analytics.volume(session, f, 60),
        "top": analytics.top_contributors(session, f, limit=500),
        "mentioned": analytics.most_mentioned(session, f, 500),
        "languages": analytics.languages(session, f),
        "hashtags": analytics.hashtags(session, tags, f, limit=500),
        "reach": analytics.reach(session, f),
        "by_reason": analytics.by_reason(session, f),
        "by_network": analytics.by_network(session, f),
        "coverage": analytics.coverage(session),
        "conversations": analytics.conversations(session, f),
        "headline": content.headline(session, f, VIENNA),
        "contributions": content.contributions_by_session_group(session, f),
        "public contributors": content.public_contributors(session, f, 500),
        # The span to the quarter hour: the rollup knows no finer (enough for a day picker).
        "options": {
            k: _bucket(v, rollups.QUARTER) if k in ("first", "last") else v
            for k, v in analytics.filter_options(session).items()
        },
    }


def _same(a, b) -> None:
    for name in a:
        if isinstance(a[name], pd.DataFrame):
            left, right = (
                frame.astype({c: "float64" for c in frame.select_dtypes("number").columns}).reset_index(drop=True)
                for frame in (a[name], b[name])
            )
            pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=name)
        else:
            assert a[name] == b[name], name


def _decide_reasons_again(url: str) -> None:
    """Posts on every network for every reason, as ``ingest config`` leaves them when the event's
    hashtag changes (decided again in steps, each a transaction), and two moved to another network."""
    event = load_event()
    with db.reading(url) as session:
        # The commonest hashtag after the event's own on Bluesky: posts carrying only the old one are
        # decided again as replies, mentions or other.
        own = [tag.lstrip("#").lower() for tag in event.hashtags]
        hashtag = session.scalar(
            select(PostEntity.value)
            .join(Post, Post.id == PostEntity.post_id)
            .where(PostEntity.kind == "hashtag", PostEntity.value.not_in(own), Post.platform == "bluesky")
            .group_by(PostEntity.value)
            .order_by(func.count().desc(), PostEntity.value)
            .limit(1)
        )
    assert reason_in_steps(url, dataclasses.replace(event, hashtags=[f"#{hashtag}"]), seconds=0.05) > 300
    with db.writing(url) as session:
        ids = {
            network: list(session.scalars(select(Post.id).where(Post.platform == network, Post.collected.is_(True))))
            for network in ("bluesky", "mastodon")
        }
        # The demo's organiser posts on X only: by hand, so that every network has every reason.
        for network in ids:
            for n, reason in enumerate(("own", "reply", "mention")):
                session.execute(update(Post).where(Post.id.in_(ids[network][n::17])).values(reason=reason))
        session.execute(update(Post).where(Post.id == ids["bluesky"][1]).values(platform="mastodon"))
        session.execute(update(Post).where(Post.id == ids["mastodon"][2]).values(platform="x"))


def test_every_aggregate_is_the_same_from_the_rollups_and_from_the_posts(imported, monkeypatch):
    url = imported
    monkeypatch.setattr(db, "STEP_PAUSE_SECONDS", 0)
    _decide_reasons_again(url)
    stored = _check(url)
    assert {(k[4], k[5]) for k in stored["volume"]} >= {(n, r.value) for n in NETWORKS for r in REASONS}
    assert {k[7] for k in stored["links"]} == set(NETWORKS) and len({k[8] for k in stored["links"]}) >= 4
    with db.reading(url) as session:
        cases = _filters(session)
        from_rollups = [_aggregates(session, f) for f in cases]
        every = from_rollups[0]["totals"]["posts"]
        assert sum(analytics.totals(session, analytics.Filters(networks=(n,)))["posts"] for n in NETWORKS) == every
        assert from_rollups[0]["by_reason"]["posts"].sum() == every
        # Every case is answered from the author rollup (a day in Vienna falls on hour edges), and
        # every case with no kind or language from the one without those keys (revision 0019).
        assert all(rollups.authors(f) is not None for f in cases)
        assert [rollups.author_hours(f) is not None for f in cases] == [
            f.kinds is None and f.languages is None for f in cases
        ]
        # And those with no time either from revision 0022's two (six of the twelve).
        timeless = [f.kinds is None and f.languages is None and f.start is None for f in cases]
        assert [rollups.author_sessions(f) is not None for f in cases] == timeless
        assert [rollups.link_sessions(f) is not None for f in cases] == timeless and sum(timeless) == 6
    assert every > 1000
    assert from_rollups[1]["totals"]["posts"] < every
    assert all(a["totals"]["posts"] for a in from_rollups)
    for name in ("volume", "by_minute", "authors", "author_hours", "author_sessions", "entities", "links"):
        monkeypatch.setattr(rollups, name, lambda f: None)
    monkeypatch.setattr(rollups, "link_sessions", lambda f: None)
    with db.reading(url) as session:
        from_posts = [_aggregates(session, f) for f in cases]
    for f, a, b in zip(cases, from_rollups, from_posts, strict=True):
        try:
            _same(a, b)
        except AssertionError as error:
            raise AssertionError(f"{f}: {error}") from error


@pytest.mark.parametrize(
    "start, answered",
    [
        (datetime(2018, 4, 22, 22, 0, tzinfo=UTC), {"volume", "by_minute", "authors", "entities"}),
        (datetime(2018, 4, 22, 22, 15, tzinfo=UTC), {"volume", "by_minute", "entities"}),
        (datetime(2018, 4, 22, 22, 5, tzinfo=UTC), {"by_minute"}),
        (datetime(2018, 4, 22, 22, 0, 1, tzinfo=UTC), set()),
        (datetime(2018, 4, 22, 22, 0), {"volume", "by_minute", "authors", "entities"}),  # naive: UTC, as stored
    ],
)
def test_a_rollup_answers_only_filters_on_its_bucket_edges(start, answered):
    names = ("volume", "by_minute", "authors", "entities")
    f = analytics.Filters(start=start)
    assert {name for name in names if getattr(rollups, name)(f)} == answered
    grouped = analytics.Filters(start=start, groups=("osce",))
    assert {name for name in names if getattr(rollups, name)(grouped)} == answered & {"authors"}


def test_real_collections_with_edits_and_repeated_copies_keep_the_rollups_exact(db_url, tmp_path):
    files = [real_data(name) for name in ("edited.jsonl", "brexit.jsonl", "two_tweets.jsonl")]
    for path in files + files[:1]:
        import_files([path], url=db_url, progress=False)
        stored = _check(db_url)
    assert sum(v for k, v in stored["volume"].items() if k[-1] == "posts") > 0


def test_db_recount_rebuilds_rollups_that_went_wrong(imported):
    url = imported
    before = _check(url)
    with db.writing(url) as session:
        # As if posts had been written past the store, or a rollup row lost.
        session.execute(text("DELETE FROM rollup_author WHERE author_id % 3 = 0"))
        session.execute(text("UPDATE rollup_author_hour SET likes = likes + 1 WHERE author_id % 2 = 0"))
        session.execute(text("UPDATE rollup_volume SET posts = posts + 5"))
        session.execute(text("DELETE FROM rollup_minute WHERE minute % 2 = 0"))
        session.execute(text("DELETE FROM rollup_entity WHERE entity = 'mention'"))
        session.execute(text("DELETE FROM rollup_link WHERE link = 'reply'"))
        session.execute(text("UPDATE rollup_link SET posts = posts + 1 WHERE link = 'mention'"))
        # Revision 0022's follow the rows above through their triggers: wrong by hand on their own.
        session.execute(text("UPDATE rollup_author_session SET posts = posts + 2 WHERE author_id % 5 = 0"))
        session.execute(text("DELETE FROM rollup_link_session WHERE link = 'quote'"))
    with pytest.raises(AssertionError):
        _check(url)
    db.dispose_engines()
    result = subprocess.run(
        [sys.executable, "-m", "ingest", "db", "recount"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    posts = sum(v for k, v in before["volume"].items() if k[-1] == "posts")
    assert f"rollups recounted from {posts:,} posts" in result.stdout
    assert _check(url) == before


def test_the_busiest_minute_is_the_earliest_of_the_busiest_from_the_rollup_and_from_the_posts(db_url, monkeypatch):
    def add(session, author, moments):
        posts = [
            Post(platform_id=f"{m:%H%M%S%f}-{i}", current_id="1", author_id=author, text="t", created_at=m)
            for i, m in enumerate(moments)
        ]
        session.add_all(posts)
        session.flush()
        rollups.add_posts(session, [p.id for p in posts])

    def peak(url, f=analytics.ALL):
        with db.reading(url) as session:
            found = analytics.peak_minute(session, f)
            with monkeypatch.context() as patch:
                patch.setattr(rollups, "by_minute", lambda f: None)
                assert analytics.peak_minute(session, f) == found, "the rollup and the posts disagree"
            return found

    eight = datetime(2018, 4, 23, 8, 0, tzinfo=UTC)
    assert peak(db_url) is None
    with db.writing(db_url) as session:
        session.add(Author(platform_user_id="steady", handle="steady"))
        session.flush()
        author = session.scalar(select(Author.id).where(Author.handle == "steady"))
        # Three evenly busy quarter hours, a post a minute: a tie, the earliest wins.
        add(session, author, [eight + timedelta(minutes=m) for m in range(45)])
    assert peak(db_url) == (rollups.minutes(eight), 1)
    with db.writing(db_url) as session:
        add(session, author, [eight + timedelta(hours=1, minutes=7)] * 5)
    assert peak(db_url) == (rollups.minutes(eight + timedelta(hours=1, minutes=7)), 5)
    with db.writing(db_url) as session:
        add(session, author, [eight + timedelta(hours=2, minutes=3, seconds=s) for s in range(20)])
        # Moved an hour on by a later edit: the triggers move it in the rollup too.
        for post in session.scalars(select(Post).where(Post.created_at >= eight + timedelta(hours=2))):
            post.created_at += timedelta(hours=1)
    assert peak(db_url) == (rollups.minutes(eight + timedelta(hours=3, minutes=3)), 20)
    # Within a time range, and between sessions only (these posts have none).
    assert peak(db_url, analytics.Filters(end=eight + timedelta(hours=3))) == (
        rollups.minutes(eight + timedelta(hours=1, minutes=7)),
        5,
    )
    assert peak(db_url, analytics.Filters(sessions=(1,))) is None
    with db.writing(db_url) as session:
        session.execute(delete(Post).where(Post.created_at >= eight + timedelta(hours=3)))
    assert peak(db_url) == (rollups.minutes(eight + timedelta(hours=1, minutes=7)), 5)


def _page(*posts: dict, users: tuple[str, ...] = ("101", "102")) -> dict:
    """A search page of ``posts`` with every author's profile; no bio matches a keyword rule."""
    return {
        "data": list(posts),
        "includes": {
            "users": [
                {"id": user, "username": f"writer_{user}", "name": f"Writer {user}", "description": ""}
                for user in users
            ]
        },
    }


def _post(post_id: str, author: str, replied_to: str | None = None) -> dict:
    post = {
        "id": post_id,
        "author_id": author,
        "text": f"post {post_id} #cthb18",
        "created_at": "2018-04-23T08:30:00.000Z",
        "lang": "en",
        "edit_history_tweet_ids": [post_id],
        "entities": {"hashtags": [{"tag": "cthb18"}]},
    }
    if replied_to:
        post["referenced_tweets"] = [{"type": "replied_to", "id": replied_to}]
    return post


def _store(session, page: dict) -> None:
    batch = normalize(page)
    store_posts(
        session,
        batch.posts,
        batch.users,
        classifier=Classifier.from_database(session),
        attributor=Attributor.from_database(session, load_event().grace),
    )


def _while_open(url: str, first, second) -> None:
    """``first`` in a write transaction kept open while ``second`` runs in another (for a second at
    most: a writer that takes its turn waits for the first to commit), then both committed."""
    finished = threading.Event()

    def run_second():
        with db.writing(url) as session:
            second(session)
        finished.set()

    thread = threading.Thread(target=run_second)
    with db.writing(url) as session:
        first(session)
        thread.start()
        finished.wait(timeout=1.0)
    thread.join(timeout=60)
    assert finished.is_set()


def _author(url: str, user_id: str) -> int:
    with db.reading(url) as session:
        return session.scalar(select(Author.id).where(Author.platform_user_id == user_id))


def test_two_writers_at_once_count_a_reply_and_the_post_it_answers(db_url):
    # The stream stores a reply while an import stores the post it answers: each writer's own
    # transaction cannot see the other's row, and only the later one can count the link.
    _while_open(
        db_url,
        lambda s: _store(s, _page(_post("2002", "101", replied_to="2001"), users=("101",))),
        lambda s: _store(s, _page(_post("2001", "102"), users=("102",))),
    )
    links = _check(db_url)["links"]
    assert [(k[:3], v) for k, v in links.items()] == [(("public", "public", "reply"), 1)]


def test_two_writers_at_once_store_the_same_new_author_once(db_url):
    # Both pages carry the same new profile: the second writer must find the first one's row, not
    # fail on the unique key.
    _while_open(
        db_url,
        lambda s: _store(s, _page(_post("2001", "101"), users=("101",))),
        lambda s: _store(s, _page(_post("2002", "101"), users=("101",))),
    )
    with db.reading(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Author)) == 1
        assert session.scalar(select(func.count()).select_from(Post).where(Post.author_id.is_not(None))) == 2
    _check(db_url)


def test_the_links_per_session_follow_a_link_row_whose_key_changes(db_url):
    # No writer of ours moves a link row to another key today (each upserts its whole key), but the
    # trigger for it is there: a moved row's posts leave its old key and reach its new one.
    with db.writing(db_url) as session:
        _store(session, _page(_post("2001", "101"), _post("2002", "102", replied_to="2001"), users=("101", "102")))
    fine = "SELECT source_group, target_group, link, session_id, platform, reason, sum(posts) FROM rollup_link"
    keys = "source_group, target_group, link, session_id, platform, reason"
    with db.writing(db_url) as session:
        session.execute(text("UPDATE rollup_link SET session_id = session_id + 1000, posts = posts + 2"))
    with db.reading(db_url) as session:
        summed = sorted(tuple(r) for r in session.execute(text(f"{fine} GROUP BY {keys}")))
        coarse = sorted(tuple(r) for r in session.execute(text(f"SELECT {keys}, posts FROM rollup_link_session")))
    assert summed and all(row[3] >= 1000 for row in summed)
    assert [row for row in coarse if row[6]] == summed


def test_deciding_reasons_again_waits_for_a_counting_writer_to_commit(db_url):
    # Without its turn, a step of ``reason_in_steps`` on PostgreSQL would lock rollup rows a worker's
    # batch locks too, in another order: two writers waiting in a circle.
    with db.writing(db_url) as session:
        _store(session, _page(_post("2000", "101"), _post("2001", "102")))
        session.execute(update(Post).where(Post.platform_id == "2000").values(reason="mention"))
    decided, waited = threading.Event(), []

    def decide_again():
        with db.writing(db_url) as session:
            reason_all(session, Reasons.from_database(session, load_event()))
        decided.set()

    # The worker's post shares no rollup row with the one decided again: another author, another day.
    later = {**_post("2002", "103"), "created_at": "2018-04-24T13:10:00.000Z"}
    thread = threading.Thread(target=decide_again)
    with db.writing(db_url) as session:
        _store(session, _page(later))
        thread.start()
        waited.append(not decided.wait(timeout=1.0))
    thread.join(timeout=60)
    assert decided.is_set() and waited == [True]
    with db.reading(db_url) as session:
        assert set(session.scalars(select(Post.reason))) == {"hashtag"}
    _check(db_url)


def test_an_override_while_the_worker_stores_that_authors_posts_moves_their_links_too(db_url):
    with db.writing(db_url) as session:
        _store(session, _page(_post("2000", "101"), _post("2001", "102")))
    _while_open(
        db_url,
        lambda s: _store(s, _page(_post("2002", "101", replied_to="2001"))),
        lambda s: set_override(s, _author(db_url, "101"), "osce"),
    )
    links = _check(db_url)["links"]
    assert [(k[:3], v) for k, v in links.items()] == [(("osce", "public", "reply"), 1)]


def test_reclassifying_and_reattributing_in_steps_commit_as_they_go_and_keep_the_rollups_exact(imported, monkeypatch):
    url = imported
    monkeypatch.setattr(db, "STEP_PAUSE_SECONDS", 0)
    commits = []
    sa_event.listen(db.get_engine(url, write=True), "commit", lambda connection: commits.append(1))
    with db.writing(url) as session:
        # The directory now lists a third of the authors, all as OSCE; the agenda moves by twenty minutes.
        handles = list(session.scalars(select(Author.handle).where(Author.handle.is_not(None)).order_by(Author.id)))
        session.execute(delete(DirectoryEntry))
        session.add_all(DirectoryEntry(handle=h.lower(), organisation="", group_key="osce") for h in handles[::3])
        for item in session.scalars(select(AgendaSession)):
            item.starts_at += timedelta(minutes=20)
            item.ends_at += timedelta(minutes=20)
    started = len(commits)
    # No time at all for a step: each author, each post, is a transaction of its own.
    changed = reclassify_in_steps(url, seconds=0)
    assert changed > 50 and len(commits) - started > changed
    started = len(commits)
    moved = reattribute_in_steps(load_event().grace, url, seconds=0)
    assert moved > 50 and len(commits) - started > moved
    with db.writing(url) as session:
        assert reclassify(session) == 0, "the steps left authors behind"
        assert reattribute(session, Attributor.from_database(session, load_event().grace)) == 0, (
            "the steps left posts behind"
        )
        assert set(session.scalars(select(Author.group_key).where(Author.handle.in_(handles[::3])))) == {"osce"}
    _check(url)
