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

The views are headless Chromium pages (Debian's chromium through Playwright), not bare Streamlit
websocket sessions: a view's cost to the app is the fragment reruns its browser asks for (the
``run_every`` timer lives in the browser) and what the server sends back, and only a real front end
asks for them as a screen does. A hand-made websocket client would have to play the front end's
part (its rerun timers, the sign-in's widget events) and would measure that imitation. The browser
pages are lighter on the server than on the client: Chromium takes most of the machine; the figures
here are the app process's alone (``/proc/<pid>``).

1. ``--walls`` walls open (``/wall``, some per room, some rotating, some high-contrast, 1920×1080);
   then a short window (a tenth of ``--minutes``, at least 30 s) with the walls alone;
2. ``--projectors`` projector views opened as a moderator opens one (sign in, Q&A queue, "Projector
   view of this session"), 1920×1080;
3. every view open for ``--minutes``: the app's CPU (user + system) over the window, its memory
   (RSS) at the start and the end (what an event's day of screens would grow by), and the views
   that showed an error or lost their connection.

Per view: the memory the views added over one warmed session, divided by the views; CPU, the
walls' from the walls-alone window, the projectors' from the difference the projectors made.
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


def run(minutes: float, walls: int, projectors: int, speed: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

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
    try:
        wait_for_replay(url, replay)
        with sync_playwright() as playwright, serve(url) as base:
            pid = listening_pid(int(base.rsplit(":", 1)[1]))
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            opened: list[tuple[str, Watched]] = []

            def view(kind: str) -> Watched:
                watched = Watched(chromium)
                watched.page.set_viewport_size({"width": 1920, "height": 1080})
                opened.append((kind, watched))
                return watched

            print("warming the app with one wall and one projector …", flush=True)
            open_wall(view("wall"), f"{base}/wall")
            first_projector = view("projector")
            open_projector(first_projector, base)
            session_key = parse_qs(urlsplit(first_projector.page.url).query)["session"][0]
            time.sleep(5)
            facts["baseline_mib"] = rss_mib(pid)
            facts["idle_cpu"] = cpu_share(pid, 10) / 2  # the two warm-up views, a share each

            print(f"opening {walls - 1} more walls …", flush=True)
            started = time.monotonic()
            for number in range(walls - 1):
                variant = WALL_VARIANTS[number % len(WALL_VARIANTS)].format(room=rooms[number % len(rooms)])
                open_wall(view("wall"), f"{base}/wall{variant}")
            facts["wall_open_s"] = (time.monotonic() - started) / max(walls - 1, 1)
            moderator = Moderator(url, session_key)
            moderator.start()
            time.sleep(5)
            facts["walls_mib"] = rss_mib(pid)
            alone = max(30.0, minutes * 6)
            print(f"{walls} walls alone for {alone:.0f} s …", flush=True)
            facts["walls_cpu"] = cpu_share(pid, alone)

            print(f"opening {projectors - 1} more projector views (each signs in) …", flush=True)
            started = time.monotonic()
            for _ in range(projectors - 1):
                open_projector(view("projector"), base)
            facts["projector_open_s"] = (time.monotonic() - started) / max(projectors - 1, 1)
            time.sleep(5)

            print(f"every view open for {minutes:g} minutes …", flush=True)
            facts["start_mib"] = rss_mib(pid)
            cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
            samples = []
            while time.monotonic() - wall_before < minutes * 60:
                time.sleep(min(30.0, minutes * 60 - (time.monotonic() - wall_before)))
                samples.append(round(rss_mib(pid)))
            facts["all_cpu"] = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
            facts["end_mib"] = rss_mib(pid)
            facts["samples_mib"] = samples
            moderator.stop.set()
            moderator.join(timeout=30)
            facts["moderator_actions"], facts["moderator_errors"] = moderator.actions, moderator.errors
            facts["errors"] = sum(w.count("stException") for _, w in opened)
            facts["disconnected"] = sum(
                w.page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').count() == 0
                for _, w in opened
            )
            facts["walls_with_posts"] = sum(w.page.locator(".wall-card").count() > 0 for k, w in opened if k == "wall")
            facts["projectors_following"] = sum(
                w.page.locator(".st-key-screen-question, .st-key-screen-top").count() > 0
                for k, w in opened
                if k == "projector"
            )
            for _, watched in opened:
                watched.close()
            chromium.close()
        with db.reading(url) as session:
            from engagement.storage.models import Post

            facts["posts_stored"] = len(session.scalars(select(Post.id)).all())
    finally:
        replay.terminate()
        replay.wait(timeout=30)
    facts["load"] = os.getloadavg()
    return facts


def per_view(facts: dict[str, Any]) -> dict[str, float]:
    """Memory and CPU per view, from the windows' figures."""
    views = facts["walls"] + facts["projectors"]
    return {
        "mib": max(facts["start_mib"] - facts["baseline_mib"], 0) / max(views - 2, 1),
        "wall_cpu": facts["walls_cpu"] / facts["walls"],
        "projector_cpu": max(facts["all_cpu"] - facts["walls_cpu"], 0) / facts["projectors"],
        "cpu": facts["all_cpu"] / views,
    }


def section(facts: dict[str, Any]) -> str:
    """The benchmark's section of bench/results.md."""
    from bench.pages import commit_and_machine

    each = per_view(facts)
    walls, projectors, minutes = facts["walls"], facts["projectors"], facts["minutes"]
    grew = facts["end_mib"] - facts["start_mib"]
    lines = [
        f"## Screens in the hall: {walls} walls and {projectors} projector views on one app process, "
        f"{minutes:g} minutes",
        "",
        commit_and_machine(),
        "",
        f"`python -m bench.screens --minutes {minutes:g} --walls {walls} --projectors {projectors}`: the demo "
        f"replayed at {facts['speed']:g}× by `ingest replay` (as `make demo`; {facts['posts_stored']:,} posts "
        "stored by the end), the wall post-moderated, a moderator putting a question on screen or taking it "
        "off every 20 s. Each view is a headless Chromium page at 1920×1080 (the browser asks for the "
        "fragment reruns, as a screen does); the figures are the app process's alone.",
        "",
        "| | app process |",
        "|---|---:|",
        f"| memory with one wall and one projector (warm) | {facts['baseline_mib']:,.0f} MiB |",
        f"| memory with {walls} walls | {facts['walls_mib']:,.0f} MiB |",
        f"| memory with every view, at the start / the end of the {minutes:g} minutes | "
        f"{facts['start_mib']:,.0f} / {facts['end_mib']:,.0f} MiB ({grew:+,.0f}) |",
        f"| **memory per view** | **{each['mib']:.1f} MiB** |",
        f"| CPU with {walls} walls alone | {facts['walls_cpu']:.1%} of a core |",
        f"| CPU with every view, over the {minutes:g} minutes | {facts['all_cpu']:.1%} of a core |",
        f"| **CPU per wall / per projector view** | **{each['wall_cpu']:.2%} / {each['projector_cpu']:.2%}** "
        "of a core |",
        f"| opening a wall / a projector view (sign-in included), browser included | "
        f"{facts['wall_open_s']:.1f} s / {facts['projector_open_s']:.1f} s |",
        f"| views with an error / without a connection at the end | {facts['errors']} / {facts['disconnected']} |",
        f"| walls showing posts / projectors showing a question or the top questions, at the end | "
        f"{facts['walls_with_posts']} of {walls} / {facts['projectors_following']} of {projectors} |",
        f"| moderator actions (errors) | {facts['moderator_actions']} ({len(facts['moderator_errors'])}) |",
        "",
        f"Memory every 30 s with every view open (MiB): {', '.join(map(str, facts['samples_mib']))}. "
        f"Load average at the end: {', '.join(f'{x:.2f}' for x in facts['load'])} (Chromium's {walls + projectors} "
        "pages run on the same two cores as the app).",
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
