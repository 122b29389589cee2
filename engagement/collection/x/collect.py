"""Recent-search polling and full-archive backfill, page by page, each page committed with its resume point.

A search lists the newest posts first. A pass's resume point is therefore two ids: ``since_id``
(everything up to it is stored) and, while a pass is under way, the pass's newest id and the oldest
id committed so far. A pass cut short (signal, crash, ``kill -9``) restarts with
``since_id .. until_id`` and fetches exactly what it had not stored: no gap, nothing twice. Only
when the last page is stored does ``since_id`` move to the pass's newest id.

The event's query may be split into several (``EventConfig.x_queries``, past ``X_QUERY_LIMIT``):
each has a resume point of its own (``x-poll``, or ``x-poll:1``, ``x-poll:2``… when there are
several), which records the query it belongs to. A resume point written for another query (the
organisers changed hashtags or accounts) is not used: that query starts afresh, and the store,
keyed on platform ids, merges what is fetched again without duplicates.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import tweepy

from engagement.collection.store import StoreCounts, store_posts
from engagement.collection.x.client import FIELDS
from engagement.collection.x.normalise import normalize
from engagement.collection.x.retry import Stopper, call
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import load_event
from engagement.rules.reasons import Reasons
from engagement.storage import db, runs
from engagement.timeutil import format_api_time, utcnow

log = logging.getLogger("ingest.x")
MAX_NOTES = 200


@dataclass
class PassResult:
    pages: int = 0
    rejected: int = 0
    api_errors: list[dict[str, Any]] = field(default_factory=list)
    store: StoreCounts = field(default_factory=StoreCounts)
    complete: bool = False
    # The directory and agenda as loaded for this pass: built once, not per page.
    context: tuple[Classifier, Attributor, Reasons] | None = field(default=None, repr=False)
    queries: int = 1

    def add(self, other: PassResult) -> None:
        """Count ``other`` (another query's pass) in with this one."""
        self.pages += other.pages
        self.rejected += other.rejected
        self.api_errors.extend(other.api_errors)
        self.store.add(other.store)

    def counts(self) -> dict[str, int]:
        return {
            "queries": self.queries,
            "pages": self.pages,
            **self.store.as_dict(),
            "rejected": self.rejected,
            "api_errors": len(self.api_errors),
        }


def query_sources(source: str, queries: list[str]) -> list[tuple[str, str]]:
    """(resume point's source, query) for each query: ``source`` itself when there is one query (as
    before the query could be split), ``source:1``, ``source:2``… when there are several."""
    if len(queries) == 1:
        return [(source, queries[0])]
    return [(f"{source}:{number}", query) for number, query in enumerate(queries, 1)]


def load_state(url: str | None, source: str, query: str | None = None) -> dict[str, Any]:
    """The resume point of ``source``; empty when there is none, or when it was written for another
    query than ``query`` (its ids say nothing about what the new query has collected)."""
    with db.reading(url) as session:
        raw = runs.checkpoint(session, source)
    state = json.loads(raw) if raw else {}
    if query is not None and state and state.get("query") != query:
        written_for = repr(state["query"]) if state.get("query") else "a query it did not record"
        log.warning(
            "%s: the resume point was written for %s, not %r (hashtags or accounts changed): "
            "not using it, collecting this query afresh",
            source,
            written_for,
            query,
        )
        return {}
    return state


def store_page(
    body: dict[str, Any], *, url: str | None, source: str, states: dict[str, dict[str, Any]], result: PassResult
) -> None:
    """Normalise one API response and commit its rows, its rejects (kept under ``source``) and the
    resume points ``states`` (by source) together."""
    batch = normalize(body)
    page_id = batch.newest_id or format_api_time(utcnow())
    for error in batch.api_errors:
        log.warning("%s: the API reported: %s", source, error.get("detail") or error.get("title") or error)

    def write() -> StoreCounts:
        with db.writing(url) as session:
            if result.context is None:
                event = load_event()
                result.context = (
                    Classifier.from_database(session),
                    Attributor.from_database(session, event.grace),
                    Reasons.from_database(session, event),
                )
            classifier, attributor, reasons = result.context
            counts = store_posts(
                session, batch.posts, batch.users, classifier=classifier, attributor=attributor, reasons=reasons
            )
            for item in batch.rejected:
                runs.reject(session, source, f"page {page_id} {item.location}", item.reason, item.raw)
            for checkpoint_source, state in states.items():
                runs.save_checkpoint(session, checkpoint_source, json.dumps(state, sort_keys=True))
            return counts

    result.store.add(db.retry_locked(write))
    result.rejected += len(batch.rejected)
    result.api_errors.extend(batch.api_errors)
    result.pages += 1


def search_pass(
    request: Callable[..., Any],
    *,
    query: str,
    url: str | None,
    source: str,
    stop: Stopper,
    what: str,
    page_size: int,
    extra: dict[str, Any] | None = None,
    pace: float = 0.0,
) -> PassResult:
    """Fetch every page newer than the stored ``since_id`` (or within ``extra``'s window)."""
    state = load_state(url, source, query)
    since_id = state.get("since_id")
    pending = state.get("pass")
    params: dict[str, Any] = {"query": query, "max_results": page_size, **FIELDS, **(extra or {})}
    if since_id:
        params["since_id"] = since_id
    if pending:
        params["until_id"] = pending["until_id"]
        log.info(
            "%s: resuming a pass cut short: posts older than %s and newer than %s",
            source,
            pending["until_id"],
            since_id or "the window's start",
        )
    newest = pending["newest_id"] if pending else None
    next_token: str | None = None
    result, last_request = PassResult(), 0.0
    while True:
        if pace:
            stop.wait(max(0.0, last_request + pace - time.monotonic()))
        token = next_token

        def page(token: str | None = token) -> Any:
            return request(**params, **({"next_token": token} if token else {}))

        body = call(page, what, stop)
        last_request = time.monotonic()
        meta = body.get("meta") or {}
        newest = newest or meta.get("newest_id")
        next_token = meta.get("next_token")
        if next_token and meta.get("oldest_id"):
            new_state = {"since_id": since_id, "pass": {"newest_id": newest, "until_id": meta["oldest_id"]}}
        else:
            new_state = {"since_id": newest or since_id}
            next_token = None
        state = {"query": query, **{k: v for k, v in new_state.items() if v}}
        store_page(body, url=url, source=source, states={source: state}, result=result)
        if not next_token:
            result.complete = True
            return result
        if stop():
            log.info("%s: stopping after a committed page; the next start resumes from it", source)
            return result


def poll_recent(
    client: tweepy.Client, *, query: str, url: str | None, stop: Stopper, source: str = "x-poll"
) -> PassResult:
    return search_pass(
        client.search_recent_tweets, query=query, url=url, source=source, stop=stop, what="recent search", page_size=100
    )


def each_query(queries: list[str], source: str, stop: Stopper, run: Callable[[str, str], PassResult]) -> PassResult:
    """``run(query, source)`` for each query in turn, under its own source, counted together;
    complete when every query's pass is. A stop between queries leaves the rest to the next start,
    which resumes each query from its own resume point."""
    total = PassResult(queries=len(queries), complete=True)
    for number, (query_source, query) in enumerate(query_sources(source, queries)):
        if number and stop():
            log.info("%s: stopping before query %d of %d; the next start resumes it", source, number + 1, len(queries))
            total.complete = False
            break
        result = run(query, query_source)
        total.add(result)
        total.complete = total.complete and result.complete
        if not result.complete:
            break
    return total


def poll_queries(
    client: tweepy.Client, *, queries: list[str], url: str | None, stop: Stopper, source: str = "x-poll"
) -> PassResult:
    """A recent-search pass for each of the event's queries, each from its own resume point."""

    def poll(query: str, query_source: str) -> PassResult:
        return poll_recent(client, query=query, url=url, stop=stop, source=query_source)

    return each_query(queries, source, stop, poll)


def backfill(
    client: tweepy.Client,
    *,
    query: str,
    since: datetime,
    until: datetime,
    url: str | None,
    stop: Stopper,
    pace: float = 1.0,
    source: str | None = None,
) -> PassResult:
    """Full-archive search between two times; the endpoint allows one request a second, so we pace."""
    source = source or backfill_source(since, until)
    if load_state(url, source, query).get("since_id"):
        log.info("%s: already complete", source)
        return PassResult(complete=True)
    # The window's newest post is the pass's "since": a finished backfill has nothing left to fetch.
    extra = {"start_time": since, "end_time": until}
    return search_pass(
        client.search_all_tweets,
        query=query,
        url=url,
        source=source,
        stop=stop,
        what="full-archive search",
        page_size=500,
        extra=extra,
        pace=pace,
    )


def backfill_source(since: datetime, until: datetime) -> str:
    return f"x-backfill:{format_api_time(since)}:{format_api_time(until)}"


def backfill_queries(
    client: tweepy.Client,
    *,
    queries: list[str],
    since: datetime,
    until: datetime,
    url: str | None,
    stop: Stopper,
    pace: float = 1.0,
) -> PassResult:
    """The window's full-archive search for each of the event's queries, each with its own resume
    point (``x-backfill:<since>:<until>``, with ``:1``, ``:2``… when there are several)."""

    started: list[str] = []

    def window(query: str, query_source: str) -> PassResult:
        if started:
            stop.wait(pace)  # the pace holds across queries too: the previous one has just asked
        started.append(query_source)
        return backfill(
            client, query=query, since=since, until=until, url=url, stop=stop, pace=pace, source=query_source
        )

    return each_query(queries, backfill_source(since, until), stop, window)


def record_run(url: str | None, source: str, command: str, run: Callable[[], PassResult]) -> PassResult:
    """Run a pass inside an IngestRun row that says how it ended, with the API's partial errors."""
    return runs.record(url, source, command, run, notes=lambda result: result.api_errors[:MAX_NOTES])
