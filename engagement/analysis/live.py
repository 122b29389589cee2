# mypy: disable-error-code="call-overload"
# (for SQLModel column expressions: select() of model attributes typed as their Python values)
"""What the moderators' live view needs: the session now and next, its figures (for every network or
the ones chosen, and per network), posts per minute per network, the worker's freshness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import distinct, func, select
from sqlmodel import Session, col

from engagement.analysis import facts
from engagement.analysis.display import NETWORK_ORDER
from engagement.rules.reasons import Reason
from engagement.storage import flags
from engagement.storage.models import (
    AgendaSession,
    Author,
    IngestCheckpoint,
    IngestRun,
    Post,
    Question,
    SessionKind,
    Setting,
)
from engagement.timeutil import to_utc, utcnow

QUIET_AFTER = timedelta(minutes=2)  # the freshness badge turns to a warning after this long without data


@dataclass(frozen=True)
class SessionNow:
    id: int
    key: str
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime


def _session(row) -> SessionNow:
    return SessionNow(row.id, row.key, row.title, row.kind, to_utc(row.starts_at), to_utc(row.ends_at))


def now_and_next(session: Session, now: datetime) -> tuple[SessionNow | None, SessionNow | None]:
    """The session running at ``now`` (the latest started, breaks included) and the next to start."""
    running = (
        session.execute(
            select(AgendaSession)
            .where(col(AgendaSession.starts_at) <= now, col(AgendaSession.ends_at) > now)
            .order_by(col(AgendaSession.kind) == SessionKind.break_, col(AgendaSession.starts_at).desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    upcoming = (
        session.execute(
            select(AgendaSession)
            .where(col(AgendaSession.starts_at) > now)
            .order_by(col(AgendaSession.starts_at), col(AgendaSession.key))
            .limit(1)
        )
        .scalars()
        .first()
    )
    return (_session(running) if running else None), (_session(upcoming) if upcoming else None)


def _on(networks: Sequence[str] | None) -> list:
    """Posts on ``networks`` (None: every network)."""
    return [] if networks is None else [col(Post.platform).in_(list(networks))]


def session_figures(
    session: Session, session_id: int, until: datetime, networks: Sequence[str] | None = None
) -> dict[str, int]:
    """The running session's figures: posts, voices and groups heard on ``networks`` (None: all);
    its questions (which belong to no network)."""
    posts, voices, heard = session.execute(
        select(
            func.count(),
            func.count(distinct(col(Post.author_id))),
            # Groups heard: participants' groups, not the organiser's own posts.
            func.count(distinct(col(Author.group_key))).filter(
                col(Author.group_key) != "public", func.coalesce(col(Post.reason), "") != Reason.own
            ),
        )
        .select_from(Post)
        .join(Author, col(Author.id) == Post.author_id)
        .where(
            col(Post.collected).is_(True),
            col(Post.session_id) == session_id,
            col(Post.created_at) <= until,
            *_on(networks),
        )
    ).one()
    states: dict[str, int] = dict(
        session.execute(
            select(Question.status, func.count()).where(Question.session_id == session_id).group_by(Question.status)
        ).all()
    )
    return {
        "posts": posts,
        "voices": voices,
        "groups": heard,
        "pending": states.get("pending", 0),
        "approved": states.get("approved", 0) + states.get("on_screen", 0),
        "answered": states.get("answered", 0),
    }


def session_by_network(
    session: Session, session_id: int, until: datetime, networks: Sequence[str] | None = None
) -> pd.DataFrame:
    """The running session's posts and voices per network (``network``, ``posts``, ``voices``), in
    the networks' order, those with posts only."""
    rows = session.execute(
        select(col(Post.platform), func.count(), func.count(distinct(col(Post.author_id))))
        .where(
            col(Post.collected).is_(True),
            col(Post.author_id).is_not(None),
            col(Post.session_id) == session_id,
            col(Post.created_at) <= until,
            *_on(networks),
        )
        .group_by(col(Post.platform))
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["network", "posts", "voices"])
    order = {network: n for n, network in enumerate(NETWORK_ORDER)}
    return frame.sort_values("network", key=lambda c: c.map(lambda n: order.get(n, len(order))), ignore_index=True)


def per_minute(session: Session, start: datetime, end: datetime, networks: Sequence[str] | None = None) -> pd.DataFrame:
    """Collected posts per minute and network between ``start`` and ``end``: ``time`` (UTC), ``network``, ``posts``."""
    minute = facts.minute(session, Post.created_at).label("minute")
    rows = session.execute(
        select(minute, col(Post.platform), func.count())
        .where(
            col(Post.collected).is_(True),
            col(Post.created_at) >= start,
            col(Post.created_at) <= end,
            *_on(networks),
        )
        .group_by(minute, col(Post.platform))
        .order_by(minute, col(Post.platform))
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["minute", "network", "posts"])
    frame["time"] = pd.to_datetime(frame["minute"].astype("int64") * 60, unit="s", utc=True)
    return frame[["time", "network", "posts"]]


def last_write(session: Session) -> datetime | None:
    """When the worker last wrote anything: the newest post row, a resume point, a run, or the replay clock.

    Each is read through a key or an index, never a scan of the posts.
    """
    moments = [
        session.scalar(select(Post.first_seen).order_by(col(Post.id).desc()).limit(1)),
        session.scalar(select(func.max(IngestCheckpoint.updated_at))),
        session.scalar(select(IngestRun.ended_at).order_by(col(IngestRun.id).desc()).limit(1)),
        session.scalar(select(Setting.updated_at).where(Setting.key == flags.REPLAY_CLOCK)),
    ]
    known = [to_utc(m) for m in moments if m is not None]
    return max(known) if known else None


def freshness(session: Session) -> tuple[float | None, bool]:
    """Seconds since the worker last wrote, and whether that is too long."""
    moment = last_write(session)
    if moment is None:
        return None, True
    age = (utcnow() - moment).total_seconds()
    return age, age > QUIET_AFTER.total_seconds()
