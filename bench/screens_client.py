"""Light clients for the screens bench: a real front end's websocket frames, recorded once in Chromium
and replayed by many bare websocket sessions.

A screen's cost to the app process is what its browser sends (the first run, the widget events of a
sign-in and the page links, then the fragment reruns its ``run_every`` timer asks for) and what the
server answers. ``Recorder`` listens to a Playwright page (``page.on("websocket")`` → ``framesent``:
binary ``BackMsg`` protobufs) while the view opens and for a few seconds after, and notes what the page
fetched from the app over HTTP. ``recording`` splits that into the opening (every frame up to the last
one that is not a timer's rerun) and the timer's frame (``rerun_script`` with the fragment's id and
``is_auto_rerun``) with its interval as recorded.

``Fleet`` then opens views from recordings in one asyncio thread, as the browser does: the same HTTP
fetches, then ``/_stcore/stream`` with the ``streamlit`` subprotocol and the page's ``Origin`` (no XSRF
token or cookie: the server checks those only for an OIDC sign-in's cookie, which this app's
password sign-in does not use), the opening's frames in order (each after the server reports the run
it started finished, as the recorded page waited for it), then the timer's frame at the recorded
interval until stopped, whether or not the last run has finished (the browser's timer does not wait
either). Both the websockets client and Chromium offer permessage-deflate, so the server compresses
for both alike; neither sends pings (the server's own pings are answered).

Everything the server sends is read and decoded (``ForwardMsg``): each view notes what its last
finished run drew (a wall's posts, the projector's join panel and its question or top questions), its
exceptions, and whether it lost the connection, so a replayed screen is checked as a Chromium one is.
The recorded frames stay in memory: a projector's sign-in carries the bench's moderator password.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.typing import Origin, Subprotocol

OPENING_PATIENCE_S = 300  # a run the server has not finished within this is an error, not a slow machine
AFTER_RUN_S = 0.3  # the pause the recorded page's settle step made after each run (tests.helpers.browser)
POST_ID = re.compile(r'data-post="([^"]*)"')


@dataclass(frozen=True)
class Recording:
    """What one kind of view's front end sent: the opening, then one frame at a fixed interval."""

    kind: str
    opening: tuple[bytes, ...]
    tick: bytes
    every: float
    fetched: tuple[str, ...] = ()

    @property
    def query(self) -> str:
        """The page's query string as the first frame asked for it (``room=…``, ``order=rotate``…)."""
        return BackMsg.FromString(self.opening[0]).rerun_script.query_string

    def describe(self) -> list[str]:
        """The frames as their types, for a reader (no widget values: a sign-in carries a password)."""
        out = []
        for frame in (*self.opening, self.tick):
            rerun = BackMsg.FromString(frame).rerun_script
            what = "timer" if rerun.is_auto_rerun else ("widgets" if rerun.widget_states.widgets else "run")
            out.append(f"{what}:{rerun.page_name or rerun.page_script_hash[:6] or '-'}")
        return out


def recording(kind: str, frames: list[tuple[float, bytes]], fetched: Sequence[str] = ()) -> Recording:
    """The opening and the timer's frame from what a page sent (``frames``: seconds, payload)."""
    decoded = [BackMsg.FromString(payload) for _, payload in frames]
    unexpected = {m.WhichOneof("type") for m in decoded} - {"rerun_script"}
    if unexpected:
        raise ValueError(f"the {kind} page sent {sorted(unexpected)}, which the replay does not play")
    timers = [m.rerun_script.is_auto_rerun and bool(m.rerun_script.fragment_id) for m in decoded]
    if all(timers) or not any(timers):
        raise ValueError(f"the {kind} page sent no opening or no timer's rerun: record for longer")
    last_opening = max(i for i, timer in enumerate(timers) if not timer)
    ticks = [frames[i] for i in range(last_opening + 1, len(frames))]
    if len(ticks) < 2 or len({payload for _, payload in ticks}) != 1:
        raise ValueError(f"the {kind} page's timer sent {len(ticks)} frames, not one repeated: record for longer")
    every = statistics.median(b[0] - a[0] for a, b in zip(ticks, ticks[1:], strict=False))
    return Recording(
        kind, tuple(p for _, p in frames[: last_opening + 1]), ticks[0][1], round(every, 2), tuple(fetched)
    )


class Recorder:
    """Listens to a Playwright page: the frames it sends on the app's websocket, the paths it fetches."""

    def __init__(self, page, base: str):
        self.frames: list[tuple[float, bytes]] = []
        self.fetched: list[str] = []
        origin = urlsplit(base).netloc

        def on_socket(socket) -> None:
            if socket.url.endswith("/_stcore/stream"):
                socket.on("framesent", lambda payload: self.frames.append((time.monotonic(), _as_bytes(payload))))

        def on_request(request) -> None:
            parts = urlsplit(request.url)
            if parts.netloc == origin and parts.scheme == "http" and not parts.path.endswith("/_stcore/stream"):
                self.fetched.append(parts.path + (f"?{parts.query}" if parts.query else ""))

        page.on("websocket", on_socket)
        page.on("request", on_request)

    def recording(self, kind: str) -> Recording:
        return recording(kind, self.frames, self.fetched)


def _as_bytes(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else str(payload).encode()


@dataclass
class Screen:
    """One replayed view and what the server sent it."""

    kind: str
    recording: Recording
    runs: int = 0
    exceptions: int = 0
    received_bytes: int = 0
    messages: int = 0
    closed: bool = False
    drawn: set[str] = field(default_factory=set)  # what the last finished run drew (markers below)
    drawing: set[str] = field(default_factory=set)
    posts_seen: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)  # the last finished run's text and HTML, for a check
    _texts: list[str] = field(default_factory=list)
    _finished: asyncio.Event | None = None

    def take(self, data: bytes) -> None:
        """Read one ForwardMsg as the front end would, keeping only what the checks need."""
        self.received_bytes += len(data)
        self.messages += 1
        message = ForwardMsg.FromString(data)
        kind = message.WhichOneof("type")
        if kind == "delta":
            delta = message.delta
            if delta.WhichOneof("type") == "new_element":
                element = delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    self.exceptions += 1
                elif which == "html":
                    body = element.html.body
                    self._texts.append(body)
                    if "wall-card wall-post" in body:
                        self.drawing.add("post")
                        self.posts_seen.update(POST_ID.findall(body))
                    if "hall-qr" in body:
                        self.drawing.add("join")
                    if "hall-top" in body:
                        self.drawing.add("top")
                elif which == "text":
                    self._texts.append(element.text.body)
            elif delta.WhichOneof("type") == "add_block" and delta.add_block.id:
                for key in ("screen-question", "screen-top"):
                    if delta.add_block.id.endswith(f"-{key}"):
                        self.drawing.add(key)
        elif kind == "script_finished" and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.runs += 1
            self.drawn, self.drawing = self.drawing, set()
            self.texts, self._texts = self._texts, []
            if self._finished is not None:
                self._finished.set()

    @property
    def showing_posts(self) -> bool:
        return "post" in self.drawn

    @property
    def following(self) -> bool:
        """A projector signed in and following: the join panel and a question or the top questions."""
        return "join" in self.drawn and bool(self.drawn & {"screen-question", "screen-top"})

    async def run(self, base: str, opened: asyncio.Future, stop: asyncio.Event) -> None:
        try:
            for path in self.recording.fetched:
                await asyncio.to_thread(_fetch, base + path)
            self._finished = asyncio.Event()
            stream = "ws" + base.removeprefix("http") + "/_stcore/stream"
            async with websockets.connect(
                stream,
                subprotocols=[Subprotocol("streamlit")],
                origin=Origin(base),
                max_size=None,
                ping_interval=None,
                open_timeout=120,
            ) as socket:
                reader = asyncio.create_task(self._read(socket, stop))
                for frame in self.recording.opening:
                    self._finished.clear()
                    await socket.send(frame)
                    await asyncio.wait_for(self._finished.wait(), OPENING_PATIENCE_S)
                    await asyncio.sleep(AFTER_RUN_S)
                opened.set_result(self)
                loop = asyncio.get_running_loop()
                due = loop.time()
                while not stop.is_set() and not reader.done():
                    due += self.recording.every
                    try:
                        await asyncio.wait_for(stop.wait(), max(due - loop.time(), 0))
                    except TimeoutError:
                        await socket.send(self.recording.tick)
                reader.cancel()
        except Exception as error:  # noqa: BLE001 (handed to whoever waits for the opening, else counted)
            self.closed = True
            if not opened.done():
                opened.set_exception(error)

    async def _read(self, socket, stop: asyncio.Event) -> None:
        try:
            async for data in socket:
                self.take(data if isinstance(data, bytes) else data.encode())
        finally:
            # The connection ended while the view was meant to stay open.
            self.closed = self.closed or not stop.is_set()


def _fetch(url: str) -> None:
    """One GET as the page made it; an error answer is read too (the page met the same)."""
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
    except urllib.error.HTTPError as answer:
        answer.read()


class Fleet:
    """Replayed views in one asyncio thread beside the caller's (Playwright's sync API keeps its own)."""

    def __init__(self, base: str):
        self.base = base
        self.screens: list[Screen] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="screens-fleet")
        self._thread.start()
        self._stop = self._call(asyncio.Event)
        self._tasks: list[Future] = []

    def _call(self, make: Callable[[], Any]) -> Any:
        async def made():
            return make()

        return asyncio.run_coroutine_threadsafe(made(), self._loop).result()

    def open(self, recording: Recording) -> Screen:
        """Open one view from ``recording``; returns once its opening's runs have finished."""
        screen = Screen(recording.kind, recording)
        opened: asyncio.Future = self._call(self._loop.create_future)
        self._tasks.append(asyncio.run_coroutine_threadsafe(screen.run(self.base, opened, self._stop), self._loop))

        async def wait():
            return await opened

        asyncio.run_coroutine_threadsafe(wait(), self._loop).result()
        self.screens.append(screen)
        return screen

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        for task in self._tasks:
            task.result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
