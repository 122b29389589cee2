"""Mastodon's REST API: Mastodon.py's client for one instance, and what a call does when it fails or
nears the rate limit. Kept apart as the X and Bluesky clients and their policies are
(x/client.py and x/retry.py, bluesky/xrpc.py).

- The client: ``Mastodon(api_base_url=…, access_token=…, ratelimit_method="throw",
  request_timeout=…)``, one per instance. Mastodon.py's own waiting ("wait", "pace") sleeps with
  ``time.sleep``, which a SIGTERM cannot cut short, and "pace" gives up on a server without reset
  headers: so it only throws, and reads the ``X-RateLimit-*`` headers (``ratelimit_remaining``,
  ``ratelimit_reset``, set right by the server's ``Date``), and the waiting is done here.
  Requests go through its request helper with ``return_response_object``: a page comes back as raw
  JSON, read per status by the normaliser (Mastodon.py's typed objects turn times into datetimes
  and would fail a page on one malformed status), and ``any[]`` goes as a list parameter
  (``timeline_hashtag`` has no ``any``).
- The policy (``Caller.get``): at most ``MAX_REQUESTS`` requests in any ``WINDOW`` seconds per
  instance (Mastodon's 300 per 5 minutes per IP and per account), and none while the server says
  none remain before its reset; a 429 waits for ``X-RateLimit-Reset``; 5xx, dropped connections,
  timeouts and bodies cut off mid-JSON are retried with the project's backoff (x/retry.py); a 401
  or 403 is ``Refused`` (the instance wants a token, or refuses the one given), another 4xx is
  ``FatalAPIError`` for that instance. Every wait is interruptible (``Stopper``).
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from engagement.collection.x.retry import FatalAPIError, GaveUp, NeverStop, Stopped, Stopper, backoff

__all__ = [
    "Caller",
    "FatalAPIError",
    "GaveUp",
    "IncompleteBody",
    "NeverStop",
    "Policy",
    "Refused",
    "Stopped",
    "make_client",
]

log = logging.getLogger("ingest.mastodon")

# Seconds to wait for an answer: a page of 40 statuses is a few hundred kB at most; Mastodon.py's
# own default of 300 s would hold a pass on one stuck instance for five minutes.
TIMEOUT = 30.0
# Mastodon's limit for an IP or an account: 300 requests in 5 minutes (Rack::Attack), per instance.
MAX_REQUESTS, WINDOW = 300, 300.0
# Backoff for transient failures: as the X and Bluesky workers', the first retry waits up to 1 s,
# doubling to at most 60 s, 8 failures in a row before giving up on the instance for this pass.
BASE_DELAY, MAX_DELAY, MAX_ATTEMPTS = 1.0, 60.0, 8
USER_AGENT = "engagement-dashboard mastodon-poll (Mastodon.py)"


class Refused(RuntimeError):
    """The instance refuses to answer this caller (401/403): a token is needed, or the one given
    is not accepted. The message says which, never the token."""


class IncompleteBody(ValueError):
    """A 200 whose body is not whole JSON (the connection closed mid-body)."""


@dataclass
class Policy:
    """How calls to one instance behave: ``attempts`` failures in a row before giving up, the
    backoff's first step and cap in seconds, and the requests allowed in a sliding window."""

    attempts: int = MAX_ATTEMPTS
    base: float = BASE_DELAY
    cap: float = MAX_DELAY
    max_requests: int = MAX_REQUESTS
    window: float = WINDOW


def make_client(base_url: str, token: str | None = None, timeout: float = TIMEOUT) -> Mastodon:
    """Mastodon.py's client for one instance; it throws on a 429 (``Caller`` waits)."""
    return Mastodon(
        api_base_url=base_url,
        access_token=token,
        ratelimit_method="throw",
        request_timeout=timeout,
        version_check_mode="none",  # no request at construction: the probe is ours (poll.probe)
        user_agent=USER_AGENT,
    )


def _api_error(error: MastodonAPIError) -> tuple[int | None, str]:
    """The HTTP status and the server's message of Mastodon.py's error (its args are
    ``(text, status, reason, error message)``)."""
    args = error.args
    status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    message = args[3] if len(args) > 3 and isinstance(args[3], str) else (args[2] if len(args) > 2 else "")
    return status, str(message or "")[:200]


def describe(error: BaseException) -> str:
    """What failed, in a few words (Mastodon.py's messages carry no token)."""
    if isinstance(error, MastodonAPIError):
        status, message = _api_error(error)
        return f"HTTP {status}" + (f" ({message})" if message else "")
    if isinstance(error, MastodonNetworkError):
        cause = str(error)
        return "timed out" if "timed out" in cause.lower() else "connection failed"
    return str(error) or type(error).__name__


class Caller:
    """One instance's client and the policy its calls follow. ``key`` names the instance in
    messages (its base URL without the scheme)."""

    def __init__(
        self,
        client: Mastodon,
        key: str,
        *,
        stop: Stopper | None = None,
        policy: Policy | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.key = key
        self.stop: Stopper = stop or NeverStop()
        self.policy = policy or Policy()
        self.now = now
        self.sent: deque[float] = deque()  # when each request of the last window went out
        self.requests = 0
        self.waited: float | None = None  # the server's reset last waited for

    @property
    def authenticated(self) -> bool:
        return self.client.access_token is not None

    # -- the rate limit --------------------------------------------------------------------------

    def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if seconds >= 5:
            until = datetime.fromtimestamp(self.now() + seconds, tz=UTC).strftime("%H:%M:%S UTC")
            log.info("%s: %s; waiting %.0f s until %s", self.key, why, seconds, until)
        self.stop.wait(seconds)
        if self.stop():
            raise Stopped(self.key)

    def _pace(self) -> None:
        """Wait until a request is allowed: under our own count for the window, and not while the
        server has said none remain before its reset."""
        window, allowed = self.policy.window, self.policy.max_requests
        while True:
            now = self.now()
            while self.sent and self.sent[0] <= now - window:
                self.sent.popleft()
            if len(self.sent) < allowed:
                break
            self._wait(self.sent[0] + window - now + 0.01, f"{allowed} requests in {window:g} s")
        remaining, reset = self.client.ratelimit_remaining, self.client.ratelimit_reset
        if isinstance(remaining, int) and remaining <= 0 and isinstance(reset, int | float) and reset != self.waited:
            # Mastodon.py's reset is already moved onto our clock by the server's Date header.
            self._wait(reset - self.now() + 0.05, "no requests left in the server's window")
            self.waited = reset  # once for that reset: the next answer says how many are left

    def _rate_limited(self) -> None:
        reset = self.client.ratelimit_reset
        if isinstance(reset, int | float) and reset > self.now():
            wait = reset - self.now() + 0.05
        else:
            wait = backoff(3, self.policy.base * 15, self.policy.cap * 15)
        until = datetime.fromtimestamp(self.now() + wait, tz=UTC).strftime("%H:%M:%S UTC")
        log.warning("%s: rate limited (HTTP 429); waiting %.1f s until %s", self.key, wait, until)
        self._wait(wait, "rate limited")

    # -- calls -------------------------------------------------------------------------------------

    def _request(self, path: str, params: dict[str, Any]) -> Any:
        self._pace()
        self.sent.append(self.now())
        self.requests += 1
        # Mastodon.py's request helper: headers, the token, the rate-limit headers read, errors typed.
        request = getattr(self.client, "_Mastodon__api_request")  # noqa: B009 (a private name, mangled)
        response = request("GET", path, dict(params), return_response_object=True)
        try:
            return json.loads(response.content)
        except ValueError as error:
            raise IncompleteBody(f"the response body is not complete JSON ({error})") from None

    def get(self, path: str, params: dict[str, Any], what: str) -> Any:
        """GET ``path`` (``/api/v1/…``) until it answers with whole JSON; returns that JSON."""
        failures = 0
        while True:
            if self.stop():
                raise Stopped(what)
            try:
                return self._request(path, params)
            except MastodonRatelimitError:
                self._rate_limited()
            except MastodonUnauthorizedError as error:
                raise Refused(self._refused(error)) from None
            except (MastodonServerError, MastodonNetworkError, IncompleteBody) as error:
                failures += 1
                if failures >= self.policy.attempts:
                    raise GaveUp(f"{what}: {failures} failures in a row, the last: {describe(error)}") from None
                wait = backoff(failures, self.policy.base, self.policy.cap)
                log.warning(
                    "%s: %s; retry %d of %d in %.1f s", what, describe(error), failures, self.policy.attempts - 1, wait
                )
                self.stop.wait(wait)
            except MastodonAPIError as error:
                status, _ = _api_error(error)
                if status == 403:
                    raise Refused(self._refused(error)) from None
                hint = " (check MASTODON_INSTANCES)" if status == 404 else ""
                raise FatalAPIError(f"{what}: {describe(error)}{hint}") from None

    def _refused(self, error: MastodonAPIError) -> str:
        if self.authenticated:
            return f"{self.key} refused its token ({describe(error)}): check MASTODON_TOKENS for {self.key}"
        return (
            f"{self.key} does not serve hashtag timelines without signing in ({describe(error)}): "
            f"give it a token in MASTODON_TOKENS ({self.key}=…) to read it"
        )

    def instance(self) -> Any:
        """``GET /api/v2/instance``: the server's domain and what it serves whom."""
        return self.get("/api/v2/instance", {}, f"{self.key} /api/v2/instance")

    def hashtag(self, tags: tuple[str, ...], *, max_id: str | None = None, limit: int = 40, what: str = "") -> Any:
        """One page of ``/api/v1/timelines/tag/:tag``: statuses with the first tag or any of the
        others (``any[]``, at most four), newest first, below ``max_id``."""
        params: dict[str, Any] = {"limit": limit}
        if len(tags) > 1:
            params["any[]"] = list(tags[1:])
        if max_id is not None:
            params["max_id"] = max_id
        path = f"/api/v1/timelines/tag/{quote(tags[0], safe='')}"
        return self.get(path, params, what or f"{self.key} #{tags[0]}")

    def status(self, local_id: str) -> Any:
        """``GET /api/v1/statuses/:id``: one status by this instance's own id for it (a reply's
        parent, a shallow quote's quoted status)."""
        return self.get(f"/api/v1/statuses/{quote(local_id, safe='')}", {}, f"{self.key} status {local_id:.30}")

    def lookup(self, acct: str) -> Any:
        """``GET /api/v1/accounts/lookup``: the account ``acct`` (``user`` or ``user@host``) as this
        instance knows it, with its local ``id``."""
        return self.get("/api/v1/accounts/lookup", {"acct": acct}, f"{self.key} lookup {acct:.80}")

    def account_statuses(self, account_id: str, *, max_id: str | None = None, limit: int = 40, what: str = "") -> Any:
        """One page of ``/api/v1/accounts/:id/statuses`` (its posts, replies and reblogs), newest first."""
        params: dict[str, Any] = {"limit": limit}
        if max_id is not None:
            params["max_id"] = max_id
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/statuses"
        return self.get(path, params, what or f"{self.key} statuses of {account_id:.30}")

    def notifications(self, *, max_id: str | None = None, limit: int = 40, what: str = "") -> Any:
        """One page of the token's own ``/api/v1/notifications`` of type ``mention``, newest first."""
        params: dict[str, Any] = {"limit": limit, "types[]": ["mention"]}
        if max_id is not None:
            params["max_id"] = max_id
        return self.get("/api/v1/notifications", params, what or f"{self.key} notifications")

    def verify_credentials(self) -> Any:
        """``GET /api/v1/accounts/verify_credentials``: whose token this is."""
        return self.get("/api/v1/accounts/verify_credentials", {}, f"{self.key} verify_credentials")
