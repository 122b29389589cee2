"""Jetstream storms: runs of refused handshakes, dropped connections, stalls, truncated and invalid
frames, and several endpoints with one dead. ``bsky-stream`` keeps its promises (everything read
once, nothing doubled, no crash): the database at the end equals a clean run's, each bad frame is
kept aside once with its reason however often a reconnect reads it again, and the log says what
happened, fault by fault. The backoff waits are the policy's own (``run_stream``'s ``wait``): in
process they are recorded rather than slept; through the worker process they are real.
"""

from __future__ import annotations

import json
import logging
import random
import signal
import socket
import sqlite3
from collections import Counter
from contextlib import closing

import pytest

from engagement.collection.bluesky.jetstream import StreamResult, load_cursor, run_stream
from engagement.rules.sync import sync_event
from engagement.storage import db

from ..helpers.worker import finish, snapshot, wait_for_checkpoint, worker
from ..jetsim import ACCOUNT, POST, Frame, JetstreamSimulator, afternoon, recorded_events, retimed

pytestmark = pytest.mark.serial  # stalls and backoffs are time-sensitive, as tests/conftest.py's SERIAL_MODULES

ROUNDS = 24
EVENT_ACCOUNTS = f"osce_cthb {ACCOUNT}"
# What the log says for each connection fault (engagement/collection/bluesky/jetstream.py, describe).
SAID = {"refuse": "handshake was refused", "drop": "the connection closed", "stall": "no frame for"}
DID = "did:plc:q235v55g5unth4zjjdpacfdr"


def truncated(rng: random.Random, time_us: int) -> tuple[str, str, str]:
    """A recorded event's JSON cut off at a random byte: (frame, location, reason)."""
    text = json.dumps(rng.choice(recorded_events()))
    return text[: rng.randint(1, len(text) - 1)], f"after time_us {time_us} +1", "frame is not JSON"


def invalid(n: int, time_us: int) -> tuple[str | bytes, str, str]:
    """The n-th of seven frames that are not a usable event: (frame, location, reason). Those that
    carry the time_us of the post before them are named by it, the others by the post they follow."""
    after, at = f"after time_us {time_us} +1", f"time_us {time_us}"
    post = {"operation": "create", "collection": POST, "rkey": "3cthb18bad01", "record": {"createdAt": "x"}}
    frames: list[tuple[str | bytes, str, str]] = [
        ("[1, 2, 3]", after, "Jetstream event is not a JSON object"),
        ('{"kind":"commit","did":"nobody"}', after, "event did is not a DID"),
        (json.dumps({"did": DID, "time_us": "soon", "kind": "commit"}), after, "event without a time_us"),
        (json.dumps({"did": DID, "time_us": time_us, "kind": "commit", "commit": []}), at, "commit event without"),
        (json.dumps({"did": DID, "time_us": time_us, "kind": 7}), at, "event without a kind"),
        (b"\xff\xfe\x00 not UTF-8", after, "frame is not JSON"),
        (json.dumps({"did": DID, "time_us": time_us, "kind": "commit", "commit": post}), at, f"post at://{DID}/"),
    ]
    return frames[n % len(frames)]


def with_bad_frames(kind: str, count: int, rng: random.Random) -> tuple[list[Frame], dict[str, str]]:
    """The clean afternoon with ``count`` bad frames of ``kind`` ("truncate", "invalid" or "both"),
    each right after a different post; the frames and the rejections expected (reason by location)."""
    items: list[dict | str | bytes] = list(afternoon(ROUNDS, malformed=False))
    clean = retimed(items)
    posts = [i for i, frame in enumerate(clean) if frame.collection == POST]
    chosen = sorted(rng.sample(posts, count), reverse=True)  # from the end: earlier indexes stay put
    expected: dict[str, str] = {}
    for n, index in enumerate(chosen):
        time_us = clean[index].time_us
        make = kind if kind != "both" else ("truncate", "invalid")[n % 2]
        frame, location, reason = truncated(rng, time_us) if make == "truncate" else invalid(n, time_us)
        items.insert(index + 1, frame)
        expected[location] = reason
    return retimed(items), expected


def dead_endpoint() -> str:
    """A URL where nothing listens: a port bound and let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"ws://127.0.0.1:{port}/subscribe"


def stream(url: str, sim: JetstreamSimulator, last: int, stall: float = 30.0) -> tuple[StreamResult, list[float]]:
    """``run_stream`` in this process until the resume point reaches ``last`` and every fault has been
    met and left (at the end of the list a connection waits, or meets its fault); the backoff waits
    it asked for, recorded and not slept."""
    waits: list[float] = []
    stopped: list[bool] = []  # once asked to stop, stopped for good, as the worker's StopFlag

    def stop() -> bool:
        if not stopped and (load_cursor(url) or 0) >= last and not sim.faults and sim.left_every_fault():
            stopped.extend([True] if sim.serving() else [])
        return bool(stopped)

    result = run_stream(urls=[sim.url], url=url, stop=stop, wait=waits.append, stall_seconds=stall)
    return result, waits


def stream_state(url: str):
    """What a person could see (``snapshot``), the tombstones and the resume point."""
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
        tombstones = connection.execute("SELECT platform, platform_id FROM deleted_post ORDER BY 1, 2").fetchall()
    return snapshot(url), tombstones, load_cursor(url)


def rejected(url: str) -> dict[str, tuple[str, str]]:
    """The kept-aside frames: (reason, raw) by location."""
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
        rows = connection.execute("SELECT location, reason, raw FROM rejected_record WHERE source = 'bsky-stream'")
        return {location: (reason, raw) for location, reason, raw in rows}


def last_time_us(frames: list[Frame]) -> int:
    return max(frame.time_us for frame in frames if frame.event is not None)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The afternoon streamed once without a fault."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bluesky-storm-reference') / 'reference.db'}"
    with db.writing(url) as session:
        sync_event(session)
    frames = retimed(afternoon(ROUNDS, malformed=False))
    with pytest.MonkeyPatch.context() as patch, JetstreamSimulator(frames) as sim:
        patch.setenv("EVENT_ACCOUNTS", EVENT_ACCOUNTS)
        result, waits = stream(url, sim, last_time_us(frames))
    assert result.rejected == 0 and result.reconnects == 0 and waits == []
    state = stream_state(url)
    db.dispose_engines()
    assert len(state[0][0]) > ROUNDS and state[1]  # posts, reposts and tombstones to compare
    return state


@pytest.mark.parametrize("kind, run", [("refuse", 4), ("drop", 12), ("stall", 3)])
def test_a_run_of_one_connection_fault(db_url, reference, monkeypatch, caplog, seed, kind, run, tally):
    monkeypatch.setenv("EVENT_ACCOUNTS", EVENT_ACCOUNTS)
    rng = random.Random(seed)
    frames = retimed(afternoon(ROUNDS, malformed=False))
    with JetstreamSimulator(frames) as sim, caplog.at_level(logging.WARNING, logger="ingest.bluesky"):
        for _ in range(run):
            sim.fail(kind, after=rng.randint(3, 20))
        # A stall limit above the batch's second, so that the quiet end of the list is not a stall.
        result, waits = stream(db_url, sim, last_time_us(frames), stall=1.5 if kind == "stall" else 30.0)
        connections = sim.connections
    assert stream_state(db_url) == reference
    assert rejected(db_url) == {}
    said = [r.getMessage() for r in caplog.records if SAID[kind] in r.getMessage()]
    assert len(said) == run, f"the log should say what happened {run} times, it said {len(said)}"
    assert result.reconnects == run and len(connections) == run + 1
    if kind == "refuse":
        # Refused again and again with nothing read: the waits double.
        assert waits == [1.0, 2.0, 4.0, 8.0]
    else:
        # Each connection read frames before it failed: every wait starts again from the first.
        assert waits == [1.0] * run
        # Each reconnect asks from the newest frame read so far, 5 s back: never past one sent (a
        # frame in flight when the connection is cut may be lost with it).
        for number, following in enumerate(connections[1:], 1):
            newest = max(t for connection in connections[:number] for t in connection.sent_time_us)
            assert following.cursor is not None and following.cursor <= newest - 5_000_000
    tally.fault(f"Jetstream storm: {run} × {kind} in a row", run)


@pytest.mark.parametrize("kind, count", [("truncate", 8), ("invalid", 7)])
def test_bad_frames_are_kept_aside_once_and_the_stream_goes_on(
    db_url, reference, monkeypatch, seed, kind, count, tally
):
    monkeypatch.setenv("EVENT_ACCOUNTS", EVENT_ACCOUNTS)
    frames, expected = with_bad_frames(kind, count, random.Random(seed))
    assert len(expected) == count
    with JetstreamSimulator(frames) as sim:
        # Dropped near the end: the reconnect, rewound 5 s, reads some of the bad frames again.
        for after in (len(frames) // 3, 2 * len(frames) // 3):
            sim.fail("drop", after=after)
        result, _ = stream(db_url, sim, last_time_us(frames))
    assert stream_state(db_url) == reference
    kept = rejected(db_url)
    assert sorted(kept) == sorted(expected)
    for location, (reason, raw) in kept.items():
        assert reason.startswith(expected[location]), (location, reason)
        assert raw  # the frame itself, to look at
    assert result.rejected == count
    tally.bad_input(f"{kind} Jetstream frames, kept aside once each", count)


def test_a_mixed_storm_over_three_endpoints_one_dead_through_the_worker_process(tmp_path, reference, seed, tally):
    """Refusals, drops and stalls in random order on two Jetstream hosts, a dead host between them,
    and truncated and invalid frames in the stream, against the real worker (its backoff real too)."""
    rng = random.Random(seed)
    frames, expected = with_bad_frames("both", 8, rng)
    plan = {"refuse": 2, "drop": 4, "stall": 1}
    with JetstreamSimulator(frames) as first, JetstreamSimulator(frames) as second:
        for sim in (first, second):
            kinds = [kind for kind, times in plan.items() for _ in range(times)]
            rng.shuffle(kinds)
            for kind in kinds:
                sim.fail(kind, after=rng.randint(3, 30))
        url = f"sqlite:///{tmp_path / 'storm.db'}"
        dead = dead_endpoint()
        process = worker(
            "bsky-stream",
            url=url,
            JETSTREAM_URL=",".join((first.url, dead, second.url)),
            # Above the batch's second and the wait for the end below: the quiet end is not a stall.
            JETSTREAM_STALL_S="3",
            EVENT_ACCOUNTS=EVENT_ACCOUNTS,
        )
        wait_for_checkpoint(url, "bsky-stream", last_time_us(frames), process, timeout=180)
        # A host serving to the end is not left, so the other's last faults may never be met: wait
        # for the worker to be served without a fault, having left every fault it met, then stop it.
        sims = (first, second)
        assert first.wait(lambda: all(s.left_every_fault() for s in sims) and any(s.serving() for s in sims), 60)
        process.send_signal(signal.SIGTERM)
        code, _, err = finish(process, timeout=60)
        met = Counter(c.fault for sim in (first, second) for c in sim.connections if c.fault)
    assert code == 3, err  # done, with rejected frames
    assert stream_state(url) == reference
    kept = rejected(url)
    assert sorted(kept) == sorted(expected)
    assert all(reason.startswith(expected[location]) for location, (reason, _) in kept.items())
    lines = err.splitlines()
    for kind in plan:
        assert sum(SAID[kind] in line for line in lines) == met[kind], kind
    assert sum(met.values()) >= sum(plan.values())  # one host's faults at least, all of them
    assert any(dead.removesuffix("/subscribe") in line and "trying the next endpoint" in line for line in lines)
    tally.fault("Jetstream mixed storm over three endpoints, one dead, through the worker process", sum(met.values()))
    tally.bad_input("truncated and invalid Jetstream frames through the worker process", len(expected))


def test_a_post_with_a_lone_surrogate_does_not_stop_the_stream(db_url, reference, monkeypatch):
    """A frame whose kept post holds the JSON escape \\ud800 (a lone surrogate, no character): it
    once failed every commit from there on, the resume point stuck before it. It is kept aside with
    its reason and the stream goes on."""
    monkeypatch.setenv("EVENT_ACCOUNTS", EVENT_ACCOUNTS)
    items = afternoon(ROUNDS, malformed=False)
    index = next(i for i, item in enumerate(items) if "#cthb18" in json.dumps(item).casefold())
    poisoned = json.loads(json.dumps(items[index]))
    poisoned["commit"]["rkey"] = "3cthb18poison"
    poisoned["commit"]["record"]["text"] += " \ud800"
    items.insert(index + 1, json.dumps(poisoned))  # raw: its time_us is the post's before it
    frames = retimed(items)
    with JetstreamSimulator(frames) as sim:
        stream(db_url, sim, last_time_us(frames))
    # Kept with the character replaced, or kept aside: either way everything else is in.
    uri = f"at://{poisoned['did']}/app.bsky.feed.post/3cthb18poison"
    posts = {row[0] for row in stream_state(db_url)[0][0]}
    assert posts - {uri} == {row[0] for row in reference[0][0]}
    assert uri in posts or len(rejected(db_url)) == 1
