"""The filtered stream, with its rules kept in step with the event's queries (one rule per query).

Every (re)connection first fills the gap with recent search, query by query, from each query's
last stored id (``x-stream``, or ``x-stream:1``, ``x-stream:2``… when the query is split), so a
disconnect — or a crash — never loses the posts that went by meanwhile. Stream messages are stored
one by one, each committed with the resume points it moves: the stream is one feed, in order, for
all the rules, so a message moves the ``since_id`` of every query whose gap fill is not pending.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
import tweepy

from engagement.collection.x.client import FIELDS, bearer_token
from engagement.collection.x.collect import PassResult, load_state, poll_queries, query_sources, store_page
from engagement.collection.x.normalise import RecordError
from engagement.collection.x.retry import FatalAPIError, Stopped, Stopper, call
from engagement.collection.x.transport import route
from engagement.storage import db, runs
from engagement.timeutil import utcnow

log = logging.getLogger("ingest.x")
SOURCE = "x-stream"
RULE_TAG = "event-{}"  # event-1, event-2…: the query a rule is, by its place in the event's queries


def wanted_rules(queries: list[str]) -> list[dict[str, str]]:
    return [{"value": query, "tag": RULE_TAG.format(number)} for number, query in enumerate(queries, 1)]


def sync_rules(stream: tweepy.StreamingClient, queries: list[str], stop: Stopper) -> None:
    """Make the stream's rules exactly the event's queries, one rule each. Rules that are not (another
    value, or the same under another tag) are deleted first: X refuses a second rule of the same value."""
    body = call(stream.get_rules, "stream rules", stop)
    current = body.get("data") or []
    wanted = wanted_rules(queries)
    stale = [rule["id"] for rule in current if {"value": rule.get("value"), "tag": rule.get("tag")} not in wanted]
    if stale:
        call(lambda: stream.delete_rules(stale), "stream rules (delete)", stop)
        log.info("stream rules: removed %d stale rule(s)", len(stale))
    kept = [{"value": rule.get("value"), "tag": rule.get("tag")} for rule in current if rule["id"] not in stale]
    missing = [rule for rule in wanted if rule not in kept]
    if missing:
        rules = [tweepy.StreamRule(value=rule["value"], tag=rule["tag"]) for rule in missing]
        errors = call(lambda: stream.add_rules(rules), "stream rules (add)", stop).get("errors")
        # A rule that exists already (an add retried after its answer was lost) is what we wanted.
        refused = [error for error in errors or [] if error.get("title") != "DuplicateRule"]
        if refused:
            raise FatalAPIError(
                f"stream rules: the API refused {len(refused)} rule(s): {refused}; check EVENT_HASHTAGS, "
                "EVENT_ACCOUNTS and X_QUERY_LIMIT"
            )
        for rule in missing:
            log.info("stream rules: added %s %r", rule["tag"], rule["value"])


class EventStream(tweepy.StreamingClient):
    def __init__(
        self,
        *,
        queries: list[str],
        client: tweepy.Client,
        url: str | None,
        stop: Stopper,
        base_url: str,
        token: str | None = None,
        max_retries: int = 100,
    ):
        super().__init__(token or bearer_token(), return_type=requests.Response, max_retries=max_retries)
        route(self.session, base_url, timeout=(10, 30))
        self.queries, self.client, self.url, self.stop = queries, client, url, stop
        self.sources = query_sources(SOURCE, queries)
        self.result = PassResult(queries=len(queries))
        self.fatal: str | None = None
        self.connections = 0

    def on_connect(self) -> None:
        self.connections += 1
        self.result.context = None  # pick up directory or agenda edits made while disconnected
        log.info("stream connected (%d); filling the gap with recent search", self.connections)
        gap = poll_queries(self.client, queries=self.queries, url=self.url, stop=self.stop, source=SOURCE)
        self.result.add(gap)
        log.info("gap filled: %d new post(s)", gap.store.posts_new)

    def on_data(self, raw_data: bytes) -> None:
        if self.stop():
            self.disconnect()
            return
        try:
            body = json.loads(raw_data)
            if not isinstance(body, dict):
                raise RecordError("a stream line is not a JSON object")
        except (ValueError, RecordError) as error:
            with db.writing(self.url) as session:
                runs.reject(
                    session,
                    SOURCE,
                    f"stream message at {utcnow().isoformat()}",
                    f"invalid JSON: {error}",
                    raw_data.decode("utf-8", "replace"),
                )
            self.result.rejected += 1
            return
        post_id = body["data"].get("id") if isinstance(body.get("data"), dict) else None
        store_page(body, url=self.url, source=SOURCE, states=self.moved(post_id), result=self.result)

    def moved(self, post_id: object) -> dict[str, dict[str, Any]]:
        """The resume points a stream message with ``post_id`` moves: every query's whose gap fill is
        not pending (a pending pass still has older posts to fetch below its ``until_id``)."""
        newest = str(post_id) if isinstance(post_id, str | int) and not isinstance(post_id, bool) else ""
        if not newest.isdigit():
            return {}
        states = {}
        for source, query in self.sources:
            state = load_state(self.url, source, query)
            if not state.get("pass") and int(newest) > int(state.get("since_id") or 0):
                states[source] = {**state, "query": query, "since_id": newest}
        return states

    def on_keep_alive(self) -> None:
        if self.stop():
            self.disconnect()

    def on_request_error(self, status_code: int) -> None:
        if status_code in (401, 403):
            self.fatal = f"filtered stream: HTTP {status_code}, " + (
                "the bearer token was refused: check X_BEARER_TOKEN"
                if status_code == 401
                else "this token's X plan does not include the filtered stream"
            )
            self.disconnect()
        else:
            log.warning("filtered stream: HTTP %d; tweepy reconnects with backoff", status_code)

    def on_exception(self, exception: Exception) -> None:
        if isinstance(exception, Stopped):
            return
        # tweepy would only log this; the worker must not die quietly.
        self.fatal = f"filtered stream stopped on an error: {type(exception).__name__}: {exception}"
        log.error(self.fatal)


def run_stream(
    *,
    queries: list[str],
    client: tweepy.Client,
    url: str | None,
    stop: Stopper,
    base_url: str,
    token: str | None = None,
) -> PassResult:
    stream = EventStream(queries=queries, client=client, url=url, stop=stop, base_url=base_url, token=token)
    sync_rules(stream, queries, stop)
    fields: dict[str, Any] = dict(FIELDS)
    stream.filter(**fields)
    if stream.fatal:
        raise FatalAPIError(stream.fatal)
    stream.result.complete = True
    return stream.result
