"""A local X API v2 simulator: the real worker (real tweepy, real requests) talks to it over HTTP.

It serves recent and full-archive search and the filtered stream (with its rules) from real-shaped
posts, honours ``since_id``, ``until_id``, ``start_time``, ``end_time``, ``max_results`` and
``next_token``, checks the bearer token, and injects faults on demand: 429 with
``x-rate-limit-reset``, 5xx, 401, 403, a dropped connection, a body cut off mid-JSON, a body
that is not JSON at all, a response slower than the client's timeout; ``ok`` in the fault queue
serves one request normally, so faults can be interleaved with successes.

Tests synchronise on what it has done, not on time: ``served`` counts the search pages it has sent
whole (``wait_served`` waits for a number of them, with a deadline; ``wait`` for any condition,
such as ``stream_connections`` reaching a number), and ``hold_after(n)`` lets ``n`` more pages
through and keeps the requests after them waiting until ``release()``, so a client cannot run past
a chosen page while a test acts on it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

TOKEN = "sim-bearer-token-0123456789"


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Simulator:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.posts: dict[str, dict] = {}  # collectable posts by id
        self.users: dict[str, dict] = {}
        self.context: dict[str, dict] = {}  # posts only referenced
        self.faults: deque[tuple[str, dict]] = deque()
        self.stream_messages: deque[bytes] = deque()
        self.rules: list[dict] = []
        self.requests: list[tuple[str, dict]] = []
        self.page_delay = 0.0
        self.lock = threading.Lock()
        # Search pages served whole without a fault (status 200, body written), and whether each had a next.
        self.served = 0
        self.served_with_next: list[bool] = []
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
        """Take posts and users from search pages (e.g. a twarc2 file's lines)."""
        with self.lock:
            for page in pages:
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
        if raw is not None:
            self.stream_messages.append(raw)
        for tweet_id in tweet_ids:
            tweet = self.posts[tweet_id]
            self.stream_messages.append(
                json.dumps(
                    {**self._expand([tweet]), "data": tweet, "matching_rules": [{"id": "1", "tag": "event-hashtags"}]}
                ).encode()
            )

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

    def _page_served(self, body: dict) -> None:
        with self.progress:
            self.served += 1
            self.served_with_next.append("next_token" in body.get("meta", {}))
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
        with self.lock:
            tweets = sorted(self.posts.values(), key=lambda t: int(t["id"]), reverse=True)
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
                    if self._fault():
                        return
                    if not simulator._let_through():
                        self.close_connection = True
                        return
                    if simulator.page_delay:
                        time.sleep(simulator.page_delay)  # a slower API on purpose: the delay is the fault
                    body = simulator.search(self._params())
                    try:
                        self._json(200, body)
                    except OSError:  # the client was killed while waiting for this page
                        self.close_connection = True
                        return
                    simulator._page_served(body)
                elif path == "/2/tweets/search/stream/rules":
                    body = (
                        {"data": simulator.rules, "meta": {"result_count": len(simulator.rules)}}
                        if simulator.rules
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
                if "add" in payload:
                    for rule in payload["add"]:
                        simulator.rules.append({"id": str(len(simulator.rules) + 100), **rule})
                if "delete" in payload:
                    ids = set(payload["delete"]["ids"])
                    simulator.rules[:] = [r for r in simulator.rules if r["id"] not in ids]
                self._json(200, {"data": simulator.rules, "meta": {"sent": "now"}})

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
                        chunk(simulator.stream_messages.popleft() + b"\r\n")
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
