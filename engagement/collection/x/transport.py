"""The seam that sends tweepy's requests to ``X_API_BASE_URL``.

tweepy hard-codes ``https://api.twitter.com``; a transport adapter mounted on the client's
``requests`` session rewrites that prefix, so every call (search, stream, stream rules) goes to the
configured base. It also gives every request a timeout, which tweepy's client does not set.
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

TWEEPY_HOST = "https://api.twitter.com"
DEFAULT_TIMEOUT = (10, 30)  # connect, read (seconds)


class BaseURLAdapter(HTTPAdapter):
    def __init__(self, base_url: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.default_timeout = timeout

    # HTTPAdapter.send's own signature: a timeout passed by position is seen (and kept) too.
    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        if request.url is not None and request.url.startswith(TWEEPY_HOST):
            request.url = self.base_url + request.url[len(TWEEPY_HOST) :]
        if timeout is None:
            timeout = self.default_timeout
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def route(session: requests.Session, base_url: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
    """Send everything ``session`` asks of the X API host to ``base_url``."""
    session.mount(TWEEPY_HOST, BaseURLAdapter(base_url, timeout))
