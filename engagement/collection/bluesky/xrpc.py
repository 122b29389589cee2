"""Bluesky's XRPC API: atproto's client, the signed-in session kept across runs, and what a call
does when it fails. Kept apart as the X client and its retry policy are (x/client.py, x/retry.py).

- The client: atproto's ``Client(base_url=…)``. Calls go through ``invoke_query`` so that a page
  comes back as its raw JSON: atproto's models validate a whole page at once, and one malformed
  post would fail it; the normaliser reads each post alone and rejects only the bad one.
- The session: created once with ``BLUESKY_HANDLE`` and ``BLUESKY_APP_PASSWORD`` (createSession is
  limited to 30 per 5 minutes and 300 a day per account), kept in the database's ``setting`` table
  as atproto's session string, and used again by the next run. A refresh rotates both tokens: the
  new string is stored at once (atproto's session-change callback), since the old refresh token no
  longer works. The string is never logged, printed or shown (``status`` and ``config`` do not read
  the setting table; a SQLite ``backup`` copies it with the rest of the database).
- The policy (``Caller.query``): 429 waits for ``ratelimit-reset`` (interruptibly: ``Stopper``);
  5xx, ``UpstreamFailure``, dropped connections, timeouts and bodies cut off mid-JSON are retried
  with the project's backoff; ``ExpiredToken`` refreshes the session (or signs in again when the
  refresh token is spent) and asks again; a 401 at sign-in stops at once with what to fix, without
  the secret; other 4xx stop with the server's message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from atproto_client import Client, models  # type: ignore[import-untyped]
from atproto_client.client.session import Session as AtprotoSession  # type: ignore[import-untyped]
from atproto_client.client.session import SessionEvent
from atproto_client.exceptions import (  # type: ignore[import-untyped]
    BadRequestError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    RequestException,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError  # type: ignore[import-untyped]
from atproto_client.request import Request  # type: ignore[import-untyped]

from engagement import settings
from engagement.collection.x.retry import FatalAPIError, GaveUp, NeverStop, Stopped, Stopper, backoff
from engagement.storage import db, flags

__all__ = [
    "Caller",
    "FatalAPIError",
    "GaveUp",
    "NeverStop",
    "Policy",
    "Stopped",
    "make_client",
    "sign_in",
]

log = logging.getLogger("ingest.bluesky")
# httpx logs every request's URL at INFO: thousands of lines a pass, and nothing a person acts on.
logging.getLogger("httpx").setLevel(logging.WARNING)

SESSION_SETTING = "bluesky_session"
SEARCH_POSTS = "app.bsky.feed.searchPosts"
GET_POSTS = "app.bsky.feed.getPosts"
GET_PROFILES = "app.bsky.actor.getProfiles"
# Seconds to wait for an answer: searchPosts pages of 100 came in well under a second in the
# recorded runs; 30 s is the X client's bound too, far past a healthy answer.
TIMEOUT = 30.0
# Backoff for transient failures: as the X worker's (x/retry.py), the first retry waits up to 1 s,
# doubling to at most 60 s, 8 failures in a row before giving up.
BASE_DELAY, MAX_DELAY, MAX_ATTEMPTS = 1.0, 60.0, 8
# Errors the server names that retrying can mend (the AppView's search cluster behind the PDS).
TRANSIENT_ERRORS = {"UpstreamFailure", "UpstreamTimeout", "InternalServerError", "NotEnoughResources"}
CREDENTIALS = "check BLUESKY_HANDLE (the account's handle or email) and BLUESKY_APP_PASSWORD (an app password)"


class IncompleteBody(ValueError):
    """A 200 whose body is not a whole JSON object."""


@dataclass
class Policy:
    """How a call fails: ``attempts`` failures in a row before giving up, the backoff's first step
    and cap in seconds, and whether a 429 waits for its reset (the stream's one-attempt hydration
    does not wait: what fails is left for the next pass)."""

    attempts: int = MAX_ATTEMPTS
    base: float = BASE_DELAY
    cap: float = MAX_DELAY
    wait_for_reset: bool = True

    @classmethod
    def once(cls) -> Policy:
        return cls(attempts=1, base=0.0, cap=0.0, wait_for_reset=False)


def make_client(base_url: str, timeout: float = TIMEOUT) -> Client:
    """atproto's client for ``base_url`` (a PDS, or an AppView for the public methods)."""
    return Client(base_url=base_url, request=Request(timeout=timeout))


def error_name(error: BaseException) -> str | None:
    """The XRPC error's name (``ExpiredToken``, ``UpstreamFailure``…), when the server sent one."""
    response = getattr(error, "response", None)
    content = getattr(response, "content", None)
    if isinstance(content, XrpcError):
        return content.error
    if isinstance(content, dict) and isinstance(content.get("error"), str):
        return content["error"]
    return None


def status_of(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def describe(error: BaseException) -> str:
    """What failed, in a few words; never a token (atproto's messages hold none)."""
    if isinstance(error, RequestErrorBase) and error.response is not None:
        return f"HTTP {error}"
    if isinstance(error, httpx.TimeoutException) or "Timeout" in type(error).__name__:
        return "timed out"
    if isinstance(error, httpx.TransportError | NetworkError):
        return f"connection failed ({type(error.__cause__ or error).__name__})"
    return str(error) or type(error).__name__


def _transient(error: BaseException) -> bool:
    if isinstance(error, httpx.TransportError | IncompleteBody | ValueError):
        return True
    if isinstance(error, NetworkError):  # no answer, a timeout, or 409/413/502
        return True
    if error_name(error) in TRANSIENT_ERRORS:
        return True
    status = status_of(error)
    return isinstance(error, RequestException) and status is not None and status >= 500


def _account_key(service: str, identifier: str) -> str:
    """Which account and server a stored session belongs to, without storing the handle itself."""
    return hashlib.sha256(f"{service}\n{identifier.casefold()}".encode()).hexdigest()


def load_session(url: str | None, service: str, identifier: str) -> str | None:
    """The stored session string for this account on this server, or None."""
    with db.reading(url) as session:
        raw = flags.get(session, SESSION_SETTING)
    try:
        stored = json.loads(raw) if raw else {}
    except ValueError:
        return None
    if not isinstance(stored, dict) or stored.get("account") != _account_key(service, identifier):
        return None
    value = stored.get("session")
    return value if isinstance(value, str) and value else None


def save_session(url: str | None, service: str, identifier: str, session_string: str) -> None:
    value = json.dumps({"account": _account_key(service, identifier), "session": session_string})

    def write() -> None:
        with db.writing(url) as session:
            flags.put(session, SESSION_SETTING, value)

    db.retry_locked(write)


def forget_session(url: str | None) -> None:
    def write() -> None:
        with db.writing(url) as session:
            flags.put(session, SESSION_SETTING, "{}")

    db.retry_locked(write)


class Caller:
    """One client and the policy its calls follow. ``credentials`` (handle, app password) and
    ``url`` (the database the session is kept in) for a signed-in client; neither for the AppView's
    public methods."""

    def __init__(
        self,
        client: Client,
        *,
        stop: Stopper | None = None,
        policy: Policy | None = None,
        url: str | None = None,
        credentials: tuple[str, str] | None = None,
        service: str | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.stop: Stopper = stop or NeverStop()
        self.policy = policy or Policy()
        self.url = url
        self.credentials = credentials
        self.service = service or ""
        self.now = now
        self.signed_in = False
        self.sessions_created = 0
        self.sessions_refreshed = 0
        if credentials is not None:
            client.on_session_change(self._session_changed)

    # -- the session -----------------------------------------------------------------------------

    def _session_changed(self, event: SessionEvent, session: AtprotoSession) -> None:
        if event == SessionEvent.IMPORT or self.credentials is None:
            return  # read from the database: nothing new to keep
        if event == SessionEvent.CREATE:
            self.sessions_created += 1
        else:
            self.sessions_refreshed += 1
        save_session(self.url, self.service, self.credentials[0], session.export())
        log.info("bluesky: session %s and stored", "created" if event == SessionEvent.CREATE else "refreshed")

    def sign_in(self) -> None:
        """Use the stored session, or create one with the app password (a 401 is fatal)."""
        if self.credentials is None:
            raise FatalAPIError(f"Bluesky search needs a signed-in account: {CREDENTIALS}")
        stored = load_session(self.url, self.service, self.credentials[0])
        if stored is not None:
            try:
                self.client.login(session_string=stored, fetch_bsky_profile=False)
                self.signed_in = True
                log.info("bluesky: using the stored session")
                return
            except (ValueError, RequestErrorBase) as error:  # unreadable, or its refresh was refused
                log.warning("bluesky: the stored session cannot be used (%s); signing in again", describe(error))
        self._create_session()

    def _create_session(self) -> None:
        assert self.credentials is not None
        identifier, password = self.credentials
        for failures in range(self.policy.attempts):
            if self.stop():
                raise Stopped("sign-in")
            try:
                self.client.login(identifier, password, fetch_bsky_profile=False)
                self.signed_in = True
                return
            except UnauthorizedError as error:
                raise FatalAPIError(self._refused(error)) from None
            except BadRequestError as error:
                if error_name(error) in ("AuthFactorTokenRequired", "AccountTakedown", "InvalidRequest"):
                    raise FatalAPIError(self._refused(error)) from None
                raise FatalAPIError(f"Bluesky sign-in: {describe(error)}") from None
            except RateLimitExceededError as error:
                self._wait_for_reset(error, "sign-in")
            except Exception as error:
                if not _transient(error) or failures + 1 >= self.policy.attempts:
                    raise GaveUp(f"Bluesky sign-in: {failures + 1} failure(s), the last: {describe(error)}") from None
                self._back_off(failures + 1, error, "sign-in")
        raise GaveUp("Bluesky sign-in: no attempt left")

    def _refused(self, error: RequestErrorBase) -> str:
        status = status_of(error)
        return f"Bluesky refused the sign-in (HTTP {status} {error_name(error) or ''}): {CREDENTIALS}".replace(
            " )", ")"
        )

    def _renew(self) -> None:
        """After ExpiredToken: refresh the session (rotating both tokens), or sign in again."""
        try:
            # atproto refreshes by itself only ahead of the access token's ``exp``; a server that
            # expires it sooner (a revoked session, a clock apart) answers ExpiredToken instead.
            self.client._refresh_and_set_session()
        except (BadRequestError, UnauthorizedError) as error:
            log.warning("bluesky: the session could not be refreshed (%s); signing in again", describe(error))
            self._create_session()

    # -- calls ---------------------------------------------------------------------------------------

    def _wait_for_reset(self, error: RateLimitExceededError, what: str) -> None:
        if not self.policy.wait_for_reset:
            raise GaveUp(f"{what}: rate limited (HTTP 429); left for the next pass") from None
        reset = error.reset_at
        if reset is not None:
            wait = max(1.0, reset.timestamp() - self.now() + 1)
        elif error.retry_after is not None:
            wait = max(1.0, error.retry_after)
        else:
            wait = backoff(3, self.policy.base * 15, self.policy.cap * 15)
        until = datetime.fromtimestamp(self.now() + wait, tz=UTC).strftime("%H:%M:%S UTC")
        log.warning("%s: rate limited (HTTP 429); waiting %.0f s until %s", what, wait, until)
        self.stop.wait(wait)

    def _back_off(self, failures: int, error: BaseException, what: str) -> None:
        wait = backoff(failures, self.policy.base, self.policy.cap)
        log.warning("%s: %s; retry %d of %d in %.1f s", what, describe(error), failures, self.policy.attempts - 1, wait)
        self.stop.wait(wait)

    def query(self, nsid: str, params: Any, what: str) -> dict[str, Any]:
        """Call the XRPC query ``nsid`` with ``params`` (its atproto Params model) until it answers
        with a whole JSON object; returns that object, unvalidated."""
        failures = renewals = 0
        renew: Callable[[], None] | None = None  # a refresh or a new sign-in to do first
        while True:
            if self.stop():
                raise Stopped(what)
            try:
                if renew is not None:
                    renew()  # inside the try: a refresh that fails is this call's failure too
                    renew = None
                response = self.client.invoke_query(nsid, params=params)
                if not isinstance(response.content, dict):
                    raise IncompleteBody("the answer is not a JSON object")
                return response.content
            except RateLimitExceededError as error:
                self._wait_for_reset(error, what)
            except (BadRequestError, UnauthorizedError) as error:
                name = error_name(error)
                if self.credentials is not None and name in ("ExpiredToken", "InvalidToken") and renewals < 2:
                    renewals += 1
                    log.info("%s: the session expired (%s); renewing it", what, name)
                    renew = self._renew
                    continue
                if self.credentials is not None and isinstance(error, UnauthorizedError) and renewals < 2:
                    renewals += 1  # a stored session the server no longer knows: sign in afresh
                    log.warning("%s: %s; signing in again", what, describe(error))
                    renew = self._create_session
                    continue
                if name in TRANSIENT_ERRORS:
                    failures += 1
                    if failures >= self.policy.attempts:
                        raise GaveUp(f"{what}: {failures} failure(s) in a row, the last: {describe(error)}") from None
                    self._back_off(failures, error, what)
                    continue
                raise FatalAPIError(f"{what}: {describe(error)}") from None
            except Exception as error:
                if not _transient(error):
                    if isinstance(error, RequestErrorBase):
                        hint = " (check BLUESKY_API_BASE_URL)" if status_of(error) in (404, 501) else ""
                        raise FatalAPIError(f"{what}: {describe(error)}{hint}") from None
                    raise
                failures += 1
                if failures >= self.policy.attempts:
                    raise GaveUp(f"{what}: {failures} failure(s) in a row, the last: {describe(error)}") from None
                self._back_off(failures, error, what)

    def search_posts(self, params: dict[str, Any], what: str) -> dict[str, Any]:
        return self.query(SEARCH_POSTS, models.AppBskyFeedSearchPosts.Params(**params), what)

    def get_posts(self, uris: list[str], what: str) -> dict[str, Any]:
        return self.query(GET_POSTS, models.AppBskyFeedGetPosts.Params(uris=uris), what)

    def get_profiles(self, actors: list[str], what: str) -> dict[str, Any]:
        return self.query(GET_PROFILES, models.AppBskyActorGetProfiles.Params(actors=actors), what)


def sign_in(
    url: str | None,
    *,
    stop: Stopper | None = None,
    policy: Policy | None = None,
    base_url: str | None = None,
    timeout: float = TIMEOUT,
) -> Caller:
    """A signed-in caller for ``BLUESKY_API_BASE_URL`` with the configured account, its session
    stored in (and reused from) the database at ``url``."""
    handle, password = settings.bluesky_handle(), settings.bluesky_app_password()
    if not handle or not password:
        raise FatalAPIError("Bluesky search needs a signed-in account: set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD")
    service = base_url or settings.bluesky_api_base_url()
    caller = Caller(
        make_client(service, timeout),
        stop=stop,
        policy=policy,
        url=url,
        credentials=(handle, password),
        service=service,
    )
    caller.sign_in()
    return caller
