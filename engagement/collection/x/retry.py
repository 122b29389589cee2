"""What the worker does when an X API call fails.

- 429: wait until ``x-rate-limit-reset`` (said in the log), interruptibly.
- 5xx, connection errors, timeouts, a body cut off mid-JSON: retry with capped exponential backoff
  and full jitter, up to a limit.
- 400, 401, 403, 404: no retry; a clear message says what is wrong.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
import tweepy

from engagement import settings

log = logging.getLogger("ingest.x")
# Backoff: the first retry waits up to BASE_DELAY seconds, doubling to at most MAX_DELAY.
BASE_DELAY, MAX_DELAY, MAX_ATTEMPTS = 1.0, 60.0, 8


class Stopper(Protocol):
    def __call__(self) -> bool: ...

    def wait(self, seconds: float) -> None: ...


class NeverStop:
    def __call__(self) -> bool:
        return False

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


class FatalAPIError(RuntimeError):
    """Retrying cannot help: the message says what a person must change."""


class GaveUp(RuntimeError):
    """Transient failures went on past the retry limit."""


class Stopped(RuntimeError):
    """A stop was asked for while waiting."""


def _api_detail(error: tweepy.HTTPException) -> str:
    messages = [m for m in getattr(error, "api_messages", []) if m]
    return f" (the API said: {'; '.join(messages)[:300]})" if messages else ""


def fatal_message(error: tweepy.HTTPException, what: str) -> str:
    status = getattr(error.response, "status_code", "?")
    if isinstance(error, tweepy.Unauthorized):
        reason = "the bearer token was refused: check X_BEARER_TOKEN"
    elif isinstance(error, tweepy.Forbidden):
        reason = "this token's X plan does not include this endpoint, or the app lacks access to it"
    elif isinstance(error, tweepy.NotFound):
        reason = "the endpoint was not found: check X_API_BASE_URL"
    else:
        reason = "the request was refused as malformed: check the query, EVENT_HASHTAGS and EVENT_ACCOUNTS (and X_QUERY_LIMIT)"
    return f"{what}: HTTP {status}, {reason}{_api_detail(error)}"


def parse_json(response: requests.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise IncompleteBody(f"the response body is not complete JSON ({error})") from None
    if not isinstance(body, dict):
        raise IncompleteBody("the response body is not a JSON object")
    return body


class IncompleteBody(ValueError):
    pass


TRANSIENT = (
    tweepy.TwitterServerError,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    IncompleteBody,
)


def backoff(attempt: int, base: float, cap: float) -> float:
    """Full jitter: anywhere between 0 and the capped exponential step."""
    return random.uniform(0, min(cap, base * 2**attempt))


def call(
    request: Callable[[], requests.Response],
    what: str,
    stop: Stopper,
    *,
    attempts: int | None = None,
    base: float | None = None,
    cap: float | None = None,
    now: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Make ``request`` until it gives a complete JSON body; returns that body."""
    default_base, default_cap, default_attempts = settings.x_api_retry(BASE_DELAY, MAX_DELAY, MAX_ATTEMPTS)
    attempts = attempts or default_attempts
    base = default_base if base is None else base
    cap = default_cap if cap is None else cap
    failures = 0
    while True:
        if stop():
            raise Stopped(what)
        try:
            return parse_json(request())
        except tweepy.TooManyRequests as error:
            reset = error.reset_time
            if reset is None:
                header = error.response.headers.get("x-rate-limit-reset") if error.response is not None else None
                reset = int(header) if header and header.isdigit() else None
            wait = max(1.0, reset - now() + 1) if reset else backoff(failures, base * 15, cap * 15)
            until = datetime.fromtimestamp(now() + wait, tz=UTC).strftime("%H:%M:%S UTC")
            log.warning("%s: rate limited (HTTP 429); waiting %.0f s until %s", what, wait, until)
            stop.wait(wait)
        except (tweepy.BadRequest, tweepy.Unauthorized, tweepy.Forbidden, tweepy.NotFound) as error:
            raise FatalAPIError(fatal_message(error, what)) from None
        except (*TRANSIENT, tweepy.HTTPException) as error:  # any other status: treat as transient
            failures += 1
            if failures >= attempts:
                raise GaveUp(f"{what}: {failures} failures in a row, the last: {describe(error)}") from None
            wait = backoff(failures, base, cap)
            log.warning("%s: %s; retry %d of %d in %.1f s", what, describe(error), failures, attempts - 1, wait)
            stop.wait(wait)


def describe(error: BaseException) -> str:
    if isinstance(error, tweepy.HTTPException) and error.response is not None:
        return f"HTTP {error.response.status_code}{_api_detail(error)}"
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(error, requests.ConnectionError):
        return "connection failed"
    return str(error) or type(error).__name__
