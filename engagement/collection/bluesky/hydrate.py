# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload"
"""Hydration: what Jetstream's records leave out, read from the AppView (``BLUESKY_APPVIEW_URL``).

A Jetstream record has no counts and its author no profile (a DID only). ``app.bsky.feed.getPosts``
(25 URIs a call) gives the post's view: counts, the author's handle and display name, labels (a
``!no-unauthenticated`` post is hidden from public pages); ``app.bsky.actor.getProfiles`` (25 a
call) gives the bio classification reads. Both are public on the AppView: no sign-in. What comes
back is stored through the store (``store_posts``), so classification and reasons apply as for any
other source.

- ``hydrate_new``: one attempt for the posts the stream has just committed (no waits, no retries:
  the stream must not stall; what fails is left to the next pass);
- ``hydrate_pass`` (``ingest bsky-hydrate``): every post stored from Jetstream and not hydrated yet,
  then every author whose full profile has never been read, with the retry policy of the other
  commands. Posts stored from PostViews (search, an imported capture) came with their counts.

A post the AppView does not return is asked for again at most ``MAX_MISSES`` times in all (the
AppView may lag Jetstream by seconds); then ``post.hydrated_at`` is set and it is left alone. An
author no getProfiles returns (a deleted account) is likewise given up after ``MAX_MISSES``. The
misses are counted in the ``setting`` table (only the few URIs and DIDs the AppView did not give).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from engagement.collection.bluesky.normalise import PLATFORM, POST, normalise_author, normalise_post_view
from engagement.collection.bluesky.xrpc import TIMEOUT, Caller, Policy, Stopper, make_client
from engagement.collection.records import PostRecord, RecordError, UserRecord
from engagement.collection.store import StoreCounts, store_posts
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import load_event
from engagement.rules.reasons import Reasons
from engagement.storage import db, flags, runs
from engagement.storage.models import Author, Post
from engagement.timeutil import utcnow

log = logging.getLogger("ingest.bluesky")

SOURCE = "bsky-hydrate"
BATCH = 25  # getPosts and getProfiles take at most 25 each
MAX_MISSES = 3
MISSES_SETTING = "bluesky_hydration_misses"
# The stream waits for its hydration: an AppView that does not answer within 5 s (getPosts of 25
# answers in well under a second) is left for the next pass rather than held up for 30 s.
STREAM_TIMEOUT = 5.0
_IDS: Any = bindparam("ids", expanding=True)


@dataclass
class HydrateCounts:
    """What a hydration did."""

    posts_asked: int = 0
    posts_hydrated: int = 0
    posts_missing: int = 0
    posts_given_up: int = 0
    profiles_asked: int = 0
    profiles_hydrated: int = 0
    profiles_missing: int = 0
    failed_calls: int = 0  # calls that failed and were left for the next pass
    rejected: int = 0
    store: StoreCounts = field(default_factory=StoreCounts)
    complete: bool = False

    def counts(self) -> dict[str, int]:
        return {
            "posts_asked": self.posts_asked,
            "posts_hydrated": self.posts_hydrated,
            "posts_missing": self.posts_missing,
            "posts_given_up": self.posts_given_up,
            "profiles_asked": self.profiles_asked,
            "profiles_hydrated": self.profiles_hydrated,
            "profiles_missing": self.profiles_missing,
            "failed_calls": self.failed_calls,
            **{f"store_{k}": v for k, v in self.store.as_dict().items() if v},
            "rejected": self.rejected,
        }


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def mark_hydrated(session: Session, uris: Iterable[str], at: datetime | None = None) -> None:
    """Note that these Bluesky posts' views were read at ``at`` (now): no hydration needed."""
    wanted = sorted(set(uris))
    stamp = at or utcnow()
    for chunk in _chunks(wanted, 500):
        session.execute(
            update(Post)
            .where(Post.platform == PLATFORM, Post.platform_id.in_(chunk))
            .values(hydrated_at=stamp)
            .execution_options(synchronize_session=False)
        )


def _load_misses(session: Session) -> dict[str, int]:
    raw = flags.get(session, MISSES_SETTING)
    try:
        misses = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {k: v for k, v in misses.items() if isinstance(v, int)} if isinstance(misses, dict) else {}


def _context(session: Session, context: list) -> tuple[Classifier, Attributor, Reasons]:
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
    return classifier, attributor, reasons


def _collected(session: Session, uris: list[str]) -> dict[str, bool]:
    statement = select(Post.platform_id, Post.collected).where(Post.platform == PLATFORM, Post.platform_id.in_(_IDS))
    return dict(session.execute(statement, {"ids": uris}).all())


def _unprofiled(session: Session, dids: Iterable[str], given_up: set[str]) -> list[str]:
    """Of ``dids``, the authors whose full profile (getProfiles: it has the follower count a
    PostView's author lacks) has never been read, and not given up on."""
    wanted = sorted(set(dids) - given_up)
    found: list[str] = []
    statement = select(Author.platform_user_id).where(
        Author.platform == PLATFORM, Author.platform_user_id.in_(_IDS), col(Author.followers).is_(None)
    )
    for chunk in _chunks(wanted, 500):
        found.extend(session.scalars(statement, {"ids": chunk}))
    return sorted(found)


@dataclass
class Hydrator:
    """The AppView caller, the database and what one hydration has done so far."""

    caller: Caller
    url: str | None
    result: HydrateCounts = field(default_factory=HydrateCounts)
    context: list = field(default_factory=list)

    def _ask(self, call: Callable[[], dict[str, Any]], what: str, tolerate: bool) -> dict[str, Any] | None:
        """The call's answer; None when it failed and ``tolerate`` (left for the next pass)."""
        try:
            return call()
        except Exception as error:
            if not tolerate:
                raise
            self.result.failed_calls += 1
            log.warning("%s: %s failed (%s); left for the next pass", SOURCE, what, error)
            return None

    def posts(self, uris: list[str], *, tolerate: bool) -> None:
        """Hydrate up to 25 posts and their authors' profiles, stored in one transaction."""
        uris = [u for u in uris if f"/{POST}/" in u]
        if not uris:
            return
        try:
            call = self._getter("posts", uris)
        except ValidationError as error:
            log.warning("%s: posts not asked for, their URIs are refused: %s", SOURCE, error.errors()[:1])
            return
        self.result.posts_asked += len(uris)
        body = self._ask(call, f"getPosts of {len(uris)} post(s)", tolerate)
        if body is None:
            return
        with db.reading(self.url) as session:
            collected = _collected(session, uris)
        records: list[PostRecord] = []
        users: dict[str, UserRecord] = {}
        rejected: list[tuple[str, str, Any]] = []
        views = body.get("posts") if isinstance(body.get("posts"), list) else []
        for index, view in enumerate(views):
            uri = view.get("uri") if isinstance(view, dict) else None
            try:
                record = normalise_post_view(view, collected=collected.get(uri, True) if isinstance(uri, str) else True)
                user = normalise_author(view["author"])
            except RecordError as error:
                rejected.append((f"getPosts {uris[0]} +{len(uris) - 1} posts[{index}]", str(error), view))
                continue
            if record.platform_id in collected:
                records.append(record)
                users[user.platform_user_id] = user
        found = {r.platform_id for r in records}
        missing = [u for u in uris if u not in found and u in collected]
        with db.reading(self.url) as session:
            given_up = {k for k, v in _load_misses(session).items() if v >= MAX_MISSES}
            unprofiled = _unprofiled(session, users, given_up)
        profiles, answered = self._profiles(unprofiled, tolerate=tolerate)
        users.update(profiles)
        self._write(records, list(users.values()), rejected, found, missing, answered, set(profiles))

    def _getter(self, kind: str, ids: list[str]) -> Callable[[], dict[str, Any]]:
        """The call for ``ids``; builds its parameters now, so a refused one raises here."""
        from atproto_client import models  # type: ignore[import-untyped]

        if kind == "posts":
            params: Any = models.AppBskyFeedGetPosts.Params(uris=ids)
            return lambda: self.caller.query("app.bsky.feed.getPosts", params, f"{SOURCE} getPosts")
        params = models.AppBskyActorGetProfiles.Params(actors=ids)
        return lambda: self.caller.query("app.bsky.actor.getProfiles", params, f"{SOURCE} getProfiles")

    def _profiles(self, dids: list[str], *, tolerate: bool) -> tuple[dict[str, UserRecord], list[str]]:
        """The profiles getProfiles gives of ``dids``, and the DIDs it was asked for and answered
        (a call that failed says nothing of its authors)."""
        found: dict[str, UserRecord] = {}
        answered: list[str] = []
        for chunk in _chunks(dids):
            try:
                call = self._getter("profiles", chunk)
            except ValidationError:
                continue
            self.result.profiles_asked += len(chunk)
            body = self._ask(call, f"getProfiles of {len(chunk)} author(s)", tolerate)
            if body is None:
                continue
            answered.extend(chunk)
            profiles = body.get("profiles")
            for profile in profiles if isinstance(profiles, list) else []:
                try:
                    user = normalise_author(profile)
                except RecordError:
                    continue
                if user.platform_user_id in chunk:
                    found[user.platform_user_id] = user
        return found, answered

    def authors(self, dids: list[str], *, tolerate: bool) -> None:
        """Read the full profiles of authors (reposters, authors of posts hydrated before)."""
        for chunk in _chunks(dids):
            profiles, answered = self._profiles(chunk, tolerate=tolerate)
            self._write([], list(profiles.values()), [], set(), [], answered, set(profiles))

    def _write(
        self,
        records: list[PostRecord],
        users: list[UserRecord],
        rejected: list[tuple[str, str, Any]],
        found: set[str],
        missing: list[str],
        asked_profiles: list[str],
        got_profiles: set[str],
    ) -> None:
        retrieved = utcnow()

        def write() -> tuple[StoreCounts, int, int]:
            with db.writing(self.url) as session:
                classifier, attributor, reasons = _context(session, self.context)
                counts = StoreCounts()
                if records or users:
                    counts = store_posts(
                        session,
                        records,
                        users,
                        classifier=classifier,
                        attributor=attributor,
                        reasons=reasons,
                        metrics_at=retrieved,
                    )
                mark_hydrated(session, found, retrieved)
                misses = _load_misses(session)
                given_up = []
                for uri in missing:
                    misses[uri] = misses.get(uri, 0) + 1
                    if misses[uri] >= MAX_MISSES:
                        given_up.append(uri)
                        del misses[uri]  # hydrated_at now says it: the setting stays small
                mark_hydrated(session, given_up, retrieved)
                for did in set(asked_profiles) - got_profiles:
                    misses[did] = min(MAX_MISSES, misses.get(did, 0) + 1)  # kept: authors have no column
                for key in found | got_profiles:
                    misses.pop(key, None)
                flags.put(session, MISSES_SETTING, json.dumps(misses, sort_keys=True))
                kept = sum(runs.reject(session, SOURCE, *item) for item in rejected)
                return counts, len(given_up), kept

        counts, given_up, kept = db.retry_locked(write)
        self.result.store.add(counts)
        self.result.posts_hydrated += len(found)
        self.result.posts_missing += len(missing)
        self.result.posts_given_up += given_up
        self.result.profiles_hydrated += len(got_profiles)
        self.result.profiles_missing += len(set(asked_profiles) - got_profiles)
        self.result.rejected += kept


def appview_caller(
    appview: str, stop: Stopper | None = None, policy: Policy | None = None, timeout: float = TIMEOUT
) -> Caller:
    """A caller of the AppView's public methods (no sign-in)."""
    return Caller(make_client(appview, timeout), stop=stop, policy=policy)


# The stream calls hydrate_new every second or so: one client per AppView, so that its connection
# (and TLS session) is reused rather than opened for each batch.
_stream_callers: dict[str, Caller] = {}


def _stream_caller(appview: str, stop: Stopper) -> Caller:
    caller = _stream_callers.get(appview)
    if caller is None:
        caller = _stream_callers[appview] = appview_caller(appview, stop, Policy.once(), STREAM_TIMEOUT)
    caller.stop = stop
    return caller


def hydrate_new(
    url: str | None, appview: str, uris: Iterable[str], stop: Stopper, context: list | None = None
) -> HydrateCounts:
    """One attempt at hydrating posts just stored (and their authors, reposters included): for the
    stream to call after each committed batch. Never raises for a failed call, never waits: what
    fails is left for the next pass (``bsky-hydrate``). ``context``: a list the caller keeps between
    calls, for the directory and agenda built once."""
    hydrator = Hydrator(_stream_caller(appview, stop), url, context=context if context is not None else [])
    wanted = sorted(set(uris))
    try:
        with db.reading(url) as session:
            statement = select(Post.platform_id, Post.hydrated_at, Author.platform_user_id).outerjoin(
                Author, Author.id == Post.author_id
            )
            rows = session.execute(
                statement.where(Post.platform == PLATFORM, Post.platform_id.in_(_IDS)), {"ids": wanted}
            ).all()
            misses = _load_misses(session)
        posts = [uri for uri, hydrated_at, _ in rows if hydrated_at is None]
        for chunk in _chunks(posts):
            if stop():
                break
            hydrator.posts(chunk, tolerate=True)
        with db.reading(url) as session:
            given_up = {k for k, v in misses.items() if v >= MAX_MISSES}
            authors = _unprofiled(session, {did for _, _, did in rows if did}, given_up)
        if authors and not stop():
            hydrator.authors(authors, tolerate=True)
        hydrator.result.complete = not stop()
    except Exception as error:  # the stream goes on: hydration is a nicety it can do without
        hydrator.result.failed_calls += 1
        log.warning("%s: hydration of %d post(s) failed (%s); left for the next pass", SOURCE, len(wanted), error)
    return hydrator.result


def _unhydrated(session: Session, after: int, limit: int) -> list[tuple[int, str]]:
    """Posts stored from Jetstream (their ``raw`` is the event) and not hydrated since, by id."""
    statement = (
        select(Post.id, Post.platform_id)
        .where(
            Post.platform == PLATFORM,
            col(Post.hydrated_at).is_(None),
            col(Post.id) > after,
            # A post stored from a PostView (search, an imported capture) came with its counts.
            Post.raw["kind"].as_string() == "commit",
        )
        .order_by(Post.id)
        .limit(limit)
    )
    return [(row.id, row.platform_id) for row in session.execute(statement)]


def hydrate_pass(url: str | None, appview: str, stop: Stopper, policy: Policy | None = None) -> HydrateCounts:
    """Every Bluesky post not hydrated yet, 25 a call, then every author whose full profile was
    never read; stops between batches when asked."""
    hydrator = Hydrator(appview_caller(appview, stop, policy), url)
    after = 0
    while not stop():
        with db.reading(url) as session:
            rows = _unhydrated(session, after, 500)
        if not rows:
            break
        after = rows[-1][0]
        posts = [uri for _, uri in rows if f"/{POST}/" in uri]  # reposts are records getPosts does not give
        for chunk in _chunks(posts):
            if stop():
                return hydrator.result
            hydrator.posts(chunk, tolerate=False)
    asked: set[str] = set()  # each author once a pass
    while not stop():
        with db.reading(url) as session:
            given_up = {k for k, v in _load_misses(session).items() if v >= MAX_MISSES} | asked
            statement = (
                select(Author.platform_user_id)
                .where(Author.platform == PLATFORM, col(Author.followers).is_(None))
                .order_by(Author.platform_user_id)
            )
            authors = [did for did in session.scalars(statement) if did not in given_up]
        if not authors:
            break
        asked.update(authors[:500])
        hydrator.authors(authors[:500], tolerate=False)
    hydrator.result.complete = not stop()
    return hydrator.result


def record_hydrate(url: str | None, command: str, run: Callable[[], HydrateCounts]) -> HydrateCounts:
    return runs.record(url, SOURCE, command, run)
