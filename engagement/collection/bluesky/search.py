"""Bluesky backfill and reconciliation through ``app.bsky.feed.searchPosts``, a window at a time.

Queries: one per hashtag (``q="#tag"`` with ``tag=[tag]``: the search's own tag filter, and the text
query it requires), and for each of the event's Bluesky accounts one with ``mentions=`` and one with
``author=``. Every post any of them returns is stored with the reason the store decides from the
post itself (engagement.rules.reasons), as for the stream.

A query's results come newest first (``sort=latest``), by ``sortAt`` (the earlier of createdAt and
indexedAt), in pages joined by a cursor. Past about 10,000 results the cursor stops while older
posts remain: the window is then cut into slices, each re-queried with ``until`` one millisecond
past the oldest ``sortAt`` seen (``until`` is exclusive, and posts sharing that millisecond may lie
beyond the cap). The window is done when a slice ends, without a cursor, having brought no post but
the previous slice's oldest ones: never because a page is short.

Each page is committed with its query's resume point (the slice, the cursor, the oldest post seen),
so a pass cut short (SIGTERM, a crash, ``kill -9``) resumes at the page after the last committed
one; a window's pass records which queries it has finished, so those are not walked again until
the next pass (``--interval``) starts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from engagement.collection.bluesky.hydrate import mark_hydrated
from engagement.collection.bluesky.normalise import PLATFORM, normalise_page
from engagement.collection.bluesky.xrpc import Caller, Stopped, Stopper
from engagement.collection.store import StoreCounts, store_posts
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import EventConfig, load_event
from engagement.rules.reasons import Reasons
from engagement.storage import db, runs
from engagement.timeutil import format_api_time, utcnow

log = logging.getLogger("ingest.bluesky")

SOURCE = "bsky-search"
PAGE_SIZE = 100  # searchPosts' largest page
ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Query:
    """One searchPosts query: ``key`` names it in resume points and rejections."""

    key: str
    params: dict[str, Any]


def event_queries(event: EventConfig) -> list[Query]:
    """The event's queries: each hashtag, then each Bluesky account's mentions and own posts."""
    queries = []
    for hashtag in event.hashtags:
        tag = hashtag.lstrip("#")
        queries.append(Query(f"#{tag}", {"q": f"#{tag}", "tag": [tag]}))
    for handle in event.accounts_on(PLATFORM):
        # q is required. A bare handle in q would also require the handle as a word of the text; the
        # search syntax's own `mentions:` and `from:` (as typed in Bluesky's search box) match what the
        # structured filters beside them match, so the two agree.
        queries.append(Query(f"mentions:{handle}", {"q": f"mentions:{handle}", "mentions": handle}))
        queries.append(Query(f"from:{handle}", {"q": f"from:{handle}", "author": handle}))
    return queries


@dataclass
class SearchResult:
    """What a pass did, for its IngestRun row."""

    queries: int = 0
    pages: int = 0
    slices: int = 0
    rejected: int = 0
    store: StoreCounts = field(default_factory=StoreCounts)
    complete: bool = False
    context: tuple[Classifier, Attributor, Reasons] | None = field(default=None, repr=False)

    def counts(self) -> dict[str, int]:
        return {
            "queries": self.queries,
            "pages": self.pages,
            "slices": self.slices,
            **self.store.as_dict(),
            "rejected": self.rejected,
        }


def window_source(since: datetime, until: datetime) -> str:
    return f"{SOURCE}:{format_api_time(since)}:{format_api_time(until)}"


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def sort_at(view: Any) -> datetime | None:
    """The time search orders and filters a post by: the earlier of createdAt and indexedAt."""
    if not isinstance(view, dict):
        return None
    record = view.get("record")
    record = record if isinstance(record, dict) else {}
    times = [t for t in (_instant(record.get("createdAt")), _instant(view.get("indexedAt"))) if t is not None]
    return min(times) if times else None


def _ms_after(moment: datetime) -> datetime:
    """The millisecond after the one ``moment`` falls in (search times are to the millisecond)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000) + ONE_MS


@dataclass
class Slice:
    """Where a query's walk through the window is: the slice's ``until``, the cursor of its next
    page, the oldest post seen in it and the URIs at that time, the previous slice's oldest URIs
    and how many posts this slice brought besides them."""

    until: datetime
    cursor: str | None = None
    oldest: datetime | None = None
    boundary: list[str] = field(default_factory=list)
    previous: list[str] = field(default_factory=list)
    fresh: int = 0
    number: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "until": self.until.isoformat(),
            "cursor": self.cursor,
            "oldest": self.oldest.isoformat() if self.oldest else None,
            "boundary": self.boundary,
            "previous": self.previous,
            "fresh": self.fresh,
            "number": self.number,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slice:
        return cls(
            until=datetime.fromisoformat(data["until"]),
            cursor=data.get("cursor"),
            oldest=datetime.fromisoformat(data["oldest"]) if data.get("oldest") else None,
            boundary=list(data.get("boundary") or []),
            previous=list(data.get("previous") or []),
            fresh=int(data.get("fresh") or 0),
            number=int(data.get("number") or 1),
        )

    def read(self, posts: list[Any]) -> None:
        """Note the page's posts: the oldest time and its URIs, and the posts new to this slice."""
        previous = set(self.previous)
        for view in posts:
            uri = view.get("uri") if isinstance(view, dict) else None
            at = sort_at(view)
            if not isinstance(uri, str) or at is None:
                continue
            if uri not in previous:
                self.fresh += 1
            if self.oldest is None or at < self.oldest:
                self.oldest, self.boundary = at, [uri]
            elif at == self.oldest and uri not in self.boundary:
                self.boundary.append(uri)

    def next(self) -> Slice | None:
        """The slice after this one ended without a cursor; None when the window is done."""
        if self.fresh == 0 or self.oldest is None:
            return None
        return Slice(until=min(self.until, _ms_after(self.oldest)), previous=self.boundary, number=self.number + 1)


def load_json(url: str | None, source: str) -> dict[str, Any]:
    with db.reading(url) as session:
        raw = runs.checkpoint(session, source)
    try:
        state = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def _context(session, result: SearchResult) -> tuple[Classifier, Attributor, Reasons]:
    if result.context is None:
        event = load_event()
        result.context = (
            Classifier.from_database(session),
            Attributor.from_database(session, event.grace),
            Reasons.from_database(session, event),
        )
    return result.context


def store_page(
    body: dict[str, Any],
    *,
    url: str | None,
    where: str,
    seen: set[str],
    states: dict[str, dict[str, Any]],
    result: SearchResult,
) -> None:
    """Normalise one page and commit its posts, its rejections (located by ``where`` and the post's
    index) and the resume points ``states`` (by source) together. Posts already stored in this pass
    (``seen``, the collected ones: the slices' boundaries are fetched twice) are not written again."""
    batch = normalise_page(body)
    posts = [p for p in batch.posts if p.platform_id not in seen]
    retrieved = utcnow()

    def write() -> StoreCounts:
        with db.writing(url) as session:
            classifier, attributor, reasons = _context(session, result)
            counts = store_posts(
                session,
                posts,
                batch.users,
                classifier=classifier,
                attributor=attributor,
                reasons=reasons,
                metrics_at=retrieved,
            )
            mark_hydrated(session, [p.platform_id for p in posts], retrieved)
            for item in batch.rejected:
                runs.reject(session, SOURCE, f"{where} {item.location}", item.reason, item.raw)
            for source, state in states.items():
                runs.save_checkpoint(session, source, json.dumps(state, sort_keys=True))
            return counts

    result.store.add(db.retry_locked(write))
    # Only the posts returned themselves: one first met quoted (context) is stored again when returned.
    seen.update(p.platform_id for p in posts if p.collected)
    result.rejected += len(batch.rejected)
    result.pages += 1


def search_query(
    caller: Caller,
    query: Query,
    *,
    since: datetime,
    until: datetime,
    url: str | None,
    stop: Stopper,
    pass_number: int,
    result: SearchResult,
    finish: Callable[[], dict[str, dict[str, Any]]] = dict,
) -> bool:
    """Walk ``query`` through the window from its resume point; True when it is done. ``finish``
    gives the further resume points to commit with the query's last page (the window's own)."""
    source = f"{window_source(since, until)}:{query.key}"
    state = load_json(url, source)
    if state.get("pass") == pass_number and state.get("complete"):
        return True
    if state.get("pass") == pass_number and isinstance(state.get("slice"), dict):
        current = Slice.from_json(state["slice"])
        log.info(
            "%s: %s resumes at slice %d%s", SOURCE, query.key, current.number, " (a page in)" if current.cursor else ""
        )
    else:
        current = Slice(until=until)
    seen: set[str] = set(current.boundary) | set(current.previous)
    while True:
        params = {
            **query.params,
            "since": format_api_time(since),
            "until": format_api_time(current.until),
            "sort": "latest",
            "limit": PAGE_SIZE,
        }
        if current.cursor:
            params["cursor"] = current.cursor
        where = f"{query.key} until {params['until']} {'cursor ' + current.cursor if current.cursor else 'first page'}"
        body = caller.search_posts(params, f"{SOURCE} {query.key}")
        posts, cursor = body.get("posts"), body.get("cursor")
        cursor = cursor if isinstance(cursor, str) and cursor else None
        current.read(posts if isinstance(posts, list) else [])
        done = False
        if cursor:
            current.cursor = cursor
            states = {source: {"query": query.key, "pass": pass_number, "slice": current.as_json()}}
        else:
            following = current.next()
            if following is None:
                done = True
                states = {source: {"query": query.key, "pass": pass_number, "complete": True}, **finish()}
            else:
                log.info(
                    "%s: %s: the results stop at %s; searching again until %s",
                    SOURCE,
                    query.key,
                    current.oldest.isoformat() if current.oldest else "?",
                    format_api_time(following.until),
                )
                current = following
                result.slices += 1
                states = {source: {"query": query.key, "pass": pass_number, "slice": current.as_json()}}
        store_page(body, url=url, where=where, seen=seen, states=states, result=result)
        if done:
            return True
        if stop():
            log.info("%s: stopping after a committed page; the next start resumes from it", SOURCE)
            return False


def search_window(
    caller: Caller,
    *,
    queries: list[Query],
    since: datetime,
    until: datetime,
    url: str | None,
    stop: Stopper,
) -> SearchResult:
    """One pass of every query over the window, resuming a pass cut short."""
    result = SearchResult(queries=len(queries))
    source = window_source(since, until)
    window = load_json(url, source)
    pass_number = int(window.get("pass") or 0)
    if not window or window.get("complete"):
        pass_number += 1  # a new pass: every query walks the window again (reconciliation)
    else:
        log.info("%s: resuming pass %d of the window", SOURCE, pass_number)

    def window_done() -> dict[str, dict[str, Any]]:
        return {source: {"pass": pass_number, "complete": True, "finished_at": utcnow().isoformat()}}

    def window_open() -> dict[str, dict[str, Any]]:
        return {source: {"pass": pass_number, "complete": False}}

    if not window or window.get("complete"):
        with db.writing(url) as session:
            for name, state in window_open().items():
                runs.save_checkpoint(session, name, json.dumps(state, sort_keys=True))
    for number, query in enumerate(queries):
        if number and stop():
            log.info("%s: stopping before %s; the next start resumes there", SOURCE, query.key)
            return result
        last = number == len(queries) - 1
        try:
            finished = search_query(
                caller,
                query,
                since=since,
                until=until,
                url=url,
                stop=stop,
                pass_number=pass_number,
                result=result,
                finish=window_done if last else dict,
            )
        except Stopped:  # asked to stop while waiting (a 429's reset, a backoff): what is committed stays
            log.info("%s: stopped while waiting; the next start resumes at %s", SOURCE, query.key)
            return result
        if not finished:
            return result
    if queries and load_json(url, source).get("complete") is not True:
        with db.writing(url) as session:  # the last query was done already (a resumed pass)
            for name, state in window_done().items():
                runs.save_checkpoint(session, name, json.dumps(state, sort_keys=True))
    result.complete = True
    return result


def record_search(url: str | None, command: str, run: Callable[[], SearchResult]) -> SearchResult:
    """Run a pass inside an IngestRun row that says how it ended."""
    return runs.record(url, SOURCE, command, run)
