"""A local Mastodon simulator: several instances behind one HTTP server on 127.0.0.1, spoken to
by the real Mastodon.py client.

Instances are told apart by the first segment of the path: ``sim.base_url("alpha")`` is
``http://127.0.0.1:<port>/alpha``, and each has a ``domain`` of its own (``alpha.example``), the
host of the uris of the posts written there, as ``GET /api/v2/instance`` says. It answers, in the
shapes of the recorded responses (tests/data/mastodon):

- ``GET /<instance>/api/v1/timelines/tag/:tag`` with ``any[]`` (a status with the tag or any of
  those), ``max_id``/``since_id``/``min_id``, ``limit`` (default 20, at most 40): the statuses that
  have reached that instance, newest id first. Ids are local: a post's id on an instance is its
  ``created_at`` in ms shifted 16 bits plus low bits of that instance's own, so the same post has
  another id on each instance, and one that reaches an instance late has an id dated back below the
  ids of posts read there before (``federate``). Accounts are ``user`` on their own instance and
  ``user@domain`` elsewhere; counts are per instance (``set_counts``); ``in_reply_to_id`` is the
  parent's id on that instance. The ``Link`` header is written as Mastodon writes it, but without
  ``any[]`` (as versions that drop it do), so a client that follows it loses the other tags;
- ``X-RateLimit-Limit``/``Remaining``/``Reset`` (ISO time) on every answer, counted per instance in
  fixed windows of ``window`` seconds (Mastodon's 300 in 5 minutes by default); past the limit, 429;
- ``GET /<instance>/api/v1/statuses/:id`` (a status by its local id there: a reply's parent),
  ``/api/v1/accounts/lookup?acct=``, ``/api/v1/accounts/:id/statuses``,
  ``/api/v1/accounts/verify_credentials`` and ``/api/v1/notifications`` (the mentions of the user
  a token signs in as: ``grant(instance, token, user=…)``); a post's ``mentions`` (``user@domain``)
  and a shallow 4.4+ ``quote`` (``quote_of``: the quoted post's id on that instance);
- ``GET /<instance>/api/v2/instance``: ``domain``, ``version`` and
  ``configuration.timelines_access`` as ``access(instance, …)`` sets it: ``public``,
  ``authenticated`` (the tag timeline answers 401 without a valid token), ``disabled`` (``[]`` to
  everyone) or ``closed`` (DISALLOW_UNAUTHENTICATED_API_ACCESS: every anonymous request 401). A
  token is valid on the instances ``grant`` gave it for; another gets 401.

Use::

    with MastodonSimulator(["alpha", "beta"]) as sim:
        uri = sim.post("alpha", "Hello #cthb18", tags=["cthb18"], on=["beta"])   # written on alpha, federated to beta
        sim.federate(uri, "gamma")          # reaches gamma now, with an id dated to its creation
        sim.fail("500", instance="beta")    # the next request to beta gets it
        sim.calls("beta", "timelines")      # the request log: instance, path, params, token, status
        sim.wait(lambda: sim.served("alpha") >= 3)

Faults, taken in order by the first request they match (instance, and a path fragment):
``429`` (``reset_in`` seconds), ``500``, ``502``, ``503``, ``drop`` (the connection closed without
an answer), ``truncate`` (half the body, then the connection closed), ``short`` (half the body with
a Content-Length that says so: a 200 whose JSON is cut), ``401``, ``ok``. ``hold_after(n)`` /
``release()`` let ``n`` more timeline pages through and keep the next waiting (``held`` counts
them), for a test that acts mid-pass: ``sim.hold_after(3); …; sim.wait(lambda: sim.held)``.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlparse

DATA = Path(__file__).parent / "data" / "mastodon"
LIMIT, WINDOW = 300, 300.0


def recorded(name: str) -> list[dict]:
    """The recorded responses of ``name``.bodies.json (tests/data/mastodon)."""
    return json.loads((DATA / f"{name}.bodies.json").read_text(encoding="utf-8"))


def _template() -> tuple[dict, dict]:
    """A recorded remote status and a recorded ``/api/v2/instance`` body, the shapes served."""
    status = recorded("rtoot_get_timeline_hashtag_anonymous")[0]["body"][1]
    instance = next(r["body"] for r in recorded("mastodonpy_test_hashtag_tl") if "/api/v2/instance" in r["uri"])
    return status, instance


STATUS, INSTANCE = _template()


def api_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _low_bits(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\n".join(parts).encode()).digest()[:2], "big")


@dataclass
class Toot:
    """A post as its origin instance holds it."""

    origin: str  # the instance it was written on
    username: str
    text: str
    tags: list[str]
    created_at: datetime
    uri: str = ""
    url: str = ""
    spoiler_text: str = ""
    language: str | None = "en"
    edited_at: datetime | None = None
    in_reply_to: str | None = None  # the parent's uri
    quote_of: str | None = None  # the quoted post's uri (4.4+ ``quote``, shallow: its id only)
    mentions: list[str] = field(default_factory=list)  # user@domain of the accounts mentioned
    visibility: str = "public"
    display_name: str = ""
    note: str = ""
    raw: dict | None = None  # served as it is (a malformed status)


@dataclass
class Copy:
    """A post as it has reached one instance: its local id there and that instance's counts."""

    id: int
    arrived: float
    counts: dict[str, int] = field(default_factory=lambda: {"replies": 0, "reblogs": 0, "favourites": 0})


@dataclass
class Call:
    """One request as the server saw it."""

    instance: str
    path: str
    params: dict[str, list[str]]
    token: str | None
    at: float
    status: int = 0


@dataclass
class Site:
    name: str
    domain: str
    access: str = "public"  # public | authenticated | disabled | closed
    local_access: str | None = None  # hashtag_feeds.local, when it differs from remote
    tokens: set[str] = field(default_factory=set)
    users: dict[str, str] = field(default_factory=dict)  # token → the username it signs in as
    copies: dict[str, Copy] = field(default_factory=dict)  # by uri
    used: set[int] = field(default_factory=set)
    windows: dict[int, int] = field(default_factory=dict)  # window number → requests counted


class MastodonSimulator:
    def __init__(self, instances: Iterable[str] = ("alpha", "beta"), *, limit: int = LIMIT, window: float = WINDOW):
        self.sites = {name: Site(name, f"{name}.example") for name in instances}
        self.limit, self.window = limit, window
        self.toots: dict[str, Toot] = {}
        self.faults: list[tuple[str, str | None, str | None, dict]] = []
        self.log: list[Call] = []
        self.progress = threading.Condition()
        self._admit: int | None = None
        self.held = 0  # timeline requests waiting at a hold (hold_after) right now
        self._sequence = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- data ---------------------------------------------------------------------------------

    def base_url(self, instance: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{instance}"

    def key(self, instance: str) -> str:
        """How MASTODON_TOKENS and the resume points name the instance (its base URL, no scheme)."""
        return self.base_url(instance).split("://", 1)[1]

    def domain(self, instance: str) -> str:
        return self.sites[instance].domain

    def post(
        self,
        instance: str,
        text: str,
        *,
        tags: Iterable[str] = (),
        on: Iterable[str] = (),
        created_at: datetime | None = None,
        username: str = "someone",
        counts: tuple[int, int, int] = (0, 0, 0),
        **fields: Any,
    ) -> str:
        """Write a post on ``instance`` (and federate it at once to ``on``); returns its uri.
        ``counts`` are (replies, reblogs, favourites) on every instance it is on; ``set_counts`` for one."""
        with self.progress:
            self._sequence += 1
            created_at = created_at or datetime.now(UTC) - timedelta(seconds=1)
            site = self.sites[instance]
            toot = Toot(instance, username, text, list(tags), created_at, **fields)
            local = self._new_id(site, toot.created_at, f"{instance}:{self._sequence}")
            toot.uri = toot.uri or f"https://{site.domain}/users/{username}/statuses/{local}"
            toot.url = toot.url or f"https://{site.domain}/@{username}/{local}"
            toot.display_name = toot.display_name or username.title()
            self.toots[toot.uri] = toot
            site.copies[toot.uri] = Copy(local, time.time(), self._counts(counts))
            for other in on:
                self._federate(toot.uri, other, counts)
            return toot.uri

    def inject(
        self, instance: str, status: dict, *, tag: str, created_at: datetime | None = None, with_id: bool = True
    ) -> str:
        """Serve ``status`` as it is (malformed, say) on ``instance``'s timeline of ``tag``, given a
        local id unless it has one or ``with_id`` is False; returns the key it is held by."""
        with self.progress:
            self._sequence += 1
            key = f"raw:{self._sequence}"
            created_at = created_at or datetime.now(UTC) - timedelta(seconds=1)
            raw = status if with_id else {**status, "__no_id": True}
            toot = Toot(instance, "raw", "", [tag], created_at, uri=key, raw=raw)
            self.toots[key] = toot
            site = self.sites[instance]
            site.copies[key] = Copy(self._new_id(site, created_at, key), time.time())
            return key

    def federate(self, uri: str, instance: str, counts: tuple[int, int, int] = (0, 0, 0)) -> str:
        """The post reaches ``instance`` now; its id there is dated to its creation. Returns the id."""
        with self.progress:
            return self._federate(uri, instance, counts)

    def _federate(self, uri: str, instance: str, counts: tuple[int, int, int]) -> str:
        site, toot = self.sites[instance], self.toots[uri]
        if uri not in site.copies:
            site.copies[uri] = Copy(self._new_id(site, toot.created_at, uri), time.time(), self._counts(counts))
        return str(site.copies[uri].id)

    def _new_id(self, site: Site, created_at: datetime, salt: str) -> int:
        local = (int(created_at.timestamp() * 1000) << 16) | _low_bits(site.name, salt)
        while local in site.used:
            local += 1
        site.used.add(local)
        return local

    @staticmethod
    def _counts(counts: tuple[int, int, int]) -> dict[str, int]:
        return {"replies": counts[0], "reblogs": counts[1], "favourites": counts[2]}

    def set_counts(self, uri: str, instance: str, *, replies: int = 0, reblogs: int = 0, favourites: int = 0) -> None:
        with self.progress:
            self.sites[instance].copies[uri].counts = {"replies": replies, "reblogs": reblogs, "favourites": favourites}

    def edit(self, uri: str, text: str, edited_at: datetime | None = None) -> None:
        """The author edits the post: every instance that has it shows the new text."""
        with self.progress:
            toot = self.toots[uri]
            toot.text, toot.edited_at = text, edited_at or datetime.now(UTC)

    def id_on(self, uri: str, instance: str) -> str:
        with self.progress:
            return str(self.sites[instance].copies[uri].id)

    def access(self, instance: str, hashtag_feeds: str, local: str | None = None) -> None:
        """``public``, ``authenticated``, ``disabled`` or ``closed`` (see the module docstring)."""
        with self.progress:
            self.sites[instance].access, self.sites[instance].local_access = hashtag_feeds, local

    def grant(self, instance: str, token: str, user: str | None = None) -> None:
        """``token`` is valid on ``instance``, signed in as ``user`` (a username there) if given."""
        with self.progress:
            self.sites[instance].tokens.add(token)
            if user is not None:
                self.sites[instance].users[token] = user

    def fail(self, kind: str, times: int = 1, instance: str | None = None, path: str | None = None, **options) -> None:
        """Queue a fault for the next ``times`` requests to ``instance`` (None: any) whose path has
        ``path`` in it (None: any)."""
        with self.progress:
            self.faults.extend((kind, instance, path, options) for _ in range(times))

    # -- what it did ----------------------------------------------------------------------------

    def calls(self, instance: str | None = None, path: str = "") -> list[Call]:
        with self.progress:
            return [c for c in self.log if (instance is None or c.instance == instance) and path in c.path]

    def served(self, instance: str | None = None, path: str = "timelines") -> int:
        """Requests answered with 200."""
        return sum(1 for c in self.calls(instance, path) if c.status == 200)

    def busiest_window(self, instance: str) -> int:
        """The most requests the instance counted in any one rate-limit window."""
        with self.progress:
            return max(self.sites[instance].windows.values(), default=0)

    def refused(self, status: int = 429) -> int:
        return sum(1 for c in self.calls() if c.status == status)

    def wait(self, condition: Callable[[], bool], timeout: float = 60.0) -> bool:
        """Wait until ``condition()`` holds, looked at after every answer; False after ``timeout``
        seconds (a bound, not an expected duration)."""
        deadline = time.monotonic() + timeout
        with self.progress:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.progress.wait(min(left, 0.05))
        return True

    def hold_after(self, pages: int) -> None:
        """Let ``pages`` more timeline requests through, then hold the next until ``release()``."""
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

    # -- rendering ------------------------------------------------------------------------------

    def _account(self, site: Site, toot: Toot) -> dict:
        origin = self.sites[toot.origin]
        account = copy.deepcopy(STATUS["account"])
        local = site.name == toot.origin
        account.update(
            id=str(_low_bits(site.name, origin.domain, toot.username) + 100_000),
            username=toot.username,
            acct=toot.username if local else f"{toot.username}@{origin.domain}",
            display_name=toot.display_name,
            note=toot.note or f"<p>{html.escape(toot.username)} writes here</p>",
            url=f"https://{origin.domain}/@{toot.username}",
            uri=f"https://{origin.domain}/users/{toot.username}",
            followers_count=10,
        )
        return account

    def _content(self, toot: Toot) -> str:
        domain = self.sites[toot.origin].domain
        links = " ".join(
            f'<a href="https://{domain}/tags/{quote(t)}" class="mention hashtag" rel="tag">#<span>{html.escape(t)}</span></a>'
            for t in toot.tags
            if f"#{t}".casefold() not in toot.text.casefold()
        )
        return f"<p>{html.escape(toot.text)}{' ' + links if links else ''}</p>"

    def render(self, site: Site, uri: str) -> dict:
        """The post as ``site`` serves it."""
        toot, held = self.toots[uri], site.copies[uri]
        if toot.raw is not None:
            raw = copy.deepcopy(toot.raw)
            if raw.pop("__no_id", False):
                raw.pop("id", None)
                return raw
            return raw | ({"id": str(held.id)} if "id" not in raw else {})
        status = copy.deepcopy(STATUS)
        parent = site.copies.get(toot.in_reply_to) if toot.in_reply_to else None
        account = self._account(site, toot)
        quoted = site.copies.get(toot.quote_of) if toot.quote_of else None
        if quoted is not None:
            status["quote"] = {"state": "accepted", "quoted_status_id": str(quoted.id)}
        status.update(
            id=str(held.id),
            created_at=api_time(toot.created_at),
            edited_at=api_time(toot.edited_at) if toot.edited_at else None,
            in_reply_to_id=str(parent.id) if parent else None,
            in_reply_to_account_id=(
                self._account(site, self.toots[toot.in_reply_to])["id"] if parent and toot.in_reply_to else None
            ),
            spoiler_text=toot.spoiler_text,
            sensitive=bool(toot.spoiler_text),
            visibility=toot.visibility,
            language=toot.language,
            uri=toot.uri,
            url=toot.url,
            replies_count=held.counts["replies"],
            reblogs_count=held.counts["reblogs"],
            favourites_count=held.counts["favourites"],
            content=self._content(toot),
            account=account,
            tags=[{"name": t.lower(), "url": f"https://{site.domain}/tags/{quote(t.lower())}"} for t in toot.tags],
            mentions=[self._mention(site, acct) for acct in toot.mentions],
            media_attachments=[],
            card=None,
            reblog=None,
        )
        return status

    def _mention(self, site: Site, acct: str) -> dict:
        user, _, domain = acct.partition("@")
        local = domain == site.domain
        return {
            "id": str(_low_bits(site.name, domain, user) + 100_000),
            "username": user,
            "acct": user if local else acct,
            "url": f"https://{domain}/@{user}",
        }

    def _page(self, site: Site, uris: Iterable[str], params: dict[str, list[str]]) -> list[tuple[int, str]]:
        """Of ``uris`` held by ``site``, one page by ``max_id`` and ``limit``, newest id first."""
        limit = max(1, min(40, int((params.get("limit") or ["20"])[-1])))
        raw = (params.get("max_id") or [None])[-1]
        max_id = int(raw) if raw and raw.isdigit() else None
        found = [(site.copies[uri].id, uri) for uri in uris if uri in site.copies]
        return sorted((f for f in found if max_id is None or f[0] < max_id), reverse=True)[:limit]

    def _user_toot(self, site: Site, acct: str) -> Toot | None:
        """A post of the account ``acct`` (``user`` on ``site`` itself, else ``user@domain``), for
        its account object."""
        user, _, domain = acct.partition("@")
        domain = domain or site.domain
        for toot in self.toots.values():
            if toot.raw is None and toot.username == user and self.sites[toot.origin].domain == domain:
                return toot
        return None

    def statuses_of(self, site: Site, account_id: str, params: dict[str, list[str]]) -> list[dict]:
        uris = [
            uri
            for uri, toot in self.toots.items()
            if toot.raw is None and uri in site.copies and self._account(site, toot)["id"] == account_id
        ]
        return [self.render(site, uri) for _, uri in self._page(site, uris, params)]

    def notifications(self, site: Site, user: str, params: dict[str, list[str]]) -> list[dict]:
        """The mentions of ``user`` (a username on ``site``) in the posts that reached it; a
        notification's id is the status's id there."""
        acct = f"{user}@{site.domain}"
        uris = [uri for uri, toot in self.toots.items() if toot.raw is None and acct in toot.mentions]
        found = []
        for local, uri in self._page(site, uris, params):
            status = self.render(site, uri)
            found.append(
                {
                    "id": str(local),
                    "type": "mention",
                    "created_at": status["created_at"],
                    "account": status["account"],
                    "status": status,
                }
            )
        return found

    def timeline(
        self, site: Site, tag: str, params: dict[str, list[str]], only_local: bool = False
    ) -> tuple[list[dict], list[int]]:
        wanted = {tag.casefold()} | {t.casefold() for t in params.get("any[]", [])}
        limit = max(1, min(40, int((params.get("limit") or ["20"])[-1])))

        def bound(name: str) -> int | None:
            raw = (params.get(name) or [None])[-1]
            return int(raw) if raw and raw.isdigit() else None

        max_id, since_id, min_id = bound("max_id"), bound("since_id"), bound("min_id")
        found = []
        for uri, held in site.copies.items():
            toot = self.toots[uri]
            if not wanted & {t.casefold() for t in toot.tags} or (only_local and toot.origin != site.name):
                continue
            if (max_id is not None and held.id >= max_id) or (since_id is not None and held.id <= since_id):
                continue
            if min_id is not None and held.id <= min_id:
                continue
            found.append((held.id, uri))
        # With min_id: the page just above it, still given newest first.
        page = sorted(found)[:limit][::-1] if min_id is not None else sorted(found, reverse=True)[:limit]
        return [self.render(site, uri) for _, uri in page], [local for local, _ in page]

    def instance_body(self, site: Site) -> dict:
        body = copy.deepcopy(INSTANCE)
        body.update(domain=site.domain, title=f"{site.name.title()} (simulated)")
        feeds = {"local": site.local_access or site.access, "remote": site.access}
        feeds = {k: ("authenticated" if v == "closed" else v) for k, v in feeds.items()}
        body["configuration"]["timelines_access"] = {
            "live_feeds": dict(feeds),
            "hashtag_feeds": dict(feeds),
            "trending_link_feeds": dict(feeds),
        }
        return body

    # -- the server -----------------------------------------------------------------------------

    def _take_fault(self, instance: str, path: str) -> tuple[str, dict] | None:
        with self.progress:
            for index, (kind, wanted, fragment, options) in enumerate(self.faults):
                if (wanted is None or wanted == instance) and (fragment is None or fragment in path):
                    del self.faults[index]
                    return None if kind == "ok" else (kind, options)
        return None

    def _count(self, site: Site) -> tuple[dict[str, str], bool]:
        """Count the request in the instance's window: its rate-limit headers, and whether it is over."""
        with self.progress:
            now = time.time()
            number = int(now // self.window)
            site.windows[number] = site.windows.get(number, 0) + 1
            used = site.windows[number]
            reset = datetime.fromtimestamp((number + 1) * self.window, tz=UTC)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - used)),
            "X-RateLimit-Reset": api_time(reset),
        }
        return headers, used > self.limit

    def _authorised(self, site: Site, token: str | None) -> bool | None:
        """True: a valid token; None: none given; a wrong one is refused."""
        if token is None:
            return None
        if token in site.tokens:
            return True
        raise HttpError(401, "The access token is invalid")

    def answer(self, site: Site, path: str, params: dict[str, list[str]], token: str | None) -> tuple[Any, dict]:
        signed_in = self._authorised(site, token)
        if site.access == "closed" and not signed_in:
            raise HttpError(401, "This API requires an authenticated user")
        if path.rstrip("/") == "/api/v2/instance":
            return self.instance_body(site), {}
        if path.startswith("/api/v1/statuses/"):
            local = path.removeprefix("/api/v1/statuses/")
            with self.progress:
                uri = next((u for u, held in site.copies.items() if str(held.id) == local), None)
                if uri is None:
                    raise HttpError(404, "Record not found")
                return self.render(site, uri), {}
        if path == "/api/v1/accounts/lookup":
            with self.progress:
                toot = self._user_toot(site, (params.get("acct") or [""])[-1].lstrip("@"))
                if toot is None:
                    raise HttpError(404, "Record not found")
                return self._account(site, toot), {}
        if path == "/api/v1/accounts/verify_credentials":
            user = site.users.get(token or "")
            with self.progress:
                toot = self._user_toot(site, user) if user else None
            if toot is None:
                raise HttpError(401, "The access token is invalid")
            return self._account(site, toot), {}
        if path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
            with self.progress:
                return self.statuses_of(site, path.split("/")[4], params), {}
        if path == "/api/v1/notifications":
            user = site.users.get(token or "")
            if not user:
                raise HttpError(401, "This API requires an authenticated user")
            with self.progress:
                return self.notifications(site, user, params), {}
        prefix = "/api/v1/timelines/tag/"
        if path.startswith(prefix):
            tag = unquote(path[len(prefix) :])
            if site.access == "disabled" and site.local_access in (None, "disabled"):
                return [], {}
            # Remote posts for signed-in readers only, local ones for anyone: the local posts alone.
            only_local = site.access != "public" and not signed_in and site.local_access == "public"
            if site.access == "authenticated" and not signed_in and not only_local:
                raise HttpError(401, "This API requires an authenticated user")
            self._let_through()
            with self.progress:
                statuses, ids = self.timeline(site, tag, params, only_local=only_local)
            headers = {}
            if ids:
                base = f"https://{site.domain}{prefix}{quote(tag)}"
                limit = (params.get("limit") or ["20"])[-1]
                # As Mastodon writes it, less any[] (dropped by some versions: never to be followed).
                headers["Link"] = (
                    f'<{base}?limit={limit}&max_id={ids[-1]}>; rel="next", <{base}?limit={limit}&min_id={ids[0]}>; rel="prev"'
                )
            return statuses, headers
        raise HttpError(404, "Record not found")

    def _handler(simulator):  # noqa: N805 (the handler class closes over the simulator)
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str], cut: str = "") -> None:
                data = json.dumps(body).encode()
                shown = data[: len(data) // 2] if cut else data
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(shown if cut == "short" else data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(shown)
                if cut:
                    self.close_connection = True

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                name, _, rest = url.path.lstrip("/").partition("/")
                path, params = "/" + rest, parse_qs(url.query)
                header = self.headers.get("Authorization") or ""
                token = header.removeprefix("Bearer ").strip() or None
                call = Call(name, path, params, token, time.time())
                with simulator.progress:
                    simulator.log.append(call)
                site = simulator.sites.get(name)
                limits: dict[str, str] = {}
                try:
                    if site is None:
                        raise HttpError(404, "no such instance")
                    limits, over = simulator._count(site)
                    fault = simulator._take_fault(name, path)
                    if fault is not None:
                        self._fault(call, site, *fault, limits)
                    elif over:
                        raise HttpError(429, "Too many requests", limits)
                    else:
                        body, headers = simulator.answer(site, path, params, token)
                        call.status = 200
                        self._send(200, body, {**limits, **headers})
                except HttpError as error:
                    call.status = error.status
                    self._send(error.status, {"error": error.message}, {**limits, **error.headers})
                except OSError:  # the client went away (killed) mid-answer
                    self.close_connection = True
                finally:
                    with simulator.progress:
                        simulator.progress.notify_all()

            def _fault(self, call: Call, site: Site, kind: str, options: dict, limits: dict) -> None:
                if kind == "429":
                    reset = datetime.now(UTC) + timedelta(seconds=options.get("reset_in", 1))
                    headers = {**limits, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": api_time(reset)}
                    raise HttpError(429, "Too many requests", headers)
                if kind in ("500", "502", "503"):
                    raise HttpError(int(kind), "We're sorry, but something went wrong on our end.")
                if kind == "401":
                    raise HttpError(401, "This API requires an authenticated user")
                if kind == "drop":
                    call.status = -1
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if kind in ("truncate", "short"):
                    call.status = -2
                    body, headers = simulator.answer(site, call.path, call.params, call.token)
                    self._send(200, body, {**limits, **headers}, cut=kind)
                    return
                raise ValueError(f"unknown fault {kind!r}")

        return Handler

    def start(self) -> MastodonSimulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> MastodonSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class HttpError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}
