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
  pass reads back to the rescan; earlier posts come with ``--since/--until``;
- then the organiser's Mastodon accounts (``event.toml``'s ``user@host`` accounts): their own
  statuses, and with the account's own token its mentions (notifications), walked the same way
  (``Feed``), on the account's own instance when it is read (``account_feeds``).

Replies and quotes naming a status outside their page by its local id are linked through the
instance that served them (threads.py): from what the process has read there, else the stored
reply's link, else ``GET /api/v1/statuses/:id`` there, the parent stored as context.

Each page's posts, its rejected statuses (located by instance, feed, ``max_id`` and index, each
status kept aside once however often a rescan reads it: by its local id, else a digest of it) and the walk's resume point are
committed together, so a pass cut short resumes at the next page. ``--since/--until`` walks
``max_id`` down from the window's end (Mastodon's ids are ``unix ms << 16``) to its start.
"""

from __future__ import annotations

import hashlib
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
from engagement.collection.mastodon.threads import Threads
from engagement.collection.store import StoreCounts, rename_authors, store_posts
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import load_event
from engagement.rules.reasons import Reasons
from engagement.storage import db, runs
from engagement.storage.models import Post, RejectedRecord
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
    account_ids: dict[str, str] = field(default_factory=dict)  # user@host → its id here (lookup)
    signed_in_as: str | None = None  # user@host of the token, once verify_credentials said

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
    fetched: int = 0  # statuses asked for by id: the parents of replies, quoted statuses
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
            "parents_fetched": self.fetched,
            **self.store.as_dict(),
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class Feed:
    """What a walk reads on an instance: a group of hashtags (``/api/v1/timelines/tag/:tag``), or
    one of the organiser's accounts (``user@host``): its own statuses (``accounts/:id/statuses``),
    or with ``mentions`` the token's notifications of mentions (the account's own token)."""

    tags: tuple[str, ...] = ()
    account: str | None = None
    mentions: bool = False

    @property
    def label(self) -> str:
        """How messages and rejected statuses name the feed."""
        if self.account is None:
            return "#" + "+".join(self.tags)
        return f"@{self.account}" + (" mentions" if self.mentions else " statuses")

    @property
    def name(self) -> str:
        """How the feed's resume point is named (after the instance)."""
        if self.account is None:
            return "+".join(t.casefold() for t in self.tags)
        return f"@{self.account}" + (":mentions" if self.mentions else "")

    @property
    def snowflakes(self) -> bool:
        """Whether the feed's ids are status ids (``unix ms << 16``); notification ids are a
        sequence, so a walk of mentions goes down by time only."""
        return not self.mentions

    def statuses(self, body: list[Any]) -> list[Any]:
        """The statuses of a page: a notification carries its status."""
        if not self.mentions:
            return body
        return [item.get("status") for item in body if isinstance(item, dict) and item.get("status") is not None]


def _feed(feed: Feed | tuple[str, ...]) -> Feed:
    return feed if isinstance(feed, Feed) else Feed(tags=tuple(feed))


def group_source(
    instance: Instance, feed: Feed | tuple[str, ...], window: tuple[datetime, datetime] | None = None
) -> str:
    name = f"{SOURCE}:{instance.key}:{_feed(feed).name}"
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


def _rejection_key(instance: Instance, feed: Feed, status: Any, where: str = "") -> str:
    """What names a rejected status whatever page it is read on again: the instance, the feed and
    its local id, else (a status without a readable id) a digest of the status itself, and where in
    it the fault is (``where``: ".account", ".reblog" …)."""
    local = status.get("id") if isinstance(status, dict) else None
    if isinstance(local, str) and local and len(local) <= 64:
        return f"{instance.key} {feed.label} id {local}{where}"
    body = json.dumps(status, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return f"{instance.key} {feed.label} sha256 {digest}{where}"


def _already_rejected(session, key: str) -> bool:
    statement = select(col(RejectedRecord.id)).where(
        col(RejectedRecord.source) == SOURCE, col(RejectedRecord.location).startswith(key + " ", autoescape=True)
    )
    return session.scalar(statement.limit(1)) is not None


# Local ids seen on each instance in this process, for replies and quotes (threads.py).
THREADS = Threads()


def _linked_already(url: str | None) -> Callable[[list[str]], dict[str, dict[str, Any]]]:
    """The stored replies and quotes among some uris that link to their parent already."""

    def stored(uris: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        with db.reading(url) as session:
            for start in range(0, len(uris), 500):
                statement = select(
                    col(Post.platform_id),
                    col(Post.referenced),
                    col(Post.in_reply_to_user_id),
                    col(Post.conversation_id),
                ).where(
                    col(Post.platform) == PLATFORM,
                    col(Post.platform_id).in_(uris[start : start + 500]),
                    col(Post.referenced_platform_id).is_not(None),
                )
                for uri, referenced, replied, conversation in session.execute(statement):
                    if isinstance(referenced, str):
                        referenced = json.loads(referenced)
                    found[uri] = {
                        "referenced": referenced if isinstance(referenced, list) else [],
                        "in_reply_to_user_id": replied,
                        "conversation_id": conversation,
                    }
        return found

    return stored


def _parent_fetcher(caller: Caller, instance: Instance) -> Callable[[str], Any]:
    """A status by its local id on the instance that named it; None where it cannot be had (deleted,
    not shown to this caller, the instance failing): the reply stays unlinked for now, and is not
    asked for again in this process."""
    missing = THREADS.missing

    def fetch(local: str) -> Any:
        if (instance.key, local) in missing:
            return None
        try:
            return caller.status(local)
        except (FatalAPIError, Refused, GaveUp) as error:
            log.info(
                "%s: %s: the status a reply or quote names (id %s) is not to be had: %s",
                SOURCE,
                instance.key,
                local,
                error,
            )
            missing.add((instance.key, local))
            return None

    return fetch


def store_page(
    statuses: list[Any],
    *,
    instance: Instance,
    tags: Feed | tuple[str, ...],
    max_id: str | None,
    origins: set[str],
    url: str | None,
    states: dict[str, dict[str, Any]],
    result: PollResult,
    caller: Caller | None = None,
) -> None:
    """Normalise one page and commit its posts, its rejections and the resume points ``states``
    together. Each post says which instance it was read on; a copy read away from its origin,
    when the origin is among the instances read (``origins``), brings no counts. Replies and quotes
    naming a status outside the page are linked through the instance (threads.py; ``caller``
    fetches what it has not seen)."""
    feed = _feed(tags)
    batch = normalise_page(statuses)
    for post in batch.posts:
        if post.platform == PLATFORM:
            post.instance = instance.host
    fetch = _parent_fetcher(caller, instance) if caller is not None else None
    result.fetched += THREADS.resolve(batch, instance.key, fetch=fetch, stored=_linked_already(url))
    for post in batch.posts:
        if post.platform == PLATFORM:
            post.instance = post.instance or instance.host  # the parents fetched were read here too
            origin = _host(post.platform_id)
            if origin != instance.host and origin in origins:
                post.metrics_known = False  # the origin's counts are the real ones: it is read too
    retrieved = utcnow()
    page = f"{instance.key} {feed.label} max_id {max_id or '(newest)'}"

    def write() -> tuple[StoreCounts, int]:
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
            kept = 0
            for item in batch.rejected:
                index = INDEX.match(item.location)
                within = int(index[1]) if index else None
                status = statuses[within] if within is not None and within < len(statuses) else None
                if status is None:
                    runs.reject(session, SOURCE, f"{page} {item.location}", item.reason, item.raw)
                    kept += 1
                    continue
                key = _rejection_key(instance, feed, status, item.location[index.end() :] if index else "")
                if _already_rejected(session, key):
                    continue  # read again by a rescan: kept aside once
                runs.reject(session, SOURCE, f"{key} ({page}, {item.location})", item.reason, item.raw)
                kept += 1
            for source, state in states.items():
                runs.save_checkpoint(session, source, json.dumps(state, sort_keys=True))
            return counts, kept

    counts, kept = db.retry_locked(write)
    result.store.add(counts)
    result.rejected += kept  # a status rejected on an earlier reading is not counted again
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


def _floor(newest: dict[str, Any] | None, since: datetime, snowflakes: bool = True) -> Floor:
    floor = Floor(snowflake(since) if snowflakes else None, since)
    if newest:
        raw, at = str(newest.get("id")), _instant(newest.get("at"))
        if raw.isdigit() and floor.id is not None:
            floor.id = min(floor.id, int(raw))
        if at is not None:
            floor.at = min(floor.at, at)
    return floor


def _account_id(caller: Caller, instance: Instance, account: str) -> str:
    """The organiser's account's id on ``instance`` (``lookup``, once a process): its bare name on its
    own instance, ``user@host`` elsewhere."""
    if account not in instance.account_ids:
        user, _, host = account.partition("@")
        body = caller.lookup(user if host == instance.host else account)
        local = body.get("id") if isinstance(body, dict) else None
        if not isinstance(local, str) or not local:
            raise FatalAPIError(f"{instance.key}: the lookup of {account} gives no account id")
        instance.account_ids[account] = local
    return instance.account_ids[account]


def _page(caller: Caller, instance: Instance, feed: Feed, max_id: str | None) -> Any:
    what = f"{instance.key} {feed.label}"
    if feed.account is None:
        return caller.hashtag(feed.tags, max_id=max_id, limit=PAGE_SIZE, what=what)
    if feed.mentions:
        return caller.notifications(max_id=max_id, limit=PAGE_SIZE, what=what)
    account_id = _account_id(caller, instance, feed.account)
    return caller.account_statuses(account_id, max_id=max_id, limit=PAGE_SIZE, what=what)


def walk(
    caller: Caller,
    instance: Instance,
    tags: Feed | tuple[str, ...],
    *,
    url: str | None,
    stop: Stopper,
    origins: set[str],
    rescan: timedelta,
    result: PollResult,
    window: tuple[datetime, datetime] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> bool:
    """Walk one feed (a group of tags, an account's statuses, its mentions) on one instance from its
    resume point; True when it is done, False when a stop was asked for after a committed page."""
    feed = _feed(tags)
    source = group_source(instance, feed, window)
    state = load_json(url, source)
    resumed = bool(state.get("walk")) and not state.get("complete")
    if resumed:
        progress = state["walk"]
        max_id, floor, top = progress.get("max_id"), Floor.from_json(progress["floor"]), progress.get("top")
        log.info("%s: %s %s resumes below id %s", SOURCE, instance.key, feed.label, max_id)
    elif window is not None:
        max_id, floor, top = str(snowflake(window[1])), Floor(snowflake(window[0]), window[0]), None
    else:
        max_id, floor, top = None, _floor(state.get("newest"), now() - rescan, feed.snowflakes), None
    newest = state.get("newest")
    while True:
        body = _page(caller, instance, feed, max_id)
        if not isinstance(body, list):
            raise FatalAPIError(f"{instance.key} {feed.label}: the answer is not a list ({type(body).__name__})")
        top = top or _newest(body)
        last, oldest = _last_id(body)
        done = last is None or oldest is None or floor.reached(oldest)
        statuses = feed.statuses(body)
        kept = statuses if window is None else [s for s in statuses if not _before_window(s, floor)]
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
            tags=feed,
            max_id=max_id,
            origins=origins,
            url=url,
            states={source: after},
            result=result,
            caller=caller,
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


def _home(account: str, readable: list[tuple[Instance, Caller]]) -> tuple[Instance, Caller] | None:
    """Where an organiser's account is read: its own instance when it is among those read (its
    complete list of posts, and its mentions with its token), else the first one read (the posts
    that reached it). No instance outside ``MASTODON_INSTANCES`` is ever asked."""
    host = account.partition("@")[2]
    for instance, caller in readable:
        if host in (instance.host, (urlsplit(instance.base_url).hostname or "").lower()):
            return instance, caller
    return readable[0] if readable else None


def _signed_in_as(caller: Caller, instance: Instance) -> str | None:
    """``user@host`` of the instance's token (``verify_credentials``, once a process)."""
    if instance.signed_in_as is None:
        body = caller.verify_credentials()
        acct = body.get("acct") if isinstance(body, dict) else None
        if isinstance(acct, str) and acct:
            user, _, host = acct.partition("@")
            instance.signed_in_as = f"{user}@{host or instance.host}".lower()
    return instance.signed_in_as


def account_feeds(
    accounts: list[str], readable: list[tuple[Instance, Caller]], window: tuple[datetime, datetime] | None
) -> dict[str, list[Feed]]:
    """The organiser's accounts' feeds, by the key of the instance each is read on: the account's
    statuses, and (live, on its own instance with its own token) its mentions."""
    feeds: dict[str, list[Feed]] = {}
    for account in accounts:
        found = _home(account, readable)
        if found is None:
            continue
        instance, caller = found
        planned = feeds.setdefault(instance.key, [])
        planned.append(Feed(account=account))
        host = account.partition("@")[2]
        if window is not None:
            continue  # notifications are not a timeline to backfill: the hashtags' window is
        if host != instance.host:
            log.info(
                "%s: %s is read on %s (its own instance is not in MASTODON_INSTANCES): the posts that reached it, "
                "not its mentions",
                SOURCE,
                account,
                instance.key,
            )
            continue
        if not caller.authenticated:
            log.info(
                "%s: the mentions of %s are read with its own token in MASTODON_TOKENS (%s=…); without one, "
                "only the mentions carrying a hashtag are",
                SOURCE,
                account,
                instance.key,
            )
            continue
        planned.append(Feed(account=account, mentions=True))
    return feeds


def poll_pass(
    callers: list[tuple[Instance, Caller]],
    groups: list[tuple[str, ...]],
    *,
    url: str | None,
    stop: Stopper,
    rescan: timedelta,
    window: tuple[datetime, datetime] | None = None,
    now: Callable[[], datetime] = utcnow,
    accounts: list[str] | None = None,
) -> PollResult:
    """One pass over every instance and feed (the groups of tags, then the organiser's accounts:
    ``accounts``, else the event's Mastodon accounts), resuming a pass cut short."""
    result = PollResult(instances=len(callers))
    sent = {instance.key: caller.requests for instance, caller in callers}
    readable: list[tuple[Instance, Caller]] = []
    if accounts is None:
        accounts = load_event().accounts_on(PLATFORM)
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
        by_instance = account_feeds(accounts, readable, window)
        for instance, caller in readable:
            feeds = [Feed(tags=tags) for tags in groups] + by_instance.get(instance.key, [])
            for feed in feeds:
                if stop():
                    return result
                try:
                    if feed.mentions and _signed_in_as(caller, instance) != feed.account:
                        log.warning(
                            "%s: the token for %s is %s's, not %s's: its mentions are not read",
                            SOURCE,
                            instance.key,
                            instance.signed_in_as or "someone else",
                            feed.account,
                        )
                        continue
                    finished = walk(
                        caller,
                        instance,
                        feed,
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
                except FatalAPIError as error:
                    if feed.account is not None:  # an account this instance does not know: its hashtags are read
                        log.warning("%s: %s; %s not read in this pass", SOURCE, error, feed.label)
                        continue
                    log.error("%s: %s; skipped in this pass", SOURCE, error)
                    result.failed += 1
                    break
                except GaveUp as error:
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
