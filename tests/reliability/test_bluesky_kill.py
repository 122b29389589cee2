"""SIGKILL of ``bsky-stream`` at 20 random moments while the event's posts keep arriving on a local
Jetstream (tests/jetsim.py, live): each start resumes from the last committed ``time_us``, and the
database at the end equals the one an uninterrupted run builds over the same events: the posts, the
reposts, the deletes and their tombstones, the authors and the rejected frames, none lost, none
doubled.

As in test_kill.py the moments are drawn from the worker's observed progress, not from the clock: a
kill "mid-batch" comes after this run's connection has been sent a chosen number of frames, a kill
"after a commit" after this run has moved the resume point in the database, a kill at "start-up" at a
fraction of the start-up time just observed. New events are published before each start and again
once the run is under way, so every run has something new to read.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from contextlib import closing

import pytest

from ..helpers.worker import finish, snapshot, worker
from ..jetsim import ACCOUNT, POST, REPOST, Frame, JetstreamSimulator, afternoon, retimed

pytestmark = pytest.mark.serial  # kills at observed moments, as tests/conftest.py's SERIAL_MODULES

KILLS = 20
ROUNDS = 40  # of jetsim.afternoon: about 260 frames, 60 of them kept
BOUND = 120.0  # seconds: a deadline for progress that takes 0.1-5 s, so that only a stuck worker reaches it


def stream_worker(url: str, sim: JetstreamSimulator, **options):
    return worker("bsky-stream", url=url, JETSTREAM_URL=sim.url, EVENT_ACCOUNTS=f"osce_cthb {ACCOUNT}", **options)


def resume_point(url: str) -> int | None:
    """The stream's committed ``time_us``, read with plain sqlite3 (cheap enough to poll beside the
    worker every 20 ms); None before the worker has created its database or committed."""
    path = url.removeprefix("sqlite:///")
    if not os.path.exists(path):
        return None
    with closing(sqlite3.connect(path, timeout=30)) as connection:
        try:
            row = connection.execute("SELECT position FROM ingest_checkpoint WHERE source = 'bsky-stream'").fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return None
            raise
    return json.loads(row[0])["time_us"] if row else None


def wait_for(condition, process, what: str) -> None:
    """Poll ``condition`` every 20 ms (a batch takes a second) until it holds; the worker must stay up."""
    deadline = time.monotonic() + BOUND
    while not condition():
        assert process.poll() is None, f"the worker ended ({process.returncode}) before {what}"
        assert time.monotonic() < deadline, f"not {what} within {BOUND:.0f} s"
        time.sleep(0.02)  # the polling interval of a bounded wait


def run_to_the_end(url: str, sim: JetstreamSimulator, last: int) -> tuple[int, str]:
    process = stream_worker(url, sim)
    wait_for(lambda: (resume_point(url) or 0) >= last, process, f"the resume point reached {last}")
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process, timeout=60)
    return code, err


def stream_state(url: str):
    """Everything a person could see (``snapshot``: posts, authors, figures) and what the stream keeps
    beside it: the tombstones, the rejected frames (location, reason, raw) and the resume point."""
    path = url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        tombstones = connection.execute("SELECT platform, platform_id FROM deleted_post ORDER BY 1, 2").fetchall()
        rejected = connection.execute(
            "SELECT source, location, reason, raw FROM rejected_record ORDER BY source, location"
        ).fetchall()
    return snapshot(url), tombstones, rejected, resume_point(url)


def test_sigkill_at_20_random_moments_of_bsky_stream_while_events_arrive(tmp_path, seed, tally):
    rng = random.Random(seed)
    frames = retimed(afternoon(ROUNDS))
    last = max(f.time_us for f in frames)

    # The uninterrupted run, watched: how long this machine, now, takes to start and connect.
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    with JetstreamSimulator(frames) as sim:
        started = time.monotonic()
        process = stream_worker(reference, sim)
        wait_for(lambda: bool(sim.connections), process, "it connected")
        start_up = time.monotonic() - started
        wait_for(lambda: (resume_point(reference) or 0) >= last, process, "the reference run read every frame")
        process.send_signal(signal.SIGTERM)
        code, _, err = finish(process, timeout=60)
    assert code == 3, err  # done, with the malformed frames kept aside
    expected = stream_state(reference)
    posts, tombstones, rejected = expected[0][0], expected[1], expected[2]
    assert len(posts) > ROUNDS and len(tombstones) > ROUNDS // 5 and len(rejected) > ROUNDS // 7

    plan = ["mid-batch"] * 9 + ["after a commit"] * 8 + ["start-up"] * (KILLS - 17)
    rng.shuffle(plan)
    print(f"seed {seed}: kills {plan}")
    parts = arrivals(frames, rng)
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    landed: dict[str, int] = {}
    with JetstreamSimulator([], live=True) as sim:
        for number, kind in enumerate(plan):
            sent, moved = kill_once(url, sim, kind, parts[2 * number : 2 * number + 2], rng, start_up)
            landed[kind] = landed.get(kind, 0) + 1
            print(f"kill {number + 1:2d} ({kind}): {sent} frames sent, committed {moved}")
        sim.publish(parts[-1])
        rejected_before = count_rejected(url)
        code, err = run_to_the_end(url, sim, last)
    assert code == (3 if count_rejected(url) > rejected_before else 0), err
    assert stream_state(url) == expected
    tally.fault("SIGKILLs of `bsky-stream` (local Jetstream, live event)", KILLS)
    tally.note(
        "bsky-stream kills: "
        + ", ".join(f"{count} {kind}" for kind, count in sorted(landed.items()))
        + f" (seed {seed})"
    )


def kill_once(
    url: str, sim: JetstreamSimulator, kind: str, parts: list[list[Frame]], rng: random.Random, start_up: float
) -> tuple[int, bool]:
    """One run killed at a moment of ``kind``, the first part published before it starts and the
    second once it is under way; returns the frames the simulator sent it and whether it committed."""
    arrived, arriving = parts
    sim.publish(arrived)
    before, sent = resume_point(url), sim.sent
    frames_read, linger = rng.randint(1, 4), rng.uniform(0.0, 1.5)
    if kind == "mid-batch":
        sim.hold_after(frames_read)  # the kill lands with frames read and more to come
    process = stream_worker(url, sim, stderr=subprocess.DEVNULL)
    try:
        if kind == "start-up":
            time.sleep(rng.uniform(0.0, 0.9) * start_up)  # the random moment of start-up
            sim.publish(arriving)
        elif kind == "mid-batch":
            sim.publish(arriving)
            wait_for(lambda: sim.sent - sent >= frames_read, process, f"{frames_read} frames were sent")
            time.sleep(linger)  # the random moment, counted from the frames observed sent
        else:
            wait_for(lambda: resume_point(url) != before, process, "this run committed")
            sim.publish(arriving)
            time.sleep(rng.uniform(0.0, 0.9))  # a random moment of the next batch's second
        assert process.poll() is None, f"the worker ended before its kill ({kind})"
    finally:
        process.kill()
        process.wait()
        sim.release()
    # The killed run's connection is gone before the next run starts (a hold counts every connection's frames).
    assert sim.wait(lambda: all(c.closed for c in sim.accepted()), timeout=BOUND)
    return sim.sent - sent, resume_point(url) != before


def arrivals(frames: list[Frame], rng: random.Random) -> list[list[Frame]]:
    """The frames in 2 × KILLS + 1 parts as they arrive: one before each start, one once the run is
    under way, the last before the run that finishes. Each part holds at least two frames the
    worker is sent (not only likes and follows), so every run has something new to read."""
    sent = [i for i, frame in enumerate(frames) if frame.collection in (None, POST, REPOST)]
    cuts = sorted(rng.sample(sent[2::2], 2 * KILLS))
    return [frames[a:b] for a, b in zip([0, *cuts], [*cuts, len(frames)], strict=True)]


def count_rejected(url: str) -> int:
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
        return connection.execute("SELECT count(*) FROM rejected_record").fetchone()[0]
