"""The collected posts under a set of filters, and the most reposted of them, found here from every
post's own columns: the oracle the tests of the index walks (``analytics.most_retweeted``,
``content.public_posts``) and of the per-group figures compare their answers with."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from engagement.analysis import analytics
from engagement.storage.models import Author, Post


def collected(session, f: analytics.Filters, authors=None) -> list[Post]:
    """The collected posts with an author under ``f``, each tested here on its own columns (the
    oracle's filter). ``authors``: only theirs (a set of author ids)."""
    members = None
    if f.groups is not None:
        members = set(session.scalars(select(Author.id).where(Author.group_key.in_(f.groups))))
    whose = Post.author_id.is_not(None) if authors is None else Post.author_id.in_(authors)
    posts = []
    for post in session.scalars(select(Post).where(Post.collected.is_(True), whose)):
        created = post.created_at.replace(tzinfo=UTC) if post.created_at.tzinfo is None else post.created_at
        if (f.start and created < f.start) or (f.end and created >= f.end):
            continue
        if f.networks is not None and post.platform not in f.networks:
            continue
        if f.kinds is not None and post.kind not in f.kinds:
            continue
        if f.languages is not None and (post.language or "") not in f.languages:
            continue
        if f.reasons is not None and (post.reason or "") not in f.reasons:
            continue
        if f.sessions is not None and (post.session_id or analytics.BETWEEN) not in f.sessions:
            continue
        if members is not None and post.author_id not in members:
            continue
        posts.append(post)
    return posts


def most_reposted(session, f: analytics.Filters, authors=None, hidden: bool = True) -> list[Post]:
    """The collected non-reposts under ``f``, the most reposted (then liked) first. ``authors``: only
    theirs (a set of author ids); ``hidden=False``: moderators' hidden posts left out."""
    posts = [
        post for post in collected(session, f, authors) if post.kind != "retweet" and not (post.hidden and not hidden)
    ]
    posts.sort(key=lambda p: (-p.retweets, -p.likes, p.id))
    return posts
