"""The app in Chromium: a served app process, a watched page, signing in and the Q&A steps the browser tests share."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from engagement.ui.menu import PAGES

from . import ROOT

CHROMIUM = Path("/usr/bin/chromium")
PASSWORDS = {"MODERATOR_PASSWORD": "moderator-secret-1", "ORGANISER_PASSWORD": "organiser-secret-2"}


PIXEL = "127.0.0.1:9/pixel.png"
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    f"![p](http://{PIXEL})",
    "[x](javascript:alert(1))",
    "$\\LaTeX$",
    ":red[colour]",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(url: str, *, passwords: bool = True):
    """A freshly started app process on its own port; with the staff ``PASSWORDS``, or (``passwords=False``)
    with none at all, as ``make demo`` starts it."""
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if name not in PASSWORDS}
    env.update({"DATABASE_URL": url, **(PASSWORDS if passwords else {})})
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
                    raise AssertionError(
                        f"the app did not start: {process.stderr.read1().decode(errors='replace')}"
                    ) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


class Watched:
    """A page that records dialogs and every request it makes."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.requests, self.dialogs = [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def open(self, url: str):
        self.page.goto(url)
        self.settle()
        return self.page

    def settle(self):
        # Streamlit marks its app element with the connection and the script's state; a run may start a
        # moment after the connection, so each pause is the gap in which the next state can appear,
        # and every check that needs content waits for that content with a deadline of its own.
        self.page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=60_000)
        self.page.wait_for_timeout(300)
        self.page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        self.page.wait_for_timeout(300)

    def count(self, test_id: str) -> int:
        return self.page.locator(f'[data-testid="{test_id}"]').count()

    def close(self):
        self.page.close()


def write_posts(path: Path, user: dict, texts: list[str], *, first_id: int, first_at: str) -> Path:
    """One search page of posts by ``user``, one a second from ``first_at`` (UTC), each text with
    #cthb18 after it."""
    start = datetime.fromisoformat(first_at)
    tweets = [
        {
            "id": str(first_id + n),
            "author_id": user["id"],
            "text": f"{text} #cthb18",
            "created_at": f"{start + timedelta(seconds=n):%Y-%m-%dT%H:%M:%S}.000Z",
            "lang": "en",
            "edit_history_tweet_ids": [str(first_id + n)],
            "entities": {"hashtags": [{"start": len(text) + 1, "end": len(text) + 8, "tag": "cthb18"}]},
        }
        for n, text in enumerate(texts)
    ]
    path.write_text(
        json.dumps({"data": tweets, "includes": {"users": [user]}, "meta": {"result_count": len(tweets)}}) + "\n"
    )
    return path


STAFF = [p for p in PAGES if p.minimum != "participant"]


def assert_no_staff_content(watched: Watched, url: str) -> None:
    """A participant opening ``url``: the sign-in form with nothing else, or the public page."""
    page = watched.open(url)
    # A page the person may not open hands over to the public one: that is a second run to wait for.
    page.wait_for_selector('h1:has-text("Sign in"), h1:has-text("Ask a question")', timeout=30_000)
    watched.settle()
    assert watched.count("stException") == 0, url
    assert watched.count("stMetric") == 0 and watched.count("stPlotlyChart") == 0, url
    if page.locator('h1:has-text("Sign in")').count():
        assert watched.count("stDataFrame") == 0 and watched.count("stText") == 0, url
    else:  # the public page, whose published questions are for everyone
        assert page.locator('h1:has-text("Ask a question")').count() == 1, url


def nav_labels(page) -> list[str]:
    """The menu's page titles (a link's text also holds its icon's name on a line before)."""
    return [
        text.strip().split("\n")[-1].strip()
        for text in page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
    ]


def sign_in(watched: Watched, password: str):
    page = watched.page
    go(watched, "Account")
    assert page.locator('input[type="password"]').count() == 1  # the login form has one password field
    page.locator('input[type="password"]').fill(password)
    page.get_by_role("button", name="Sign in").click()
    watched.settle()
    page.wait_for_selector("text=Signed in as", timeout=30_000)


def go(watched: Watched, title: str):
    import re

    watched.page.locator('[data-testid="stSidebarNavLink"]', has_text=re.compile(rf"{re.escape(title)}$")).first.click()
    watched.settle()


def every_page_as_organiser(watched: Watched, base: str):
    """Sign in as an organiser and go to each page through the menu, yielding its spec once it has
    landed. The projector view has no title (only the question) and no menu: the tab goes back to
    the app after it."""
    sign_in(watched, PASSWORDS["ORGANISER_PASSWORD"])
    for spec in PAGES:
        go(watched, spec.title)
        landmark = ".st-key-screen-question" if spec.url_path == "screen" else f'h1:has-text("{spec.title}")'
        watched.page.wait_for_selector(landmark, timeout=30_000)
        yield spec
        if spec.url_path == "screen":
            watched.open(base)
            sign_in(watched, PASSWORDS["ORGANISER_PASSWORD"])


def shown(watched: Watched) -> str:
    return "\n".join(watched.page.locator('[data-testid="stText"]').all_inner_texts())


def open_projector(projector: Watched, base: str) -> None:
    """Sign in as a moderator and follow the queue's projector link (in the same tab, keeping the sign-in)."""
    projector.open(base)
    sign_in(projector, PASSWORDS["MODERATOR_PASSWORD"])
    go(projector, "Q&A queue")
    projector.page.get_by_text("Projector view of this session").click()
    projector.settle()
    projector.page.wait_for_selector("text=Questions will appear here.", timeout=30_000)


def ask(participant: Watched, base: str, question: str) -> None:
    page = participant.open(f"{base}/ask")
    page.get_by_role("textbox", name="Your question").fill(question)
    page.get_by_role("button", name="Send question").click()
    participant.settle()
    page.wait_for_selector("text=Your question went to the moderators", timeout=30_000)


def approve_and_show(moderator: Watched, base: str, name: str) -> str:
    """Sign in, approve question 1 and put it on screen; returns its card's text as first seen in the queue."""
    moderator.open(base)
    sign_in(moderator, PASSWORDS["MODERATOR_PASSWORD"])
    go(moderator, "Q&A queue")
    moderator.page.get_by_label("Your name, for the audit log").fill(name)
    moderator.page.keyboard.press("Enter")
    moderator.settle()
    card = moderator.page.locator(".st-key-question-1")
    card.wait_for(timeout=30_000)
    seen = card.inner_text()
    card.get_by_role("button", name="Approve").click()
    moderator.settle()
    moderator.page.locator(".st-key-queue-tab button", has_text="Approved").click()
    moderator.settle()
    moderator.page.locator(".st-key-question-1").get_by_role("button", name="On screen").click()
    moderator.settle()
    return seen


# How long a page may take to follow a change made elsewhere. The projector's fragment reruns every
# 2 s, so on a quiet machine it follows within 2-3 s; this is the bound past which it is broken, not
# the time it should take (a loaded machine runs the rerun late, it does not run it wrong).
FOLLOWS_WITHIN_MS = 45_000


def wait_on_screen(projector: Watched, question: str) -> None:
    """Poll the projector's text (Playwright re-evaluates on each animation frame) until it holds ``question``."""
    projector.page.wait_for_function(
        "text => [...document.querySelectorAll('[data-testid=stText]')].some(e => e.innerText.includes(text))",
        arg=question,
        timeout=FOLLOWS_WITHIN_MS,
    )
