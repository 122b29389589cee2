"""SIGKILL of ``mastodon-poll --once`` at 20 random moments of a pass over three instances of
tests/mastosim.py while the event's posts keep arriving, late-federated ones among them (a post
reaching an instance after others, with an id there dated back below ids already read): each start
resumes from the last committed page, and the database at the end equals the one an uninterrupted
run builds over the same posts: the posts (newest text, origin's counts), the authors and the
rejected statuses, none lost, none doubled.

As in test_kill.py the moments are drawn from the worker's observed progress, not from the clock: a
kill "mid-pass" comes after the simulator has served this run a chosen number of timeline pages
(the next one held, so the kill lands with the pass unfinished however slow the machine), a kill
"after a commit" after this run has moved a resume point in the database, a kill at "start-up" at a
fraction of the start-up time just observed. New posts arrive before each start and again once the
run is under way.
"""

from __future__ import annotations

import random
import subprocess
import time

import pytest

from ..helpers.mastodon import ago, checkpoints, command_env, malformed, stored
from ..helpers.worker import finish, snapshot, worker
from ..mastosim import MastodonSimulator

pytestmark = pytest.mark.serial  # kills at observed moments, as tests/conftest.py's SERIAL_MODULES

KILLS = 20
INSTANCES = ("alpha", "beta", "gamma")
BOUND = 120.0  # seconds: a deadline for progress that takes 0.1-5 s, so that only a stuck worker reaches it


def poll(url: str, sim: MastodonSimulator, **options):
    return worker("mastodon-poll", "--once", url=url, **command_env(sim, *INSTANCES), **options)


def wait_for(condition, process, what: str) -> bool:
    """Poll ``condition`` every 20 ms until it holds; False when the worker ended first."""
    deadline = time.monotonic() + BOUND
    while not condition():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"not {what} within {BOUND:.0f} s"
        time.sleep(0.02)  # the polling interval of a bounded wait
    return True


class Event:
    """The event's posts as they arrive: written on one instance, federated to others at once or
    late, now and then edited; a few malformed statuses among them."""

    def __init__(self, sim: MastodonSimulator, rng: random.Random):
        self.sim, self.rng = sim, rng
        self.uris: list[str] = []
        self.written = 0

    def arrive(self, count: int) -> None:
        for _ in range(count):
            self.written += 1
            home = self.rng.choice(INSTANCES)
            others = [name for name in INSTANCES if name != home and self.rng.random() < 0.6]
            tag = "cthb18" if self.rng.random() < 0.8 else "Alliance18"
            # Within the rescan (60 min): every run reads this far back, as the uninterrupted one does.
            uri = self.sim.post(
                home,
                f"Post {self.written} from the floor #{tag}",
                tags=[tag],
                on=others,
                created_at=ago(self.rng.uniform(1, 45)),
                username=f"speaker{self.rng.randrange(12)}",
                counts=(self.rng.randrange(5), self.rng.randrange(9), self.rng.randrange(30)),
            )
            self.uris.append(uri)
        # Late federation: an older post reaches one more instance now, numbered by its creation.
        for uri in self.rng.sample(self.uris, min(3, len(self.uris))):
            missing = [name for name in INSTANCES if uri not in self.sim.sites[name].copies]
            if missing:
                self.sim.federate(uri, self.rng.choice(missing))
        if self.rng.random() < 0.3:
            uri = self.rng.choice(self.uris)
            self.sim.edit(uri, f"Corrected: {self.sim.toots[uri].text}", edited_at=ago(0.5))
        if self.rng.random() < 0.15:
            home = self.rng.choice(INSTANCES)
            self.sim.inject(home, malformed(self.sim, home, self.written), tag="cthb18", created_at=ago(20))


def test_sigkill_at_20_random_moments_of_a_multi_instance_poll_while_posts_arrive(tmp_path, seed, tally):
    rng = random.Random(seed)
    plan = ["mid-pass"] * 9 + ["after a commit"] * 7 + ["start-up"] * (KILLS - 16)
    rng.shuffle(plan)
    print(f"seed {seed}: kills {plan}")
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    landed: dict[str, int] = {}
    with MastodonSimulator(INSTANCES) as sim:
        event = Event(sim, rng)
        event.arrive(150)  # four pages or so on each instance: a pass has moments between its pages
        for home in ("alpha", "beta"):
            sim.inject(home, malformed(sim, home, 0), tag="cthb18", created_at=ago(30))
        # How long this machine, now, takes from start to its first request.
        started, before = time.monotonic(), len(sim.calls())
        process = poll(url, sim, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: len(sim.calls()) > before, process, "it asked for anything")
        start_up = time.monotonic() - started
        code, _, _ = finish(process)
        assert code in (0, 3)
        runs = 0
        while plan and runs < 3 * KILLS:  # a run that ends before its kill is a run, not a kill
            kind, runs = plan[0], runs + 1
            event.arrive(rng.randint(2, 8))
            if kill_once(url, sim, kind, event, rng, start_up):
                landed[kind] = landed.get(kind, 0) + 1
                plan.pop(0)
            print(f"run {runs:2d} ({kind}): {sum(landed.values())} kills landed so far")
        event.arrive(5)
        # The last kill may have cut a pass: the next start finishes it, and the pass after it (the
        # next interval) reads from the newest post down again.
        for _ in range(2):
            code, _, err = finish(poll(url, sim))
            assert code in (0, 3), err
        reference = f"sqlite:///{tmp_path / 'reference.db'}"
        code, _, err = finish(poll(reference, sim))
        assert code in (0, 3), err
        served = {name: len(sim.sites[name].copies) for name in INSTANCES}
    expected = stored(reference)
    posts, _, rejected = expected
    assert len(posts) == event.written and len(rejected) >= 2
    assert sum(served.values()) > len(posts), "posts seen on several instances are one row each"
    assert stored(url) == expected
    assert snapshot(url) == snapshot(reference)
    assert sum(landed.values()) == KILLS, f"only {landed} of the kills landed in {runs} runs"
    tally.fault("SIGKILLs of `mastodon-poll` (three simulated instances, live event)", KILLS)
    tally.note(
        "mastodon-poll kills: " + ", ".join(f"{n} {kind}" for kind, n in sorted(landed.items())) + f" (seed {seed})"
    )


def kill_once(url: str, sim: MastodonSimulator, kind: str, event: Event, rng: random.Random, start_up: float) -> bool:
    """One run killed at a moment of ``kind``, more posts arriving once it is under way; whether the
    kill landed while the worker ran (False: it finished first)."""
    # A pass asks for about 12 pages (4 on each instance), a resumed one 9 at least: 1-6 lands mid-pass.
    pages, linger = rng.randint(1, 6), rng.uniform(0.0, 0.3)
    if kind == "mid-pass":
        sim.hold_after(pages)  # the request after the chosen page waits: the kill lands mid-pass
    before = checkpoints(url)
    process = poll(url, sim, stderr=subprocess.DEVNULL)
    try:
        if kind == "start-up":
            time.sleep(rng.uniform(0.0, 0.9) * start_up)  # the random moment of start-up
            event.arrive(2)
        elif kind == "mid-pass":
            event.arrive(2)
            wait_for(lambda: sim.held > 0, process, f"{pages} pages were served")
            time.sleep(linger)  # the random moment, counted from the page observed served
        else:
            wait_for(lambda: checkpoints(url) != before, process, "this run committed")
            event.arrive(2)
            time.sleep(linger)  # a random moment of the next page's time
        running = process.poll() is None
    finally:
        process.kill()
        process.wait()
        sim.release()
    return running
