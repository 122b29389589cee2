"""``mastodon-poll``: the event's hashtags from several Mastodon instances, through
``/api/v1/timelines/tag/:tag`` (client.py: Mastodon.py and the call policy).

Each instance sees only the posts that federated to it and numbers them with ids of its own, so
every instance is read, and the store keeps one row per status ``uri`` (store.py's Mastodon rules:
counts from the post's origin instance when it is among those read, else the highest seen).

A pass, per instance:

- ``GET /api/v2/instance`` first: the server's ``domain`` (the host of its statuses' uris, which
  tells a post's origin) and ``configuration.timelines_access.hashtag_feeds``. An instance that
  serves hashtag timelines only to signed-in users, or not at all, or refuses anonymous callers
  altogether (401), is said plainly once in the pass and skipped, unless ``MASTODON_TOKENS`` has a
  token for it, which is then sent;
- for each group of the event's hashtags (the path's tag and up to four more in ``any[]``), pages
  of 40 newest first, each next one asked for with ``max_id`` = the last id of the page before
  (the ``Link`` header of some versions drops ``any[]``: it is never followed);
- back to the resume point (the newest id of the last finished pass) or to now −
  ``MASTODON_RESCAN_MINUTES``, whichever is older: a post that federates late gets an id dated to
  its creation, below ids already read, and only reading that far back again finds it. A first
  pass reads back to the rescan; earlier posts come with ``--since/--until``.

Each page's posts, its rejected statuses (located by instance, tags, ``max_id`` and index, each
status kept aside once however often a rescan reads it) and the walk's resume point are
committed together, so a pass cut short resumes at the next page. ``--since/--until`` walks
``max_id`` down from the window's end (Mastodon's ids are ``unix ms << 16``) to its start.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import col

from engagement import settings
from engagement.collection.mastodon.client import (
    Caller,
    FatalAPIError,
    GaveUp,
    Policy,
    Refused,
    Stopped,
    Stopper,
    make_client,
)
from engagement.collection.mastodon.normalise import PLATFORM, normalise_page
from engagement.collection.store import StoreCounts, rename_authors, store_posts
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import load_event
from engagement.rules.reasons import Reasons
from engagement.storage import db, runs
from engagement.storage.models import RejectedRecord
from engagement.timeutil import format_api_time, utcnow

log = logging.getLogger("ingest.mastodon")

SOURCE = "mastodon-poll"
PAGE_SIZE = 40  # the timeline's largest page
TAGS_PER_REQUEST = 5  # the path's tag and four more in any[] (Mastodon takes no more)
# Anonymous answers are cached for 15 s by Mastodon: a pass sooner than that reads the same pages.
CACHE_SECONDS = 15.0
INDEX = re.compile(r"\[(\d+)\]")


@dataclass
class Instance:
    """One instance as configured: its base URL, its key (the URL without scheme, as
    ``MASTODON_TOKENS`` names it), and its ``domain`` once the probe has read it."""

    base_url: str
    key: str
    token: str | None = None
    domain: str | None = None

    @property
    def host(self) -> str:
        return self.domain or (urlsplit(self.base_url).hostname or self.key).lower()


def configured_instances() -> list[Instance]:
    """``MASTODON_INSTANCES``, each with its token from ``MASTODON_TOKENS`` (by key or by host)."""
    tokens = settings.mastodon_tokens()
    found = []
    for base_url in settings.mastodon_instances():
        key = settings.mastodon_instance_key(base_url)
        host = (urlsplit(base_url).hostname or key).lower()
        found.append(Instance(base_url, key, tokens.get(key) or tokens.get(host)))
    return found


def tag_groups(hashtags: list[str]) -> list[tuple[str, ...]]:
    """The hashtags (without '#', once each however cased) in groups one request can ask for."""
    tags = list({tag.lstrip("#").casefold(): tag.lstrip("#") for tag in hashtags if tag.lstrip("#")}.values())
    return [tuple(tags[start : start + TAGS_PER_REQUEST]) for start in range(0, len(tags), TAGS_PER_REQUEST)]


def snowflake(moment: datetime) -> int:
    """The lowest Mastodon id of a moment: its unix time in milliseconds, shifted 16 bits."""
    return int(moment.timestamp() * 1000) << 16


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


@dataclass
class Floor:
    """How far down a walk goes: a status id (Mastodon's are numbers) and a time (for servers whose
    ids are not numbers: compared by ``created_at``)."""

    id: int | None
    at: datetime

    def reached(self, status: dict) -> bool:
        """Whether ``status`` (the oldest of a page) lies at or below the floor."""
        local = status.get("id")
        if isinstance(local, str) and local.isdigit() and self.id is not None:
            return int(local) <= self.id
        created = _instant(status.get("created_at"))
        return created is None or created <= self.at

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id) if self.id is not None else None, "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Floor:
        raw = data.get("id")
        return cls(int(raw) if isinstance(raw, str) and raw.isdigit() else None, datetime.fromisoformat(data["at"]))


@dataclass
class PollResult:
    """What a pass did, for its IngestRun row."""

    instances: int = 0
    read: int = 0  # instances read to the end of the pass
    skipped: int = 0  # refusing anonymous readers (or the token given), or with their feeds disabled
    failed: int = 0  # failing past the retries, or answering what cannot be read
    pages: int = 0
    requests: int = 0
    rejected: int = 0
    store: StoreCounts = field(default_factory=StoreCounts)
    complete: bool = False
    context: tuple[Classifier, Attributor, Reasons] | None = field(default=None, repr=False)

    def counts(self) -> dict[str, int]:
        return {
            "instances": self.instances,
            "instances_read": self.read,
            "instances_skipped": self.skipped,
            "instances_failed": self.failed,
            "pages": self.pages,
            "requests": self.requests,
            **self.store.as_dict(),
            "rejected": self.rejected,
        }


def group_source(instance: Instance, tags: tuple[str, ...], window: tuple[datetime, datetime] | None = None) -> str:
    name = f"{SOURCE}:{instance.key}:{'+'.join(t.casefold() for t in tags)}"
    if window is not None:
        name += f":{format_api_time(window[0])}:{format_api_time(window[1])}"
    return name


def load_json(url: str | None, source: str) -> dict[str, Any]:
    with db.reading(url) as session:
        raw = runs.checkpoint(session, source)
    try:
        state = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


# --- the probe


def _inside(body: dict[str, Any], *keys: str) -> Any:
    """``body[k1][k2]…``, or None where a level is missing or not an object."""
    found: Any = body
    for key in keys:
        found = found.get(key) if isinstance(found, dict) else None
    return found


def probe(caller: Caller, instance: Instance) -> str | None:
    """Read the instance's description; None when its hashtag timelines can be read by this caller,
    else why not (said once a pass, and the instance skipped)."""
    try:
        answer = caller.instance()
    except Refused as error:  # DISALLOW_UNAUTHENTICATED_API_ACCESS: even the description wants a token
        return str(error)
    except FatalAPIError:
        answer = None  # a server before 4.0 has no /api/v2/instance: read its timelines and see
    body: dict[str, Any] = answer if isinstance(answer, dict) else {}
    domain = body.get("domain")
    if isinstance(domain, str) and domain.strip():
        instance.domain = domain.strip().lower()
    feeds = _inside(body, "configuration", "timelines_access", "hashtag_feeds")
    if not isinstance(feeds, dict):
        return None  # before 4.5 it says nothing: anonymous reading is tried, a 401 says the rest
    values = {str(feeds.get("local")), str(feeds.get("remote"))}
    if values == {"disabled"}:
        return f"{instance.key} has its hashtag timelines disabled (timelines_access: {feeds.get('local')}/{feeds.get('remote')})"
    if caller.authenticated or values == {"public"}:
        return None
    if "public" in values:
        shown, hidden = ("local", "remote") if feeds.get("local") == "public" else ("remote", "local")
        log.warning(
            "%s: %s shows anonymous readers only its %s posts of a hashtag: a token in MASTODON_TOKENS (%s=…) "
            "reads the %s ones too",
            SOURCE,
            instance.key,
            shown,
            instance.key,
            hidden,
        )
        return None
    return (
        f"{instance.key} serves hashtag timelines only to signed-in users (timelines_access: "
        f"{feeds.get('local')}/{feeds.get('remote')}): give it a token in MASTODON_TOKENS ({instance.key}=…) to read it"
    )


# --- storing a page


def _context(session, result: PollResult) -> tuple[Classifier, Attributor, Reasons]:
    if result.context is None:
        event = load_event()
        result.context = (
            Classifier.from_database(session),
            Attributor.from_database(session, event.grace),
            Reasons.from_database(session, event),
        )
    return result.context


def _host(uri: str) -> str | None:
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _rejection_key(instance: Instance, tags: tuple[str, ...], status: Any) -> str | None:
    """What names a rejected status whatever page it is read on again: the instance, the tags and
    its local id; None for a status without a readable id."""
    local = status.get("id") if isinstance(status, dict) else None
    if not isinstance(local, str) or not local or len(local) > 64:
        return None
    return f"{instance.key} #{'+'.join(tags)} id {local}"


def _already_rejected(session, key: str) -> bool:
    statement = select(col(RejectedRecord.id)).where(
        col(RejectedRecord.source) == SOURCE, col(RejectedRecord.location).startswith(key + " ", autoescape=True)
    )
    return session.scalar(statement.limit(1)) is not None


def store_page(
    statuses: list[Any],
    *,
    instance: Instance,
    tags: tuple[str, ...],
    max_id: str | None,
    origins: set[str],
    url: str | None,
    states: dict[str, dict[str, Any]],
    result: PollResult,
) -> None:
    """Normalise one page and commit its posts, its rejections and the resume points ``states``
    together. Each post says which instance it was read on; a copy read away from its origin,
    when the origin is among the instances read (``origins``), brings no counts."""
    batch = normalise_page(statuses)
    for post in batch.posts:
        if post.platform == PLATFORM:
            post.instance = instance.host
            origin = _host(post.platform_id)
            if origin != instance.host and origin in origins:
                post.metrics_known = False  # the origin's counts are the real ones: it is read too
    retrieved = utcnow()
    page = f"{instance.key} #{'+'.join(tags)} max_id {max_id or '(newest)'}"

    def write() -> StoreCounts:
        with db.writing(url) as session:
            classifier, attributor, reasons = _context(session, result)
            counts = store_posts(
                session,
                batch.posts,
                batch.users,
                classifier=classifier,
                attributor=attributor,
                reasons=reasons,
                metrics_at=retrieved,
            )
            if batch.renamed:  # Bridgy Fed copies: the Bluesky author's handle
                rename_authors(session, batch.renamed, classifier, reasons)
            for item in batch.rejected:
                index = INDEX.match(item.location)
                status = statuses[int(index[1])] if index and int(index[1]) < len(statuses) else None
                key = _rejection_key(instance, tags, status)
                if key is not None and _already_rejected(session, key):
                    continue  # read again by a rescan: kept aside once
                location = f"{key or page} ({page}, {item.location})" if key else f"{page} {item.location}"
                runs.reject(session, SOURCE, location, item.reason, item.raw)
            for source, state in states.items():
                runs.save_checkpoint(session, source, json.dumps(state, sort_keys=True))
            return counts

    result.store.add(db.retry_locked(write))
    result.rejected += len(batch.rejected)
    result.pages += 1


# --- walking a timeline


def _newest(statuses: list[Any]) -> dict[str, Any] | None:
    """The first status of a page (its newest) that has an id, as a resume point."""
    for status in statuses:
        if isinstance(status, dict) and isinstance(status.get("id"), str) and status["id"]:
            created = _instant(status.get("created_at"))
            return {"id": status["id"], "at": created.isoformat() if created else None}
    return None


def _last_id(statuses: list[Any]) -> tuple[str | None, dict | None]:
    for status in reversed(statuses):
        if isinstance(status, dict) and isinstance(status.get("id"), str) and status["id"]:
            return status["id"], status
    return None, None


def _higher(one: dict[str, Any] | None, other: dict[str, Any] | None) -> dict[str, Any] | None:
    """The newer of two resume points (ids compared as numbers where they are, else the later)."""
    if one is None or other is None:
        return one or other
    a, b = str(one.get("id")), str(other.get("id"))
    if a.isdigit() and b.isdigit():
        return one if int(a) >= int(b) else other
    return other


def _floor(newest: dict[str, Any] | None, since: datetime) -> Floor:
    floor = Floor(snowflake(since), since)
    if newest:
        raw, at = str(newest.get("id")), _instant(newest.get("at"))
        if raw.isdigit() and floor.id is not None:
            floor.id = min(floor.id, int(raw))
        if at is not None:
            floor.at = min(floor.at, at)
    return floor


def walk(
    caller: Caller,
    instance: Instance,
    tags: tuple[str, ...],
    *,
    url: str | None,
    stop: Stopper,
    origins: set[str],
    rescan: timedelta,
    result: PollResult,
    window: tuple[datetime, datetime] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> bool:
    """Walk one group of tags on one instance from its resume point; True when it is done, False
    when a stop was asked for after a committed page."""
    source = group_source(instance, tags, window)
    state = load_json(url, source)
    resumed = bool(state.get("walk")) and not state.get("complete")
    if resumed:
        progress = state["walk"]
        max_id, floor, top = progress.get("max_id"), Floor.from_json(progress["floor"]), progress.get("top")
        log.info("%s: %s #%s resumes below id %s", SOURCE, instance.key, tags[0], max_id)
    elif window is not None:
        max_id, floor, top = str(snowflake(window[1])), Floor(snowflake(window[0]), window[0]), None
    else:
        max_id, floor, top = None, _floor(state.get("newest"), now() - rescan), None
    newest = state.get("newest")
    while True:
        what = f"{instance.key} #{'+'.join(tags)}"
        body = caller.hashtag(tags, max_id=max_id, limit=PAGE_SIZE, what=what)
        if not isinstance(body, list):
            raise FatalAPIError(f"{what}: the answer is not a list of statuses ({type(body).__name__})")
        top = top or _newest(body)
        last, oldest = _last_id(body)
        done = last is None or oldest is None or floor.reached(oldest)
        kept = body if window is None else [s for s in body if not _before_window(s, floor)]
        if done:
            if window is not None:
                after: dict[str, Any] = {"complete": True, "finished_at": utcnow().isoformat()}
            else:
                after = {"newest": _higher(newest, top)}
        else:
            walk_state = {"max_id": last, "floor": floor.as_json(), "top": top}
            after = {"walk": walk_state} if window is not None else {"newest": newest, "walk": walk_state}
        store_page(
            kept,
            instance=instance,
            tags=tags,
            max_id=max_id,
            origins=origins,
            url=url,
            states={source: after},
            result=result,
        )
        if done:
            return True
        max_id = last
        if stop():
            log.info("%s: stopping after a committed page; the next start resumes below id %s", SOURCE, last)
            return False


def _before_window(status: Any, floor: Floor) -> bool:
    """A status older than a backfill window's start (one below the floor, not the floor itself)."""
    if not isinstance(status, dict):
        return False  # malformed: kept, to be rejected with its location
    local = status.get("id")
    if isinstance(local, str) and local.isdigit() and floor.id is not None:
        return int(local) < floor.id
    created = _instant(status.get("created_at"))
    return created is not None and created < floor.at


def poll_pass(
    callers: list[tuple[Instance, Caller]],
    groups: list[tuple[str, ...]],
    *,
    url: str | None,
    stop: Stopper,
    rescan: timedelta,
    window: tuple[datetime, datetime] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> PollResult:
    """One pass over every instance and group of tags, resuming a pass cut short."""
    result = PollResult(instances=len(callers))
    sent = {instance.key: caller.requests for instance, caller in callers}
    readable: list[tuple[Instance, Caller]] = []
    try:
        for instance, caller in callers:
            if stop():
                return result
            try:
                refused = probe(caller, instance)
            except (GaveUp, FatalAPIError) as error:
                log.error("%s: %s; skipped in this pass", SOURCE, error)
                result.failed += 1
                continue
            if refused:
                log.warning("%s: %s; skipped in this pass", SOURCE, refused)
                result.skipped += 1
                continue
            readable.append((instance, caller))
        origins = {instance.host for instance, _ in readable}
        for instance, caller in readable:
            for tags in groups:
                if stop():
                    return result
                try:
                    finished = walk(
                        caller,
                        instance,
                        tags,
                        url=url,
                        stop=stop,
                        origins=origins,
                        rescan=rescan,
                        result=result,
                        window=window,
                        now=now,
                    )
                except Refused as error:
                    log.warning("%s: %s; skipped in this pass", SOURCE, error)
                    result.skipped += 1
                    break
                except (GaveUp, FatalAPIError) as error:
                    log.error("%s: %s; skipped in this pass", SOURCE, error)
                    result.failed += 1
                    break
                if not finished:
                    return result
            else:
                result.read += 1
        result.complete = True
        return result
    except Stopped:  # asked to stop while waiting (a reset, a backoff): what is committed stays
        log.info("%s: stopped while waiting; the next start resumes where it was", SOURCE)
        return result
    finally:
        result.requests = sum(caller.requests - sent[instance.key] for instance, caller in callers)


def make_callers(
    instances: list[Instance], *, stop: Stopper, policy: Policy | None = None
) -> list[tuple[Instance, Caller]]:
    """A client and its policy for each instance, with its token where it has one."""
    return [
        (instance, Caller(make_client(instance.base_url, instance.token), instance.key, stop=stop, policy=policy))
        for instance in instances
    ]


def record_poll(url: str | None, command: str, run: Callable[[], PollResult]) -> PollResult:
    """Run a pass inside an IngestRun row that says how it ended."""
    return runs.record(url, SOURCE, command, run)
