"""SIGKILL at random moments: the worker's next start resumes from its last commit, and the database
at the end equals the one an uninterrupted run builds: no post lost, none doubled.

The moments are drawn from the worker's observed progress, not from the clock: a kill "mid-pass"
comes after the simulator has served a chosen page, a kill "after a commit" after the import's
resume point has moved in the database. A slow machine makes each run longer, never a kill land
elsewhere, so the counts asserted below follow from the draw (``RELIABILITY_SEED``) alone.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import statistics
import subprocess
import time
from contextlib import closing

import pytest

from engagement.collection.jsonl import CHUNK_POSTS
from engagement.demo import write_collection

from ..helpers.worker import finish, snapshot, worker
from ..xsim import Simulator

KILLS = 20
IMPORT_KILLS_AFTER_A_COMMIT = 15  # the other 5 land at a random moment of start-up
BATCH = CHUNK_POSTS  # posts per transaction of the killed import
BOUND = 120.0  # seconds: a deadline for progress that takes 0.1-10 s, so that only a stuck worker reaches it


@pytest.fixture(scope="module")
def demo_pages(demo_files):
    return [json.loads(line) for line in demo_files[0].read_text(encoding="utf-8").splitlines() if line]


def kill_after_pages(process, sim: Simulator, base: int, pages: int, linger: float) -> bool:
    """SIGKILL ``linger`` seconds after the simulator has served this run its ``pages``-th page (the
    pass's last page, if it has fewer); False when the worker finished first. ``base`` is
    ``sim.served`` before the worker started.

    The caller has called ``sim.hold_after(pages)``: the worker's request for the page after
    the chosen one waits, so a kill after a page with a next one lands mid-pass however slow the
    machine, and a pass with fewer pages is the only way for a kill to miss."""

    def reached() -> bool:
        got = sim.served - base
        return got >= pages or (got > 0 and not sim.served_with_next[-1]) or process.poll() is not None

    assert sim.wait(reached, timeout=BOUND), f"the worker was served {sim.served - base} page(s) in {BOUND:.0f} s"
    time.sleep(linger)  # the random moment itself, counted from observed progress (a page served)
    if process.poll() is not None:
        return False
    process.kill()
    process.wait()
    return True


def test_sigkill_at_20_random_moments_of_polls_during_a_live_event(tmp_path, demo_pages, seed, tally):
    rng = random.Random(seed)
    with Simulator() as sim:
        sim.load_pages(demo_pages)
        every = sorted(sim.posts.values(), key=lambda t: int(t["id"]))
        reference = f"sqlite:///{tmp_path / 'reference.db'}"
        code, _, err = finish(worker("x-poll", "--once", url=reference, sim=sim))
        assert code == 0, err

        # The event goes on while the worker is killed again and again: new posts keep arriving.
        url = f"sqlite:///{tmp_path / 'killed.db'}"
        held = {t["id"]: t for t in every[len(every) // 3 :]}
        sim.posts = {t["id"]: t for t in every[: len(every) // 3]}
        sim.context.update(held)  # what is not yet collectable can still be referenced
        arriving = sorted(held.values(), key=lambda t: int(t["id"]))
        step = len(arriving) // KILLS + 1
        sim.page_delay = 0.05
        killed = passes = 0
        for attempt in range(KILLS * 3):
            with sim.lock:
                for tweet in arriving[attempt * step : (attempt + 1) * step]:
                    sim.posts[tweet["id"]] = tweet
            pages, linger = rng.randint(1, 5), rng.uniform(0, 0.12)
            base = sim.served
            sim.hold_after(pages)
            process = worker("x-poll", "--once", url=url, sim=sim, stderr=subprocess.DEVNULL)
            try:
                killed += kill_after_pages(process, sim, base, pages, linger)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                sim.release(serve=False)  # a request held for the killed worker is dropped, not served
            passes += 1
            if killed == KILLS:
                break
        sim.page_delay = 0.0
        with sim.lock:
            sim.posts.update(held)
        assert killed == KILLS, f"{killed} kills in {passes} passes: too many passes ended before their chosen page"
        # The last kill left a pass cut short (the hold makes sure of it): the next start finishes that
        # pass, which by design ends at the post it began with, and the pass after it (the next
        # polling interval) collects what arrived meanwhile.
        for _ in range(2):
            code, _, err = finish(worker("x-poll", "--once", url=url, sim=sim))
            assert code == 0, err
    assert snapshot(url) == snapshot(reference)
    tally.fault("SIGKILLs of `x-poll` mid-pass (simulator, live event)", killed)


class Progress:
    """An import's commits as the test sees them: its resume point, read from the database."""

    def __init__(self, url: str):
        self.url = url
        self.gaps: list[float] = []  # seconds between two commits of one run, the last few observed
        self.first_commit = 0.0  # seconds from a run's start to its first commit, as last observed

    def watch(self, process, commits: int, started: float) -> str | None:
        """Wait until this run (started at ``started``) has committed ``commits`` batches; its resume
        point then, or None when the run ended first. Each wait for a commit has a deadline that is
        a bound, not an expectation."""
        now, last = position(self.url), None
        for _ in range(commits):
            before = now
            deadline = time.monotonic() + BOUND
            while (now := position(self.url)) == before:
                if process.poll() is not None:
                    return None
                assert time.monotonic() < deadline, f"no commit within {BOUND:.0f} s (resume point {before})"
                time.sleep(0.02)  # the polling interval of a bounded wait: a batch takes 0.3-3 s
            moment = time.monotonic()
            if last is None:
                self.first_commit = moment - started
            else:
                self.gaps = (self.gaps + [moment - last])[-5:]
            last = moment
        return now

    def gap(self) -> float:
        return statistics.median(self.gaps)


def test_sigkill_at_20_random_moments_of_a_large_import(tmp_path, seed, tally):
    rng = random.Random(seed + 1)
    # Which kills come after a commit, and after how many of that run's commits, is decided here,
    # from the seed, and each such kill waits for its commits: a slow machine cannot make one miss.
    plan = [("after a commit", rng.choice((1, 1, 1, 2))) for _ in range(IMPORT_KILLS_AFTER_A_COMMIT)]
    plan += [("start-up", 0)] * (KILLS - IMPORT_KILLS_AFTER_A_COMMIT)
    rng.shuffle(plan)
    # The file holds what the kills' commits consume and five batches more (the batch a kill cuts, a
    # start-up kill that comes late, room to go on), in batches of BATCH (``--batch-posts``): one
    # reading process's chunk a transaction. In the default batches of 5,000 the file was 119,000
    # posts on average and this the suite's slowest test (161 s of the serial 15.7 minutes); the kills
    # land as they did, between and inside commits, on 24,000.
    posts = (sum(commits for _, commits in plan) + 5) * BATCH
    path, _ = write_collection(tmp_path / "big.jsonl", posts=posts, seed=11)
    log = (tmp_path / "worker.log").open("w")  # a pipe nobody reads would stop a worker at 64 KiB

    def run(url: str, **options):
        return worker("import-jsonl", "--batch-posts", str(BATCH), str(path), url=url, **options)

    # The uninterrupted run, watched: how long this machine, now, takes to start and to commit a batch.
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    progress = Progress(reference)
    process = run(reference, stderr=log)
    assert progress.watch(process, 5, time.monotonic()) is not None, "the import ended within 5 batches"
    assert process.wait(timeout=600) == 0

    url = f"sqlite:///{tmp_path / 'killed.db'}"
    progress.url = url
    killed = mid_write = orphans_checked = 0
    for kind, commits in plan:
        before = position(url)
        assert before is None or not before.endswith(":done"), "the import finished before 20 kills: use a larger file"
        started = time.monotonic()
        process = run(url, stderr=log)
        if kind == "start-up":
            # A random moment of start-up, drawn from the time the last run watched took to commit its
            # first batch (on this machine, just now: the moment scales with the machine's speed).
            time.sleep(rng.uniform(0.0, 0.9) * progress.first_commit)  # the random moment of start-up
        else:
            # After 1 or 2 commits of this run, at a random moment of the next batch's time (the
            # median of the last gaps between commits observed): before the next commit, as a rule.
            fraction = rng.uniform(0.0, 0.9)
            assert progress.watch(process, commits, started) is not None, "the import ended before its commit"
            time.sleep(fraction * progress.gap())  # the random moment, counted from an observed commit
        assert process.poll() is None, f"the import ended before its kill ({kind}): use a larger file"
        readers = children(process.pid)
        process.kill()
        process.wait()
        assert_gone(readers)  # its reading process (engagement.collection.readahead) dies with it
        orphans_checked += len(readers)
        killed += 1
        mid_write += position(url) != before
    log.close()
    code, out, err = finish(run(url))
    assert code == 0, err
    assert snapshot(url) == snapshot(reference)
    assert orphans_checked > 0, "no kill landed while the reading process ran"
    assert mid_write >= IMPORT_KILLS_AFTER_A_COMMIT, f"only {mid_write} kills landed after a commit"
    tally.fault(f"SIGKILLs of `import-jsonl` ({posts:,} posts)", killed)
    tally.note(
        f"{mid_write} of the {killed} import kills landed after that run had committed a batch, the rest "
        "during start-up or before its first commit"
    )


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except FileNotFoundError:
        return []


def assert_gone(pids: list[int], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        time.sleep(0.05)  # the polling interval of a bounded wait (the kernel ends them at once)
    assert not alive, f"processes {alive} outlived the killed worker"


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def position(url: str) -> str | None:
    """The import's resume point, read with plain sqlite3 (no migration check: cheap enough to poll
    beside the worker every 20 ms); None before the worker has created and migrated its database."""
    path = url.removeprefix("sqlite:///")
    if not os.path.exists(path):
        return None
    with closing(sqlite3.connect(path, timeout=30)) as connection:
        try:
            row = connection.execute("SELECT position FROM ingest_checkpoint WHERE source LIKE 'jsonl:%'").fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return None
            raise
    return row[0] if row else None
