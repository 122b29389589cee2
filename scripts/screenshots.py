"""The docs' pictures: the Engagement page, the Q&A queue and the post-event report's first pages on
the demo data.

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--only pages|report]

Builds a demo database in a temporary folder (``python -m ingest demo --load``, as ``make demo``
does, never touching data/), sets its replay clock inside the demo session with the most open
questions (so the queue preselects a session that has some), starts the app headless on a free
port with an organiser password of its own, signs in through the Account page in Debian's
Chromium at 1400×900, and writes ``engagement.png`` and ``queue.png``. Each picture is taken once
the page's script has finished and its charts are drawn, then reduced to a 256-colour palette to
stay small. The report's first ``REPORT_PAGES`` pages are its PDF (``python -m ingest report``, as an
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
    env.update(DATABASE_URL=url, ORGANISER_PASSWORD=password)
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


def shoot(page, path: Path) -> None:
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring
    page.mouse.move(0, VIEWPORT["height"] - 1)  # no hover label over a chart
    page.screenshot(path=str(path))
    shrink(path)


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
        "--only", choices=("pages", "report"), help="only the app's pages, or only the report's first pages"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    password = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as folder:
        url = build_demo(Path(folder))
        if args.only != "pages":
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

            go(page, "Engagement")
            wait_for_charts(page, 2)
            shoot(page, args.out / "engagement.png")

            go(page, "Q&A queue")
            page.get_by_label("Your name, for the audit log").fill(MODERATOR)
            page.keyboard.press("Enter")
            settle(page)
            page.wait_for_selector('[class*="st-key-question-"]', timeout=30_000)
            page.wait_for_timeout(1_000)
            shoot(page, args.out / "queue.png")
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
