"""``bsky-search``: searchPosts over a window through the real atproto client and tests/bskysim.py.

Paging by cursor and past the result cap, resuming a pass cut short, one malformed post kept aside
alone, the organiser's accounts, and the command: the session reused across runs, a refused
sign-in, SIGTERM, and no secret in its output or in ``status --json``.
"""

import copy
import json
import re
import signal
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select

from engagement.collection.bluesky import search
from engagement.collection.bluesky.search import Query, event_queries, search_window
from engagement.collection.bluesky.xrpc import NeverStop, Policy, sign_in
from engagement.rules.event import load_event
from engagement.storage import db
from engagement.storage.models import Author, IngestRun, Post, RejectedRecord

from .bskysim import DATA, HANDLE, PASSWORD, SEARCH, BlueskySimulator, generate_views
from .helpers.worker import finish, ingest, worker

pytestmark = pytest.mark.both_databases

SINCE, UNTIL = datetime(2026, 5, 25, tzinfo=UTC), datetime(2026, 5, 26, tzinfo=UTC)
TAG_QUERY = [Query("#cthb18", {"q": "#cthb18", "tag": ["cthb18"]})]
QUICK = Policy(attempts=4, base=0.01, cap=0.05)
POSTS = 330  # with a cap of 120: three slices and a last query that brings only the boundary


class StopAfter:
    """Asks to stop once ``pages`` pages are committed (a SIGTERM between two pages)."""

    def __init__(self, monkeypatch, pages: int):
        self.pages, self.stored = pages, 0
        real = search.store_page

        def counting(*args, **kwargs):
            real(*args, **kwargs)
            self.stored += 1

        monkeypatch.setattr(search, "store_page", counting)

    def __call__(self):
        return self.stored >= self.pages

    def wait(self, seconds):
        pass


@pytest.fixture
def account(monkeypatch):
    monkeypatch.setenv("BLUESKY_HANDLE", HANDLE)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", PASSWORD)


@pytest.fixture
def views():
    tagged, profiles = generate_views(POSTS, tag="cthb18")
    other, _ = generate_views(40, seed=2, tag="somethingelse")
    outside, _ = generate_views(5, seed=3, tag="cthb18", start=datetime(2026, 5, 27, 9, tzinfo=UTC))
    return tagged, other + outside, profiles


@pytest.fixture
def sim(views):
    tagged, noise, profiles = views
    with BlueskySimulator(cap=120) as simulator:
        simulator.add_posts(tagged + noise)
        simulator.add_profiles(profiles)
        yield simulator


def rows(url):
    """What a person could see of the stored Bluesky posts, by URI."""
    with db.reading(url) as session:
        found = session.exec(
            select(Post.platform_id, Post.text, Post.kind, Post.likes, Post.retweets, Post.reason, Author.handle)
            .outerjoin(Author, Author.id == Post.author_id)
            .where(Post.platform == "bluesky")
            .order_by(Post.platform_id)
        ).all()
    db.dispose_engines()
    return [tuple(row) for row in found]


def count_posts(url) -> int:
    with db.reading(url) as session:
        return session.scalar(select(func.count()).select_from(Post).where(Post.platform == "bluesky"))


def run_window(url, sim, stop=None, queries=TAG_QUERY):
    caller = sign_in(url, base_url=sim.base_url, policy=QUICK, stop=stop)
    return search_window(caller, queries=queries, since=SINCE, until=UNTIL, url=url, stop=stop or NeverStop())


def asked(sim) -> list[tuple]:
    """Each searchPosts request as (until, cursor)."""
    return [(p["until"][0], (p.get("cursor") or [None])[0]) for p in sim.calls(SEARCH)]


def test_pages_through_cursors_and_past_the_cap_storing_every_post_once(db_url, sim, views, account):
    result = run_window(db_url, sim)
    tagged = views[0]
    assert result.complete and result.slices >= 2 and result.rejected == 0
    assert {row[0] for row in rows(db_url)} == {v["uri"] for v in tagged}
    assert count_posts(db_url) == POSTS and result.store.posts_new == POSTS
    calls = sim.calls(SEARCH)
    assert {c["q"][0] for c in calls} == {"#cthb18"} and {c["tag"][0] for c in calls} == {"cthb18"}
    assert {c["sort"][0] for c in calls} == {"latest"} and {c["limit"][0] for c in calls} == {"100"}
    assert all(c["since"] == ["2026-05-25T00:00:00.000Z"] for c in calls)
    untils = [u for u, _ in asked(sim)]
    assert untils[0] == "2026-05-26T00:00:00.000Z" and len(set(untils)) == result.slices + 1
    assert untils == sorted(untils, reverse=True)  # each slice ends where the one before reached
    assert asked(sim)[-1][1] is None  # the last slice ended without a cursor
    # A second pass (reconciliation) walks the window again and stores nothing twice.
    again = run_window(db_url, sim)
    assert again.complete and again.store.posts_new == 0 and count_posts(db_url) == POSTS


def test_a_pass_cut_short_resumes_at_the_next_page_and_ends_as_an_uninterrupted_one(
    db_url, sim, views, account, monkeypatch, tmp_path
):
    cut = run_window(db_url, sim, stop=StopAfter(monkeypatch, 3))
    assert not cut.complete and 0 < count_posts(db_url) < POSTS
    first_run = asked(sim)
    monkeypatch.undo()  # store_page as it is; the account's variables set again below
    monkeypatch.setenv("BLUESKY_HANDLE", HANDLE)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", PASSWORD)
    monkeypatch.setenv("DATABASE_URL", db_url)
    rest = run_window(db_url, sim)
    assert rest.complete
    both_runs = asked(sim)
    second_run = both_runs[len(first_run) :]
    assert len(both_runs) == len(set(both_runs)), "a page was asked for twice"
    assert second_run[0] not in first_run

    reference = f"sqlite:///{tmp_path / 'uninterrupted.db'}"
    from engagement.rules.sync import sync_event

    with db.writing(reference) as session:
        sync_event(session)
    with BlueskySimulator(cap=120) as fresh:
        fresh.add_posts(views[0] + views[1])
        whole = run_window(reference, fresh)
        assert asked(fresh) == both_runs  # the same pages, in the same order, each once
    assert whole.complete and rows(db_url) == rows(reference)


def test_one_malformed_post_is_rejected_alone_with_its_location(db_url, sim, views, account):
    broken = copy.deepcopy(views[0][5])
    broken["uri"] = broken["uri"][:-3] + "zzz"
    del broken["record"]["text"]
    sim.add_posts([broken])
    result = run_window(db_url, sim)
    assert result.complete and result.rejected == 1 and count_posts(db_url) == POSTS
    with db.reading(db_url) as session:
        kept = session.exec(select(RejectedRecord)).all()
    assert len(kept) == 1 and kept[0].source == "bsky-search" and "has no text" in kept[0].reason
    location = kept[0].location
    assert re.fullmatch(r"#cthb18 until 2026-05-2\dT[\d:.]+Z (first page|cursor \S+) posts\[\d+\]", location)
    assert json.loads(kept[0].raw)["uri"] == broken["uri"]


def test_the_organisers_accounts_are_searched_by_mentions_and_author(db_url, account, monkeypatch):
    account_handle, account_did = "osce.bsky.social", "did:plc:osceaccountxxxxxxxxxxxxx"
    monkeypatch.setenv("EVENT_ACCOUNTS", f"osce_cthb {account_handle}")
    views, profiles = generate_views(6, seed=4, tag="unrelated")
    own = copy.deepcopy(views[0])
    own["uri"] = own["uri"].replace(own["author"]["did"], account_did)
    own["author"] = {**own["author"], "did": account_did, "handle": account_handle}
    mention = copy.deepcopy(views[1])
    mention["record"]["text"] = f"@{account_handle} thank you for the panel"
    end = len(account_handle) + 1
    feature = {"$type": "app.bsky.richtext.facet#mention", "did": account_did}
    mention["record"]["facets"] = [{"index": {"byteStart": 0, "byteEnd": end}, "features": [feature]}]
    with BlueskySimulator() as sim:
        sim.add_posts([own, mention, *views[2:]])
        queries = event_queries(load_event())
        assert [q.key for q in queries] == ["#cthb18", f"mentions:{account_handle}", f"from:{account_handle}"]
        result = run_window(db_url, sim, queries=queries)
        calls = sim.calls(SEARCH)
    assert result.complete
    assert any(c.get("mentions") == [account_handle] for c in calls)
    assert any(c.get("author") == [account_handle] for c in calls)
    reasons = {uri: reason for uri, _, _, _, _, reason, _ in rows(db_url)}
    assert reasons == {own["uri"]: "own", mention["uri"]: "mention"}


# --- the command -------------------------------------------------------------------------------------


def command_env(sim, **extra):
    return {
        "BLUESKY_API_BASE_URL": sim.base_url,
        "BLUESKY_HANDLE": HANDLE,
        "BLUESKY_APP_PASSWORD": PASSWORD,
        "BLUESKY_APPVIEW_URL": "off",
        **extra,
    }


WINDOW = ["--since", "2026-05-25T00:00:00Z", "--until", "2026-05-26T00:00:00Z"]


def test_the_command_reuses_its_session_and_shows_no_secret(db_url, sim, views):
    first = ingest("bsky-search", *WINDOW, url=db_url, **command_env(sim))
    assert first.returncode == 0, first.stderr
    second = ingest("bsky-search", *WINDOW, url=db_url, **command_env(sim))
    assert second.returncode == 0, second.stderr
    assert sim.sessions_created == 1 and count_posts(db_url) == POSTS
    status = ingest("status", "--json", url=db_url)
    assert json.loads(status.stdout)["posts_by_platform"]["bluesky"] == POSTS
    shown = first.stdout + first.stderr + second.stdout + second.stderr + status.stdout + status.stderr
    secrets = sim.tokens.access | sim.tokens.refresh | sim.tokens.expired | {PASSWORD}
    assert not [s for s in secrets if s in shown]


def test_a_refused_sign_in_exits_1_with_what_to_fix(db_url, sim):
    done = ingest("bsky-search", *WINDOW, url=db_url, **command_env(sim, BLUESKY_APP_PASSWORD="not-the-app-password"))
    assert done.returncode == 1
    assert "BLUESKY_HANDLE" in done.stderr and "BLUESKY_APP_PASSWORD" in done.stderr
    assert "not-the-app-password" not in done.stderr + done.stdout
    assert sim.calls(SEARCH) == [] and len(sim.calls("com.atproto.server.createSession")) == 1
    with db.reading(db_url) as session:
        run = session.exec(select(IngestRun).where(IngestRun.source == "bsky-search")).one()
    assert run.status == "failed" and "401" in (run.last_error or "")


def test_sigterm_during_reconciliation_stops_cleanly(db_url, sim):
    process = worker("bsky-search", *WINDOW, "--interval", "0.2", url=db_url, **command_env(sim))
    # Two passes: the second starts only after the first is committed whole.
    assert sim.wait(lambda: sim.served(SEARCH) >= 2 * len(set(asked(sim))) > 0 and count_posts(db_url) == POSTS)
    process.send_signal(signal.SIGTERM)
    code, out, err = finish(process)
    assert code == 0, err
    assert count_posts(db_url) == POSTS and sim.sessions_created == 1


@pytest.mark.serial
def test_a_search_killed_mid_window_resumes_to_the_rows_of_an_uninterrupted_one(db_url, sim, views, tmp_path, account):
    sim.hold_after(3)  # three pages through, the fourth request held: the worker is mid-window
    process = worker("bsky-search", *WINDOW, url=db_url, **command_env(sim))
    assert sim.wait(lambda: sim.held == 1 or process.poll() is not None)
    process.kill()
    finish(process)
    sim.release()
    stored = count_posts(db_url)
    assert 0 < stored < POSTS
    done = ingest("bsky-search", *WINDOW, url=db_url, **command_env(sim))
    assert done.returncode == 0, done.stderr
    served = asked(sim)
    assert len(served) == len(set(served)) + 1  # only the page the killed run never got is asked again

    reference = f"sqlite:///{tmp_path / 'uninterrupted.db'}"
    from engagement.rules.sync import sync_event

    with db.writing(reference) as session:
        sync_event(session)
    with BlueskySimulator(cap=120) as fresh:
        fresh.add_posts(views[0] + views[1])
        assert run_window(reference, fresh).complete
    assert rows(db_url) == rows(reference) and sim.sessions_created == 1


def test_the_recorded_real_posts_through_search_are_each_stored_or_kept_aside(db_url, account):
    items = json.loads((DATA / "twitwi_bluesky-posts.json").read_text(encoding="utf-8"))
    views: dict[str, dict] = {}
    for item in items:
        view = item if "record" in item else item.get("post")
        if isinstance(view, dict) and isinstance(view.get("uri"), str):
            views.setdefault(view["uri"], view)
    everything = [Query("*", {"q": "*"})]  # no filter: every recorded post is in the window
    with BlueskySimulator() as sim:
        sim.add_posts(views.values())
        caller = sign_in(db_url, base_url=sim.base_url, policy=QUICK)
        since, until = datetime(1970, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
        result = search_window(caller, queries=everything, since=since, until=until, url=db_url, stop=NeverStop())
    assert result.complete
    with db.reading(db_url) as session:
        collected = set(session.exec(select(Post.platform_id).where(Post.collected.is_(True))).all())
        kept = session.exec(select(RejectedRecord)).all()
    rejected_posts = {json.loads(r.raw).get("uri") for r in kept if re.search(r"posts\[\d+\]$", r.location)}
    assert all(r.reason for r in kept)
    assert collected | rejected_posts == set(views) and not collected & rejected_posts
