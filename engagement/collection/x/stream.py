"""The filtered stream, with its rules kept in step with the event's hashtags.

Every (re)connection first fills the gap with recent search from the last stored id, so a
disconnect — or a crash — never loses the posts that went by meanwhile. Stream messages are stored
one by one, each committed with the resume point.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
import tweepy

from engagement.collection.x.client import FIELDS, bearer_token
from engagement.collection.x.collect import PassResult, load_state, poll_recent, store_page
from engagement.collection.x.normalise import RecordError
from engagement.collection.x.retry import FatalAPIError, Stopped, Stopper, call, parse_json
from engagement.collection.x.transport import route
from engagement.storage import db, runs
from engagement.timeutil import utcnow

log = logging.getLogger("ingest.x")
SOURCE = "x-stream"
RULE_TAG = "event-hashtags"


def sync_rules(stream: tweepy.StreamingClient, query: str, stop: Stopper) -> None:
    """Make the stream's rules exactly one: the event query. Stale rules are deleted."""
    body = call(stream.get_rules, "stream rules", stop)
    current = body.get("data") or []
    stale = [rule["id"] for rule in current if rule.get("value") != query]
    if stale:
        parse_json(stream.delete_rules(stale))
        log.info("stream rules: removed %d stale rule(s)", len(stale))
    if not any(rule.get("value") == query for rule in current):
        response = stream.add_rules(tweepy.StreamRule(value=query, tag=RULE_TAG))
        errors = parse_json(response).get("errors")
        if errors:
            raise FatalAPIError(f"stream rules: the API refused the rule {query!r}: {errors}")
        log.info("stream rules: now %r", query)


class EventStream(tweepy.StreamingClient):
    def __init__(
        self,
        *,
        query: str,
        client: tweepy.Client,
        url: str | None,
        stop: Stopper,
        base_url: str,
        token: str | None = None,
        max_retries: int = 100,
    ):
        super().__init__(token or bearer_token(), return_type=requests.Response, max_retries=max_retries)
        route(self.session, base_url, timeout=(10, 30))
        self.query, self.client, self.url, self.stop = query, client, url, stop
        self.result = PassResult()
        self.fatal: str | None = None
        self.connections = 0

    def on_connect(self) -> None:
        self.connections += 1
        self.result.context = None  # pick up directory or agenda edits made while disconnected
        log.info("stream connected (%d); filling the gap with recent search", self.connections)
        gap = poll_recent(self.client, query=self.query, url=self.url, stop=self.stop, source=SOURCE)
        self.result.store.add(gap.store)
        self.result.rejected += gap.rejected
        self.result.api_errors.extend(gap.api_errors)
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
        state = load_state(self.url, SOURCE)
        post_id = (body.get("data") or {}).get("id") if isinstance(body.get("data"), dict) else None
        fresh = post_id and str(post_id).isdigit() and not state.get("pass")
        if fresh and post_id is not None and int(post_id) > int(state.get("since_id") or 0):
            state["since_id"] = str(post_id)
        store_page(body, url=self.url, source=SOURCE, state=state, result=self.result)

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
    *, query: str, client: tweepy.Client, url: str | None, stop: Stopper, base_url: str, token: str | None = None
) -> PassResult:
    stream = EventStream(query=query, client=client, url=url, stop=stop, base_url=base_url, token=token)
    sync_rules(stream, query, stop)
    fields: dict[str, Any] = dict(FIELDS)
    stream.filter(**fields)
    if stream.fatal:
        raise FatalAPIError(stream.fatal)
    stream.result.complete = True
    return stream.result
