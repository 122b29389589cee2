"""A local Bluesky XRPC server: the real atproto client talks to it over HTTP on 127.0.0.1.

It answers, in the shapes the recorded responses have (tests/data/bluesky):

- ``com.atproto.server.createSession`` (identifier and password; a wrong one gets 401
  ``AuthenticationRequired`` as the PDS answers) and ``refreshSession`` (the refresh token in the
  Authorization header; both tokens rotate, the old ones stop working). Tokens are JWTs whose ``exp``
  is ``access_seconds`` away, so atproto's own early refresh stays quiet unless a test shortens it;
  ``expire()`` makes the server refuse the current access token with 400 ``ExpiredToken``, as the
  PDS does when a token's time is up;
- ``app.bsky.feed.searchPosts`` (signed in only: 401 otherwise): ``q`` (required; its ``#tag``,
  ``from:handle`` and ``mentions:handle`` words filter, other words are ignored), ``tag`` (each
  must be among the post's tags), ``author``, ``mentions``, ``since`` (inclusive) and ``until``
  (exclusive) against ``sortAt`` = min(createdAt, indexedAt), ``sort=latest`` (newest first),
  ``limit`` 1–100, ``cursor`` (opaque); the cursor stops after ``cap`` results of one query, as the
  real ~10,000 does, whatever remains older;
- ``app.bsky.feed.getPosts`` (``uris`` ≤ 25) and ``app.bsky.actor.getProfiles`` (``actors`` ≤ 25,
  DIDs or handles): public, as on the AppView; what it does not hold is left out of the answer.

Use::

    with BlueskySimulator(cap=50) as sim:       # a free port; sim.base_url is http://127.0.0.1:<port>
        sim.add_posts(generate_views(120, seed=1, tag="cthb18"))   # PostViews (recorded or generated)
        sim.add_profiles([...])                 # ProfileViewDetailed; else made from the posts' authors
        sim.fail("429", reset_in=1)             # the next request gets it; method="…searchPosts" for one method
        ...
        sim.calls("app.bsky.feed.searchPosts")  # the request log: each call's parameters (lists)
        sim.wait(lambda: sim.served("app.bsky.feed.searchPosts") >= 3)   # wait on what it has done

``start()``/``stop()`` do what the ``with`` block does. Faults, taken in order by the first request
whose method they name (or any): ``429`` (``ratelimit-reset`` ``reset_in`` seconds ahead), ``500``,
``502`` (``UpstreamFailure``, as the AppView answers when search is overloaded), ``drop`` (the
connection closed without an answer), ``truncate`` (half the body, then the connection closed), ``invalid`` (200 with an HTML page),
``expired`` (the access token expires now: 400 ``ExpiredToken``), ``401`` (``AuthenticationRequired``)
and ``ok`` (no fault for that request). ``hold_after(n)``/``release()`` let ``n`` more searchPosts
pages through and keep the next waiting (``held`` counts them), for a test that acts (kills,
signals) mid-window: ``sim.hold_after(3); …; sim.wait(lambda: sim.held)``, act, ``release()``.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from engagement.demo import bluesky as shapes

DATA = Path(__file__).parent / "data" / "bluesky"
HANDLE = "cthb-collector.bsky.social"
PASSWORD = "sim-app-pass-wxyz-0123"
ACCOUNT_DID = "did:plc:simcollectorxxxxxxxxxxxx"
CAP = 10_000  # results of one query before the cursor stops (the real AppView's, about)
SEARCH = "app.bsky.feed.searchPosts"
GET_POSTS = "app.bsky.feed.getPosts"
GET_PROFILES = "app.bsky.actor.getProfiles"
CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"
TAG_IN_TEXT = re.compile(r"(?:^|\s)[#＃]([^\s#]+)")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def jwt(did: str, scope: str, seconds: float) -> str:
    """A JWT of the PDS's shape (unsigned: nothing here checks signatures, atproto reads only ``exp``)."""
    now = int(time.time())
    payload = {"scope": scope, "sub": did, "iat": now, "exp": now + int(seconds), "jti": secrets.token_hex(8)}
    return f"{_b64({'typ': 'at+jwt', 'alg': 'ES256K'})}.{_b64(payload)}.{secrets.token_hex(16)}"


def instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def sort_at(view: dict) -> datetime:
    """The time searchPosts sorts and filters on: the earlier of createdAt and indexedAt."""
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    times = [t for t in (instant(record.get("createdAt")), instant(view.get("indexedAt"))) if t is not None]
    return min(times) if times else datetime(1970, 1, 1, tzinfo=UTC)


def tags_of(view: dict) -> set[str]:
    """A post's tags as search indexes them: facet tags, ``record.tags`` and ``#tags`` in the text."""
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    found: set[str] = set()
    for facet in record.get("facets") or []:
        for feature in (facet or {}).get("features") or [] if isinstance(facet, dict) else []:
            if isinstance(feature, dict) and isinstance(feature.get("tag"), str):
                found.add(feature["tag"].casefold())
    found |= {t.casefold() for t in record.get("tags") or [] if isinstance(t, str)}
    text = record.get("text") if isinstance(record.get("text"), str) else ""
    found |= {m.rstrip(".,;:!?").casefold() for m in TAG_IN_TEXT.findall(text)}
    return found


def mentioned_dids(view: dict) -> set[str]:
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    return {
        feature["did"]
        for facet in record.get("facets") or []
        if isinstance(facet, dict)
        for feature in facet.get("features") or []
        if isinstance(feature, dict) and isinstance(feature.get("did"), str)
    }


def profile_from(author: dict, description: str = "", followers: int = 10) -> dict:
    """A ProfileViewDetailed (getProfiles) from a post's ProfileViewBasic author."""
    profile = {
        k: v for k, v in author.items() if k in ("did", "handle", "displayName", "avatar", "labels", "createdAt")
    }
    profile.update(
        description=description,
        followersCount=followers,
        followsCount=3,
        postsCount=12,
        indexedAt=author.get("createdAt", "2025-01-01T00:00:00.000Z"),
    )
    return profile


def recorded_views(name: str = "twitwi_bluesky-hydrated-firehose-posts.json") -> list[dict]:
    """Recorded PostViews from tests/data/bluesky (a list, or ``{posts: […]}``)."""
    loaded = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded["posts"] if isinstance(loaded, dict) else loaded


def generate_views(
    count: int,
    *,
    seed: int = 1,
    tag: str = "cthb18",
    start: datetime = datetime(2026, 5, 25, 8, 0, tzinfo=UTC),
    step: timedelta = timedelta(minutes=1),
    authors: int = 7,
) -> tuple[list[dict], list[dict]]:
    """``count`` PostViews carrying ``#tag``, one every ``step`` from ``start``, by ``authors`` seeded
    authors, written with the demo's Bluesky shapes (engagement/demo/bluesky.py); and their authors'
    profiles (getProfiles' ProfileViewDetailed, with a bio)."""
    rng = random.Random(seed)
    people = []
    for number in range(authors):
        did = shapes.did_for(seed, number)
        handle = f"demo-sim-{seed}-{number}{shapes.HANDLE_SUFFIX}"
        created = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000) + number * 86_400_000
        basic = {
            "did": did,
            "handle": handle,
            "displayName": f"Sim Author {number}",
            "labels": [],
            "createdAt": shapes.api_time(created),
        }
        people.append(basic)
    views = []
    for index in range(count):
        ms = int((start + step * index).timestamp() * 1000)
        author = people[rng.randrange(authors)]
        rkey = shapes.tid(ms * 1000 + index % 1000, index & 0x3FF)
        uri = shapes.post_uri(author["did"], rkey)
        text = shapes.fit(f"Post {index} from the conference #{tag}")
        record = shapes.record(text, ms, "en", {})
        counts = (rng.randrange(3), rng.randrange(5), rng.randrange(20), rng.randrange(2))
        views.append(shapes.post_view(uri, copy.deepcopy(author), record, ms + 200, counts))
    profiles = [profile_from(p, description=f"Researcher at a university, author {i}") for i, p in enumerate(people)]
    return views, profiles


@dataclass
class Call:
    """One request as the server saw it."""

    method: str  # the NSID
    params: dict[str, list[str]]
    signed_in: bool
    status: int = 0


@dataclass
class Account:
    handle: str = HANDLE
    password: str = PASSWORD
    did: str = ACCOUNT_DID
    email: str = "collector@example.org"


@dataclass
class Tokens:
    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)
    expired: set[str] = field(default_factory=set)


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}


class BlueskySimulator:
    def __init__(self, *, cap: int = CAP, access_seconds: float = 7200, account: Account | None = None):
        self.cap = cap
        self.access_seconds = access_seconds
        self.account = account or Account()
        self.posts: dict[str, dict] = {}
        self.profiles: dict[str, dict] = {}
        self.faults: list[tuple[str, str | None, dict]] = []
        self.log: list[Call] = []
        self.tokens = Tokens()
        self.sessions_created = 0
        self.sessions_refreshed = 0
        self.progress = threading.Condition()
        self._admit: int | None = None
        self.held = 0  # searchPosts requests waiting at a hold (hold_after) right now
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- data ---------------------------------------------------------------------------------

    def add_posts(self, views: Iterable[dict]) -> None:
        """Serve these PostViews (by URI; a later one replaces an earlier)."""
        with self.progress:
            for view in views:
                self.posts[view["uri"]] = view

    def add_profiles(self, profiles: Iterable[dict]) -> None:
        with self.progress:
            for profile in profiles:
                self.profiles[profile["did"]] = profile

    def remove_posts(self, uris: Iterable[str]) -> None:
        """The AppView no longer shows these (deleted, taken down)."""
        with self.progress:
            for uri in uris:
                self.posts.pop(uri, None)

    def fail(self, kind: str, times: int = 1, method: str | None = None, **options) -> None:
        """Queue a fault for the next ``times`` requests of ``method`` (an NSID; None: any)."""
        with self.progress:
            self.faults.extend((kind, method, options) for _ in range(times))

    def expire(self) -> None:
        """Every access token given so far expires now (the next use gets 400 ExpiredToken)."""
        with self.progress:
            self.tokens.expired |= self.tokens.access
            self.tokens.access.clear()

    # -- what it did ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def calls(self, method: str) -> list[dict[str, list[str]]]:
        """The parameters of every request of ``method`` so far, in order."""
        with self.progress:
            return [c.params for c in self.log if c.method == method]

    def served(self, method: str) -> int:
        """Requests of ``method`` answered with 200."""
        with self.progress:
            return sum(1 for c in self.log if c.method == method and c.status == 200)

    def wait(self, condition: Callable[[], bool], timeout: float = 60.0) -> bool:
        """Wait until ``condition()`` holds, looked at after every request answered; False after
        ``timeout`` seconds (a bound, not an expected duration)."""
        deadline = time.monotonic() + timeout
        with self.progress:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.progress.wait(min(left, 0.05))
        return True

    def hold_after(self, pages: int) -> None:
        """Let ``pages`` more searchPosts requests through, then hold the next until ``release()``."""
        with self.progress:
            self._admit = pages

    def release(self) -> None:
        with self.progress:
            self._admit = None
            self.progress.notify_all()

    def _let_through(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        with self.progress:
            if self._admit is not None and self._admit <= 0:
                self.held += 1
                self.progress.notify_all()
                while self._admit is not None and self._admit <= 0 and time.monotonic() < deadline:
                    self.progress.wait(0.05)
                self.held -= 1
            if self._admit is not None:
                self._admit -= 1

    # -- the methods ------------------------------------------------------------------------------

    def _take_fault(self, method: str) -> tuple[str, dict] | None:
        with self.progress:
            for index, (kind, wanted, options) in enumerate(self.faults):
                if wanted is None or wanted == method:
                    del self.faults[index]
                    return None if kind == "ok" else (kind, options)
        return None

    def _new_session(self) -> dict:
        access = jwt(self.account.did, "com.atproto.access", self.access_seconds)
        refresh = jwt(self.account.did, "com.atproto.refresh", 90 * 86_400)
        self.tokens.access.add(access)
        self.tokens.refresh.add(refresh)
        return {
            "did": self.account.did,
            "handle": self.account.handle,
            "email": self.account.email,
            "emailConfirmed": True,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
        }

    def _signed_in(self, token: str | None) -> bool:
        with self.progress:
            if token in self.tokens.access:
                return True
            if token in self.tokens.expired:
                raise XrpcError(400, "ExpiredToken", "Token has expired")
        if token is None:
            raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
        raise XrpcError(401, "InvalidToken", "Token could not be verified")

    def create_session(self, body: dict) -> dict:
        identifier, password = body.get("identifier"), body.get("password")
        known = identifier in (self.account.handle, self.account.email, self.account.did)
        if not known or password != self.account.password:
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        with self.progress:
            self.sessions_created += 1
            return self._new_session()

    def refresh_session(self, token: str | None) -> dict:
        with self.progress:
            if token not in self.tokens.refresh:
                raise XrpcError(400, "ExpiredToken", "Token has been revoked")
            self.tokens.refresh.discard(token)  # refresh tokens rotate: the old one is used up
            self.sessions_refreshed += 1
            return self._new_session()

    def _did_of(self, actor: str) -> str | None:
        if actor.startswith("did:"):
            return actor
        for view in self.posts.values():
            author = view.get("author") or {}
            if isinstance(author, dict) and author.get("handle") == actor:
                return author.get("did")
        return next((p["did"] for p in self.profiles.values() if p.get("handle") == actor), None)

    def search(self, params: dict[str, list[str]]) -> dict:
        q = (params.get("q") or [""])[-1].strip()
        if not q:
            raise XrpcError(400, "InvalidRequest", 'Error: Params must have the property "q"')
        limit = int((params.get("limit") or ["25"])[-1])
        if not 1 <= limit <= 100:
            raise XrpcError(400, "InvalidRequest", "Error: limit must be between 1 and 100")
        if (params.get("sort") or ["latest"])[-1] != "latest":
            raise XrpcError(400, "InvalidRequest", "this simulator sorts by latest only")
        tags = {t.casefold() for t in params.get("tag", [])}
        authors, mentions = set(), set()
        for word in q.split():
            if word.startswith(("#", "＃")):
                tags.add(word[1:].casefold())
            elif word.startswith("from:"):
                authors.add(self._did_of(word[5:]) or word[5:])
            elif word.startswith("mentions:"):
                mentions.add(self._did_of(word[9:]) or word[9:])
        authors |= {self._did_of(a) or a for a in params.get("author", [])}
        mentions |= {self._did_of(m) or m for m in params.get("mentions", [])}
        since = instant((params.get("since") or [None])[-1])
        until = instant((params.get("until") or [None])[-1])
        with self.progress:
            views = list(self.posts.values())
        found = []
        for view in views:
            author = (view.get("author") or {}).get("did") if isinstance(view.get("author"), dict) else None
            if tags and not tags <= tags_of(view):
                continue
            if authors and author not in authors:
                continue
            if mentions and not mentions & mentioned_dids(view):
                continue
            at = sort_at(view)
            if (since and at < since) or (until and at >= until):
                continue
            found.append((at, view.get("uri", ""), view))
        found.sort(key=lambda item: (item[0], item[1]), reverse=True)
        reachable = found[: self.cap]
        offset = int((params.get("cursor") or ["0"])[-1])
        page = reachable[offset : offset + limit]
        body: dict = {"posts": [view for _, _, view in page]}
        if offset + limit < len(reachable):
            body["cursor"] = str(offset + limit)
        return body

    def get_posts(self, params: dict[str, list[str]]) -> dict:
        uris = params.get("uris", [])
        if len(uris) > 25:
            raise XrpcError(400, "InvalidRequest", "Error: uris must not have more than 25 elements")
        with self.progress:
            return {"posts": [self.posts[u] for u in uris if u in self.posts]}

    def get_profiles(self, params: dict[str, list[str]]) -> dict:
        actors = params.get("actors", [])
        if len(actors) > 25:
            raise XrpcError(400, "InvalidRequest", "Error: actors must not have more than 25 elements")
        with self.progress:
            known = dict(self.profiles)
            for view in self.posts.values():
                author = view.get("author")
                if isinstance(author, dict) and isinstance(author.get("did"), str):
                    known.setdefault(author["did"], profile_from(author))
        found = []
        for actor in actors:
            did = (
                actor
                if actor.startswith("did:")
                else next((d for d, p in known.items() if p.get("handle") == actor), None)
            )
            if did in known:
                found.append(known[did])
        return {"profiles": found}

    def answer(self, method: str, params: dict[str, list[str]], body: dict, token: str | None) -> dict:
        if method == CREATE_SESSION:
            return self.create_session(body)
        if method == REFRESH_SESSION:
            return self.refresh_session(token)
        if method == SEARCH:
            self._signed_in(token)
            self._let_through()
            return self.search(params)
        if method in (GET_POSTS, GET_PROFILES):
            if token is not None:
                self._signed_in(token)
            return self.get_posts(params) if method == GET_POSTS else self.get_profiles(params)
        if method == "app.bsky.actor.getProfile":  # atproto's login asks for the account's own profile
            return profile_from({"did": self.account.did, "handle": self.account.handle, "labels": []})
        raise XrpcError(501, "MethodNotImplemented", f"Method Not Implemented: {method}")

    def _handler(simulator):  # noqa: N805 (the handler class closes over the simulator)
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict, headers: dict[str, str] | None = None, cut: bool = False) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data[: len(data) // 2] if cut else data)
                if cut:
                    self.close_connection = True

            def _serve(self, method: str, params: dict[str, list[str]], body: dict) -> None:
                header = self.headers.get("Authorization") or ""
                token = header.removeprefix("Bearer ").strip() or None
                call = Call(method, params, token is not None)
                with simulator.progress:
                    simulator.log.append(call)
                try:
                    fault = simulator._take_fault(method)
                    if fault is not None:
                        self._fault(call, *fault, params, body, token)
                    else:
                        answer = simulator.answer(method, params, body, token)
                        call.status = 200
                        self._send(200, answer)
                except XrpcError as error:
                    call.status = error.status
                    self._send(error.status, {"error": error.error, "message": error.message}, error.headers)
                except OSError:  # the client went away (killed) mid-answer
                    self.close_connection = True
                finally:
                    with simulator.progress:
                        simulator.progress.notify_all()

            def _fault(self, call: Call, kind: str, options: dict, params, body, token) -> None:
                if kind == "429":
                    reset = int(time.time() + options.get("reset_in", 1))
                    limits = {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
                    raise XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded", limits)
                if kind == "500":
                    raise XrpcError(500, "InternalServerError", "Internal Server Error")
                if kind == "502":
                    raise XrpcError(502, "UpstreamFailure", "Upstream Failure")
                if kind == "401":
                    raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
                if kind == "expired":
                    simulator.expire()
                    raise XrpcError(400, "ExpiredToken", "Token has expired")
                if kind == "drop":
                    call.status = -1
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if kind == "invalid":  # what a proxy in front of the AppView sends when it is overloaded
                    call.status = -3
                    data = b"<html><body>502 Bad Gateway</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if kind == "truncate":
                    call.status = -2
                    self._send(200, simulator.answer(call.method, params, body, token), cut=True)
                    return
                raise ValueError(f"unknown fault {kind!r}")

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                self._serve(url.path.removeprefix("/xrpc/"), parse_qs(url.query), {})

            def do_POST(self):  # noqa: N802
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {}
                self._serve(url.path.removeprefix("/xrpc/"), parse_qs(url.query), body)

        return Handler

    def start(self) -> BlueskySimulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> BlueskySimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
