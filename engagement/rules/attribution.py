# mypy: disable-error-code="call-overload"
# (for SQLModel column expressions: select() of model attributes typed as their Python values)
"""Which agenda session a post belongs to.

1. A session hashtag beats the clock: a post carrying one belongs to that session (when several
   sessions share the tag, to the one nearest in time).
2. Otherwise the clock: sessions whose window holds the post, where a window runs from the start
   to the end plus a grace period. Breaks never take posts: they are not places where anyone is
   heard, and a side event during lunch should get the lunch-time posts.
3. Overlaps are settled the same way every time: a session inside its proper window beats one
   in its grace period; then the one that started last (the side event that began inside a long
   plenary); then the agenda key.
4. Outside every session: ``None``, shown as "between sessions".
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from engagement.storage import db
from engagement.storage.models import AgendaSession, Post, SessionKind
from engagement.timeutil import to_utc

BETWEEN_SESSIONS = "Between sessions"


@dataclass(frozen=True)
class Window:
    id: int
    key: str
    starts_at: datetime
    ends_at: datetime
    hashtags: frozenset[str]


def _stored_id(value: int | None) -> int:
    """The id of a row read from the database (SQLModel types every primary key as Optional)."""
    assert value is not None
    return value


class Attributor:
    def __init__(self, sessions: Iterable[Window], grace: timedelta = timedelta(minutes=10)):
        self.grace = grace
        self.windows = sorted(sessions, key=lambda w: (w.starts_at, w.key))
        self.starts = [w.starts_at for w in self.windows]
        self.by_tag: dict[str, list[Window]] = {}
        for window in self.windows:
            for tag in window.hashtags:
                self.by_tag.setdefault(tag, []).append(window)

    @classmethod
    def from_database(cls, session: Session, grace: timedelta = timedelta(minutes=10)) -> Attributor:
        rows = session.scalars(select(AgendaSession).where(col(AgendaSession.kind) != SessionKind.break_))
        return cls(
            (
                Window(
                    _stored_id(r.id),
                    r.key,
                    to_utc(r.starts_at),
                    to_utc(r.ends_at),
                    frozenset(t.lstrip("#").lower() for t in r.hashtags),
                )
                for r in rows
            ),
            grace,
        )

    def attribute(self, created_at: datetime, hashtags: Iterable[str] = ()) -> int | None:
        created_at = to_utc(created_at)
        tagged = {w.id: w for tag in hashtags for w in self.by_tag.get(tag.lstrip("#").lower(), ())}
        if tagged:
            return min(tagged.values(), key=lambda w: (self._distance(w, created_at), w.starts_at, w.key)).id
        # Only sessions that started by now can hold the post.
        candidates = self.windows[: bisect_right(self.starts, created_at)]
        best = None
        for window in candidates:
            if created_at < window.ends_at:
                rank = (0, -window.starts_at.timestamp(), window.key)
            elif created_at < window.ends_at + self.grace:
                rank = (1, -window.starts_at.timestamp(), window.key)
            else:
                continue
            if best is None or rank < best[0]:
                best = (rank, window.id)
        return best[1] if best else None

    @staticmethod
    def _distance(window: Window, moment: datetime) -> timedelta:
        if moment < window.starts_at:
            return window.starts_at - moment
        if moment > window.ends_at:
            return moment - window.ends_at
        return timedelta(0)


def reattribute(session: Session, attributor: Attributor, batch: int = 5000) -> int:
    """Attribute every stored post again (after the agenda changed), in the caller's transaction;
    returns how many moved. (At scale, ``reattribute_in_steps``.)"""
    return _reattribute_after(session, attributor, 0, batch=batch)[0]


def reattribute_in_steps(grace: timedelta, url: str | None = None, seconds: float = db.STEP_SECONDS) -> int:
    """``reattribute`` as a series of short transactions (``db.in_steps``), with the agenda as it is
    when it starts."""
    with db.reading(url) as session:
        attributor = Attributor.from_database(session, grace)
    return db.in_steps(
        url, lambda session, after, deadline: _reattribute_after(session, attributor, after, deadline), seconds
    )


def _reattribute_after(
    session: Session, attributor: Attributor, last_id: int, deadline: float | None = None, batch: int = 5000
) -> tuple[int, int | None]:
    """Posts after ``last_id`` until ``deadline`` (``time.monotonic``) passes: how many moved, and the
    last post done (``None``: all are)."""
    db.take_turns_counting(session)
    moved = 0
    while True:
        rows = session.execute(
            select(Post.id, Post.created_at, Post.hashtags, Post.session_id)
            .where(col(Post.id) > last_id)
            .order_by(Post.id)
            .limit(batch)
        ).all()
        if not rows:
            return moved, None
        for row in rows:
            session_id = attributor.attribute(row.created_at, row.hashtags or ())
            if session_id != row.session_id:
                session.execute(update(Post).where(Post.id == row.id).values(session_id=session_id))
                moved += 1
            last_id = row.id
            if deadline is not None and time.monotonic() >= deadline:
                return moved, last_id
