"""Plain records of posts and their authors, the same for every network: what each network's
normaliser returns and the store writes. No database here.

Ids are the network's own stable ones: X's numeric ids, Bluesky's at:// URIs and DIDs. ``kind`` is
in neutral words (``PostKind``: a retweet is X's word for a repost). ``mentions`` are handles,
``hashtags`` tags without '#', as the posts carry them.

They are ``msgspec`` structs, not dataclasses: a file import hands them from its reading process to
the writer as MessagePack arrays (``jsonl.encode_chunk``), decoded in C straight into these types.
Pickled dataclasses cost the writer ≈ 57 µs a post to unpickle (2.86 s per 50,000 demo posts) and the
reader ≈ 39 µs to pickle; see docs/performance.md for the figures after. ``gc=False``: a record
never refers back to itself, so the cyclic collector need not track the millions an import makes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class UserRecord(msgspec.Struct, array_like=True, gc=False):
    platform_user_id: str
    handle: str | None
    display_name: str | None
    bio: str | None
    location: str | None
    followers: int | None
    verified: bool | None
    platform: str = "x"  # the network: "x", "bluesky", "mastodon"
    # Set where an import classifies profiles in its reading process (``store.classify_new``): the
    # (group, source, organisation) this profile gets as a new author's, which the writer then
    # need not work out again.
    classified: tuple[str, str, str | None] | None = None


class PostRecord(msgspec.Struct, array_like=True, gc=False):
    # The logical post: on X the first id of the edit history, on Bluesky the at:// URI, on Mastodon
    # the status uri (its ActivityPub id, the same on every instance).
    platform_id: str
    # The newest version seen: X's edit id; on Mastodon the last edit's time in microseconds (digits,
    # so ``store.newer`` compares them); equal to platform_id where posts are not edited (Bluesky).
    current_id: str
    author_platform_id: str | None
    created_at: datetime
    text: str
    language: str | None
    kind: str
    referenced: list[dict[str, str]]
    referenced_platform_id: str | None
    in_reply_to_user_id: str | None
    conversation_id: str | None
    hashtags: list[str]
    mentions: list[str]
    urls: list[str]
    media_count: int
    retweets: int
    replies: int
    likes: int
    quotes: int
    impressions: int | None
    collected: bool
    raw: dict[str, Any] | str  # a JSON string once an importer has serialised it
    # Set by ``store.shape`` where the import prepares rows away from the database writer: the row
    # (``store.SHAPED_COLUMNS``) and the entities.
    shaped: tuple[tuple[Any, ...], list[tuple[str, str]]] | None = None
    platform: str = "x"  # the network: "x", "bluesky", "mastodon"
    # False where the source says nothing of the counts (a Jetstream record): they must not overwrite
    # counts read elsewhere.
    metrics_known: bool = True
    # Its author asked that it not be shown to people who are not signed in (Bluesky's
    # !no-unauthenticated label): counted everywhere, shown on no public page or report.
    hidden: bool = False
    # The warning the author put before the text (Mastodon's ``spoiler_text``), as plain text; None
    # where there is none. Kept beside the text, not in it: it is not what the post says.
    content_warning: str | None = None
    # The instance a Mastodon copy was read on (its domain), where a poll knows it; None for an
    # import. Counts read away from the post's origin only ever raise the stored ones (store.py).
    instance: str | None = None


class Rejection(msgspec.Struct, array_like=True):
    location: str  # within the source line, e.g. "data[3]"; may be empty for the whole line
    reason: str
    raw: Any


class Batch(msgspec.Struct, array_like=True):
    posts: list[PostRecord] = msgspec.field(default_factory=list)
    users: list[UserRecord] = msgspec.field(default_factory=list)
    rejected: list[Rejection] = msgspec.field(default_factory=list)
    api_errors: list[dict[str, Any]] = msgspec.field(default_factory=list)
    # Posts the source says their authors deleted, (platform, platform id): the store forgets them.
    deleted: list[tuple[str, str]] = msgspec.field(default_factory=list)
    # Handles the source says changed, (platform, user id, handle): a Bluesky identity event.
    renamed: list[tuple[str, str, str]] = msgspec.field(default_factory=list)
    newest_id: str | None = None
    next_token: str | None = None
    retrieved_at: datetime | None = None


class RecordError(ValueError):
    """A record that cannot be stored; the message is the reason kept with it."""


# Counts are stored as 32-bit integers (PostgreSQL's INTEGER); a larger one saturates there rather
# than failing the whole page.
COUNT_MAX = 2**31 - 1


def count_or_none(value: Any) -> int | None:
    """A count as stored: None for what is no count (a string, a negative number, a bool), a huge
    one saturated at ``COUNT_MAX``."""
    if type(value) is int and 0 <= value <= COUNT_MAX:
        return value  # the usual case, first
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return None
    return min(value, COUNT_MAX)


def count(counts: dict, name: str) -> int:
    """``counts[name]`` as a count, 0 when missing or unusable."""
    return count_or_none(counts.get(name, 0)) or 0
