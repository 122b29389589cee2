"""A local Jetstream v1: a real websocket server on 127.0.0.1 serving a list of events.

It speaks what ``bsky-stream`` relies on: ``/subscribe?wantedCollections=…&cursor=…`` (commit
events of other collections are not sent; identity and account events always are, as Jetstream
does; with a cursor, the events with ``time_us >= cursor``), one JSON text frame per event, and the
connection left open, quiet, after the last event, as a live stream is between posts. ``live=True``
makes it a stream that goes on: ``publish`` adds frames at the end, and every open connection that
has sent all it had sends them as they come.

Faults come on demand, one per connection as they arrive (``fail``): ``refuse`` (HTTP 502 at the
handshake), ``drop`` (the TCP connection cut after ``after`` frames), ``stall`` (no more frames after
``after``, the socket kept open until the client goes). ``hold_after``/``release`` hold every
connection after a number of frames sent in all, for tests that act mid-stream. Tests wait on what
it has done (``wait``: a Condition notified at each frame and connection), never on sleeps.
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

DATA = Path(__file__).parent / "data" / "bluesky"
# Events are spaced one second apart from here (2026-05-25 14:23 UTC), so that the worker's 5 s
# rewind on resuming covers a handful of events, not the whole list.
FIRST_TIME_US = 1_779_719_000_000_000
STEP_US = 1_000_000


@dataclass
class Frame:
    """One frame to send: an event (sent as JSON) or raw text (a malformed frame), at ``time_us``
    (for a raw frame: the position it is sent at, for the cursor)."""

    time_us: int
    event: dict | None = None
    raw: str | None = None

    @property
    def collection(self) -> str | None:
        if self.event is None or self.event.get("kind") != "commit":
            return None
        return (self.event.get("commit") or {}).get("collection")

    def text(self) -> str:
        return self.raw if self.raw is not None else json.dumps(self.event)


@dataclass
class Connection:
    """What a client asked for, and what it got."""

    collections: list[str]
    cursor: int | None
    refused: bool = False
    sent: int = 0
    sent_time_us: list[int] = field(default_factory=list)
    closed: bool = False


def recorded_events() -> list[dict]:
    """The recorded events: the Jetstream golden file, then the firehose posts, in that order."""
    lines = (DATA / "jetstream_v1_golden.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    events += json.loads((DATA / "twitwi_bluesky-firehose-posts.json").read_text(encoding="utf-8"))
    return events


def derived_post(event: dict, rkey: str, text: str) -> dict:
    """A copy of a recorded post event under another record key, with ``text`` for its text."""
    derived = copy.deepcopy(event)
    derived["commit"]["rkey"] = rkey
    derived["commit"]["record"]["text"] = text
    derived["commit"]["record"].pop("facets", None)
    return derived


def uri_of(event: dict) -> str:
    return f"at://{event['did']}/{event['commit']['collection']}/{event['commit']['rkey']}"


def retimed(items: list[dict | str]) -> list[Frame]:
    """Frames from events (time_us rewritten, increasing by ``STEP_US``) and raw texts between them."""
    frames, time_us = [], FIRST_TIME_US
    for item in items:
        if isinstance(item, str):
            frames.append(Frame(time_us=time_us, raw=item))
            continue
        time_us += STEP_US
        event = copy.deepcopy(item)
        event["time_us"] = time_us
        frames.append(Frame(time_us=time_us, event=event))
    return frames


class JetstreamSimulator:
    def __init__(self, frames: list[Frame], *, refuse_all: bool = False, live: bool = False):
        self.frames = list(frames)
        self.refuse_all = refuse_all
        self.live = live
        self.connections: list[Connection] = []
        self.faults: deque[tuple[str, dict[str, Any]]] = deque()
        self.sent = 0  # frames sent, over every connection
        self.progress = threading.Condition()
        self._admit: int | None = None  # frames still let through before a hold; None: no hold
        self._closing = threading.Event()
        self.server = serve(
            self._serve, "127.0.0.1", 0, process_request=self._handshake, compression=None, ping_interval=None
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- what tests use ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/subscribe"

    def fail(self, kind: str, **options: Any) -> None:
        """The next connection gets this fault: ``refuse``, ``drop`` (after=K) or ``stall`` (after=K)."""
        with self.progress:
            self.faults.append((kind, options))

    def publish(self, frames: list[Frame]) -> None:
        """Frames that have just happened (``live``): appended, and sent on every open connection."""
        with self.progress:
            self.frames.extend(frames)
            self.progress.notify_all()

    def hold_after(self, frames: int) -> None:
        """Let ``frames`` more frames through (over all connections), then hold until ``release``."""
        with self.progress:
            self._admit = frames

    def release(self) -> None:
        with self.progress:
            self._admit = None
            self.progress.notify_all()

    def wait(self, condition, timeout: float = 60.0) -> bool:
        """Wait until ``condition()`` holds, looked at again after each frame and connection (and at
        least every 0.05 s, for what the simulator does not signal: a process ending); False once
        ``timeout`` seconds (a bound, far above the expected time) have passed without it."""
        deadline = time.monotonic() + timeout
        with self.progress:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.progress.wait(min(left, 0.05))
        return True

    def accepted(self) -> list[Connection]:
        with self.progress:
            return [c for c in self.connections if not c.refused]

    # -- the server --------------------------------------------------------------------------

    def _handshake(self, connection: ServerConnection, request) -> Any:
        query = parse_qs(urlsplit(request.path).query)
        cursor = int(query["cursor"][0]) if query.get("cursor") else None
        record = Connection(collections=query.get("wantedCollections", []), cursor=cursor)
        with self.progress:
            fault = self.faults[0] if self.faults else None
            refuse = self.refuse_all or (fault is not None and fault[0] == "refuse")
            if fault is not None and fault[0] == "refuse":
                self.faults.popleft()
            record.refused = refuse
            self.connections.append(record)
            self.progress.notify_all()
        connection.record = record  # type: ignore[attr-defined]
        if refuse:
            return connection.respond(502, "Bad Gateway\n")
        return None

    def _wanted(self, frame: Frame, record: Connection) -> bool:
        if record.cursor is not None and frame.time_us < record.cursor:
            return False
        collection = frame.collection
        return collection is None or not record.collections or collection in record.collections

    def _let_through(self) -> bool:
        with self.progress:
            while self._admit is not None and self._admit <= 0:
                if self._closing.is_set():
                    return False
                self.progress.wait(0.05)
            if self._admit is not None:
                self._admit -= 1
            return True

    def _next(self, index: int) -> Frame | None:
        with self.progress:
            return self.frames[index] if index < len(self.frames) else None

    def _serve(self, connection: ServerConnection) -> None:
        record: Connection = connection.record  # type: ignore[attr-defined]
        with self.progress:
            fault = self.faults.popleft() if self.faults else None
        after: int = fault[1].get("after", 0) if fault else 0
        try:
            index = 0
            while not self._closing.is_set():
                if fault is not None and record.sent >= after:
                    break
                frame = self._next(index)
                if frame is None:
                    if not self.live:
                        break
                    self._quiet(connection, 0.05)  # a live stream between events: wait for the next
                    continue
                index += 1
                if not self._wanted(frame, record):
                    continue
                if not self._let_through():
                    return
                connection.send(frame.text())
                with self.progress:
                    record.sent += 1
                    record.sent_time_us.append(frame.time_us)
                    self.sent += 1
                    self.progress.notify_all()
            if fault is not None and fault[0] == "drop":
                connection.socket.shutdown(socket.SHUT_RDWR)  # no close frame: a cut, as a host going away
                return
            self._idle(connection)  # the end of the list, or a stall: open and quiet
        except ConnectionClosed:
            pass
        finally:
            with self.progress:
                record.closed = True
                self.progress.notify_all()

    @staticmethod
    def _quiet(connection: ServerConnection, seconds: float) -> None:
        """Wait ``seconds`` on the connection: a client that has gone raises ``ConnectionClosed``."""
        with contextlib.suppress(TimeoutError):
            connection.recv(timeout=seconds)

    def _idle(self, connection: ServerConnection) -> None:
        """Keep the connection open, sending nothing, until the client closes it or the server stops."""
        while not self._closing.is_set():
            self._quiet(connection, 0.1)

    def __enter__(self) -> JetstreamSimulator:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._closing.set()
        self.release()
        self.server.shutdown()
