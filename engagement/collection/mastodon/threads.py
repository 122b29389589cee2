"""Replies and quotes across pages, passes and instances. No database here.

A status names its parent (``in_reply_to_id``) and a shallow quote its quoted status
(``quote.quoted_status_id``) by an id local to the instance that reported it: the normaliser
(normalise.py) resolves such an id only when the parent is in the same page. Everything else is
resolved here, for that instance, in this order:

1. ``Threads.known``: every status read on an instance in this process, by its local id there
   (a parent read on an earlier page or pass of the same instance);
2. a parent that comes later (a file written newest first, the next page of a timeline): the reply
   waits (``Threads.waiting``) and is given again, linked, with the batch that brings the parent;
   the store then fills the references of the stored reply (its version is unchanged);
3. ``fetch`` (``mastodon-poll``): ``GET /api/v1/statuses/:id`` on that same instance gives the
   parent, whose ``uri`` is the post on every instance; it is stored as context, so the reply links
   to a stored post and the conversation network counts it. The poll first asks the database
   whether the reply is stored linked already (``stored``), so a rescan does not ask again.

Both maps are bounded (``SIZE`` entries, the oldest forgotten first): at 100 bytes an entry, a few
tens of megabytes at most. A reply whose parent is never found stays unlinked (kind ``reply``, no
parent), as one whose parent was deleted is.
"""

from __future__ import annotations

import copy
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from engagement.collection.records import Batch, PostRecord, RecordError
from engagement.storage.models import PostKind

log = logging.getLogger("ingest.mastodon")

PLATFORM = "mastodon"
SIZE = 200_000  # local ids remembered per process, and replies waiting for their parent
REPLIED_TO, QUOTED = "replied_to", "quoted"


@dataclass(frozen=True)
class Known:
    """A status as stored: its network, post id (the uri), author id and thread."""

    platform: str
    post: str
    author: str | None
    conversation: str | None


@dataclass
class Reference:
    """A reference of ``record`` still to resolve: its kind and the referenced status's local id on
    ``instance``."""

    record: PostRecord
    kind: str
    local: str
    instance: str


def quote_of(status: dict) -> tuple[dict | None, str | None]:
    """An accepted 4.4+ quote: (the quoted status when given, its local id when only that is)."""
    quote = status.get("quote")
    if not isinstance(quote, dict) or quote.get("state", "accepted") != "accepted":
        return None, None
    quoted = quote.get("quoted_status")
    if isinstance(quoted, dict):
        quoted_id = quoted.get("id")
        return quoted, quoted_id if isinstance(quoted_id, str) else None
    quoted_id = quote.get("quoted_status_id")
    return None, quoted_id if isinstance(quoted_id, str) else None


def _local(status: Any) -> str | None:
    local = status.get("id") if isinstance(status, dict) else None
    return local if isinstance(local, str) and 0 < len(local) <= 64 else None


def references_of(record: PostRecord, instance: str) -> list[Reference]:
    """What ``record`` names by a local id and has not resolved: its parent, its quoted status."""
    raw = record.raw
    if record.platform != PLATFORM or not isinstance(raw, dict) or record.kind == PostKind.retweet:
        return []
    resolved = {reference.get("type") for reference in record.referenced}
    found = []
    parent = raw.get("in_reply_to_id")
    if isinstance(parent, str) and 0 < len(parent) <= 64 and REPLIED_TO not in resolved:
        found.append(Reference(record, REPLIED_TO, parent, instance))
    quoted, quoted_id = quote_of(raw)
    if quoted is None and quoted_id and len(quoted_id) <= 64 and QUOTED not in resolved:
        found.append(Reference(record, QUOTED, quoted_id, instance))
    return found


def link(record: PostRecord, kind: str, target: Known) -> bool:
    """Give ``record`` its reference to ``target``; False when it cannot be one (another network:
    a Bridgy Fed copy is the Bluesky post, which the reply on Mastodon does not join)."""
    if target.platform != record.platform or target.post == record.platform_id:
        return False
    if any(reference.get("type") == kind for reference in record.referenced):
        return True
    record.referenced = [*record.referenced, {"type": kind, "id": target.post}]
    if kind == REPLIED_TO:
        record.referenced_platform_id = target.post
        record.in_reply_to_user_id = target.author
        record.conversation_id = target.conversation or target.post
    elif record.kind == PostKind.quote:
        record.referenced_platform_id = target.post
    record.shaped = None
    return True


class Threads:
    """The local ids seen per instance, and the replies waiting for a parent not yet seen."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self.known: OrderedDict[tuple[str, str], Known] = OrderedDict()
        self.waiting: OrderedDict[tuple[str, str], list[tuple[str, PostRecord]]] = OrderedDict()
        # Local ids asked for and not had (a deleted parent): not asked again in this process.
        self.missing: set[tuple[str, str]] = set()

    def learn(self, instance: str, records: Iterable[PostRecord]) -> list[PostRecord]:
        """Note the records' local ids on ``instance``; returns the replies (and quotes) that were
        waiting for one of them, linked now, to be stored again (without counts: an old reading)."""
        again: list[PostRecord] = []
        for record in records:
            local = _local(record.raw)
            if local is None:
                continue
            known = Known(
                record.platform, record.platform_id, record.author_platform_id, record.conversation_id or None
            )
            self.known[(instance, local)] = known
            self.known.move_to_end((instance, local))
            for kind, waiting in self.waiting.pop((instance, local), []):
                link(waiting, kind, known)  # where it is not stored yet (the same batch of a file)
                linked = copy.copy(waiting)
                linked.referenced = list(waiting.referenced)
                linked.metrics_known = False
                if link(linked, kind, known):
                    again.append(linked)
        while len(self.known) > self.size:
            self.known.popitem(last=False)
        if len(self.missing) > self.size:
            self.missing.clear()
        return again

    def wait(self, reference: Reference) -> None:
        """Keep ``reference`` until its target's local id is learned."""
        key = (reference.instance, reference.local)
        self.waiting.setdefault(key, []).append((reference.kind, reference.record))
        self.waiting.move_to_end(key)
        while len(self.waiting) > self.size:
            self.waiting.popitem(last=False)

    def resolve(
        self,
        batch: Batch,
        instance: str,
        *,
        fetch: Callable[[str], Any] | None = None,
        stored: Callable[[list[str]], dict[str, dict[str, Any]]] | None = None,
    ) -> int:
        """Resolve the references of ``batch`` read on ``instance`` (see the module docstring); the
        parents fetched go into the batch as context. Returns how many statuses were fetched."""
        batch.posts += self.learn(instance, batch.posts)
        pending = [r for record in list(batch.posts) for r in references_of(record, instance)]
        unresolved = []
        for reference in pending:
            known = self.known.get((instance, reference.local))
            if known is None or not link(reference.record, reference.kind, known):
                unresolved.append(reference)
        if unresolved and stored is not None:
            unresolved = _from_database(unresolved, stored)
        fetched = 0
        for reference in unresolved:
            known = self.known.get((instance, reference.local))
            if known is None and fetch is not None:
                known = self._fetch(batch, instance, reference.local, fetch)
                fetched += 1
            if known is None:
                self.wait(reference)
            else:
                link(reference.record, reference.kind, known)
        return fetched

    def _fetch(self, batch: Batch, instance: str, local: str, fetch: Callable[[str], Any]) -> Known | None:
        from engagement.collection.mastodon.normalise import normalise_status  # it imports this module

        status = fetch(local)
        if status is None:
            return None
        try:
            parent = normalise_status(status, collected=False)
        except RecordError:
            return None
        if not parent.posts:
            return None
        batch.posts += parent.posts  # the caller says which instance they were read on
        batch.users += parent.users
        batch.renamed += parent.renamed
        self.learn(instance, parent.posts)
        return self.known.get((instance, local))


def _from_database(
    pending: list[Reference], stored: Callable[[list[str]], dict[str, dict[str, Any]]]
) -> list[Reference]:
    """Give each reply stored linked already its stored references (a rescan asks nothing again,
    and a newer edit read without its parent keeps them); returns the references still unresolved."""
    found = stored(sorted({reference.record.platform_id for reference in pending}))
    left = []
    for reference in pending:
        row = found.get(reference.record.platform_id)
        held = next((r for r in (row or {}).get("referenced") or [] if r.get("type") == reference.kind), None)
        if row is None or held is None:
            left.append(reference)
            continue
        record = reference.record
        known = Known(
            record.platform,
            held["id"],
            row.get("in_reply_to_user_id") if reference.kind == REPLIED_TO else None,
            row.get("conversation_id"),
        )
        link(record, reference.kind, known)
    return left
