"""Who was heard, per group and per (session, group): the posts and authors the Analyse pages and the
summary show are those counted here from the posts themselves, under every kind of filter, from the
rollups and from the posts, on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engagement.analysis import analytics, rollups
from engagement.collection.jsonl import import_files
from engagement.demo import write_collection
from engagement.storage import db
from engagement.storage.models import Author, Post

from .helpers.ranking import collected

pytestmark = pytest.mark.both_databases

DAY = (datetime(2018, 4, 23, tzinfo=UTC), datetime(2018, 4, 24, tzinfo=UTC))


def counted(session, f: analytics.Filters) -> tuple[dict, dict, dict]:
    """Posts per group, authors per group and posts per (session, group), of participants (the
    authors of no post of the organiser's own), counted here."""
    organisers = set(session.scalars(select(Post.author_id).where(Post.reason == "own")))
    group_of = dict(session.execute(select(Author.id, Author.group_key)).all())
    posts = [p for p in collected(session, f) if p.author_id not in organisers]
    per_group = Counter(group_of[p.author_id] for p in posts)
    authors = Counter(group_of[a] for a in {p.author_id for p in posts})
    cells = Counter((p.session_id or analytics.BETWEEN, group_of[p.author_id]) for p in posts)
    return dict(per_group), dict(authors), dict(cells)


def shown(session, f: analytics.Filters) -> tuple[dict, dict, dict]:
    frame = analytics.by_group(session, f)
    per_group = {k: int(n) for k, n in zip(frame["key"], frame["posts"], strict=True) if n}
    authors = {k: int(n) for k, n in zip(frame["key"], frame["authors"], strict=True) if n}
    cells = {(sid, key): n for sid, key, n in analytics.posts_by_session_group(session, f)}
    return per_group, authors, cells


CASES = [
    analytics.Filters(),
    analytics.Filters(start=DAY[0], end=DAY[1]),
    analytics.Filters(networks=("x",)),
    analytics.Filters(networks=("bluesky",), start=DAY[0], end=DAY[1]),
    analytics.Filters(kinds=("reply", "quote"), languages=("en",)),
    analytics.Filters(sessions=(analytics.BETWEEN,)),
    analytics.Filters(groups=("osce", "civil_society")),
    analytics.Filters(reasons=("hashtag",)),
    # Off the hour's edges: no author rollup answers, the posts are counted.
    analytics.Filters(start=datetime(2018, 4, 23, 9, 7, tzinfo=UTC)),
]


def test_the_figures_per_group_are_those_counted_from_the_posts(db_url, tmp_path, monkeypatch):
    posts, _ = write_collection(tmp_path / "demo.jsonl", posts=500, seed=23)
    import_files([posts], url=db_url, progress=False)
    with db.reading(db_url) as session:
        # The demo's organiser posts, so that leaving them out is tested.
        assert session.scalar(select(Post.id).where(Post.reason == "own").limit(1)) is not None
        expected = [counted(session, f) for f in CASES]
        from_rollups = [shown(session, f) for f in CASES]
    assert [rollups.author_hours(f) is not None for f in CASES] == [True] * 4 + [False] + [True] * 3 + [False]
    assert [rollups.author_sessions(f) is not None for f in CASES] == [True, False, True, False, False] + [True] * 3 + [
        False
    ]
    for name in ("volume", "by_minute", "authors", "author_hours", "author_sessions", "entities", "links"):
        monkeypatch.setattr(rollups, name, lambda f: None)
    with db.reading(db_url) as session:
        from_posts = [shown(session, f) for f in CASES]
    for f, want, a, b in zip(CASES, expected, from_rollups, from_posts, strict=True):
        assert want[0], f"{f}: some posts to count"
        assert a == want, f"{f}, from the rollups"
        assert b == want, f"{f}, from the posts"
