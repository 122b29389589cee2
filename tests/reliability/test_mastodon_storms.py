"""Mastodon storms: runs of 429s (with their reset), 5xx, dropped connections and bodies cut off
mid-JSON, then all of them at random across three instances of tests/mastosim.py, with malformed
statuses in the timelines. ``mastodon-poll`` keeps its promises: the database at the end equals a
clean run's over the same posts, every bad status is kept aside once with its reason however often
a rescan reads it again, and the log says what happened, fault by fault.

The passes run in this process through the real Mastodon.py client, with the policy's backoff
shortened (its doubling and its limits are client.py's); the last test runs the worker process,
its backoff real.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from datetime import timedelta

import pytest

from engagement.collection.mastodon.client import Policy
from engagement.collection.mastodon.poll import Instance, make_callers, poll_pass
from engagement.collection.x.retry import NeverStop
from engagement.rules.sync import sync_event
from engagement.storage import db

from ..helpers.mastodon import TAGS, ago, command_env, stored
from ..helpers.worker import finish, worker
from ..mastosim import MastodonSimulator

pytestmark = pytest.mark.serial  # waits for resets and backoffs are time-sensitive, as test_storms.py

INSTANCES = ("alpha", "beta", "gamma")
RESCAN = timedelta(minutes=60)
# What the log says for each fault (engagement/collection/mastodon/client.py, describe).
SAID = {
    "429": "rate limited (HTTP 429)",
    "500": "HTTP 500",
    "502": "HTTP 502",
    "503": "HTTP 503",
    "drop": "connection failed",
    "truncate": "connection failed",
    "short": "not complete JSON",
}
# Statuses no store can keep, and the reason each is kept aside with (normalise.py's words).
BAD = {
    "time": ("created_at", "yesterday"),
    "account": ("account", None),
    "visibility": ("visibility", "private"),
    "uri": ("uri", None),
}
REASONS = {
    "time": "created_at",
    "account": "has no account",
    "visibility": "not public or unlisted",
    "uri": "status without a readable uri",
}


def quick(attempts: int) -> Policy:
    return Policy(attempts=attempts, base=0.01, cap=0.05)


def fresh(url: str) -> str:
    with db.writing(url) as session:
        sync_event(session)
    return url


def run_pass(url: str, sim: MastodonSimulator, policy: Policy):
    instances = [Instance(sim.base_url(n), sim.key(n)) for n in INSTANCES]
    callers = make_callers(instances, stop=NeverStop(), policy=policy)
    result = poll_pass(callers, TAGS, url=url, stop=NeverStop(), rescan=RESCAN)
    db.dispose_engines()
    return result


@pytest.fixture(scope="module")
def sim():
    """Three instances with 200 posts, most on more than one, and a malformed status of each kind
    on two of them (on a page of its own instance's numbering, read again by every rescan)."""
    rng = random.Random(7)
    with MastodonSimulator(INSTANCES) as simulator:
        for number in range(200):
            home = rng.choice(INSTANCES)
            others = [name for name in INSTANCES if name != home and rng.random() < 0.6]
            simulator.post(
                home,
                f"Storm post {number} #cthb18",
                tags=["cthb18" if number % 5 else "Alliance18"],
                on=others,
                created_at=ago(rng.uniform(1, 50)),
                username=f"speaker{number % 9}",
                counts=(number % 3, number % 7, number % 11),
            )
        template = simulator.render(simulator.sites["alpha"], next(iter(simulator.sites["alpha"].copies)))
        for instance in ("alpha", "gamma"):
            for kind, (key, value) in BAD.items():
                status = dict(template, uri=f"https://{simulator.domain(instance)}/users/bad/statuses/{kind}")
                del status["id"]
                if value is None:
                    del status[key]
                else:
                    status[key] = value
                simulator.inject(instance, status, tag="cthb18", created_at=ago(rng.uniform(5, 45)))
        yield simulator


@pytest.fixture(scope="module")
def reference(sim, tmp_path_factory):
    """The posts polled once without a fault."""
    url = fresh(f"sqlite:///{tmp_path_factory.mktemp('mastodon-storm') / 'reference.db'}")
    result = run_pass(url, sim, quick(2))
    assert result.complete and result.read == 3 and result.failed == 0
    state = stored(url)
    assert len(state[0]) == 200 and len(state[2]) == 2 * len(BAD)
    return state


def kept_aside(state) -> Counter:
    """How often each rejected status is kept aside, by (its name, the reason's gist)."""
    found: Counter = Counter()
    for _, key, reason, raw in state[2]:
        gist = next(kind for kind, words in REASONS.items() if words in reason)
        uri = json.loads(raw).get("uri")
        assert uri is None or uri.endswith(f"/statuses/{gist}"), (uri, reason)
        found[(key.split(" ", 1)[0], gist)] += 1
    return found


def assert_each_bad_status_once(state, sim) -> None:
    expected = Counter({(sim.key(i), kind): 1 for i in ("alpha", "gamma") for kind in BAD})
    assert kept_aside(state) == expected


@pytest.mark.parametrize(
    "kind, run", [("429", 3), ("500", 6), ("502", 6), ("503", 6), ("drop", 6), ("truncate", 6), ("short", 6)]
)
def test_a_run_of_one_fault(tmp_path, sim, reference, caplog, seed, kind, run, tally):
    rng = random.Random(seed)
    where = rng.choice(INSTANCES)
    url = fresh(f"sqlite:///{tmp_path / 'storm.db'}")
    sim.fail(kind, times=run, instance=where, path="/timelines/", reset_in=0.2)
    with caplog.at_level(logging.WARNING, logger="ingest.mastodon"):
        result = run_pass(url, sim, quick(run + 2))
    assert not sim.faults, "every fault was met"
    assert result.complete and result.read == 3 and result.failed == 0
    state = stored(url)
    assert state == reference
    assert_each_bad_status_once(state, sim)
    said = [r.getMessage() for r in caplog.records if SAID[kind] in r.getMessage()]
    assert len(said) == run, f"the log should say what happened {run} times, it said {len(said)}: {said}"
    assert all(sim.key(where) in line for line in said)
    tally.fault(f"Mastodon storm: {run} × {kind} in a row on one instance", run)


def test_a_mixed_storm_across_instances_keeps_each_bad_status_aside_once(tmp_path, sim, reference, caplog, seed, tally):
    """Fifty faults of every kind in random order on random instances, between successes, over two
    passes (the second, a rescan, reads every bad status again)."""
    rng = random.Random(seed)
    kinds = ["500", "502", "503", "drop", "truncate", "short"] * 8 + ["429"] * 2
    plan = [(kind, rng.choice(INSTANCES)) for kind in kinds] + [("ok", rng.choice(INSTANCES)) for _ in range(20)]
    rng.shuffle(plan)
    for kind, where in plan:
        sim.fail(kind, instance=where, reset_in=0.2)
    url = fresh(f"sqlite:///{tmp_path / 'mixed.db'}")
    with caplog.at_level(logging.WARNING, logger="ingest.mastodon"):
        results = [run_pass(url, sim, quick(40)) for _ in range(2)]
    assert not sim.faults, "every fault was met in two passes"
    assert all(r.complete and r.read == 3 and r.failed == 0 for r in results)
    # The rescan reads every bad status again: nothing new is kept aside, so it counts none.
    assert results[1].store.posts_new == 0 and results[0].rejected == 2 * len(BAD) and results[1].rejected == 0
    state = stored(url)
    assert state == reference
    assert_each_bad_status_once(state, sim)
    lines = [r.getMessage() for r in caplog.records]
    injected = Counter(kinds)
    for kind in ("429", "500", "502", "503", "short"):
        assert sum(SAID[kind] in line for line in lines) == injected[kind], kind
    assert sum(SAID["drop"] in line for line in lines) == injected["drop"] + injected["truncate"]
    tally.fault("Mastodon mixed storm across three instances (random order)", len(kinds))
    tally.bad_input("malformed Mastodon statuses read twice, kept aside once each", 2 * len(BAD))


def test_a_storm_through_the_worker_process(tmp_path, sim, reference, seed, tally):
    """Faults of every kind on every instance, spread between successes, against the real worker
    and its real backoff (up to 1 s after a first failure)."""
    rng = random.Random(seed + 1)
    kinds = ["500", "502", "503", "drop", "truncate", "short", "429"] * 2
    plan = [(kind, rng.choice(INSTANCES)) for kind in kinds] + [("ok", rng.choice(INSTANCES)) for _ in range(8)]
    rng.shuffle(plan)
    for kind, where in plan:
        sim.fail(kind, instance=where, reset_in=0.5)
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    code, _, err = finish(worker("mastodon-poll", "--once", url=url, **command_env(sim, *INSTANCES)), timeout=300)
    assert code == 3, err  # done, with the malformed statuses kept aside
    assert not sim.faults
    state = stored(url)
    assert state == reference
    assert_each_bad_status_once(state, sim)
    lines = err.splitlines()
    injected = Counter(kinds)
    for kind in ("429", "500", "502", "503", "short"):
        assert sum(SAID[kind] in line for line in lines) == injected[kind], kind
    tally.fault("Mastodon storm through the worker process", len(kinds))
