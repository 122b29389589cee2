"""SIGKILL of ``bsky-search`` mid-window at random moments (tests/bskysim.py): each start resumes
at the page after its last committed one, in the slice it was in, and the database at the end
equals the one an uninterrupted run builds: no post lost, none doubled.

As in test_kill.py the moments come from observed progress: a kill "mid-window" lands a random
moment after the simulator has served this run a chosen number of pages, the next request held so
that it cannot land elsewhere; a kill at "start-up" at a fraction of the time the uninterrupted run
took to ask for its first page (migrating, signing in).
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import time
from contextlib import closing

import pytest

from ..bskysim import HANDLE, PASSWORD, SEARCH, BlueskySimulator, generate_views
from ..helpers.worker import finish, snapshot, worker

pytestmark = pytest.mark.serial  # kills at observed moments, as tests/conftest.py's SERIAL_MODULES

KILLS = 10
POSTS = 1500  # with a cap of 120: a dozen slices of two pages, about 26 pages in all
WINDOW = ["--since", "2026-05-25T00:00:00Z", "--until", "2026-05-26T12:00:00Z"]
BOUND = 120.0  # seconds: a deadline for progress that takes 0.1-5 s, so that only a stuck worker reaches it


@pytest.fixture(scope="module")
def views():
    tagged, profiles = generate_views(POSTS, tag="cthb18")
    other, _ = generate_views(60, seed=2, tag="somethingelse")
    return tagged + other, profiles


def simulator(views) -> BlueskySimulator:
    sim = BlueskySimulator(cap=120)
    sim.add_posts(views[0])
    sim.add_profiles(views[1])
    return sim


def search_worker(url: str, sim: BlueskySimulator, **options):
    env = {
        "BLUESKY_API_BASE_URL": sim.base_url,
        "BLUESKY_HANDLE": HANDLE,
        "BLUESKY_APP_PASSWORD": PASSWORD,
        "BLUESKY_APPVIEW_URL": "off",
    }
    return worker("bsky-search", *WINDOW, url=url, **env, **options)


def search_state(url: str):
    """What a person could see (``snapshot``), the posts' reasons and counts, and the rejected rows."""
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
        posts = connection.execute(
            "SELECT platform_id, text, kind, likes, retweets, reason, collected FROM post ORDER BY platform_id"
        ).fetchall()
        rejected = connection.execute("SELECT source, location, reason FROM rejected_record ORDER BY 1, 2").fetchall()
    return snapshot(url), posts, rejected


def kill_after_pages(process, sim: BlueskySimulator, base: int, pages: int, linger: float) -> bool:
    """SIGKILL ``linger`` seconds after the simulator has served this run its ``pages``-th page;
    False when the worker finished first. The caller has called ``sim.hold_after(pages)``."""

    def reached() -> bool:
        return sim.served(SEARCH) - base >= pages or process.poll() is not None

    assert sim.wait(reached, timeout=BOUND), f"the worker was served {sim.served(SEARCH) - base} page(s)"
    time.sleep(linger)  # the random moment itself, counted from observed progress (a page served)
    if process.poll() is not None:
        return False
    process.kill()
    process.wait()
    return True


def test_sigkill_of_bsky_search_at_random_moments_mid_window(tmp_path, views, seed, tally):
    rng = random.Random(seed)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    with simulator(views) as sim:
        started = time.monotonic()
        process = search_worker(reference, sim)
        assert sim.wait(lambda: sim.served(SEARCH) > 0 or process.poll() is not None, timeout=BOUND)
        start_up = time.monotonic() - started
        code, _, err = finish(process)
        assert code == 0, err
        pages = sim.served(SEARCH)
    expected = search_state(reference)
    assert len([p for p in expected[1] if p[6]]) == POSTS and pages > 2 * KILLS

    plan = ["mid-window"] * (KILLS - 2) + ["start-up"] * 2
    rng.shuffle(plan)
    print(f"seed {seed}: {plan}; the uninterrupted run took {pages} pages")
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    killed = 0
    with simulator(views) as sim:
        for kind in plan:
            base = sim.served(SEARCH)
            if kind == "mid-window":
                chosen, linger = rng.randint(1, 2), rng.uniform(0.0, 0.15)
                sim.hold_after(chosen)
            process = search_worker(url, sim, stderr=subprocess.DEVNULL)
            try:
                if kind == "start-up":
                    time.sleep(rng.uniform(0.0, 0.9) * start_up)  # the random moment of start-up
                    assert process.poll() is None, "the search ended during its start-up"
                    process.kill()
                    process.wait()
                    killed += 1
                else:
                    killed += kill_after_pages(process, sim, base, chosen, linger)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                sim.release()  # a request held for the killed worker is answered to nobody
            print(f"{kind}: {sim.served(SEARCH) - base} page(s) served")
        assert killed == KILLS
        code, _, err = finish(search_worker(url, sim))
        assert code == 0, err
        assert sim.served(SEARCH) <= pages + 2 * KILLS  # each kill costs at most the pages it had not committed
    assert search_state(url) == expected
    tally.fault("SIGKILLs of `bsky-search` mid-window (local XRPC)", killed)
