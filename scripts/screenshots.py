"""The docs' pictures: the Engagement page, the Q&A queue, the hall's screens and the post-event
report's first pages on the demo data.

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--only pages|screens|report]

Builds a demo database in a temporary folder (``python -m ingest demo --load``, as ``make demo``
does, never touching data/), sets its replay clock inside the demo session with the most open
questions (so the queue preselects a session that has some), starts the app headless on a free
port with an organiser password of its own, signs in through the Account page in Debian's
Chromium at 1400×900, and writes ``engagement.png`` and ``queue.png``. Each picture is taken once
the page's script has finished and its charts are drawn, then reduced to a 256-colour palette to
stay small. The hall's screens at 1600×900 (a 16:9 projector; their sizes follow the window's
width): the projector view (``/screen``, reached by the queue's "Projector view of this session"
link) with a question a moderator put on screen (``projector.png``), then with none, the session's
top questions by votes (``projector-top.png``), and the public social wall (``/wall``) with six
approved posts and an announcement (``wall.png``), their join panels naming ``PUBLIC_URL``
(https://cthb18.example.org); the moderators' actions go through
``engagement.qa.moderation`` and ``engagement.wall.moderation``, audited as "Ana (hall A)". The report's first ``REPORT_PAGES`` pages are its PDF (``python -m ingest report``, as an
organiser would run it) turned into ``report-1.png`` … by pdftoppm (Debian's poppler-utils).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1400, "height": 900}
SCREEN = {"width": 1600, "height": 900}  # 16:9, as the hall's projector
PUBLIC_URL = "https://cthb18.example.org"
MODERATOR = "Ana (hall A)"
REPORT_PAGES = 3
REPORT_DPI = 60  # an A4 page 496 × 702 pixels: its headings and charts read, its file stays small


def build_demo(folder: Path) -> str:
    """A demo database of the default size, and its replay clock inside the busiest Q&A session."""
    url = f"sqlite:///{folder / 'demo.db'}"
    subprocess.run(
        [sys.executable, "-m", "ingest", "demo", "--load", "--out", str(folder / "demo.jsonl")],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    from sqlalchemy import func, select

    from engagement.storage import db, flags
    from engagement.storage.models import AgendaSession, Question

    with db.writing(url) as session:
        busiest = session.execute(
            select(AgendaSession)
            .join(Question, Question.session_id == AgendaSession.id)
            .where(AgendaSession.kind != "break", Question.status.in_(["pending", "approved"]))
            .group_by(AgendaSession.id)
            .order_by(func.count().desc(), AgendaSession.starts_at)
            .limit(1)
        ).scalar_one()
        flags.set_replay_clock(session, busiest.starts_at + (busiest.ends_at - busiest.starts_at) / 2)
    db.dispose_engines()
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(url: str, password: str):
    """The app on its own port, with this organiser password and no other sign-in configured."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("MODERATOR_PASSWORD",)}
    # The address the screens' join panels show: a public host, as an event would set it.
    env.update(DATABASE_URL=url, ORGANISER_PASSWORD=password, PUBLIC_URL=PUBLIC_URL)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(
                        f"the app did not start: {process.stderr.read1().decode(errors='replace')}"
                    ) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def settle(page) -> None:
    """Wait until the page's script has run to its end (twice: a rerun may follow the first)."""
    for _ in range(2):
        page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=60_000)
        page.wait_for_timeout(400)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        page.wait_for_timeout(400)


def go(page, title: str) -> None:
    """Through the sidebar, as a person would: a new URL would start a new, signed-out session."""
    page.locator('[data-testid="stSidebarNavLink"]', has_text=re.compile(rf"{re.escape(title)}$")).first.click()
    settle(page)


def wait_for_charts(page, at_least: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length >= n",
        arg=at_least,
        timeout=60_000,
    )
    page.wait_for_timeout(1_500)  # plotly's own transitions


def shoot(page, path: Path, viewport: dict = VIEWPORT) -> None:
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring
    page.mouse.move(0, viewport["height"] - 1)  # no hover label over a chart
    page.screenshot(path=str(path))
    shrink(path)


def put_on_screen(url: str, session_key: str) -> str:
    """Approve the session's four earliest open questions (with the votes the demo gave them) and
    put the first on screen; returns its text."""
    from sqlalchemy import select

    from engagement.qa import moderation
    from engagement.storage import db
    from engagement.storage.models import AgendaSession, Question

    with db.writing(url) as session:
        session_id = session.scalar(select(AgendaSession.id).where(AgendaSession.key == session_key))
        questions = session.scalars(
            select(Question)
            .where(Question.session_id == session_id, Question.status.in_(["pending", "approved"]))
            .order_by(Question.created_at, Question.id)
            .limit(4)
        ).all()
        for question in questions:
            if question.status == "pending":
                moderation.act(session, question.id, "approve", MODERATOR)
        moderation.act(session, questions[0].id, "show", MODERATOR)
        return questions[0].text


def take_off_screen(url: str) -> None:
    from sqlalchemy import select

    from engagement.qa import moderation
    from engagement.storage import db
    from engagement.storage.models import Question

    with db.writing(url) as session:
        for question_id in session.scalars(select(Question.id).where(Question.status == "on_screen")):
            moderation.act(session, question_id, "hide", MODERATOR)


def fill_wall(url: str) -> None:
    """Approve the six newest posts a wall may show (what it shows at a time), and an announcement."""
    from engagement.qa import blocklist
    from engagement.storage import db, flags
    from engagement.wall import listing, moderation

    with db.writing(url) as session:
        waiting = listing.queue(session, flags.now(session), blocklist.load(), limit=40)
        chosen = [item.post_id for item in waiting if not item.held and not item.author_blocked][:6]
        moderation.act_many(session, chosen, "approve", MODERATOR)
        moderation.announce(session, "Coffee and pastries in the foyer until the next session", MODERATOR)


def screens(page, url: str, base: str, out: Path) -> None:
    """The projector view (a question on screen, then the top questions) and the wall; ``page`` is
    signed in and on the Q&A queue."""
    page.set_viewport_size(SCREEN)
    page.get_by_text("Projector view of this session").click()
    settle(page)
    session_key = page.url.split("session=", 1)[1].split("&", 1)[0]
    text = put_on_screen(url, session_key)
    page.wait_for_function(
        "t => document.querySelector('.st-key-screen-question')?.innerText.includes(t)", arg=text, timeout=60_000
    )
    page.wait_for_selector("img.hall-qr", timeout=30_000)
    page.wait_for_timeout(1_000)
    shoot(page, out / "projector.png", SCREEN)
    take_off_screen(url)
    page.wait_for_selector(".hall-top", timeout=60_000)
    page.wait_for_timeout(2_500)  # the next two-second run: the list settled
    shoot(page, out / "projector-top.png", SCREEN)

    fill_wall(url)
    wall = page.context.browser.new_page(viewport=SCREEN)
    wall.goto(f"{base}/wall")
    settle(wall)
    wall.wait_for_function("() => document.querySelectorAll('.wall-post').length >= 6", timeout=60_000)
    wall.wait_for_selector("img.hall-qr", timeout=30_000)
    wall.wait_for_timeout(1_000)
    shoot(wall, out / "wall.png", SCREEN)
    wall.close()


def report_pages(url: str, folder: Path, out: Path) -> None:
    """The demo's report as ``python -m ingest report`` writes it, its first pages as PNGs."""
    if not shutil.which("pdftoppm"):
        raise SystemExit("pdftoppm not found: install poppler-utils (Debian: apt-get install poppler-utils)")
    subprocess.run(
        [sys.executable, "-m", "ingest", "report", "--out", str(folder / "report")],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    pdf = folder / "report" / "report.pdf"
    if not pdf.exists():
        raise SystemExit("the report has no PDF: Chromium is needed (Debian: apt-get install chromium)")
    prefix = folder / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(REPORT_DPI), "-f", "1", "-l", str(REPORT_PAGES), str(pdf), str(prefix)],
        check=True,
    )
    for number, page in enumerate(sorted(folder.glob("page-*.png")), start=1):
        path = out / f"report-{number}.png"
        shutil.move(page, path)
        shrink(path)


def shrink(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as picture:
        small = picture.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size // 1024} KB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder for the PNGs")
    parser.add_argument(
        "--only",
        choices=("pages", "screens", "report"),
        help="only the app's pages, only the hall's screens, or only the report's first pages",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    password = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as folder:
        url = build_demo(Path(folder))
        if args.only in (None, "report"):
            report_pages(url, Path(folder), args.out)
        if args.only == "report":
            return 0
        with serve(url, password) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                ],
            )
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(base)
            settle(page)
            go(page, "Account")
            page.locator('input[type="password"]').fill(password)
            page.get_by_role("button", name="Sign in").click()
            settle(page)
            page.wait_for_selector("text=Signed in as", timeout=30_000)

            if args.only != "screens":
                go(page, "Engagement")
                wait_for_charts(page, 2)
                shoot(page, args.out / "engagement.png")

            go(page, "Q&A queue")
            page.get_by_label("Your name, for the audit log").fill(MODERATOR)
            page.keyboard.press("Enter")
            settle(page)
            page.wait_for_selector('[class*="st-key-question-"]', timeout=30_000)
            page.wait_for_timeout(1_000)
            if args.only != "screens":
                shoot(page, args.out / "queue.png")
            if args.only != "pages":
                screens(page, url, base, args.out)
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
