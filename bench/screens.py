"""The screens in the hall under load: walls and projector views open on one app process while the
demo replays; the app process's CPU and memory per view.

    python -m bench.screens [--minutes 10] [--walls 20] [--projectors 20] [--speed 20] [--no-write]

Run it as a module from the repository's root: it imports the tests' app server and Chromium steps
(``tests.helpers.browser``), which ``python -m`` finds on the path it starts from.

What it does, as ``make demo`` does it: the demo collection (``ingest demo``, 3,000 posts and their
questions) replayed by ``python -m ingest replay`` at 20× from Day 1 10:00 (Vienna), skipping quiet
spells over 30 minutes, into a fresh SQLite database; one app process (``streamlit run``) serving it;
the wall post-moderated (every post after the blocklist and the 60 s delay, as a busy event would
run it, so the walls change as the replay stores posts). A moderator thread, every 20 s, adds an
approved question to the projectors' session, gives its questions votes and puts one on screen or
takes it off (``qa.moderation.act``), so the projectors switch between a highlighted question and
the top questions.

Most views are recorded front ends, a few are Chromium pages. Forty headless Chromium pages swamp a
2-core machine (sign-ins took over 7 minutes, pages timed out) and measure the browsers as much as
the app; the figures wanted are the app process's (``/proc/<pid>``), and a view's cost to the app is
only what its front end asks for: the first run, a projector's sign-in and page links, then the
fragment rerun its ``run_every`` timer sends every 2 s, and the answers. So each kind of view (each
of ``WALL_VARIANTS``; a projector reached as a moderator reaches it: sign in, Q&A queue, "Projector
view of this session") is opened once in Chromium with its websocket frames recorded, and the other
views are bare websocket sessions replaying those frames with the same timing
(``bench.screens_client``): the server cannot tell them from the browser, as they send it the same
bytes. They read and decode everything the server sends, so the end of the run counts, for them as
for Chromium, the walls whose last run drew posts and the projectors signed in and showing a question
or the top questions. What the replay leaves out is the browser's own work (layout, painting), which
is the client's, not the server's. ``CONTROL_WALLS`` walls and ``CONTROL_PROJECTORS`` projectors stay
open in Chromium throughout as the control; a window with them closed at the end gives their cost
per view beside the replayed views'.

1. the app alone for 10 s; each kind of view recorded in Chromium (1920×1080), the control kept open,
   the other recordings' pages closed; then a window (a tenth of ``--minutes``, at least 30 s) with
   the control alone;
2. the other walls replayed (``/wall``, some per room, some rotating, some high-contrast), a window
   with the walls, then the other projector views replayed (each signing in as the recorded page did);
3. every view open for ``--minutes``: the app's CPU (user + system) over the window, its memory
   (RSS) at the start and the end (what an event's day of screens would grow by), and the views
   that showed an error or lost their connection;
4. the control closed, a window with the replayed views alone.

Per view (replayed views): the memory they added over the control, divided by them; CPU, the walls'
from the walls' window over the control's, the projectors' from the difference the projectors made.
Chromium's per view: what the long window's CPU loses when the control is closed.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WALL_VARIANTS = ("", "?order=rotate", "?contrast=1", "?room={room}", "?room={room}&order=rotate")
MODERATOR_EVERY_SECONDS = 20
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def listening_pid(port: int) -> int:
    """The process listening on ``port`` on this machine (one of ours: its sockets are readable)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(fields[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in {f"socket:[{inode}]" for inode in inodes}:
                    return int(proc.name)
        except OSError:
            continue
    raise RuntimeError(f"no process of ours listens on port {port}")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_share(pid: int, seconds: float) -> float:
    """The share of one core the process used over the next ``seconds``."""
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - started)


def prepare(folder: Path) -> tuple[str, Path]:
    """A fresh database with the event loaded and the wall post-moderated; the demo collection beside it."""
    from engagement.rules.sync import sync_event
    from engagement.storage import db
    from engagement.wall import moderation

    collection = folder / "demo.jsonl"
    subprocess.run(
        [sys.executable, "-m", "ingest", "demo", "--out", str(collection)], cwd=ROOT, check=True, capture_output=True
    )
    url = f"sqlite:///{folder / 'screens.db'}"
    with db.writing(url) as session:
        sync_event(session)
        moderation.configure(session, "Bench", new_mode="post")
    db.dispose_engines()
    return url, collection


def start_replay(url: str, collection: Path, speed: float) -> subprocess.Popen:
    """The worker replaying the demo, as scripts/demo.sh starts it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingest",
            "replay",
            str(collection),
            "--questions",
            str(collection.with_suffix(".questions.csv")),
            "--speed",
            str(speed),
            "--from",
            "2018-04-23 10:00",
            "--skip-gaps",
            "30",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_replay(url: str, replay: subprocess.Popen) -> None:
    """Until the replay has stored its first posts (and set its clock), as scripts/demo.sh waits."""
    from engagement.storage import db, flags

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if replay.poll() is not None:
            raise RuntimeError(f"the replay stopped: {replay.stderr.read().decode(errors='replace')[-2000:]}")
        with db.reading(url) as session:
            if flags.is_demo(session):
                return
        time.sleep(0.5)
    raise RuntimeError("the replay stored no post within two minutes")


class Moderator(threading.Thread):
    """Every 20 s: one more approved question in the projectors' session, votes on its questions,
    and one put on screen or taken off, through the moderation actions."""

    def __init__(self, url: str, session_key: str):
        super().__init__(daemon=True)
        self.url, self.session_key = url, session_key
        self.stop = threading.Event()
        self.actions = 0
        self.errors: list[str] = []

    def run(self) -> None:
        from sqlalchemy import select, update

        from engagement.qa import moderation
        from engagement.storage import db, flags
        from engagement.storage.models import AgendaSession, Question
        from engagement.storage.models import QuestionStatus as S

        chance = random.Random(24)
        number = 0
        while not self.stop.wait(MODERATOR_EVERY_SECONDS):
            number += 1
            try:
                with db.writing(self.url) as session:
                    now = flags.now(session)
                    session_id = session.scalar(select(AgendaSession.id).where(AgendaSession.key == self.session_key))
                    # A bench shortcut: the question goes in approved (the Q&A load bench measures asking).
                    session.add(
                        Question(
                            session_id=session_id,
                            status=S.approved,
                            text=f"Question {number} from the hall: how will the convention be monitored?",
                            created_at=now,
                        )
                    )
                    session.flush()
                    ids = list(
                        session.scalars(
                            select(Question.id).where(
                                Question.session_id == session_id, Question.status.in_([S.approved, S.on_screen])
                            )
                        )
                    )
                    for question_id in chance.sample(ids, min(3, len(ids))):
                        session.execute(
                            update(Question).where(Question.id == question_id).values(votes=Question.votes + 1)
                        )
                    shown = session.scalar(
                        select(Question.id).where(Question.session_id == session_id, Question.status == S.on_screen)
                    )
                    if shown is not None:
                        moderation.act(session, shown, "hide", "Bench moderator", now=now)
                    else:
                        moderation.act(session, chance.choice(ids), "show", "Bench moderator", now=now)
                    self.actions += 1
            except Exception as error:  # noqa: BLE001 (counted and reported: the bench goes on)
                self.errors.append(repr(error))


PATIENCE_MS = 300_000  # 40 Chromium pages and an app on two shared cores: a page may take minutes to open


def settle(page) -> None:
    """Until the app is connected and its run has finished (tests.helpers.browser's settle, more patient)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=PATIENCE_MS)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=PATIENCE_MS)
    page.wait_for_timeout(300)


def open_wall(watched, url: str) -> None:
    watched.page.goto(url, timeout=PATIENCE_MS)
    settle(watched.page)
    watched.page.wait_for_selector("img.hall-qr", timeout=PATIENCE_MS)


def open_projector(watched, base: str) -> None:
    """Sign in as a moderator and follow the Q&A queue's projector link, in the same tab (keeping the
    sign-in); the view then shows a question, the top questions, or where questions will appear."""
    import re

    from tests.helpers.browser import PASSWORDS

    page = watched.page
    page.goto(base, timeout=PATIENCE_MS)
    settle(page)
    for title in ("Account", "Q&A queue"):
        if title == "Q&A queue":
            page.locator('input[type="password"]').fill(PASSWORDS["MODERATOR_PASSWORD"])
            page.get_by_role("button", name="Sign in").click()
            settle(page)
            page.wait_for_selector("text=Signed in as", timeout=PATIENCE_MS)
        link = page.locator('[data-testid="stSidebarNavLink"]', has_text=re.compile(rf"{re.escape(title)}$"))
        link.first.click(timeout=PATIENCE_MS)
        settle(page)
    page.get_by_text("Projector view of this session").click(timeout=PATIENCE_MS)
    settle(page)
    page.wait_for_selector(".st-key-screen-join img.hall-qr", timeout=PATIENCE_MS)


CONTROL_WALLS = 2  # Chromium views kept open through the run beside the replayed ones, as the control
CONTROL_PROJECTORS = 2
RECORD_SECONDS = 5  # after a view opened: the timer's reruns (every 2 s) for the recording


def run(minutes: float, walls: int, projectors: int, speed: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    from bench.screens_client import Fleet, Recorder
    from engagement.storage import db
    from engagement.storage.models import AgendaSession
    from tests.helpers.browser import CHROMIUM, Watched, serve

    folder = Path(tempfile.mkdtemp(prefix="bench-screens-", dir=os.environ.get("BENCH_TMP")))
    print("the demo collection and a fresh database …", flush=True)
    url, collection = prepare(folder)
    with db.reading(url) as session:
        rooms = sorted(set(session.scalars(select(AgendaSession.room).where(AgendaSession.room != ""))))
    replay = start_replay(url, collection, speed)
    facts: dict[str, Any] = {"walls": walls, "projectors": projectors, "minutes": minutes, "speed": speed}
    window = max(30.0, minutes * 6)  # each of the shorter windows: a tenth of the long one, at least 30 s
    facts["window_s"] = window
    facts["load_start"] = os.getloadavg()
    try:
        wait_for_replay(url, replay)
        with sync_playwright() as playwright, serve(url) as base:
            pid = listening_pid(int(base.rsplit(":", 1)[1]))
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            facts["idle_cpu"] = cpu_share(pid, 10)  # the app alone, the replay storing posts

            def view() -> tuple[Watched, Recorder]:
                watched = Watched(chromium)
                watched.page.set_viewport_size({"width": 1920, "height": 1080})
                return watched, Recorder(watched.page, base)

            # 1. Each kind of view once in Chromium, recorded: every wall variant, a projector. The first
            # CONTROL_WALLS walls and CONTROL_PROJECTORS projectors stay open as the control.
            print("recording each kind of view in Chromium …", flush=True)
            variants = [v.format(room=rooms[n % len(rooms)]) for n, v in enumerate(WALL_VARIANTS)]
            controls: list[tuple[str, Watched]] = []
            wall_recordings = []
            for number, variant in enumerate(variants):
                watched, recorder = view()
                open_wall(watched, f"{base}/wall{variant}")
                watched.page.wait_for_timeout(RECORD_SECONDS * 1000)
                wall_recordings.append(recorder.recording("wall"))
                if number < CONTROL_WALLS:
                    controls.append(("wall", watched))
                else:
                    watched.close()
            started = time.monotonic()
            for number in range(CONTROL_PROJECTORS):
                watched, recorder = view()
                open_projector(watched, base)
                if number == 0:
                    watched.page.wait_for_timeout(RECORD_SECONDS * 1000)
                    projector_recording = recorder.recording("projector")
                    session_key = parse_qs(urlsplit(watched.page.url).query)["session"][0]
                controls.append(("projector", watched))
            facts["chromium_projector_open_s"] = (time.monotonic() - started - RECORD_SECONDS) / CONTROL_PROJECTORS
            facts["recorded"] = {
                "wall": wall_recordings[0].describe(),
                "projector": projector_recording.describe(),
                "every_s": sorted({r.every for r in (*wall_recordings, projector_recording)}),
                "fetches": [len(wall_recordings[0].fetched), len(projector_recording.fetched)],
            }
            moderator = Moderator(url, session_key)
            moderator.start()
            time.sleep(5)
            facts["baseline_mib"] = rss_mib(pid)
            print(f"the {len(controls)} Chromium views alone for {window:.0f} s …", flush=True)
            facts["control_cpu"] = cpu_share(pid, window)

            # 2. The other views replayed from the recordings: walls, a window, projectors.
            fleet = Fleet(base)
            print(f"opening {walls - CONTROL_WALLS} replayed walls …", flush=True)
            started = time.monotonic()
            for number in range(CONTROL_WALLS, walls):
                fleet.open(wall_recordings[number % len(wall_recordings)])
            facts["wall_open_s"] = (time.monotonic() - started) / max(walls - CONTROL_WALLS, 1)
            time.sleep(5)
            facts["walls_mib"] = rss_mib(pid)
            print(f"{walls} walls and {CONTROL_PROJECTORS} projectors for {window:.0f} s …", flush=True)
            facts["walls_cpu"] = cpu_share(pid, window)
            print(f"opening {projectors - CONTROL_PROJECTORS} replayed projector views (each signs in) …", flush=True)
            started = time.monotonic()
            for _ in range(CONTROL_PROJECTORS, projectors):
                fleet.open(projector_recording)
            facts["projector_open_s"] = (time.monotonic() - started) / max(projectors - CONTROL_PROJECTORS, 1)
            time.sleep(5)

            # 3. Every view open for the long window.
            print(f"every view open for {minutes:g} minutes …", flush=True)
            facts["start_mib"] = rss_mib(pid)
            cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
            samples = []
            while time.monotonic() - wall_before < minutes * 60:
                # Playwright's sync API handles the pages' events only while called: wait through it.
                controls[0][1].page.wait_for_timeout(1000 * min(30.0, minutes * 60 - (time.monotonic() - wall_before)))
                samples.append(round(rss_mib(pid)))
            facts["all_cpu_s"] = cpu_seconds(pid) - cpu_before
            facts["all_cpu"] = facts["all_cpu_s"] / (time.monotonic() - wall_before)
            facts["end_mib"] = rss_mib(pid)
            facts["samples_mib"] = samples
            facts["load_end"] = os.getloadavg()
            facts["chromium"] = {
                "errors": sum(w.count("stException") for _, w in controls),
                "disconnected": sum(
                    w.page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').count() == 0
                    for _, w in controls
                ),
                "walls_with_posts": sum(w.page.locator(".wall-card").count() > 0 for k, w in controls if k == "wall"),
                "projectors_following": sum(
                    w.page.locator(".st-key-screen-question, .st-key-screen-top").count() > 0
                    for k, w in controls
                    if k == "projector"
                ),
            }
            replayed_walls = [s for s in fleet.screens if s.kind == "wall"]
            replayed_projectors = [s for s in fleet.screens if s.kind == "projector"]
            facts["replayed"] = {
                "errors": sum(s.exceptions for s in fleet.screens),
                "disconnected": sum(s.closed for s in fleet.screens),
                "walls_with_posts": sum(s.showing_posts for s in replayed_walls),
                "projectors_following": sum(s.following for s in replayed_projectors),
                "fewest_posts_seen": min(len(s.posts_seen) for s in replayed_walls),
                "walls_without_posts": sorted(f"?{s.recording.query}" for s in replayed_walls if not s.showing_posts),
                "runs": sum(s.runs for s in fleet.screens),
                "received_mib": sum(s.received_bytes for s in fleet.screens) / 2**20,
            }
            # 4. The control's cost: the same window with the Chromium views closed.
            for _, watched in controls:
                watched.close()
            time.sleep(5)
            print(f"the replayed views alone for {window:.0f} s …", flush=True)
            facts["without_chromium_cpu"] = cpu_share(pid, window)
            moderator.stop.set()
            moderator.join(timeout=30)
            facts["moderator_actions"], facts["moderator_errors"] = moderator.actions, moderator.errors
            fleet.close()
            chromium.close()
        with db.reading(url) as session:
            from engagement.storage.models import Post

            facts["posts_stored"] = len(session.scalars(select(Post.id)).all())
    finally:
        replay.terminate()
        replay.wait(timeout=30)
    return facts


def per_view(facts: dict[str, Any]) -> dict[str, float]:
    """Memory and CPU per view, from the windows' figures (the replayed views: the control's taken off)."""
    controls = CONTROL_WALLS + CONTROL_PROJECTORS
    replayed_walls, replayed_projectors = facts["walls"] - CONTROL_WALLS, facts["projectors"] - CONTROL_PROJECTORS
    return {
        "mib": max(facts["start_mib"] - facts["baseline_mib"], 0) / max(replayed_walls + replayed_projectors, 1),
        "wall_cpu": max(facts["walls_cpu"] - facts["control_cpu"], 0) / max(replayed_walls, 1),
        "projector_cpu": max(facts["all_cpu"] - facts["walls_cpu"], 0) / max(replayed_projectors, 1),
        "replayed_cpu": max(facts["all_cpu"] - facts["control_cpu"], 0) / max(replayed_walls + replayed_projectors, 1),
        "chromium_cpu": max(facts["all_cpu"] - facts["without_chromium_cpu"], 0) / controls,
    }


def section(facts: dict[str, Any]) -> str:
    """The benchmark's section of bench/results.md."""
    from bench.pages import commit_and_machine

    each = per_view(facts)
    walls, projectors, minutes = facts["walls"], facts["projectors"], facts["minutes"]
    grew = facts["end_mib"] - facts["start_mib"]
    window = facts["window_s"]
    chromium, replayed = facts["chromium"], facts["replayed"]
    replayed_walls, replayed_projectors = walls - CONTROL_WALLS, projectors - CONTROL_PROJECTORS
    loads = ", ".join(f"{x:.2f}" for x in facts["load_start"]), ", ".join(f"{x:.2f}" for x in facts["load_end"])
    lines = [
        f"## Screens in the hall: {walls} walls and {projectors} projector views on one app process, "
        f"{minutes:g} minutes",
        "",
        commit_and_machine(),
        "",
        f"`python -m bench.screens --minutes {minutes:g} --walls {walls} --projectors {projectors}`: the demo "
        f"replayed at {facts['speed']:g}× by `ingest replay` (as `make demo`; {facts['posts_stored']:,} posts "
        "stored by the end), the wall post-moderated, a moderator putting a question on screen or taking it "
        f"off every 20 s. {CONTROL_WALLS} walls and {CONTROL_PROJECTORS} projector views are headless Chromium "
        f"pages at 1920×1080, open throughout as the control; the other {replayed_walls} walls and "
        f"{replayed_projectors} projector views are bare websocket sessions replaying what Chromium sent when "
        "each kind of view was recorded (`bench/screens_client.py`: the first run, a projector's sign-in and "
        "page links, then the fragment rerun its timer sends every "
        f"{'/'.join(f'{s:g}' for s in facts['recorded']['every_s'])} s), reading everything the server "
        "sends. The figures are the app process's alone (`/proc/<pid>`).",
        "",
        "| | app process |",
        "|---|---:|",
        f"| CPU with no view open (the replay storing posts) | {facts['idle_cpu']:.1%} of a core |",
        f"| memory / CPU with the {CONTROL_WALLS + CONTROL_PROJECTORS} Chromium views alone | "
        f"{facts['baseline_mib']:,.0f} MiB / {facts['control_cpu']:.1%} of a core |",
        f"| memory / CPU with {walls} walls and {CONTROL_PROJECTORS} projector views | "
        f"{facts['walls_mib']:,.0f} MiB / {facts['walls_cpu']:.1%} of a core |",
        f"| memory with every view, at the start / the end of the {minutes:g} minutes | "
        f"{facts['start_mib']:,.0f} / {facts['end_mib']:,.0f} MiB ({grew:+,.0f}) |",
        f"| CPU with every view, over the {minutes:g} minutes | {facts['all_cpu']:.1%} of a core "
        f"({facts['all_cpu_s']:,.0f} CPU s) |",
        f"| **memory per view** (replayed views) | **{each['mib']:.1f} MiB** |",
        f"| **CPU per wall / per projector view** (replayed views) | **{each['wall_cpu']:.2%} / "
        f"{each['projector_cpu']:.2%}** of a core |",
        f"| CPU per view, replayed ({replayed_walls} + {replayed_projectors}) / Chromium "
        f"({CONTROL_WALLS} + {CONTROL_PROJECTORS}, from a {window:.0f} s window with them closed) | "
        f"{each['replayed_cpu']:.2%} / {each['chromium_cpu']:.2%} of a core |",
        f"| opening a replayed wall / projector view (sign-in included); a Chromium projector view | "
        f"{facts['wall_open_s']:.1f} s / {facts['projector_open_s']:.1f} s; {facts['chromium_projector_open_s']:.1f} s |",
        f"| views with an error / without a connection at the end: Chromium; replayed | "
        f"{chromium['errors']} / {chromium['disconnected']}; {replayed['errors']} / {replayed['disconnected']} |",
        f"| walls showing posts, at the end: Chromium; replayed | {chromium['walls_with_posts']} of {CONTROL_WALLS}; "
        f"{replayed['walls_with_posts']} of {replayed_walls} |",
        f"| projectors signed in and showing a question or the top questions, at the end: Chromium; replayed | "
        f"{chromium['projectors_following']} of {CONTROL_PROJECTORS}; "
        f"{replayed['projectors_following']} of {replayed_projectors} |",
        f"| the replayed views' runs / what the server sent them | {replayed['runs']:,} / "
        f"{replayed['received_mib']:,.1f} MiB |",
        f"| moderator actions (errors) | {facts['moderator_actions']} ({len(facts['moderator_errors'])}) |",
        "",
        "Replayed walls showing no post at the end: "
        + (", ".join(f"{n} × `{q}`" for q, n in Counter(replayed["walls_without_posts"]).items()) or "none")
        + f"; the replayed wall that received the fewest distinct posts over the run received {replayed['fewest_posts_seen']}.",
        "",
        f"Memory every 30 s with every view open (MiB): {', '.join(map(str, facts['samples_mib']))}. "
        f"Load average (1, 5, 15 min) at the start: {loads[0]}; at the end of the {minutes:g} minutes: {loads[1]} "
        "(the machine is shared: judge by the app's CPU seconds).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.screens", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes with every view open")
    parser.add_argument("--walls", type=int, default=20)
    parser.add_argument("--projectors", type=int, default=20)
    parser.add_argument("--speed", type=float, default=20.0, help="the replay's simulated seconds a second")
    parser.add_argument("--no-write", action="store_true", help="print the figures only; leave bench/results.md")
    args = parser.parse_args()
    if args.walls < 1 or args.projectors < 1 or args.minutes <= 0:
        parser.error("at least one wall, one projector view and a positive --minutes")
    import logging

    logging.basicConfig(level=logging.ERROR)
    facts = run(args.minutes, args.walls, args.projectors, args.speed)
    print(facts)
    text = section(facts)
    print(text)
    if not args.no_write:
        from bench.pages import write_section

        write_section(text)
        print("\nwritten to bench/results.md")


if __name__ == "__main__":
    main()
