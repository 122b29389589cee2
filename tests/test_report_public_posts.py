"""The summary's top posts (``content.public_posts``): the public accounts' most reposted posts, the
same ones in the same order as ranking every post here, whether the bounded walk of revision 0020's
index finds them or the public accounts' own posts are asked, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from engagement.analysis import analytics
from engagement.collection.jsonl import import_files
from engagement.demo import write_collection
from engagement.report import content
from engagement.storage import db
from engagement.storage.models import Author, GroupSource, Post

from .helpers.ranking import most_reposted

pytestmark = pytest.mark.both_databases

DAY = (datetime(2018, 4, 23, tzinfo=UTC), datetime(2018, 4, 24, tzinfo=UTC))
CASES = [
    analytics.Filters(),
    analytics.Filters(start=DAY[0], end=DAY[1]),
    analytics.Filters(networks=("x",)),
    analytics.Filters(networks=("bluesky",), start=DAY[0], end=DAY[1]),
    analytics.Filters(kinds=("reply", "quote")),
    analytics.Filters(sessions=(analytics.BETWEEN,)),
    analytics.Filters(groups=("osce", "civil_society")),
]


def ranked(session, f: analytics.Filters, limit: int = 10) -> list[tuple[int, int, str]]:
    """(reposts, likes, text) of the top public posts, ranked here from every post's own columns."""
    public = set(
        session.scalars(
            select(Author.id).where(Author.group_source.in_([GroupSource.directory, GroupSource.moderator]))
        )
    )
    posts = most_reposted(session, f, authors=public, hidden=False)
    return [(p.retweets, p.likes, p.text) for p in posts[:limit]]


def shown(frame) -> list[tuple[int, int, str]]:
    return list(zip(frame["retweets"], frame["likes"], frame["text"], strict=True))


@pytest.fixture
def collected(db_url, tmp_path):
    posts, _ = write_collection(tmp_path / "demo.jsonl", posts=600, seed=5)
    import_files([posts], url=db_url, progress=False)
    return db_url


@pytest.mark.parametrize("walk", [content.PUBLIC_WALK, 12, 1])
def test_the_top_posts_are_the_public_accounts_most_reposted(collected, monkeypatch, walk):
    # A walk of 12 entries finds ten public posts under some filters and not under others; of 1, never.
    monkeypatch.setattr(content, "PUBLIC_WALK", walk)
    with db.reading(collected) as session:
        assert len(ranked(session, analytics.ALL)) == 10  # enough public posts for the cases to tell
        for f in CASES:
            assert shown(content.public_posts(session, f)) == ranked(session, f), (walk, f)


def test_a_hidden_post_is_not_among_them(collected):
    with db.reading(collected) as session:
        first = ranked(session, analytics.ALL)
    with db.writing(collected) as session:
        session.execute(update(Post).where(Post.text == first[0][2]).values(hidden=True))
    with db.reading(collected) as session:
        now = shown(content.public_posts(session, analytics.ALL))
    assert first[0] not in now and now[:9] == first[1:]
