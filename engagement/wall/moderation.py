# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload"
"""What moderators do to the social wall. Every action is checked inside the write transaction (the
post's row is locked first, so two moderators acting at once cannot both win on a stale view) and
audited in ``wall_action``: who, what, when, the state before and after.

Two modes (``MODE`` in the ``setting`` table, ``pre`` by default):

- **pre-moderated**: a post reaches the wall only when a moderator approves it;
- **post-moderated**: every matching post reaches it ``delay`` seconds after it was posted, unless the
  Q&A blocklist (or a content warning) holds it for a moderator; a moderator can pull one at any time.

A post hidden from the public (``post.hidden``) cannot be approved, nor one whose author is blocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from engagement.qa.asking import clean
from engagement.qa.states import IllegalTransition
from engagement.storage import flags
from engagement.storage.models import Author, Post, WallAction, WallAnnouncement, WallAuthorBlock, WallPost
from engagement.storage.models import WallStatus as W
from engagement.timeutil import utcnow

MODE = "wall_mode"
DELAY = "wall_delay_seconds"
MODES = ("pre", "post")
# Post-moderated: long enough for a moderator watching the queue to pull a post before the hall
# sees it; short enough that the wall still feels live.
DEFAULT_DELAY_SECONDS = 60
MAX_DELAY_SECONDS = 3600
MAX_ANNOUNCEMENT_CHARS = 280

# action -> (states it applies to, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({W.pending, W.pulled}), W.approved),
    "pull": (frozenset({W.pending, W.approved}), W.pulled),
    "restore": (frozenset({W.approved, W.pulled}), W.pending),
}


class WallRefused(IllegalTransition):
    """The action does not apply (the post went, its state moved on, it is hidden or its author blocked)."""


def _actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise ValueError("an action needs the moderator's name for the audit log")
    return actor


def _audit(session: Session, actor: str, action: str, *, now: datetime, reason: str | None = None, **what) -> None:
    before, after = what.pop("before", {}), what.pop("after", {})
    session.add(WallAction(actor=actor, action=action, reason=reason, before=before, after=after, at=now, **what))


def status(session: Session, post_id: int) -> str:
    """A post's state on the wall (``pending`` when no moderator has decided)."""
    row = session.get(WallPost, post_id)
    return row.status if row else W.pending


def act(
    session: Session, post_id: int, action: str, actor: str, *, reason: str | None = None, now: datetime | None = None
) -> str:
    """Approve, pull or restore one post, audited; returns its new state."""
    now = now or utcnow()
    actor = _actor(actor)
    if action not in TRANSITIONS:
        raise ValueError(f"unknown wall action {action!r}")
    # Locking the post serialises every decision on it (FOR UPDATE on PostgreSQL; SQLite's write
    # transactions already run one at a time), its wall row included, which may not exist yet.
    post = session.get(Post, post_id, with_for_update=True, populate_existing=True)
    if post is None:
        raise WallRefused("that post no longer exists (its author may have deleted it)")
    row = session.get(WallPost, post_id, populate_existing=True)
    current = row.status if row else W.pending
    allowed, leads_to = TRANSITIONS[action]
    if current not in allowed:
        raise WallRefused(f"cannot {action} a post that is {current}")
    if action == "approve":
        if post.hidden:
            raise WallRefused("its author asked that it not be shown to people who are not signed in")
        if not post.collected:
            raise WallRefused("it was not collected for the event (only referenced by a post that was)")
        if post.author_id is not None and session.get(WallAuthorBlock, post.author_id) is not None:
            raise WallRefused("its author is blocked from the wall")
    if row is None:
        row = WallPost(post_id=post_id, status=leads_to, decided_by=actor, decided_at=now)
        session.add(row)
    else:
        row.status, row.decided_by, row.decided_at = leads_to, actor, now
    _audit(
        session,
        actor,
        action,
        now=now,
        reason=reason,
        post_id=post_id,
        author_id=post.author_id,
        before={"status": current},
        after={"status": leads_to},
    )
    session.flush()
    return leads_to


def act_many(
    session: Session, post_ids: Iterable[int], action: str, actor: str, *, now: datetime | None = None
) -> tuple[list[int], list[tuple[int, str]]]:
    """A bulk action: each post on its own terms. Returns (done, [(refused post, why)])."""
    done, refused = [], []
    for post_id in dict.fromkeys(post_ids):
        try:
            with session.begin_nested():
                act(session, post_id, action, actor, now=now)
            done.append(post_id)
        except WallRefused as error:
            refused.append((post_id, str(error)))
    return done, refused


def block_author(session: Session, author_id: int, actor: str, reason: str = "", now: datetime | None = None) -> None:
    """Keep every post of an author off the wall, those already approved included."""
    now = now or utcnow()
    actor = _actor(actor)
    if session.get(Author, author_id) is None:
        raise WallRefused("that author is not stored")
    if session.get(WallAuthorBlock, author_id, with_for_update=True) is not None:
        raise WallRefused("that author is already blocked")
    session.add(WallAuthorBlock(author_id=author_id, blocked_by=actor, reason=reason.strip(), blocked_at=now))
    _audit(
        session,
        actor,
        "block_author",
        now=now,
        reason=reason.strip() or None,
        author_id=author_id,
        before={"blocked": False},
        after={"blocked": True},
    )
    session.flush()


def unblock_author(session: Session, author_id: int, actor: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    actor = _actor(actor)
    block = session.get(WallAuthorBlock, author_id, with_for_update=True)
    if block is None:
        raise WallRefused("that author is not blocked")
    session.delete(block)
    _audit(
        session,
        actor,
        "unblock_author",
        now=now,
        author_id=author_id,
        before={"blocked": True},
        after={"blocked": False},
    )
    session.flush()


def announce(session: Session, text: str, actor: str, room: str = "", now: datetime | None = None) -> WallAnnouncement:
    """Words of the moderators' own, shown between posts on every wall (``room`` "") or on one room's."""
    now = now or utcnow()
    actor = _actor(actor)
    words = clean(text, MAX_ANNOUNCEMENT_CHARS, "announcement")
    if not words:
        raise ValueError("an announcement needs some text")
    announcement = WallAnnouncement(text=words, room=room.strip(), created_by=actor, created_at=now)
    session.add(announcement)
    session.flush()
    _audit(
        session,
        actor,
        "announce",
        now=now,
        announcement_id=announcement.id,
        after={"text": words, "room": announcement.room},
    )
    session.flush()
    return announcement


def withdraw(session: Session, announcement_id: int, actor: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    actor = _actor(actor)
    announcement = session.get(WallAnnouncement, announcement_id, with_for_update=True)
    if announcement is None or announcement.withdrawn_at is not None:
        raise WallRefused("that announcement is not on the wall")
    announcement.withdrawn_at = now
    _audit(
        session,
        actor,
        "withdraw",
        now=now,
        announcement_id=announcement_id,
        before={"text": announcement.text, "room": announcement.room},
    )
    session.flush()


def mode(session: Session) -> str:
    """``pre`` (a moderator approves each post) or ``post`` (posts appear after the delay unless held)."""
    value = flags.get(session, MODE)
    return value if value in MODES else "pre"


def delay_seconds(session: Session) -> int:
    value = flags.get(session, DELAY)
    return int(value) if value and value.isdigit() else DEFAULT_DELAY_SECONDS


def configure(
    session: Session, actor: str, *, new_mode: str | None = None, delay: int | None = None, now: datetime | None = None
) -> None:
    """Change the wall's mode or delay, audited."""
    now = now or utcnow()
    actor = _actor(actor)
    before = {"mode": mode(session), "delay": delay_seconds(session)}
    if new_mode is not None:
        if new_mode not in MODES:
            raise ValueError(f"the wall's mode is one of {', '.join(MODES)}, not {new_mode!r}")
        flags.put(session, MODE, new_mode)
    if delay is not None:
        if not 0 <= delay <= MAX_DELAY_SECONDS:
            raise ValueError(f"the delay is between 0 and {MAX_DELAY_SECONDS} seconds")
        flags.put(session, DELAY, str(int(delay)))
    session.flush()
    after = {"mode": mode(session), "delay": delay_seconds(session)}
    if after != before:
        changed = [k for k in before if before[k] != after[k]]
        _audit(
            session,
            actor,
            "configure",
            now=now,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        session.flush()


def blocked_authors(session: Session) -> set[int]:
    return set(session.scalars(select(WallAuthorBlock.author_id)))
