# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload, union-attr"
"""What the social wall reads: the posts a public wall may show, the moderators' queue, the
announcements and the agenda's "now / next".

``wall`` is the only reader of posts for the public page, and ``WallItem`` holds only what a wall
shows (no moderator, no state, no flag, no link): whatever the page does with it, nothing held,
hidden or blocked, and no staff data, can reach a person who is not signed in. A post never
reaches it when it is hidden from the public (``post.hidden``), deleted (its row is gone; the
tombstone is checked too), a repost (it says nothing of its own), not collected for the event, by
a blocked author, or later than the event's "now" (the replay clock in a demo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import and_, exists, func, or_, select
from sqlmodel import Session, col

from engagement.qa.blocklist import Blocklist
from engagement.storage.models import (
    AgendaSession,
    Author,
    DeletedPost,
    Post,
    PostKind,
    SessionKind,
    StakeholderGroup,
    WallAction,
    WallAnnouncement,
    WallAuthorBlock,
    WallPost,
)
from engagement.storage.models import WallStatus as W
from engagement.timeutil import to_utc
from engagement.wall import moderation

COLOUR = re.compile(r"#[0-9A-Fa-f]{3}([0-9A-Fa-f]{3})?")
SCAN_BATCH = 200  # post-moderated: rows read at a time while the blocklist holds some back
SCAN_LIMIT = 2_000  # and at most this many, so a wall of held posts stays quick
COUNT_CAP = 1_000
QUEUE_TABS = {"incoming": (W.pending,), "approved": (W.approved,), "pulled": (W.pulled,)}


@dataclass(frozen=True)
class Scope:
    """Which wall: every session (both None), one room's, or one session's."""

    room: str | None = None
    session_key: str | None = None


@dataclass(frozen=True)
class WallItem:
    """One post as a public wall shows it, and nothing more."""

    post_id: int
    network: str
    name: str
    handle: str
    group_label: str | None
    group_colour: str | None
    text: str
    content_warning: str | None
    images: int
    created_at: datetime


@dataclass(frozen=True)
class QueueItem:
    """One post as the moderators' queue shows it."""

    post_id: int
    author_id: int | None
    network: str
    name: str
    handle: str
    group_label: str | None
    text: str
    content_warning: str | None
    images: int
    created_at: datetime
    status: str
    held: str | None  # why the blocklist would hold it, or None
    author_blocked: bool


@dataclass(frozen=True)
class Slot:
    """A session of the agenda as the wall's "now / next" names it: its title, and its title in each
    language the agenda gives one (``agenda_session.titles``; ``rules.translations.title_in`` picks)."""

    key: str
    kind: str
    title: str
    room: str
    starts_at: datetime
    ends_at: datetime
    titles: dict[str, str] = field(default_factory=dict)


def safe_colour(value: str | None) -> str | None:
    """A group's colour as a CSS value only when it is one (``#rgb`` or ``#rrggbb``): it comes from a file."""
    return value if value and COLOUR.fullmatch(value) else None


def held(blocklist: Blocklist, text: str, content_warning: str | None) -> str | None:
    """Why a post waits for a moderator before a post-moderated wall shows it, or None: the Q&A
    blocklist's terms (in the link's text too) and a content warning. A link alone does not hold a
    post, as it holds a question: most posts carry one (in the demo, 2 in 5) and it is no abuse; on
    the wall it is text, never a link anyone can follow, and nothing is fetched from it."""
    reasons = [
        blocklist.check(text, links=False) or "",
        f"content warning: {content_warning}" if content_warning else "",
    ]
    return "; ".join(filter(None, reasons)) or None


def _group_key():
    return func.coalesce(Author.override_group_key, Author.group_key)


def _session_ids(session: Session, scope: Scope) -> list[int] | None:
    """The agenda sessions a scoped wall covers; None for the event's wall."""
    if scope.session_key:
        return list(session.scalars(select(AgendaSession.id).where(AgendaSession.key == scope.session_key)))
    if scope.room:
        return list(session.scalars(select(AgendaSession.id).where(AgendaSession.room == scope.room)))
    return None


def _eligible(session: Session, scope: Scope, now: datetime) -> list:
    """What every post on a wall or in its queue must be, whatever a moderator decided."""
    where = [
        col(Post.collected).is_(True),
        col(Post.hidden).is_(False),
        Post.kind != PostKind.retweet,
        Post.created_at <= now,
        Post.author_id.is_not(None),
        ~exists().where(WallAuthorBlock.author_id == Post.author_id),
        ~exists().where(DeletedPost.platform == Post.platform, DeletedPost.platform_id == Post.platform_id),
    ]
    ids = _session_ids(session, scope)
    if ids is not None:
        where.append(Post.session_id.in_(ids))
    return where


def _rows(session: Session, where: list, order: list, limit: int, offset: int = 0):
    return session.execute(
        select(
            Post.id,
            Post.author_id,
            Post.platform,
            func.coalesce(Author.display_name, Author.handle, ""),
            func.coalesce(Author.handle, ""),
            StakeholderGroup.label,
            StakeholderGroup.colour,
            Post.text,
            Post.content_warning,
            Post.media_count,
            Post.created_at,
            func.coalesce(WallPost.status, W.pending),
        )
        .join(Author, Author.id == Post.author_id)
        .outerjoin(StakeholderGroup, StakeholderGroup.key == _group_key())
        .outerjoin(WallPost, WallPost.post_id == Post.id)
        .where(*where)
        .order_by(*order, Post.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def _wall_item(row) -> WallItem:
    return WallItem(
        row[0], row[2], row[3], row[4], row[5], safe_colour(row[6]), row[7], row[8], row[9] or 0, to_utc(row[10])
    )


def wall(
    session: Session, scope: Scope, now: datetime, blocklist: Blocklist, *, limit: int = 12, mode: str | None = None
) -> list[WallItem]:
    """The posts a public wall shows now, newest first: on a pre-moderated wall those approved (the
    latest approved first); on a post-moderated one those approved and, once ``delay`` has passed,
    those no moderator pulled and the blocklist does not hold."""
    mode = mode or moderation.mode(session)
    where = _eligible(session, scope, now)
    if mode == "pre":
        rows = _rows(session, [*where, WallPost.status == W.approved], [WallPost.decided_at.desc()], limit)
        return [_wall_item(r) for r in rows]
    shown_after = now - timedelta(seconds=moderation.delay_seconds(session))
    where.append(
        or_(
            WallPost.status == W.approved,
            and_(or_(WallPost.status.is_(None), WallPost.status == W.pending), Post.created_at <= shown_after),
        )
    )
    items: list[WallItem] = []
    for offset in range(0, SCAN_LIMIT, SCAN_BATCH):
        rows = _rows(session, where, [Post.created_at.desc()], SCAN_BATCH, offset)
        for row in rows:
            if row[11] == W.approved or held(blocklist, row[7], row[8]) is None:
                items.append(_wall_item(row))
                if len(items) == limit:
                    return items
        if len(rows) < SCAN_BATCH:
            break
    return items


def queue(
    session: Session,
    now: datetime,
    blocklist: Blocklist,
    tab: str = "incoming",
    *,
    scope: Scope = Scope(),
    limit: int = 40,
) -> list[QueueItem]:
    """The moderators' view of one tab (incoming, approved, pulled), newest first, each post with
    what the blocklist says of it. Posts hidden from the public are not offered at all."""
    where = _queue_where(session, now, scope)
    states = QUEUE_TABS[tab]
    if W.pending in states:
        where.append(or_(WallPost.status.is_(None), WallPost.status.in_(states)))
        order = [Post.created_at.desc()]
    else:
        where.append(WallPost.status.in_(states))
        order = [WallPost.decided_at.desc()]
    blocked = moderation.blocked_authors(session)
    return [
        QueueItem(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[7],
            r[8],
            r[9] or 0,
            to_utc(r[10]),
            r[11],
            held(blocklist, r[7], r[8]),
            r[1] in blocked,
        )  # fmt: skip
        for r in _rows(session, where, order, limit)
    ]


def _queue_where(session: Session, now: datetime, scope: Scope) -> list:
    where = [
        col(Post.collected).is_(True),
        col(Post.hidden).is_(False),
        Post.kind != PostKind.retweet,
        Post.created_at <= now,
        Post.author_id.is_not(None),
    ]
    ids = _session_ids(session, scope)
    if ids is not None:
        where.append(Post.session_id.in_(ids))
    return where


def counts(session: Session, now: datetime, scope: Scope = Scope()) -> dict[str, int]:
    """Posts per tab of the queue; incoming ones counted up to ``COUNT_CAP`` (the page says "1,000+"):
    they are most of the collection, and the Live page asks every few seconds."""
    where = _queue_where(session, now, scope)
    decided: dict[str, int] = dict(
        session.execute(
            select(WallPost.status, func.count())
            .join(Post, Post.id == WallPost.post_id)
            .where(*where, WallPost.status.in_([W.approved, W.pulled]))
            .group_by(WallPost.status)
        ).all()
    )
    waiting = select(Post.id).outerjoin(WallPost, WallPost.post_id == Post.id)
    waiting = waiting.where(*where, or_(WallPost.status.is_(None), WallPost.status == W.pending)).limit(COUNT_CAP)
    incoming = session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    return {"incoming": incoming, "approved": decided.get(W.approved, 0), "pulled": decided.get(W.pulled, 0)}


def announcements(session: Session, scope: Scope = Scope()) -> list[str]:
    """The texts of the announcements a wall shows, oldest first: every wall's, and its room's."""
    rooms = [""]
    room = scope.room
    if scope.session_key:
        room = session.scalar(select(AgendaSession.room).where(AgendaSession.key == scope.session_key))
    if room:
        rooms.append(room)
    return list(
        session.scalars(
            select(WallAnnouncement.text)
            .where(WallAnnouncement.withdrawn_at.is_(None), WallAnnouncement.room.in_(rooms))
            .order_by(WallAnnouncement.created_at, WallAnnouncement.id)
        )
    )


def active_announcements(session: Session) -> pd.DataFrame:
    """For moderators: every announcement on a wall now, with who set it."""
    rows = session.execute(
        select(
            WallAnnouncement.id,
            WallAnnouncement.text,
            WallAnnouncement.room,
            WallAnnouncement.created_by,
            WallAnnouncement.created_at,
        )
        .where(WallAnnouncement.withdrawn_at.is_(None))
        .order_by(WallAnnouncement.created_at, WallAnnouncement.id)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["id", "text", "room", "by", "at"])


def now_and_next(session: Session, now: datetime, scope: Scope = Scope()) -> tuple[Slot | None, Slot | None]:
    """The session running now and the next to start, in the wall's room (its session's room), breaks
    included (a wall between sessions says "Coffee break")."""
    where = []
    room = scope.room
    if scope.session_key:
        room = session.scalar(select(AgendaSession.room).where(AgendaSession.key == scope.session_key))
    if room:
        where.append(AgendaSession.room == room)
    running = session.scalars(
        select(AgendaSession)
        .where(*where, AgendaSession.starts_at <= now, AgendaSession.ends_at > now)
        .order_by(AgendaSession.kind == SessionKind.break_, AgendaSession.starts_at.desc())
        .limit(1)
    ).first()
    upcoming = session.scalars(
        select(AgendaSession)
        .where(*where, AgendaSession.starts_at > now)
        .order_by(AgendaSession.starts_at, AgendaSession.key)
        .limit(1)
    ).first()

    def slot(row: AgendaSession | None) -> Slot | None:
        if row is None:
            return None
        return Slot(
            row.key, row.kind, row.title, row.room, to_utc(row.starts_at), to_utc(row.ends_at), dict(row.titles or {})
        )

    return slot(running), slot(upcoming)


def blocked(session: Session) -> pd.DataFrame:
    """For moderators: the authors kept off the wall."""
    rows = session.execute(
        select(
            WallAuthorBlock.author_id,
            Author.platform,
            Author.handle,
            Author.display_name,
            WallAuthorBlock.blocked_by,
            WallAuthorBlock.reason,
            WallAuthorBlock.blocked_at,
        )
        .join(Author, Author.id == WallAuthorBlock.author_id)
        .order_by(WallAuthorBlock.blocked_at.desc())
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["author", "network", "handle", "name", "by", "reason", "at"])


def audit_log(session: Session, limit: int = 200) -> pd.DataFrame:
    """The wall's audit log, newest first."""
    rows = [
        {
            "at": to_utc(a.at),
            "moderator": a.actor,
            "action": a.action,
            "post": a.post_id,
            "author": a.author_id,
            "announcement": a.announcement_id,
            "reason": a.reason or "",
            "before": "; ".join(f"{k}: {v}" for k, v in a.before.items()),
            "after": "; ".join(f"{k}: {v}" for k, v in a.after.items()),
        }
        for a in session.scalars(select(WallAction).order_by(WallAction.at.desc(), WallAction.id.desc()).limit(limit))
    ]
    columns = ["at", "moderator", "action", "post", "author", "announcement", "reason", "before", "after"]
    return pd.DataFrame(rows, columns=columns)
