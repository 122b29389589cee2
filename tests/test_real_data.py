"""Every file of tests/data/x-api-v2 (real twarc2 pages) imports with exact, known counts."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from engagement.collection.jsonl import import_files
from engagement.storage import db
from engagement.storage.models import Author, Post, RejectedRecord

from .helpers import real_data

EXPECTED = {
    # file: (lines, collected posts, context posts, authors)
    "two_tweets.jsonl": (1, 1, 1, 2),
    "brexit.jsonl": (1, 100, 55, 177),
    # The lookup of an edited post includes its earlier version: one logical post.
    "edited.jsonl": (1, 1, 0, 1),
}


def counts(url):
    with db.reading(url) as session:
        count = lambda model, *where: session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
        return (
            count(Post, Post.collected.is_(True)),
            count(Post, Post.collected.is_(False)),
            count(Author),
            count(RejectedRecord),
        )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_file(db_url, name):
    lines, posts, context, authors = EXPECTED[name]
    summary = import_files([real_data(name)], url=db_url, progress=False)
    assert (summary.lines, summary.store.posts_new, summary.rejected) == (lines, posts, 0)
    assert counts(db_url) == (posts, context, authors, 0)


def test_all_real_files_together_and_twice(db_url):
    files = [real_data(name) for name in sorted(EXPECTED)]
    import_files(files, url=db_url, progress=False)
    first = counts(db_url)
    assert first == (102, 56, 180, 0)
    again = import_files(files, url=db_url, progress=False)
    assert again.store.posts_new == 0 and again.store.posts_updated == 0 and again.store.duplicates == 102
    assert counts(db_url) == first
