"""A local X API v2 simulator: the real worker (real tweepy, real requests) talks to it over HTTP.

It serves recent and full-archive search and the filtered stream (with its rules) from real-shaped
posts, honours ``since_id``, ``until_id``, ``start_time``, ``end_time``, ``max_results`` and
``next_token``, checks the bearer token, and injects faults on demand: 429 with
``x-rate-limit-reset``, 5xx, 401, 403, a dropped connection, a body cut off mid-JSON, a body
that is not JSON at all, a response slower than the client's timeout; ``ok`` in the fault queue
serves one request normally, so faults can be interleaved with successes.

Tests synchronise on what it has done, not on time: ``served`` counts the search pages it has sent
whole (``served_posts`` lists each one's query and post ids; ``wait_served`` waits for a number of them, with a deadline; ``wait`` for any condition,
such as ``stream_connections`` reaching a number), and ``hold_after(n)`` lets ``n`` more pages
through and keeps the requests after them waiting until ``release()``, so a client cannot run past
a chosen page while a test acts on it.

It evaluates the query as X does, for the operators the worker sends: terms joined with ``OR``
(parentheses around the whole or around groups are accepted), each ``#tag`` (the post's
``entities.hashtags``), ``@user`` (``entities.mentions``), ``to:user`` (``in_reply_to_user_id`` is
that user's id) or ``from:user`` (the author), case-insensitive. As on X, a retweet matches by the
post it retweets too: a retweet's own text is cut at 140 characters, and 41 of the 100 posts of the
recorded ``#brexit`` page (tests/data/x-api-v2) carry the hashtag only in the post they retweet. A
query it cannot parse, or longer than ``query_limit`` (512 characters, as on X's lower plans), gets
HTTP 400 with X's error body, on search and on adding a stream rule alike. The stream sends a post
when one of its rules matches it, naming the rules that do in ``matching_rules``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

TOKEN = "sim-bearer-token-0123456789"
QUERY_LIMIT = 512  # X's limit for a query or a rule on the lower plans (1,024 on Pro and up)
# A query as tokens: parentheses, and runs of anything else (OR, or a term).
TOKENS = re.compile(r"\(|\)|[^\s()]+")
TERM = re.compile(r"^(?P<operator>#|@|to:|from:)(?P<value>\w+)$")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class QueryError(ValueError):
    """A query the simulator (like X) refuses; the message is what X's error says."""


def parse_query(query: str, limit: int = QUERY_LIMIT) -> list[tuple[str, str]]:
    """The terms (operator, lower-cased value) of a query of terms joined with OR, in parentheses
    or not; QueryError for anything else."""
    if not query.strip():
        raise QueryError("There were errors processing your request: query must not be empty")
    if len(query) > limit:
        raise QueryError(
            f"There were errors processing your request: queries and rules must be {limit} characters or less "
            f"(this one has {len(query)})"
        )
    tokens = TOKENS.findall(query)
    terms: list[tuple[str, str]] = []
    position = 0

    def fail(why: str):
        return QueryError(f"There were errors processing your request: {why} (at token {position + 1} of {query!r})")

    def group() -> None:
        nonlocal position
        if position < len(tokens) and tokens[position] == "(":
            position += 1
            expression()
            if position >= len(tokens) or tokens[position] != ")":
                raise fail("missing ')'")
            position += 1
            return
        match = TERM.match(tokens[position]) if position < len(tokens) else None
        if not match:
            raise fail("expected #tag, @user, to:user or from:user")
        terms.append((match["operator"], match["value"].lower()))
        position += 1

    def expression() -> None:
        nonlocal position
        group()
        while position < len(tokens) and tokens[position] == "OR":
            position += 1
            group()

    expression()
    if position != len(tokens):
        raise fail("terms must be joined with OR")
    return terms


class Simulator:
    def __init__(self, token: str = TOKEN, query_limit: int = QUERY_LIMIT):
        self.token = token
        self.query_limit = query_limit
        self.posts: dict[str, dict] = {}  # collectable posts by id
        self.users: dict[str, dict] = {}
        self.context: dict[str, dict] = {}  # posts only referenced
        self.faults: deque[tuple[str, dict]] = deque()
        # What the stream is to send: a post's id (sent if a rule matches it then) or raw bytes.
        self.stream_messages: deque[str | bytes] = deque()
        self.stream_sent: list[dict] = []  # the stream messages sent as posts, matching_rules included
        self.rules: list[dict] = []
        self._rule_ids = iter(range(100, 10**6))  # a deleted rule's id is never given again
        self.requests: list[tuple[str, dict]] = []
        self.page_delay = 0.0
        self.lock = threading.Lock()
        # Search pages served whole without a fault (status 200, body written), and whether each had a next.
        self.served = 0
        self.served_with_next: list[bool] = []
        self.served_posts: list[tuple[str, list[str]]] = []  # each page served whole: its query, its posts' ids
        self.stream_connections = 0  # filtered-stream connections accepted (each hangs up after 2 s)
        self.progress = threading.Condition()
        self._admit: int | None = None  # pages still let through before a hold; None: no hold
        self._hold_generation = 0
        self._dropped: set[int] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- data ------------------------------------------------------------------------------------

    def load_pages(self, pages) -> None:
        """Take posts and users from search pages (e.g. a twarc2 file's lines); lines of another
        network (a demo's Bluesky pages) are not X's to serve."""
        with self.lock:
            for page in pages:
                if not isinstance(page, dict) or "data" not in page:
                    continue
                for user in page.get("includes", {}).get("users", []):
                    self.users[user["id"]] = user
                for tweet in page.get("includes", {}).get("tweets", []):
                    self.context.setdefault(tweet["id"], tweet)
                for tweet in page["data"] if isinstance(page["data"], list) else [page["data"]]:
                    self.posts[tweet["id"]] = tweet

    def load_file(self, path: Path) -> None:
        self.load_pages(json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line)

    def fail(self, kind: str, times: int = 1, **options) -> None:
        """Queue a fault for the next search requests: '429', '500', '502', '503', '401', '403', 'drop',
        'truncate', 'invalid', 'slow', or 'ok' (no fault for that request)."""
        for _ in range(times):
            self.faults.append((kind, options))

    def push_stream(self, *tweet_ids: str, raw: bytes | None = None) -> None:
        """Queue ``raw`` bytes as they are, and posts for the stream: each goes out if the rules in
        place when it is sent match it (a post no rule matches is not sent). A post may be in
        ``context`` only: one the stream sends before search finds it (X's search index lags)."""
        if raw is not None:
            self.stream_messages.append(raw)
        for tweet_id in tweet_ids:
            if tweet_id not in self.posts and tweet_id not in self.context:
                raise KeyError(f"push_stream: no post {tweet_id} in the simulator")
            self.stream_messages.append(tweet_id)

    def _stream_message(self, item: str | bytes) -> bytes | None:
        if isinstance(item, bytes):
            return item
        with self.lock:
            tweet, rules = self.posts.get(item) or self.context[item], list(self.rules)
        matching = [{"id": r["id"], "tag": r.get("tag", "")} for r in rules if self.matches(tweet, self._terms(r))]
        if not matching:
            return None
        message = {**self._expand([tweet]), "data": tweet, "matching_rules": matching}
        self.stream_sent.append(message)
        return json.dumps(message).encode()

    def _terms(self, rule: dict) -> list[tuple[str, str]]:
        """A rule's terms; none for a rule that does not parse (one a test put in place by hand)."""
        try:
            return parse_query(rule.get("value", ""), self.query_limit)
        except QueryError:
            return []

    # -- the query -------------------------------------------------------------------------------

    def user_id(self, username: str) -> str | None:
        return next((u["id"] for u in self.users.values() if u.get("username", "").lower() == username), None)

    def matches(self, tweet: dict, terms: list[tuple[str, str]]) -> bool:
        """Whether any of ``terms`` matches ``tweet`` (a retweet also by the post it retweets)."""
        retweeted = [
            self.posts.get(ref["id"]) or self.context.get(ref["id"])
            for ref in tweet.get("referenced_tweets", [])
            if ref.get("type") == "retweeted"
        ]
        bodies = [tweet] + [body for body in retweeted if body]
        hashtags = {
            h.get("tag", "").lower() for body in bodies for h in (body.get("entities") or {}).get("hashtags", [])
        }
        mentions = {
            m.get("username", "").lower() for body in bodies for m in (body.get("entities") or {}).get("mentions", [])
        }
        author = (self.users.get(tweet.get("author_id")) or {}).get("username", "").lower()
        replied_to = tweet.get("in_reply_to_user_id")
        for operator, value in terms:
            if (
                (operator == "#" and value in hashtags)
                or (operator == "@" and value in mentions)
                or (operator == "from:" and value == author)
                or (operator == "to:" and replied_to and replied_to == self.user_id(value))
            ):
                return True
        return False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait(self, condition, timeout: float = 60.0) -> bool:
        """Wait until ``condition()`` holds, looked at again after each page served; False once
        ``timeout`` seconds (a bound, not an expected duration) have passed without it."""
        deadline = time.monotonic() + timeout
        with self.progress:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                # Woken by each page served; at most 0.05 s for what a page does not signal (a process ending).
                self.progress.wait(min(left, 0.05))
        return True

    def wait_served(self, count: int, timeout: float = 60.0) -> bool:
        """Wait until ``count`` search pages have been served since the simulator started."""
        return self.wait(lambda: self.served >= count, timeout)

    def hold_after(self, pages: int) -> None:
        """Let ``pages`` more search pages through, then keep the requests after them waiting until
        ``release()``. Each request is let through or held as it arrives, before its page is written,
        so a client that asks again the moment it has a page cannot slip past the hold."""
        with self.progress:
            self._admit = pages

    def release(self, serve: bool = True) -> None:
        """Let held requests go on; with ``serve=False`` they are dropped instead (their client was
        killed: a page written to its dead connection must not count as served)."""
        with self.progress:
            if self._admit is not None and not serve:
                self._dropped.add(self._hold_generation)
            self._admit = None
            self._hold_generation += 1
            self.progress.notify_all()

    def _let_through(self, timeout: float = 120.0) -> bool:
        """Wait while held (at most ``timeout`` seconds); False when the request is to be dropped."""
        deadline = time.monotonic() + timeout
        with self.progress:
            generation = self._hold_generation
            while self._admit is not None and self._admit <= 0 and time.monotonic() < deadline:
                self.progress.wait(0.05)
            if generation in self._dropped:
                return False
            if self._admit is not None:
                self._admit -= 1
            return True

    def _page_served(self, body: dict, query: str) -> None:
        with self.progress:
            self.served += 1
            self.served_with_next.append("next_token" in body.get("meta", {}))
            self.served_posts.append((query, [tweet["id"] for tweet in body.get("data", [])]))
            self.progress.notify_all()

    def search_requests(self) -> list[dict]:
        return [
            params for path, params in self.requests if path.startswith("/2/tweets/search/") and "stream" not in path
        ]

    # -- serving ---------------------------------------------------------------------------------

    def _expand(self, tweets: list[dict]) -> dict:
        users, included = {}, {}
        for tweet in tweets:
            if tweet.get("author_id") in self.users:
                users[tweet["author_id"]] = self.users[tweet["author_id"]]
            for ref in tweet.get("referenced_tweets", []):
                target = self.posts.get(ref["id"]) or self.context.get(ref["id"])
                if target:
                    included[target["id"]] = target
                    if target.get("author_id") in self.users:
                        users[target["author_id"]] = self.users[target["author_id"]]
        body: dict = {"includes": {"users": list(users.values())}}
        if included:
            body["includes"]["tweets"] = list(included.values())
        return body

    def search(self, params: dict[str, str]) -> dict:
        terms = parse_query(params.get("query", ""), self.query_limit)
        with self.lock:
            tweets = sorted(
                (t for t in self.posts.values() if self.matches(t, terms)), key=lambda t: int(t["id"]), reverse=True
            )
        if "since_id" in params:
            tweets = [t for t in tweets if int(t["id"]) > int(params["since_id"])]
        elif "start_time" in params:
            tweets = [t for t in tweets if _time(t["created_at"]) >= _time(params["start_time"])]
        if "until_id" in params:
            tweets = [t for t in tweets if int(t["id"]) < int(params["until_id"])]
        if "end_time" in params:
            tweets = [t for t in tweets if _time(t["created_at"]) < _time(params["end_time"])]
        size = int(params.get("max_results", 10))
        offset = int(params.get("next_token", "p0")[1:])
        page = tweets[offset : offset + size]
        if not page:
            return {"meta": {"result_count": 0}}
        body = {
            "data": page,
            **self._expand(page),
            "meta": {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"], "result_count": len(page)},
        }
        if offset + size < len(tweets):
            body["meta"]["next_token"] = f"p{offset + size}"
        return body

    def _handler(simulator):  # noqa: N805 (the handler class closes over the simulator)
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
                self._send(status, json.dumps(body).encode(), headers)

            def _invalid(self, error: QueryError, parameter: str = "query", value: str = "") -> None:
                """HTTP 400 as X sends it for a query it refuses."""
                self._json(
                    400,
                    {
                        "errors": [{"parameters": {parameter: [value]}, "message": str(error)}],
                        "title": "Invalid Request",
                        "detail": "One or more parameters to your request was invalid.",
                        "type": "https://api.twitter.com/2/problems/invalid-request",
                    },
                )

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {simulator.token}":
                    self._json(401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"})
                    return False
                return True

            def _fault(self) -> bool:
                if not simulator.faults:
                    return False
                kind, options = simulator.faults.popleft()
                if kind == "ok":
                    return False
                if kind == "429":
                    reset = int(time.time() + options.get("reset_in", 1))
                    self._json(
                        429,
                        {"title": "Too Many Requests", "status": 429},
                        {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
                    )
                elif kind in {"500", "502", "503"}:
                    self._json(int(kind), {"title": "Service Unavailable", "status": int(kind)})
                elif kind == "401":
                    self._json(401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"})
                elif kind == "403":
                    self._json(
                        403,
                        {
                            "title": "Client Forbidden",
                            "status": 403,
                            "reason": "client-not-enrolled",
                            "detail": "When authenticating requests to the Twitter API v2 endpoints, you "
                            "must use keys and tokens from a Twitter developer App",
                        },
                    )
                elif kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                elif kind == "truncate":
                    body = json.dumps(simulator.search(self._params())).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body) // 2))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                elif kind == "invalid":  # what a proxy in front of the API sends when it is overloaded
                    self._send(200, b"<html><body>Over capacity</body></html>")
                elif kind == "slow":
                    time.sleep(options.get("seconds", 3))  # the fault itself: slower than the client's timeout
                    self._json(200, simulator.search(self._params()))
                return True

            def _params(self) -> dict[str, str]:
                return {k: v[-1] for k, v in parse_qs(urlparse(self.path).query).items()}

            def do_GET(self):  # noqa: N802
                path = urlparse(self.path).path
                simulator.requests.append((path, self._params()))
                if not self._authorised():
                    return
                if path in ("/2/tweets/search/recent", "/2/tweets/search/all"):
                    params = self._params()
                    try:
                        if self._fault():
                            return
                        parse_query(params.get("query", ""), simulator.query_limit)
                    except QueryError as error:
                        self._invalid(error, value=params.get("query", ""))
                        return
                    if not simulator._let_through():
                        self.close_connection = True
                        return
                    if simulator.page_delay:
                        time.sleep(simulator.page_delay)  # a slower API on purpose: the delay is the fault
                    body = simulator.search(params)
                    try:
                        self._json(200, body)
                    except OSError:  # the client was killed while waiting for this page
                        self.close_connection = True
                        return
                    simulator._page_served(body, params.get("query", ""))
                elif path == "/2/tweets/search/stream/rules":
                    rules = list(simulator.rules)
                    body = (
                        {"data": rules, "meta": {"result_count": len(rules)}}
                        if rules
                        else {"meta": {"result_count": 0}}
                    )
                    self._json(200, body)
                elif path == "/2/tweets/search/stream":
                    self._stream()
                else:
                    self._json(404, {"title": "Not Found Error", "status": 404})

            def do_POST(self):  # noqa: N802
                path = urlparse(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                simulator.requests.append((path, payload))
                if not self._authorised():
                    return
                if path != "/2/tweets/search/stream/rules":
                    self._json(404, {"title": "Not Found Error", "status": 404})
                    return
                added, errors = [], []
                if "add" in payload:
                    try:
                        for rule in payload["add"]:
                            parse_query(rule.get("value", ""), simulator.query_limit)
                    except QueryError as error:
                        self._invalid(error, parameter="value", value=rule.get("value", ""))
                        return
                    with simulator.lock:
                        for rule in payload["add"]:
                            same = next((r for r in simulator.rules if r["value"] == rule["value"]), None)
                            if same:  # X keeps one rule per value
                                errors.append({"value": rule["value"], "id": same["id"], "title": "DuplicateRule"})
                                continue
                            added.append({"id": str(next(simulator._rule_ids)), **rule})
                            simulator.rules.append(added[-1])
                if "delete" in payload:
                    ids = set(payload["delete"]["ids"])
                    with simulator.lock:
                        simulator.rules[:] = [r for r in simulator.rules if r["id"] not in ids]
                body = {
                    "meta": {"sent": "now"},
                    **({"data": added} if added else {}),
                    **({"errors": errors} if errors else {}),
                }
                self._json(200, body)

            def _stream(self):
                with simulator.progress:
                    simulator.stream_connections += 1
                    simulator.progress.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

                def chunk(data: bytes) -> None:
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()

                # Deliver what is queued, with keep-alives, then hang up: the client must reconnect.
                deadline = time.monotonic() + 2.0
                while time.monotonic() < deadline:
                    if simulator.stream_messages:
                        message = simulator._stream_message(simulator.stream_messages.popleft())
                        if message is not None:
                            chunk(message + b"\r\n")
                    else:
                        chunk(b"\r\n")
                        time.sleep(0.2)  # X's keep-alive interval, scaled down: the server's pace, not a wait
                self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True

        return Handler

    def __enter__(self) -> Simulator:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
