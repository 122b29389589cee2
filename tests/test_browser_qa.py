"""Session Q&A in a real browser: a participant asks in one browser context, a moderator approves and puts the
question on screen in a second, and the projector in a third shows it verbatim within seconds."""

from datetime import UTC, datetime

import pytest

from engagement.qa.language import detect
from engagement.rules.sync import sync_event
from engagement.storage import db, flags

from .helpers.browser import (
    CHROMIUM,
    FOLLOWS_WITHIN_MS,
    PIXEL,
    Watched,
    approve_and_show,
    ask,
    open_projector,
    serve,
    shown,
    wait_on_screen,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not __import__("os").environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)
QUESTION = f"<img src=x onerror=alert(1)> **Why** [here](http://{PIXEL}) $x$ :red[no]?"


@pytest.fixture
def qa_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'qa.db'}"
    with db.writing(url) as session:
        sync_event(session)
        flags.set_replay_clock(session, datetime(2018, 4, 23, 9, 30, tzinfo=UTC))  # Panel 1 running
    db.dispose_engines()
    return url


def test_ask_moderate_and_project(qa_db, browser):  # noqa: F811 (the fixture)
    with serve(qa_db) as base:
        participant, moderator, projector = Watched(browser), Watched(browser), Watched(browser)

        open_projector(projector, base)
        assert projector.page.url.endswith("/screen?session=d1-panel-1")
        assert not projector.page.locator('[data-testid="stSidebar"]').is_visible()

        ask(participant, base, QUESTION)
        # On the Ask page a question is escaped into an element of its own, with its lang and dir="auto".
        assert QUESTION in participant.page.locator("p.user-text").all_inner_texts()
        assert participant.page.locator('p.user-text[dir="auto"]').count() >= 1

        card = approve_and_show(moderator, base, "Ana")
        assert QUESTION in card and "contains a link" in card

        # The projector follows within seconds, verbatim, with no markup rendered and nothing fetched.
        wait_on_screen(projector, QUESTION)
        assert projector.page.locator(".st-key-screen-question img, .st-key-screen-question a, .katex").count() == 0
        # The question keeps its own language and direction on the projector (set by the page's script).
        own = projector.page.locator('.st-key-screen-question [lang][dir="auto"]')
        own.wait_for(timeout=FOLLOWS_WITHIN_MS)
        assert own.get_attribute("lang") == (detect(QUESTION) or "") and QUESTION in own.inner_text()
        assert projector.page.evaluate("document.documentElement.lang") == "en"
        assert "Ana" not in shown(projector)
        # The participant's page shows it published and on screen.
        participant.page.wait_for_selector("text=on screen now", timeout=FOLLOWS_WITHIN_MS)

        for watched in (participant, moderator, projector):
            assert watched.count("stException") == 0
            assert watched.dialogs == []
            assert not any(PIXEL in url for url in watched.requests)
            watched.close()
