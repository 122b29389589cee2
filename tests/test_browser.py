"""The app in a real browser (Debian's Chromium through Playwright): roles, deep links to a fresh
server, and hostile text shown literally."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from engagement.collection.jsonl import import_files
from engagement.storage import db, flags
from engagement.timeutil import to_utc
from engagement.ui.menu import PAGES

from .conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)
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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


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


@pytest.fixture(scope="module")
def hostile_db(demo_db, tmp_path_factory):
    """The demo, plus posts and an author made of hostile strings, with the replay clock just after them."""
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "hostile.db"
    shutil.copy(demo_db.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    user = {
        "id": "31337",
        "username": "demo_hostile",
        "name": "<b>bold</b> ![p](http://127.0.0.1:9/pixel.png)",
        "description": "<script>alert(1)</script>",
        "public_metrics": {"followers_count": 5},
    }
    page = write_posts(
        folder / "hostile.jsonl", user, HOSTILE, first_id=990_000_000_000_000_000, first_at="2018-04-23T11:29:10"
    )
    import_files([page], url=url, progress=False)
    with db.writing(url) as session:
        flags.set_replay_clock(session, to_utc(datetime(2018, 4, 23, 11, 30)))
    db.dispose_engines()
    return url


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


def test_staff_pages_are_closed_to_a_first_request_on_a_fresh_server(hostile_db, browser):
    for spec in STAFF:
        with serve(hostile_db) as base:
            watched = Watched(browser)
            assert_no_staff_content(watched, f"{base}/{spec.url_path}")
            # Once the entry point has run, a participant's menu holds the public page only.
            page = watched.open(base)
            assert nav_labels(page) == ["Ask a question", "Account"], spec.url_path
            watched.close()


# What a staff page may be called in a sidebar: its title, its URL path, the stem of its file (a
# legacy page list names files), and the names its files had before they moved to views/.
STAFF_NAMES = sorted(
    {name.lower() for spec in STAFF for name in (spec.title, spec.url_path, Path(spec.path).stem)}
    | {"engagement overview", "engagement_overview", "ingest status", "ingest_status", "qa queue", "qa_queue"}
)


def staff_names_in(text: str) -> list[str]:
    """The staff page names in ``text``, as whole words ("live", not the "live_help" of an icon)."""
    import re

    return [name for name in STAFF_NAMES if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text.lower())]


def test_a_fresh_server_lists_only_the_participants_menu_in_its_first_response(hostile_db, browser):
    """The first request a freshly started server answers, to a public page and to two staff pages:
    a sidebar holding the participant's menu and no staff page's name (a ``pages/`` folder beside the
    entry point would make it Streamlit's legacy list of every file there)."""
    for path in ("ask", "screen", "summary"):
        with serve(hostile_db) as base:
            watched = Watched(browser)
            watched.page.add_init_script(SIDEBAR_RECORDER)
            page = watched.open(f"{base}/{path}")
            page.wait_for_selector('h1:has-text("Sign in"), h1:has-text("Ask a question")', timeout=30_000)
            watched.settle()
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.is_visible(), path
            assert nav_labels(page) == ["Ask a question", "Account"], path
            assert staff_names_in(sidebar.inner_text()) == [], path
            # Nor for a moment on the way: every text the sidebar held since the page began to load.
            seen = page.evaluate("window.sidebarTexts")
            assert seen and staff_names_in("\n".join(seen)) == [], path
            watched.close()


# Records, from the page's first script on, every text the sidebar shows, however briefly.
SIDEBAR_RECORDER = """
window.sidebarTexts = [];
new MutationObserver(() => {
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const text = sidebar && sidebar.innerText;
  if (text && window.sidebarTexts[window.sidebarTexts.length - 1] !== text) window.sidebarTexts.push(text);
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


def test_a_newcomer_reaches_the_charts_in_three_clicks_on_the_demo(hostile_db, browser):
    """The demo database, no password: Account, "Sign in as organiser (demo)", Engagement."""
    with serve(hostile_db, passwords=False) as base:
        watched = Watched(browser)
        page = watched.open(base)
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
        go(watched, "Account")  # 1
        assert page.locator('input[type="password"]').count() == 0
        page.get_by_role("button", name="Sign in as organiser (demo)").click()  # 2
        watched.settle()
        page.wait_for_selector("text=Signed in as organiser", timeout=30_000)
        go(watched, "Engagement")  # 3
        page.wait_for_selector('h1:has-text("Engagement")', timeout=30_000)
        page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=30_000)
        assert watched.count("stPlotlyChart") >= 2 and watched.count("stException") == 0
        watched.close()


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


def test_a_moderator_sees_hostile_text_literally_on_the_live_view(hostile_db, browser):
    with serve(hostile_db) as base:
        watched = Watched(browser)
        page = watched.open(base)
        sign_in(watched, PASSWORDS["MODERATOR_PASSWORD"])
        links = nav_labels(page)
        assert "Live" in links and "Engagement" in links and "Agenda and groups" not in links
        go(watched, "Live")
        page.wait_for_selector('[data-testid="stText"]', timeout=30_000)
        shown = "\n".join(page.locator('[data-testid="stText"]').all_inner_texts())
        for text in HOSTILE:
            assert text in shown, text
        assert page.locator(f'img[src*="{PIXEL}"]').count() == 0
        assert page.locator('[data-testid="stText"] script, [data-testid="stText"] img').count() == 0
        assert page.locator(".katex").count() == 0
        page.wait_for_timeout(6000)  # one auto-refresh of the live fragment
        assert watched.count("stException") == 0
        assert watched.dialogs == []
        assert not any(PIXEL in url for url in watched.requests)
        watched.close()


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


def test_every_page_loads_for_an_organiser(hostile_db, browser):
    with serve(hostile_db) as base:
        watched = Watched(browser)
        watched.open(base)
        for spec in every_page_as_organiser(watched, base):
            if spec.url_path == "screen":
                assert not watched.page.locator('[data-testid="stSidebar"]').is_visible()
            assert watched.count("stException") == 0, spec.url_path
        assert watched.dialogs == [] and not any(PIXEL in url for url in watched.requests)
        watched.close()
