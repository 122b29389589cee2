"""Bluesky live: the event's posts from Jetstream v1, committed in small batches with the resume point.

Three parts, kept apart as twarc keeps its client, its policy and its output apart:

- the client: ``subscribe_url`` and ``read_frames``, one websocket (the ``websockets`` library's
  sync client: ping/pong, close codes and timeouts are its job);
- the policy: ``run_stream`` connects to ``JETSTREAM_URL``'s endpoints in turn, moves to the next
  one when a connection is refused, dropped or stalls (no frame for ``JETSTREAM_STALL_S``), and
  backs off once every endpoint has failed in a row;
- the storing: ``Pending`` keeps what a batch holds and ``commit_batch`` writes it in one
  transaction with the resume point.

Jetstream carries every post of the network; we keep the posts that carry one of the event's
hashtags or whose author, mentions or reply is one of the event's Bluesky accounts, the reposts of
stored collected posts and the deletes of stored posts. The resume point is the ``time_us`` of the
last frame read, kept or not, so that a restart does not read the ignored traffic again; a start
rewinds it by ``REWIND_US`` (at least once: the store is idempotent on the post's URI).

Jetstream records carry neither counts nor profiles: authors are stored as placeholders (DID
only). After each commit the batch's posts are hydrated once through the AppView
(``hydrate.hydrate_new``: getPosts, getProfiles; ``BLUESKY_APPVIEW_URL``, ``off`` for none); what
that attempt misses is left to ``ingest bsky-hydrate``, so a slow AppView never stalls the stream.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session
from sqlmodel import Session as SQLModelSession
from sqlmodel import col, select
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from engagement import settings
from engagement.collection.bluesky.hydrate import hydrate_new
from engagement.collection.bluesky.normalise import PLATFORM, POST, REPOST, Deletion, normalise_jetstream
from engagement.collection.jsonl import parse_line
from engagement.collection.records import PostRecord, RecordError, UserRecord
from engagement.collection.store import StoreCounts, forget_posts, rename_authors, store_posts
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import EventConfig, load_event
from engagement.rules.reasons import Reason, Reasons
from engagement.storage import db, runs
from engagement.storage.models import Author, Post, PostKind

log = logging.getLogger("ingest.bluesky")

SOURCE = "bsky-stream"
WANTED_COLLECTIONS = (POST, REPOST)
# Jetstream's time_us is the time each instance received the event from the relay: two instances
# differ by up to a few seconds for the same event, so a resume point read from one host and used on
# another could skip what arrived in between. Rewinding 5 s rereads a few hundred posts at most
# (posts and reposts together run at tens a second), which the idempotent store merges.
REWIND_US = 5_000_000
# A batch commits after this many kept events or this many seconds, whichever comes first: 100 rows
# is one short store transaction; half a second, not one, because the Live page refreshes every 5 s
# and a post must be counted within the refresh and one second: at 1.0 s the benchmark's worst case
# was 6.1 s (bench/results.md, "Bluesky stream").
BATCH_EVENTS = 100
BATCH_SECONDS = 0.5
# recv() waits at most this long, so that a stop or a batch's second is seen promptly.
POLL_SECONDS = 0.25
# After every endpoint has failed in a row: 1, 2, 4 … seconds, at most 30 (a host restarting takes
# tens of seconds; hammering it sooner only adds to its load).
BACKOFF_FIRST, BACKOFF_CAP = 1.0, 30.0
OPEN_TIMEOUT = 10.0
# A record is at most 1 MiB as CBOR, a little more as JSON with its envelope; the library's default
# limit (1 MiB) would close the connection on such a frame, and every rewound reconnect would meet
# it again. 4 MiB leaves room without letting a broken server fill memory.
MAX_FRAME_BYTES = 4 * 2**20


class Stalled(Exception):
    """No frame for longer than the stall limit on an open connection."""


@dataclass
class StreamResult:
    """What a run did, for its IngestRun row."""

    frames: int = 0
    kept: int = 0
    deleted: int = 0
    rejected: int = 0
    connections: int = 0
    reconnects: int = 0
    batches: int = 0
    store: StoreCounts = field(default_factory=StoreCounts)
    complete: bool = False
    last_time_us: int | None = None  # the resume point this run committed last
    hydrated: int = 0  # posts given their counts and profile by the AppView after their commit
    hydration_failures: int = 0  # AppView calls that failed: those posts wait for bsky-hydrate

    def counts(self) -> dict[str, int]:
        return {
            "frames": self.frames,
            "kept": self.kept,
            "deleted": self.deleted,
            **self.store.as_dict(),
            "rejected": self.rejected,
            "connections": self.connections,
            "reconnects": self.reconnects,
            "batches": self.batches,
            "hydrated": self.hydrated,
            "hydration_failures": self.hydration_failures,
        }


@dataclass
class Matcher:
    """Which posts are the event's: those the event's ``Reasons`` give a reason other than ``other``
    (one of its hashtags; one of its Bluesky accounts as author, reply or mention), so the stream
    keeps exactly what the store will call collected. Records name authors by DID and mentions by
    handle; the accounts' DIDs are learnt from stored authors (``Reasons.from_database``) and from
    identity events (resolving a handle over the network is not done here)."""

    reasons: Reasons

    @classmethod
    def from_database(cls, session: SQLModelSession, event: EventConfig) -> Matcher:
        return cls(Reasons.from_database(session, event))

    @property
    def hashtags(self) -> frozenset[str]:
        return self.reasons.hashtags

    @property
    def handles(self) -> frozenset[str]:
        return self.reasons.accounts.get(PLATFORM, frozenset())

    def is_account(self, user: UserRecord) -> bool:
        return user.handle is not None and user.handle.lower() in self.handles

    def learn_handles(self, announced: Iterable[UserRecord]) -> None:
        self.reasons.learn(announced)

    def matches(self, post: PostRecord) -> bool:
        return self.reasons.of(post) not in (None, Reason.other)


@dataclass
class Pending:
    """What has been read since the last commit."""

    posts: list[PostRecord] = field(default_factory=list)
    reposts: list[PostRecord] = field(default_factory=list)  # of any post: the store tells which count
    deletions: list[Deletion] = field(default_factory=list)
    # Handles announced for the event's own accounts: stored, so that their posts are the organiser's.
    renamed: list[UserRecord] = field(default_factory=list)
    # Every other handle announced: applied to the authors already stored, the rest ignored (the
    # network announces a few a second, nearly all of people who never post with the hashtag).
    identities: list[UserRecord] = field(default_factory=list)
    rejected: list[tuple[str, str, Any]] = field(default_factory=list)  # (location, reason, raw)
    time_us: int | None = None  # the newest frame read (a rewound reconnect rereads older ones)
    frames: int = 0
    first_read: float = 0.0  # time.monotonic() of the batch's first frame

    def due(self, now: float) -> bool:
        # Reposts are counted before the store tells which to keep: they bound what is held in memory.
        if len(self.posts) + len(self.reposts) >= BATCH_EVENTS:
            return True
        return self.frames > 0 and now - self.first_read >= BATCH_SECONDS


def subscribe_url(base: str, cursor: int | None) -> str:
    """The endpoint's URL asking for posts and reposts, from ``cursor`` (microseconds) when given."""
    params: list[tuple[str, str | int]] = [("wantedCollections", name) for name in WANTED_COLLECTIONS]
    if cursor is not None:
        params.append(("cursor", cursor))
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"


def load_cursor(url: str | None) -> int | None:
    """The stored resume point's time_us, or None when the stream has never committed."""
    with db.reading(url) as session:
        raw = runs.checkpoint(session, SOURCE)
    if not raw:
        return None
    value = json.loads(raw).get("time_us")
    return value if isinstance(value, int) else None


@dataclass
class Position:
    """Where the stream is, for naming a rejected frame: the time_us of the frame before it and how
    many unreadable frames have come since. A rewound reconnect rereads a bad frame under the same
    name, which ``runs.reject`` keeps once."""

    previous_time_us: int | None = None
    unreadable_since: int = 0

    def name(self, time_us: int | None) -> str:
        if time_us is not None:
            return f"time_us {time_us}"
        self.unreadable_since += 1
        return f"after time_us {self.previous_time_us} +{self.unreadable_since}"

    def read(self, time_us: int) -> None:
        self.previous_time_us, self.unreadable_since = time_us, 0


def read_frame(text: str | bytes, pending: Pending, matcher: Matcher, position: Position) -> None:
    """One frame into ``pending``: kept posts, candidate reposts, deletions, or its rejection."""
    if pending.frames == 0:
        pending.first_read = time.monotonic()
    pending.frames += 1
    try:
        # The importers' parser: orjson first (the stream's hot path), and what it refuses told
        # apart, so a lone surrogate is kept aside instead of failing every commit from here on.
        event = parse_line(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    except RecordError as error:
        raw = text if isinstance(text, str) else text.decode("utf-8", "replace")
        reason = str(error) if "surrogate" in str(error) else f"frame is not JSON: {error}"
        pending.rejected.append((position.name(None), reason, raw))
        return
    result = normalise_jetstream(event)
    for rejection in result.batch.rejected:
        pending.rejected.append((position.name(result.time_us), rejection.reason, rejection.raw))
    if result.time_us is not None:
        position.read(result.time_us)
        # Never backwards: after a reconnect rewound by REWIND_US the frames are older than the last read.
        pending.time_us = max(result.time_us, pending.time_us or 0)
    matcher.learn_handles(result.handles)
    for user in result.handles:
        if user.handle:
            (pending.renamed if matcher.is_account(user) else pending.identities).append(user)
    for post in result.batch.posts:
        if post.kind == PostKind.retweet:
            pending.reposts.append(post)
        elif matcher.matches(post):
            pending.posts.append(post)
    pending.deletions.extend(result.deletions)


def stored_collected(session: Session, uris: Iterable[str]) -> set[str]:
    wanted = sorted(set(uris))
    if not wanted:
        return set()
    statement = select(Post.platform_id).where(
        Post.platform == PLATFORM, col(Post.platform_id).in_(wanted), col(Post.collected).is_(True)
    )
    return set(session.scalars(statement))


def stored_authors(session: Session, dids: Iterable[str]) -> set[str]:
    wanted = sorted(set(dids))
    if not wanted:
        return set()
    statement = select(Author.platform_user_id).where(
        Author.platform == PLATFORM, col(Author.platform_user_id).in_(wanted)
    )
    return set(session.scalars(statement))


def stored(session: Session, uris: Iterable[str]) -> set[str]:
    wanted = sorted(set(uris))
    if not wanted:
        return set()
    statement = select(Post.platform_id).where(Post.platform == PLATFORM, col(Post.platform_id).in_(wanted))
    return set(session.scalars(statement))


def commit_batch(pending: Pending, *, url: str | None, result: StreamResult, context: list) -> list[str]:
    """Store ``pending`` in one transaction with the resume point: kept posts, the reposts of stored
    collected posts (this batch's included), the deletes of stored posts, the rejected frames.
    Returns the URIs of the posts and reposts stored."""
    if pending.frames == 0:
        return []
    if pending.time_us is not None and result.last_time_us is not None:
        pending.time_us = max(pending.time_us, result.last_time_us)

    def write() -> tuple[StoreCounts, list[str], int, int]:
        with db.writing(url) as session:
            if not context:
                event = load_event()
                context.extend(
                    (
                        Classifier.from_database(session),
                        Attributor.from_database(session, event.grace),
                        Reasons.from_database(session, event),
                    )
                )
            classifier, attributor, reasons = context
            known = stored_authors(session, (u.platform_user_id for u in pending.identities))
            announced = pending.renamed + [u for u in pending.identities if u.platform_user_id in known]
            if announced:
                renamed = [(PLATFORM, u.platform_user_id, u.handle or "") for u in announced]
                rename_authors(session, renamed, classifier, reasons)
            known = stored_collected(session, (r.referenced_platform_id or "" for r in pending.reposts))
            known |= {post.platform_id for post in pending.posts}
            reposts = [r for r in pending.reposts if r.referenced_platform_id in known]
            posts = pending.posts + reposts
            counts = StoreCounts()
            if posts:
                counts = store_posts(session, posts, [], classifier=classifier, attributor=attributor, reasons=reasons)
            gone = stored(session, (d.uri for d in pending.deletions))
            deleted = forget_posts(session, [(PLATFORM, uri) for uri in sorted(gone)]) if gone else 0
            # A frame reread after a rewound reconnect is already kept: counted once.
            rejected = sum(runs.reject(session, SOURCE, *item) for item in pending.rejected)
            if pending.time_us is not None:
                runs.save_checkpoint(session, SOURCE, json.dumps({"time_us": pending.time_us}))
            return counts, [post.platform_id for post in posts], deleted, rejected

    counts, kept, deleted, rejected = db.retry_locked(write)
    result.store.add(counts)
    result.kept += len(kept)
    result.deleted += deleted
    result.rejected += rejected
    result.frames += pending.frames
    result.batches += 1
    if pending.time_us is not None:
        result.last_time_us = pending.time_us
    return kept


@dataclass
class Stopping:
    """The stream's stop and wait as one ``Stopper`` (what the XRPC caller takes)."""

    stop: Callable[[], bool]
    wait: Callable[[float], None] = time.sleep

    def __call__(self) -> bool:
        return self.stop()


@dataclass
class Batches:
    """The batch being read and how to commit it: shared by the reading loop and the policy, so that
    a connection that fails keeps what it read for the next one to commit."""

    url: str | None
    result: StreamResult
    pending: Pending = field(default_factory=Pending)
    position: Position = field(default_factory=Position)
    context: list[Any] = field(default_factory=list)  # classifier, attributor, reasons: built once
    appview: str | None = None  # hydrate what each commit stored; None: leave it to bsky-hydrate
    stopping: Stopping | None = None
    hydration_context: list[Any] = field(default_factory=list)

    def flush(self) -> None:
        kept = commit_batch(self.pending, url=self.url, result=self.result, context=self.context)
        self.pending = Pending()
        if kept and self.appview:
            stopping = self.stopping or Stopping(lambda: False)
            done = hydrate_new(self.url, self.appview, kept, stopping, self.hydration_context)
            self.result.hydrated += done.posts_hydrated
            self.result.hydration_failures += done.failed_calls

    def resume_point(self, stored_cursor: int | None) -> int | None:
        """The time_us of the last frame read: pending, committed by this run, or stored before it."""
        candidates = (self.pending.time_us, self.result.last_time_us, stored_cursor)
        return next((t for t in candidates if t is not None), None)


def read_frames(
    connection: ClientConnection,
    *,
    batches: Batches,
    matcher: Matcher,
    stop: Callable[[], bool],
    stall_seconds: float,
) -> None:
    """Read frames until ``stop``, committing each batch when due; raises ``Stalled`` after
    ``stall_seconds`` without a frame, and the library's ``ConnectionClosed`` when the server drops
    the connection."""
    last_frame = time.monotonic()
    while not stop():
        try:
            text = connection.recv(timeout=POLL_SECONDS)
        except TimeoutError:
            now = time.monotonic()
            if now - last_frame > stall_seconds:
                raise Stalled(f"no frame for {now - last_frame:.0f} s") from None
        else:
            last_frame = time.monotonic()
            read_frame(text, batches.pending, matcher, batches.position)
        if batches.pending.due(time.monotonic()):
            batches.flush()


def run_stream(
    *,
    urls: list[str],
    url: str | None,
    stop: Callable[[], bool],
    wait: Callable[[float], None],
    stall_seconds: float,
    appview: str | None = None,
) -> StreamResult:
    """Read Jetstream until ``stop``, failing over between ``urls``; commit what is read, then return."""
    result = StreamResult()
    with db.reading(url) as session:
        matcher = Matcher.from_database(session, load_event())
    stored_cursor = load_cursor(url)
    cursor = None if stored_cursor is None else max(0, stored_cursor - REWIND_US)
    log.info(
        "%s: hashtags %s, accounts %s; %s",
        SOURCE,
        ", ".join(sorted(matcher.hashtags)),
        ", ".join(sorted(matcher.handles)) or "none",
        f"resuming from time_us {cursor}" if cursor is not None else "from now (no resume point)",
    )
    result.last_time_us = stored_cursor  # the resume point never moves back, even over the rewind
    batches = Batches(url=url, result=result, appview=appview, stopping=Stopping(stop, wait))
    index, failures_in_a_row, backoff = 0, 0, BACKOFF_FIRST
    while not stop():
        base = urls[index % len(urls)]
        frames_before = result.frames + batches.pending.frames
        try:
            endpoint = subscribe_url(base, cursor)
            with connect(endpoint, open_timeout=OPEN_TIMEOUT, close_timeout=2, max_size=MAX_FRAME_BYTES) as connection:
                result.connections += 1
                log.info("%s: connected to %s%s", SOURCE, shown(base), f" from time_us {cursor}" if cursor else "")
                read_frames(connection, batches=batches, matcher=matcher, stop=stop, stall_seconds=stall_seconds)
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed, Stalled) as error:
            if result.frames + batches.pending.frames > frames_before:
                failures_in_a_row, backoff = 0, BACKOFF_FIRST  # this endpoint worked for a while
            failures_in_a_row += 1
            result.reconnects += 1
            log.warning("%s: %s: %s; trying the next endpoint", SOURCE, shown(base), settings.redact(describe(error)))
            index += 1
        # From the last frame read, rewound: the next host's time_us for the same event may differ.
        last = batches.resume_point(stored_cursor)
        cursor = None if last is None else max(0, last - REWIND_US)
        if failures_in_a_row and failures_in_a_row % len(urls) == 0 and not stop():
            log.warning("%s: every endpoint failed; waiting %.0f s", SOURCE, backoff)
            batches.flush()
            wait(backoff)
            backoff = min(BACKOFF_CAP, backoff * 2)
    batches.flush()
    result.complete = True
    log.info("%s: stopped; %s", SOURCE, json.dumps(result.counts()))
    return result


def shown(endpoint: str) -> str:
    """An endpoint as logs and run rows show it: without user info or query, where a self-hosted
    Jetstream behind a proxy may carry a token (``wss://user:token@host/subscribe?key=…``)."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def describe(error: BaseException) -> str:
    if isinstance(error, ConnectionClosed):
        return f"the connection closed ({error})"
    if isinstance(error, InvalidHandshake):
        return f"the handshake was refused ({error})"
    return f"{type(error).__name__}: {error}"


def record_stream_run(url: str | None, command: str, run: Callable[[], StreamResult]) -> StreamResult:
    """Run the stream inside an IngestRun row that says how it ended."""
    return runs.record(url, SOURCE, command, run)
