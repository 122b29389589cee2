# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload, operator"
"""Why a post was collected, decided from the post itself against the event's terms — not from which
query happened to return it, so a twarc file, a replay and the live worker agree, and a post two
queries returned has one reason. The first that holds, in this order:

- ``own``: written by one of the event's accounts, whatever else it carries (the organiser speaking);
- ``hashtag``: carries one of the event's hashtags;
- ``reply``: replies to one of the event's accounts, without the hashtag;
- ``mention``: mentions one of them, without the hashtag;
- ``other``: none of these (collected under terms since changed, or from a file of another query).

A context post (only referenced by a collected one) has no reason. When the event's hashtags or
accounts change, ``reason_in_steps`` decides every stored post again.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache, partial

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from engagement.rules.event import NETWORKS, EventConfig, load_event
from engagement.storage import db
from engagement.storage.models import Author, Post, PostKind


@lru_cache(maxsize=1 << 16)
def fold(tag: str) -> str:
    """A hashtag as it is compared: NFKC then case folded, as Bluesky's normaliser folds a post's
    tags, so "#ＣＴＨＢ18" (full-width), "Straße" and "STRASSE" each match their plain form. Measured
    on the Jetstream benchmark's traffic: without NFKC, 250 of 5,059 hashtag posts were never kept.
    Remembered: an event's posts repeat few tags (the import's writer folded 43,000 tags of 50,000
    demo posts, 0.4 s of its CPU under the profiler)."""
    return unicodedata.normalize("NFKC", tag.lstrip("#＃")).casefold()


class Reason(StrEnum):
    own = "own"
    hashtag = "hashtag"
    reply = "reply"
    mention = "mention"
    other = "other"


# In the order the Analyse filter and the report list them.
REASONS = tuple(Reason)
PARTICIPANTS = tuple(r.value for r in REASONS if r is not Reason.own)


class Reasons:
    """The event's terms, and its accounts' user ids on each network as far as they are known."""

    def __init__(
        self,
        hashtags: Iterable[str],
        accounts: dict[str, Iterable[str]] | Iterable[str],
        account_ids: dict[str, Iterable[str]] | Iterable[str] = (),
    ):
        """``accounts`` and ``account_ids`` by network; a plain list is X's."""
        self.hashtags = frozenset(fold(tag) for tag in hashtags)
        accounts = accounts if isinstance(accounts, dict) else {"x": accounts}
        account_ids = account_ids if isinstance(account_ids, dict) else {"x": account_ids}
        self.accounts = {network: frozenset(h.lower() for h in handles) for network, handles in accounts.items()}
        self.account_ids = {network: set(ids) for network, ids in account_ids.items()}

    @classmethod
    def from_database(cls, session: Session, event: EventConfig | None = None) -> Reasons:
        event = event or load_event()
        accounts = {network: event.accounts_on(network) for network in NETWORKS}
        ids: dict[str, list[str]] = {network: [] for network in NETWORKS}
        every = [handle for handles in accounts.values() for handle in handles]
        if every:
            for network, user_id, handle in session.execute(
                select(Author.platform, Author.platform_user_id, func.lower(Author.handle)).where(
                    func.lower(Author.handle).in_(every)
                )
            ):
                if handle in accounts.get(network, ()):
                    ids[network].append(user_id)
        return cls(event.hashtags, accounts, ids)

    def learn(self, users: Iterable) -> None:
        """Note the user ids of the event's accounts among ``users`` (records with ``platform``,
        ``handle`` and ``platform_user_id``): a reply names the account it answers by id only."""
        for user in users:
            if user.handle and user.handle.lower() in self.accounts.get(user.platform, ()):
                self.account_ids.setdefault(user.platform, set()).add(user.platform_user_id)

    def of(self, record) -> str | None:
        """The reason for a post record (``platform``, ``collected``, ``author_platform_id``,
        ``hashtags``, ``in_reply_to_user_id``, ``mentions``); None for a context post."""
        if not record.collected:
            return None
        return self.decide(
            record.author_platform_id, record.hashtags, record.in_reply_to_user_id, record.mentions, record.platform
        )

    def decide(self, author_id, hashtags, in_reply_to_user_id, mentions, platform: str = "x") -> str:
        ids, accounts = self.account_ids.get(platform, set()), self.accounts.get(platform, frozenset())
        if author_id is not None and author_id in ids:
            return Reason.own
        if any(fold(tag) in self.hashtags for tag in hashtags or ()):
            return Reason.hashtag
        if in_reply_to_user_id is not None and in_reply_to_user_id in ids:
            return Reason.reply
        if any(handle.lstrip("@").lower() in accounts for handle in mentions or ()):
            return Reason.mention
        return Reason.other


def reposted(subject_reason: str | None) -> str | None:
    """The reason of a repost that carries nothing of its own (a Bluesky repost has no text), from
    the post it reposts: a repost of a hashtag post spreads the hashtag as an X retweet's "RT …"
    text does, and a repost of the organiser's own post amplifies the organiser (a mention, as
    "RT @osce_cthb" is on X). None when the reposted post gives it no reason."""
    if subject_reason in (None, Reason.other):
        return None
    return Reason.mention if subject_reason == Reason.own else subject_reason


def reason_all(session: Session, reasons: Reasons) -> int:
    """Decide every stored post's reason again in the caller's transaction; returns how many changed.
    (At scale, ``reason_in_steps``.)"""
    changed = _reason_after(session, reasons, 0)[0]
    return changed + _reason_after(session, reasons, 0, reposts_only=True)[0]


def reason_in_steps(url: str | None = None, event: EventConfig | None = None, seconds: float = db.STEP_SECONDS) -> int:
    """``reason_all`` as a series of short transactions (``db.in_steps``), with the event's terms as
    they are when it starts, so that participants' writes never wait long behind it. Reposts are
    decided once more after every post: a repost's reason follows the post it reposts, which may be
    stored after it or change later in the same pass."""
    with db.reading(url) as session:
        reasons = Reasons.from_database(session, event)
    changed = 0
    for reposts_only in (False, True):
        changed += db.in_steps(url, partial(_step, reasons=reasons, reposts_only=reposts_only), seconds)
    return changed


def _step(session: Session, after: int, deadline: float, *, reasons: Reasons, reposts_only: bool):
    return _reason_after(session, reasons, after, deadline, reposts_only)


def _reason_after(
    session: Session,
    reasons: Reasons,
    last_id: int,
    deadline: float | None = None,
    reposts_only: bool = False,
    batch: int = 5000,
) -> tuple[int, int | None]:
    """Posts (or only reposts) after ``last_id`` until ``deadline`` (``time.monotonic``) passes: how
    many changed, and the last post done (``None``: all are)."""
    # Its turn first, as every writer of counted data: a reason moves posts between the rollups' rows,
    # and the timeless ones (revision 0022) are the rows a worker's batch of new posts writes too.
    db.take_turns_counting(session)
    author = select(Author.platform_user_id).where(Author.id == Post.author_id).scalar_subquery()
    subject = aliased(Post)
    subject_reason = (
        select(subject.reason)
        .where(subject.platform == Post.platform, subject.platform_id == Post.referenced_platform_id)
        .scalar_subquery()
    )
    table = Post.__table__
    statement = update(table).where(table.c.id == bindparam("_id")).values(reason=bindparam("reason"))
    changed = 0
    while True:
        rows = session.execute(
            select(
                Post.id,
                Post.collected,
                Post.reason,
                author,
                Post.hashtags,
                Post.in_reply_to_user_id,
                Post.mentions,
                Post.platform,
                Post.kind,
                subject_reason,
            )
            .where(Post.id > last_id, *([Post.kind == PostKind.retweet] if reposts_only else []))
            .order_by(Post.id)
            .limit(batch)
        ).all()
        if not rows:
            return changed, None
        updates = []
        for post_id, collected, stored, author_id, hashtags, reply_to, mentions, platform, kind, of_subject in rows:
            reason = reasons.decide(author_id, hashtags, reply_to, mentions, platform) if collected else None
            if reason == Reason.other and kind == PostKind.retweet:
                reason = reposted(of_subject) or reason
            if reason != stored:
                updates.append({"_id": post_id, "reason": reason})
        if updates:
            session.execute(statement, updates)
        changed += len(updates)
        last_id = rows[-1][0]
        if deadline is not None and time.monotonic() >= deadline:
            return changed, last_id
