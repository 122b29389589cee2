"""The most reposted posts under a set of filters, ranked here from every post's own columns: the
oracle the tests of the index walks (``analytics.most_retweeted``, ``content.public_posts``) compare
their answers with."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from engagement.analysis import analytics
from engagement.storage.models import Author, Post


def most_reposted(session, f: analytics.Filters, authors=None, hidden: bool = True) -> list[Post]:
    """The collected non-reposts under ``f``, the most reposted (then liked) first. ``authors``: only
    theirs (a set of author ids); ``hidden=False``: moderators' hidden posts left out."""
    members = None
    if f.groups is not None:
        members = set(session.scalars(select(Author.id).where(Author.group_key.in_(f.groups))))
    whose = Post.author_id.is_not(None) if authors is None else Post.author_id.in_(authors)
    posts = []
    for post in session.scalars(select(Post).where(Post.collected.is_(True), whose)):
        created = post.created_at.replace(tzinfo=UTC) if post.created_at.tzinfo is None else post.created_at
        if post.kind == "retweet" or (post.hidden and not hidden):
            continue
        if (f.start and created < f.start) or (f.end and created >= f.end):
            continue
        if f.networks is not None and post.platform not in f.networks:
            continue
        if f.kinds is not None and post.kind not in f.kinds:
            continue
        if f.sessions is not None and (post.session_id or analytics.BETWEEN) not in f.sessions:
            continue
        if members is not None and post.author_id not in members:
            continue
        posts.append(post)
    posts.sort(key=lambda p: (-p.retweets, -p.likes, p.id))
    return posts
