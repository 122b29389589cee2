"""SIGKILL at random moments: the worker's next start resumes from its last commit, and the database
at the end equals the one an uninterrupted run builds: no post lost, none doubled."""

from __future__ import annotations

import json
import random
import time

import pytest
from sqlmodel import select

from engagement import db
from engagement.demo import write_collection
from engagement.models import IngestCheckpoint, IngestRun

from ..test_worker_process import finish, snapshot, worker
from ..xsim import Simulator

KILLS = 20


@pytest.fixture(scope="module")
def demo_pages(demo_files):
    return [json.loads(line) for line in demo_files[0].read_text(encoding="utf-8").splitlines() if line]


def kill_after_requests(process, sim, requests: int, linger: float, timeout: float = 30) -> bool:
    """SIGKILL once the worker has made ``requests`` more search requests and ``linger`` seconds have
    passed; False when it finished first."""
    target = len(sim.search_requests()) + requests
    deadline = time.monotonic() + timeout
    while len(sim.search_requests()) < target:
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    time.sleep(linger)
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
        held = {t["id"]: t for t in every[len(every) // 3:]}
        sim.posts = {t["id"]: t for t in every[: len(every) // 3]}
        sim.context.update(held)  # what is not yet collectable can still be referenced
        arriving = sorted(held.values(), key=lambda t: int(t["id"]))
        step = len(arriving) // KILLS + 1
        sim.page_delay = 0.05
        killed = 0
        for attempt in range(KILLS * 3):
            with sim.lock:
                for tweet in arriving[attempt * step:(attempt + 1) * step]:
                    sim.posts[tweet["id"]] = tweet
            process = worker("x-poll", "--once", url=url, sim=sim)
            killed += kill_after_requests(process, sim, rng.randint(1, 5), rng.uniform(0, 0.12))
            if process.poll() is None:
                process.kill()
            process.wait()
            if killed == KILLS:
                break
        sim.page_delay = 0.0
        with sim.lock:
            sim.posts.update(held)
        assert killed == KILLS
        code, _, err = finish(worker("x-poll", "--once", url=url, sim=sim))
        assert code == 0, err
    assert snapshot(url) == snapshot(reference)
    tally.fault("SIGKILLs of `x-poll` mid-pass (simulator, live event)", killed)


def test_sigkill_at_20_random_moments_of_a_large_import(tmp_path, seed, tally):
    rng = random.Random(seed + 1)
    path, _ = write_collection(tmp_path / "big.jsonl", posts=150_000, seed=11)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    assert finish(worker("import-jsonl", str(path), url=reference))[0] == 0
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    killed = mid_write = orphans_checked = 0
    while killed < KILLS:
        before, started = position(url), runs(url)
        assert before is None or not before.endswith(":done"), "the import finished before 20 kills: use a larger file"
        process = worker("import-jsonl", str(path), url=url)
        # A random moment of the run's first 1.6 s of work (its reading process starting, then a
        # batch of 5,000 posts about every half second), or, one time in four, of its start-up.
        if rng.random() < 0.25:
            time.sleep(rng.uniform(0.0, 1.0))
        else:
            deadline = time.monotonic() + 30
            while runs(url) == started and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 1.6))
        if process.poll() is not None:
            continue
        readers = children(process.pid)
        process.kill()
        process.wait()
        assert_gone(readers)  # its reading process (engagement.readahead) dies with it
        orphans_checked += len(readers)
        killed += 1
        mid_write += position(url) != before
    code, out, err = finish(worker("import-jsonl", str(path), url=url))
    assert code == 0, err
    assert snapshot(url) == snapshot(reference)
    assert orphans_checked > 0, "no kill landed while the reading process ran"
    assert mid_write >= 3, f"only {mid_write} kills landed mid-import: the kill window no longer fits the import"
    tally.fault("SIGKILLs of `import-jsonl` (150,000 posts)", killed)
    tally.note(f"{mid_write} of the {killed} import kills landed after that run had committed a batch, the rest "
               "during start-up or before its first commit")


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except FileNotFoundError:
        return []


def assert_gone(pids: list[int], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        time.sleep(0.05)
    assert not alive, f"processes {alive} outlived the killed worker"


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def runs(url: str) -> int:
    try:
        with db.reading(url) as session:
            count = len(session.exec(select(IngestRun.id)).all())
    except Exception:  # not created yet
        count = 0
    db.dispose_engines()
    return count


def position(url: str) -> str | None:
    try:
        with db.reading(url) as session:
            row = session.exec(select(IngestCheckpoint.position).where(IngestCheckpoint.source.like("jsonl:%"))).first()
    except Exception:  # not created yet: the first start was killed before migrating
        row = None
    db.dispose_engines()
    return row
