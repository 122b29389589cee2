"""The app in a real browser (Debian's Chromium through Playwright): roles, deep links to a fresh
server, and hostile text shown literally."""

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from engagement.collection.jsonl import import_files
from engagement.storage import db, flags
from engagement.timeutil import to_utc

from .helpers.browser import (
    CHROMIUM,
    HOSTILE,
    PASSWORDS,
    PIXEL,
    STAFF,
    Watched,
    assert_no_staff_content,
    go,
    nav_labels,
    serve,
    sign_in,
    write_posts,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)


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


# The deep links each given a freshly started server: the public page, the projector (its own
# chrome), one moderator page, and two organiser pages. A server runs a deep-linked page around the
# entry point only on its first request, hence one server a link (8 s each on 2 cores); that every
# page file refuses a role below its own when run on its own is tests/reliability/test_roles.py's
# AppTest check of each file, which costs a second a page.
FIRST_REQUESTS = ("ask", "screen", "queue", "summary", "ingest")


def test_a_fresh_server_answers_a_first_deep_link_with_the_participants_menu_only(hostile_db, browser):
    """The first request a freshly started server answers: the sign-in form or the public page, and a
    sidebar holding the participant's menu and no staff page's name, then or for a moment on the way
    (a ``pages/`` folder beside the entry point would make it Streamlit's legacy list of every file)."""
    assert {spec.url_path for spec in STAFF} >= set(FIRST_REQUESTS) - {"ask"}
    for path in FIRST_REQUESTS:
        with serve(hostile_db) as base:
            watched = Watched(browser)
            watched.page.add_init_script(SIDEBAR_RECORDER)
            assert_no_staff_content(watched, f"{base}/{path}")
            page = watched.page
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.is_visible(), path
            assert nav_labels(page) == ["Ask a question", "Account"], path
            assert staff_names_in(sidebar.inner_text()) == [], path
            # Nor for a moment on the way: every text the sidebar held since the page began to load.
            seen = page.evaluate("window.sidebarTexts")
            assert seen and staff_names_in("\n".join(seen)) == [], path
            # Once the entry point has run, a participant's menu holds the public page only.
            assert nav_labels(watched.open(base)) == ["Ask a question", "Account"], path
            watched.close()


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
