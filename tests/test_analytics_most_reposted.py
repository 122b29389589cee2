"""The most reposted posts (``analytics.most_retweeted``) through revision 0020's partial index: the
same ten posts, in the same order, as ranking the collected posts themselves, under every filter, on
both databases; and on SQLite the query walks that index."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from engagement.analysis import analytics, rollups
from engagement.collection.jsonl import import_files
from engagement.demo import write_collection
from engagement.storage import db
from engagement.storage.models import Author, Post

from .helpers.ranking import most_reposted

pytestmark = pytest.mark.both_databases

DAY = (datetime(2018, 4, 23, tzinfo=UTC), datetime(2018, 4, 24, tzinfo=UTC))


def ranked(session, f: analytics.Filters, limit: int = 10) -> list[tuple[int, int, str | None]]:
    """(reposts, likes, author's handle) of the top posts, ranked here from every post's own columns."""
    posts = most_reposted(session, f)
    handles = dict(session.execute(select(Author.id, Author.handle)).all())
    return [(p.retweets, p.likes, handles[p.author_id]) for p in posts[:limit]]


def test_the_most_reposted_posts_are_those_ranked_from_the_posts(db_url, tmp_path):
    posts, _ = write_collection(tmp_path / "demo.jsonl", posts=400, seed=11)
    import_files([posts], url=db_url, progress=False)
    cases = [
        analytics.Filters(),
        analytics.Filters(start=DAY[0], end=DAY[1]),
        analytics.Filters(networks=("x",)),
        analytics.Filters(networks=("bluesky",), start=DAY[0], end=DAY[1]),
        analytics.Filters(kinds=("reply", "quote")),
        analytics.Filters(sessions=(analytics.BETWEEN,)),
        analytics.Filters(groups=("osce",)),
    ]
    with db.reading(db_url) as session:
        for f in cases:
            found = analytics.most_retweeted(session, f)
            expected = ranked(session, f)
            handles = [h if isinstance(h, str) else None for h in found["handle"]]  # pandas gives NaN for None
            assert expected == list(zip(found["retweets"], found["likes"], handles, strict=True)), f
        assert len(analytics.most_retweeted(session)) == 10


def test_sqlite_walks_the_partial_index(db_url):
    if not db.is_sqlite(db_url):
        pytest.skip("PostgreSQL chooses by its statistics: a small table is sorted")
    statement = (
        select(Post.id)
        .where(analytics.MOST_REPOSTED, *rollups.where(Post, analytics.Filters(networks=("x",), start=DAY[0])))
        .order_by(Post.retweets.desc(), Post.likes.desc(), Post.id)
        .limit(10)
    )
    with db.reading(db_url) as session:
        compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_post_most_reposted" in plan
