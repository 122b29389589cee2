"""Bluesky's XRPC client and its policy: real atproto, real httpx, over HTTP to tests/bskysim.py.

The session (created once, reused, refreshed and stored rotated), a refused sign-in, 429 waits,
the retried failures, and no secret in any log line.
"""

import json
import logging
import threading

import pytest

from engagement.collection.bluesky import xrpc
from engagement.collection.bluesky.xrpc import FatalAPIError, GaveUp, NeverStop, Policy, Stopped
from engagement.storage import db, flags

from .bskysim import HANDLE, PASSWORD, SEARCH, BlueskySimulator, generate_views

QUERY = {"q": "#cthb18", "tag": ["cthb18"], "sort": "latest", "limit": 100}
QUICK = Policy(attempts=4, base=0.01, cap=0.05)


class Stop:
    """A stop flag tests can set; waits are real but short, and noted."""

    def __init__(self):
        self.event = threading.Event()
        self.waits = []

    def __call__(self):
        return self.event.is_set()

    def wait(self, seconds):
        self.waits.append(seconds)
        self.event.wait(seconds)


@pytest.fixture
def sim():
    with BlueskySimulator() as simulator:
        views, profiles = generate_views(30)
        simulator.add_posts(views)
        simulator.add_profiles(profiles)
        yield simulator


@pytest.fixture
def account(monkeypatch):
    monkeypatch.setenv("BLUESKY_HANDLE", HANDLE)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", PASSWORD)


def stored_session(url) -> str:
    with db.reading(url) as session:
        return json.loads(flags.get(session, xrpc.SESSION_SETTING) or "{}").get("session", "")


def issued_tokens(sim) -> set[str]:
    return sim.tokens.access | sim.tokens.refresh | sim.tokens.expired


def test_the_session_is_created_once_and_reused_by_the_next_run(db_url, sim, account):
    first = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
    assert len(first.search_posts(QUERY, "search")["posts"]) == 30
    second = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)  # another run: a new client
    assert len(second.search_posts(QUERY, "search")["posts"]) == 30
    assert sim.sessions_created == 1 and second.sessions_created == 0
    assert all(call.signed_in for call in sim.log if call.method == SEARCH)


def test_a_stored_session_for_another_account_is_not_used(db_url, sim, account, monkeypatch):
    xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
    monkeypatch.setenv("BLUESKY_HANDLE", sim.account.email)  # the same person, signing in by email
    xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
    assert sim.sessions_created == 2


def test_expired_token_refreshes_and_stores_the_rotated_session(db_url, sim, account):
    caller = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
    before = stored_session(db_url)
    sim.fail("expired", method=SEARCH)
    assert len(caller.search_posts(QUERY, "search")["posts"]) == 30
    after = stored_session(db_url)
    assert sim.sessions_refreshed == 1 and sim.sessions_created == 1
    assert after != before
    # The stored string holds the tokens the server gave last; the old refresh token is spent.
    old_refresh, new_refresh = before.split(":::")[3], after.split(":::")[3]
    assert old_refresh not in sim.tokens.refresh and new_refresh in sim.tokens.refresh
    assert after.split(":::")[2] in sim.tokens.access
    # The next run uses the rotated session without signing in again.
    xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK).search_posts(QUERY, "search")
    assert sim.sessions_created == 1


def test_a_token_near_its_expiry_is_refreshed_before_the_call(db_url, account):
    with BlueskySimulator(access_seconds=60) as sim:  # atproto refreshes 15 minutes ahead of exp
        sim.add_posts(generate_views(3)[0])
        caller = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
        caller.search_posts(QUERY, "search")
        assert sim.sessions_refreshed == 1
        assert stored_session(db_url).split(":::")[3] in sim.tokens.refresh


def test_a_spent_refresh_token_signs_in_again(db_url, sim, account):
    caller = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
    sim.tokens.refresh.clear()  # revoked on the server (a password change)
    sim.fail("expired", method=SEARCH)
    assert len(caller.search_posts(QUERY, "search")["posts"]) == 30
    assert sim.sessions_created == 2


def test_a_refused_sign_in_stops_at_once_with_what_to_fix(db_url, sim, monkeypatch, caplog):
    monkeypatch.setenv("BLUESKY_HANDLE", HANDLE)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "wrong-app-password-9876")
    with caplog.at_level(logging.DEBUG), pytest.raises(FatalAPIError) as raised:
        xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
    message = str(raised.value)
    assert "401" in message and "BLUESKY_HANDLE" in message and "BLUESKY_APP_PASSWORD" in message
    assert "wrong-app-password-9876" not in message + caplog.text
    assert len(sim.calls("com.atproto.server.createSession")) == 1


def test_no_account_configured_is_a_clear_error(db_url, sim):
    with pytest.raises(FatalAPIError, match="set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD"):
        xrpc.sign_in(db_url, base_url=sim.base_url)
    assert sim.log == []


def test_a_429_waits_until_the_reset_and_says_so(db_url, sim, account, caplog):
    stop = Stop()
    caller = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK, stop=stop)
    sim.fail("429", method=SEARCH, reset_in=1)
    with caplog.at_level(logging.WARNING, logger="ingest.bluesky"):
        assert len(caller.search_posts(QUERY, "search")["posts"]) == 30
    assert 0.5 <= stop.waits[0] <= 2.5
    assert any("rate limited (HTTP 429); waiting" in r.getMessage() for r in caplog.records)


def test_a_429_wait_is_interruptible(db_url, sim, account):
    stop = Stop()
    caller = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK, stop=stop)
    sim.fail("429", method=SEARCH, reset_in=600)
    timer = threading.Timer(0.3, stop.event.set)
    timer.start()
    with pytest.raises(Stopped):
        caller.search_posts(QUERY, "search")
    assert stop.waits[0] > 500 and len(sim.calls(SEARCH)) == 1


@pytest.mark.parametrize("fault", ["502", "500", "drop", "truncate", "invalid"])
def test_transient_failures_are_retried(db_url, sim, account, fault, caplog):
    caller = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
    sim.fail(fault, times=2, method=SEARCH)
    with caplog.at_level(logging.WARNING, logger="ingest.bluesky"):
        assert len(caller.search_posts(QUERY, "search")["posts"]) == 30
    assert len(sim.calls(SEARCH)) == 3
    assert sum("retry" in r.getMessage() for r in caplog.records) == 2


def test_retries_stop_at_the_limit_with_a_clear_error(db_url, sim, account):
    caller = xrpc.sign_in(db_url, base_url=sim.base_url, policy=Policy(attempts=3, base=0.01, cap=0.02))
    sim.fail("502", times=5, method=SEARCH)
    with pytest.raises(GaveUp, match="3 failure\\(s\\) in a row, the last: HTTP 502 UpstreamFailure"):
        caller.search_posts(QUERY, "search")
    assert len(sim.calls(SEARCH)) == 3


def test_a_refused_request_is_fatal_with_the_servers_message(db_url, sim, account):
    caller = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
    with pytest.raises(FatalAPIError, match="InvalidRequest"):
        caller.search_posts({**QUERY, "q": " "}, "search")
    assert len(sim.calls(SEARCH)) == 1


def test_the_public_methods_need_no_session(sim):
    views, _ = generate_views(30)
    caller = xrpc.Caller(xrpc.make_client(sim.base_url), stop=NeverStop(), policy=QUICK)
    posts = caller.get_posts([v["uri"] for v in views[:25]], "getPosts")["posts"]
    profiles = caller.get_profiles([views[0]["author"]["did"]], "getProfiles")["profiles"]
    assert len(posts) == 25 and profiles[0]["description"]
    assert not any(call.signed_in for call in sim.log)


def test_no_secret_reaches_a_log_line(db_url, sim, account, caplog):
    with caplog.at_level(logging.DEBUG):
        caller = xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
        sim.fail("expired", method=SEARCH)
        sim.fail("502", method=SEARCH)
        caller.search_posts(QUERY, "search")
        xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK).search_posts(QUERY, "search")
    secrets = issued_tokens(sim) | {PASSWORD, stored_session(db_url)}
    assert len(secrets) >= 5
    assert not [s for s in secrets if s in caplog.text]


def test_a_401_at_sign_in_is_fatal_even_with_the_right_password(db_url, sim, account):
    sim.fail("401", method="com.atproto.server.createSession")
    with pytest.raises(FatalAPIError, match="refused the sign-in \\(HTTP 401 AuthenticationRequired\\)"):
        xrpc.sign_in(db_url, base_url=sim.base_url, policy=QUICK)
    assert len(sim.calls("com.atproto.server.createSession")) == 1 and stored_session(db_url) == ""
