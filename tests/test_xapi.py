"""The X API paths — real tweepy, real requests, over HTTP to the local simulator."""

import logging
import threading
import time
from datetime import UTC

import pytest
from sqlmodel import select

from engagement.collection.x import retry
from engagement.collection.x.collect import backfill, load_state, poll_queries, poll_recent, record_run
from engagement.collection.x.retry import FatalAPIError, GaveUp, NeverStop
from engagement.collection.x.stream import run_stream
from engagement.rules.event import load_event
from engagement.storage import db
from engagement.storage.models import IngestRun, Post

from .helpers import real_data
from .helpers.worker import client_for, collected
from .xsim import TOKEN, Simulator

QUERY = "#brexit"


class Stop:
    """A stop flag tests can set; waits are real but short."""

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
    with Simulator() as simulator:
        simulator.load_file(real_data("brexit.jsonl"))
        yield simulator


@pytest.fixture(autouse=True)
def shipped_event(monkeypatch):
    """The shipped event's accounts and query limit, whatever a developer has exported."""
    for name in ("EVENT_ACCOUNTS", "X_QUERY_LIMIT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(retry, "BASE_DELAY", 0.05)
    monkeypatch.setattr(retry, "MAX_DELAY", 0.2)


def test_a_poll_fetches_every_page_and_then_only_what_is_new(db_url, sim):
    client = client_for(sim)
    first = poll_recent(client, query=QUERY, url=db_url, stop=NeverStop())
    assert first.complete and first.pages == 1 and first.store.posts_new == 100 and collected(db_url) == 100
    params = sim.search_requests()[0]
    assert params["query"] == QUERY and params["max_results"] == "100"
    assert "author_id" in params["expansions"] and "note_tweet" in params["tweet.fields"]
    newest = max(sim.posts, key=int)
    assert load_state(db_url, "x-poll") == {"since_id": newest, "query": QUERY}

    second = poll_recent(client, query=QUERY, url=db_url, stop=NeverStop())
    assert sim.search_requests()[-1]["since_id"] == newest and second.store.posts_new == 0


def test_pages_follow_next_token_and_the_resume_point_waits_for_the_last_page(db_url, sim, monkeypatch):
    from engagement.collection.x import collect

    client = client_for(sim)
    original = client.search_recent_tweets
    monkeypatch.setattr(client, "search_recent_tweets", lambda **kw: original(**{**kw, "max_results": 30}))
    saved = []
    real_store = collect.store_page

    def spy(body, *, url, source, states, result):
        saved.append(states[source])
        real_store(body, url=url, source=source, states=states, result=result)

    monkeypatch.setattr(collect, "store_page", spy)
    result = poll_recent(client, query=QUERY, url=db_url, stop=NeverStop())
    assert result.pages == 4 and collected(db_url) == 100
    assert [("pass" in s) for s in saved] == [True, True, True, False]
    assert saved[0]["pass"]["newest_id"] == max(sim.posts, key=int) and {s["query"] for s in saved} == {QUERY}


def test_a_pass_cut_short_resumes_without_gap_or_duplicate(db_url, sim, monkeypatch):
    client = client_for(sim)
    original = client.search_recent_tweets
    monkeypatch.setattr(client, "search_recent_tweets", lambda **kw: original(**{**kw, "max_results": 30}))
    stop = Stop()
    from engagement.collection.x import collect

    real_store = collect.store_page

    def stop_after_first_page(*args, **kwargs):
        real_store(*args, **kwargs)
        stop.event.set()

    monkeypatch.setattr(collect, "store_page", stop_after_first_page)
    cut = poll_recent(client, query=QUERY, url=db_url, stop=stop)
    assert not cut.complete and collected(db_url) == 30
    monkeypatch.setattr(collect, "store_page", real_store)

    # New posts arrive meanwhile; the resumed pass fetches the older remainder, then the next pass the new ones.
    rest = poll_recent(client, query=QUERY, url=db_url, stop=NeverStop())
    assert rest.complete and rest.store.posts_new == 70 and rest.store.duplicates == 0
    resumed = sim.search_requests()[1]
    newest_first = sorted(sim.posts, key=int, reverse=True)
    assert resumed["until_id"] == newest_first[29] and "since_id" not in resumed
    assert collected(db_url) == 100


@pytest.mark.parametrize("fault", ["500", "503", "drop", "truncate"])
def test_transient_failures_are_retried(db_url, sim, fault, caplog):
    sim.fail(fault, times=2)
    with caplog.at_level(logging.WARNING, logger="ingest.x"):
        result = poll_recent(client_for(sim), query=QUERY, url=db_url, stop=NeverStop())
    assert result.complete and collected(db_url) == 100
    assert len(sim.search_requests()) == 3
    assert sum("retry" in r.getMessage() for r in caplog.records) == 2


def test_a_slow_response_times_out_and_is_retried(db_url, sim):
    sim.fail("slow", seconds=2)
    result = poll_recent(client_for(sim, timeout=0.5), query=QUERY, url=db_url, stop=NeverStop())
    assert result.complete and collected(db_url) == 100 and len(sim.search_requests()) == 2


def test_retries_stop_at_the_limit_with_a_clear_error(db_url, sim, monkeypatch):
    monkeypatch.setattr(retry, "MAX_ATTEMPTS", 3)
    sim.fail("500", times=5)
    with pytest.raises(GaveUp, match="3 failures in a row, the last: HTTP 500"):
        poll_recent(client_for(sim), query=QUERY, url=db_url, stop=NeverStop())
    assert collected(db_url) == 0


def test_a_429_waits_until_the_reset_and_says_so(db_url, sim, caplog):
    sim.fail("429", reset_in=1)
    stop = Stop()
    with caplog.at_level(logging.WARNING, logger="ingest.x"):
        result = poll_recent(client_for(sim), query=QUERY, url=db_url, stop=stop)
    assert result.complete and collected(db_url) == 100
    assert 0.5 <= stop.waits[0] <= 2.5
    assert any("rate limited (HTTP 429); waiting" in r.getMessage() for r in caplog.records)


class StopDuringWait(Stop):
    """Set 0.3 s into the first wait, however long the request before it took (a fixed timer from the
    start fired before the 429 came back on a loaded CI machine, and nothing was left to interrupt)."""

    def wait(self, seconds):
        self.started = time.monotonic()
        threading.Timer(0.3, self.event.set).start()
        super().wait(seconds)


def test_a_429_wait_is_interruptible(db_url, sim):
    sim.fail("429", reset_in=600)
    stop = StopDuringWait()
    with pytest.raises(retry.Stopped):
        poll_recent(client_for(sim), query=QUERY, url=db_url, stop=stop)
    assert stop.waits[0] > 500 and time.monotonic() - stop.started < 5


@pytest.mark.parametrize("fault, message", [("401", "bearer token was refused"), ("403", "X plan does not include")])
def test_401_and_403_stop_with_a_clear_message(db_url, sim, fault, message):
    sim.fail(fault)
    with pytest.raises(FatalAPIError, match=message):
        poll_recent(client_for(sim), query=QUERY, url=db_url, stop=NeverStop())
    assert len(sim.search_requests()) == 1


def test_a_wrong_token_is_refused_and_never_logged(db_url, sim, caplog):
    secret = "wrong-token-that-must-not-appear"
    with caplog.at_level(logging.DEBUG), pytest.raises(FatalAPIError, match="401"):
        poll_recent(client_for(sim, token=secret), query=QUERY, url=db_url, stop=NeverStop())
    assert secret not in caplog.text


def test_page_errors_are_recorded_with_the_run(db_url, sim):
    tweet = next(iter(sim.posts.values()))
    del sim.users[tweet["author_id"]]
    original = sim.search

    def with_errors(params):
        body = original(params)
        if "data" in body:
            body["errors"] = [
                {"title": "Not Found Error", "detail": f"Could not find user with id: [{tweet['author_id']}]."}
            ]
        return body

    sim.search = with_errors
    result = record_run(
        db_url,
        "x-poll",
        "x-poll --once",
        lambda: poll_recent(client_for(sim), query=QUERY, url=db_url, stop=NeverStop()),
    )
    assert collected(db_url) == 100 and len(result.api_errors) == 1
    with db.reading(db_url) as session:
        run = session.exec(select(IngestRun)).one()
    assert run.status == "ok" and run.notes[0]["title"] == "Not Found Error" and run.counts["api_errors"] == 1


def test_backfill_walks_a_window_paced_and_resumable(db_url, sim, monkeypatch):
    from datetime import datetime

    client = client_for(sim)
    original = client.search_all_tweets
    monkeypatch.setattr(client, "search_all_tweets", lambda **kw: original(**{**kw, "max_results": 40}))
    since = datetime(2021, 9, 22, 16, 0, tzinfo=UTC)
    until = datetime(2021, 9, 22, 17, 0, tzinfo=UTC)
    started = time.monotonic()
    result = backfill(client, query=QUERY, since=since, until=until, url=db_url, stop=NeverStop(), pace=0.3)
    assert result.complete and result.pages == 3 and collected(db_url) == 100
    assert time.monotonic() - started >= 0.6  # three requests, at least 0.3 s apart
    requests_ = sim.search_requests()
    assert all(r["start_time"].startswith("2021-09-22T16:00") for r in requests_)
    again = backfill(client, query=QUERY, since=since, until=until, url=db_url, stop=NeverStop(), pace=0.3)
    assert again.complete and len(sim.search_requests()) == len(requests_)  # a finished window is not fetched again


def test_the_stream_syncs_rules_fills_gaps_on_every_connect_and_stores_messages(db_url, sim):
    ids = sorted(sim.posts, key=int)
    # Before the stream starts, the 90 oldest posts exist: the first connect's gap fill takes them.
    late = ids[90:]
    held = {i: sim.posts.pop(i) for i in late}
    sim.rules.append({"id": "7", "value": "#old", "tag": "stale"})
    stop = Stop()

    def until(condition) -> None:
        deadline = time.monotonic() + 120  # a bound for steps of a second or two: only a stuck stream meets it
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)  # the polling interval of a bounded wait

    def feed():
        # Each step waits for what the stream was seen to do, not for the clock.
        try:
            # While connected: five posts arrive through the stream (and one message that is no JSON)...
            until(lambda: sim.stream_connections >= 1)
            for post_id in late[:5]:
                sim.posts[post_id] = held[post_id]
            sim.push_stream(*late[:5], raw=b"{not json")
            until(lambda: collected(db_url) >= 95)
            # ...and five more appear only in search: the gap fill of a reconnection (the simulator
            # hangs up every 2 s) must find them.
            connections = sim.stream_connections
            for post_id in late[5:]:
                sim.posts[post_id] = held[post_id]
            until(lambda: sim.stream_connections > connections and collected(db_url) >= 100)
        finally:
            stop.event.set()

    threading.Thread(target=feed, daemon=True).start()
    result = run_stream(
        queries=[QUERY], client=client_for(sim), url=db_url, stop=stop, base_url=sim.base_url, token=TOKEN
    )
    assert [(r["value"], r["tag"]) for r in sim.rules] == [(QUERY, "event-1")]
    assert all(m["matching_rules"] == [{"id": sim.rules[0]["id"], "tag": "event-1"}] for m in sim.stream_sent)
    assert collected(db_url) == 100
    assert result.rejected == 1
    stream_connects = [p for p, _ in sim.requests if p == "/2/tweets/search/stream"]
    assert len(stream_connects) >= 2
    assert load_state(db_url, "x-stream")["since_id"] == ids[-1]


def test_a_poll_collects_the_demo_collection_like_the_file_import(db_url, demo_files, demo_db):
    with Simulator() as sim:
        sim.load_file(demo_files[0])
        # The event's whole query: the demo holds the organiser's channel too (posts without the hashtag).
        queries = load_event().x_queries()
        result = poll_queries(client_for(sim), queries=queries, url=db_url, stop=NeverStop())
    assert queries == ["#cthb18 OR @osce_cthb OR to:osce_cthb OR from:osce_cthb"]
    assert result.complete and result.pages == 30 and collected(db_url) == 3000

    def rows(url):
        with db.reading(url) as session:
            return sorted(
                session.exec(
                    select(Post.platform_id, Post.current_id, Post.text, Post.kind, Post.collected, Post.likes)
                ).all()
            )

    polled, imported = rows(db_url), rows(demo_db)
    assert [r for r in polled if r[4]] == [r for r in imported if r[4]]
