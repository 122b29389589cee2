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

``afternoon`` builds a longer stream from the recorded events for the reliability suite: the event's
posts among strangers', reposts, deletes, an identity event, the account's own posts and replies.
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
POST, REPOST = "app.bsky.feed.post", "app.bsky.feed.repost"
# The event's Bluesky account as the tests name it in EVENT_ACCOUNTS, and its DID.
ACCOUNT = "osce.bsky.social"
ACCOUNT_DID = "did:plc:osceaccountxxxxxxxxxxxxx"


@dataclass
class Frame:
    """One frame to send: an event (sent as JSON) or raw text (a malformed frame; bytes go as a
    binary frame), at ``time_us`` (for a raw frame: the position it is sent at, for the cursor)."""

    time_us: int
    event: dict | None = None
    raw: str | bytes | None = None

    @property
    def collection(self) -> str | None:
        if self.event is None or self.event.get("kind") != "commit":
            return None
        return (self.event.get("commit") or {}).get("collection")

    def text(self) -> str | bytes:
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
    fault: str | None = None  # the fault this connection got (refuse, drop, stall)
    after: int = 0  # frames sent before a drop or a stall


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


def repost(of: dict, by: str, rkey: str) -> dict:
    record = {
        "$type": "app.bsky.feed.repost",
        "createdAt": "2026-05-25T14:25:00.000Z",
        "subject": {"uri": uri_of(of), "cid": "bafyreiaxf7tgbfydx3465sckitq6v564thxe2wwydbi7cwxbxvgssje3em"},
    }
    commit = {"rev": "3mmoojpbi5e2i", "operation": "create", "collection": "app.bsky.feed.repost", "rkey": rkey}
    return {"did": by, "time_us": 0, "kind": "commit", "commit": {**commit, "record": record}}


def delete(of: dict) -> dict:
    commit = {"rev": "3mmoojpbi5e2j", "operation": "delete", "collection": of["commit"]["collection"]}
    return {"did": of["did"], "time_us": 0, "kind": "commit", "commit": {**commit, "rkey": of["commit"]["rkey"]}}


def identity(did: str, handle: str) -> dict:
    announced = {"did": did, "handle": handle, "seq": 1, "time": "2026-05-25T14:23:00.000Z"}
    return {"did": did, "time_us": 0, "kind": "identity", "identity": announced}


def by(event: dict, did: str) -> dict:
    event["did"] = did
    return event


def afternoon(rounds: int, malformed: bool = True) -> list[dict | str]:
    """An event's afternoon on Jetstream: each round a tagged post by one of a dozen authors among
    strangers' posts, likes and follows; reposts of earlier tagged posts (and of strangers' posts,
    which are not kept); deletes of tagged posts and of a repost; the account's handle announced,
    then its own posts and a reply to one; with ``malformed``, malformed frames, each right after a
    post (a frame with no ``time_us`` is named by the one before it, which a resumed run has read
    again). Events and raw texts, for ``retimed``."""
    recorded = recorded_events()
    golden, firehose = recorded[:10], recorded[10:]
    strangers = [e for e in firehose if e["commit"]["collection"] == "app.bsky.feed.post"]
    others = [e for e in golden if e["kind"] != "commit" or e["commit"]["collection"] != POST]
    authors = [f"did:plc:cthb18author{n:02d}xxxxxxxxx" for n in range(12)]
    items: list[dict | str] = []
    tagged: list[dict] = []
    own: list[dict] = []
    for n in range(rounds):
        text = f"Round {n} of the panel #cthb18" if n % 4 else f"Round {n}: #CTHB18 live from Vienna"
        post = by(derived_post(strangers[n % len(strangers)], f"3cthb18p{n:04d}", text), authors[n % len(authors)])
        items += [post, derived_post(strangers[(n + 1) % len(strangers)], f"3filler{n:05d}", "nothing for the event")]
        tagged.append(post)
        if malformed and n % 7 == 3:
            items.append('{"did":"did:plc:q235v55g5unth4zjjdpacfdr","time_us":17797190')  # cut off mid-frame
            items.append('{"kind":"commit","did":"nobody"}')
        items.append(copy.deepcopy(others[n % len(others)]))
        if n % 3 == 2:
            items.append(repost(tagged[n - 2], authors[(n + 5) % len(authors)], f"3cthb18r{n:04d}"))
            items.append(repost(strangers[n % len(strangers)], authors[(n + 6) % len(authors)], f"3strange{n:04d}"))
        if n % 5 == 4:
            items.append(delete(tagged[n - 3]))
        if n == rounds // 3:
            items.append(identity(ACCOUNT_DID, ACCOUNT))
        if n > rounds // 3 and n % 6 == 0:
            mine = by(derived_post(strangers[n % len(strangers)], f"3cthb18own{n:03d}", "Our programme"), ACCOUNT_DID)
            items.append(mine)
            own.append(mine)
        if own and n % 6 == 3:
            reply = derived_post(strangers[(n + 2) % len(strangers)], f"3cthb18ask{n:03d}", "Slides online?")
            ref = {"uri": uri_of(own[-1]), "cid": "bafyreiainko5un5pbcdosvxpbisjnjzemojnry6nsgtdftdgslbu37kxai"}
            reply["commit"]["record"]["reply"] = {"parent": ref, "root": ref}
            items.append(reply)
        if n == rounds - 5:
            shared = repost(tagged[n], authors[0], "3cthb18rgone")
            items += [shared, delete(shared)]
        if n % 9 == 8:
            items += [copy.deepcopy(tagged[n - 1])]  # resent, as Jetstream does on its own reconnects
    return items


def retimed(items: list[dict | str] | list[dict | str | bytes]) -> list[Frame]:
    """Frames from events (time_us rewritten, increasing by ``STEP_US``) and raw texts between them."""
    frames, time_us = [], FIRST_TIME_US
    for item in items:
        if isinstance(item, str | bytes):
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

    def left_every_fault(self) -> bool:
        """Every connection that got a fault has been closed: the fault happened and the client left."""
        with self.progress:
            return all(c.closed for c in self.connections if c.fault)

    def serving(self) -> bool:
        """A connection without a fault is open."""
        with self.progress:
            return any(not c.closed and not c.fault for c in self.connections)

    # -- the server --------------------------------------------------------------------------

    def _handshake(self, connection: ServerConnection, request) -> Any:
        query = parse_qs(urlsplit(request.path).query)
        cursor = int(query["cursor"][0]) if query.get("cursor") else None
        record = Connection(collections=query.get("wantedCollections", []), cursor=cursor)
        with self.progress:
            # Taken here, not once serving starts: a test that looks between the two sees the fault.
            fault = self.faults.popleft() if self.faults and not self.refuse_all else None
            refuse = self.refuse_all or (fault is not None and fault[0] == "refuse")
            record.refused = refuse
            record.closed = refuse
            record.fault = "refuse" if refuse else fault[0] if fault else None
            record.after = fault[1].get("after", 0) if fault else 0
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
        fault, after = record.fault, record.after
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
            if fault == "drop":
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
