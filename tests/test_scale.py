"""Two app processes over one PostgreSQL database, as behind a load balancer: a question asked through one
reaches the other's moderation queue, and a moderator's choice in the other reaches the first's projector."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engagement import db, flags

from .test_browser import CHROMIUM, PASSWORDS, Watched, browser, go, serve, sign_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists() and not __import__("os").environ.get("CI"),
                                reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)")
QUESTION = "Who pays for shelters when a victim crosses a border? <b>not bold</b>"


@pytest.fixture
def shared_db(postgres_server):
    from .conftest import _load_event

    url = postgres_server.database(prepare=_load_event)
    with db.writing(url) as session:
        flags.set_replay_clock(session, datetime(2018, 4, 23, 9, 30, tzinfo=timezone.utc))  # Panel 1 running
    db.dispose_engines()
    yield url
    db.dispose_engines()
    postgres_server.drop(url)


def test_two_app_processes_share_one_postgresql(shared_db, browser):  # noqa: F811 (the fixture)
    with serve(shared_db) as first, serve(shared_db) as second:
        assert first != second
        participant, moderator, projector = Watched(browser), Watched(browser), Watched(browser)

        projector.open(first)
        sign_in(projector, PASSWORDS["MODERATOR_PASSWORD"])
        go(projector, "Q&A queue")
        projector.page.get_by_text("Projector view of this session").click()
        projector.settle()
        projector.page.wait_for_selector("text=Questions will appear here.", timeout=30_000)

        page = participant.open(f"{first}/ask")
        page.get_by_role("textbox", name="Your question").fill(QUESTION)
        page.get_by_role("button", name="Send question").click()
        participant.settle()
        page.wait_for_selector("text=Your question went to the moderators", timeout=30_000)

        moderator.open(second)
        sign_in(moderator, PASSWORDS["MODERATOR_PASSWORD"])
        go(moderator, "Q&A queue")
        moderator.page.get_by_label("Your name, for the audit log").fill("Ben")
        moderator.page.keyboard.press("Enter")
        moderator.settle()
        card = moderator.page.locator(".st-key-question-1")
        card.wait_for(timeout=30_000)
        assert QUESTION in card.inner_text()
        card.get_by_role("button", name="Approve").click()
        moderator.settle()
        moderator.page.locator(".st-key-queue-tab button", has_text="Approved").click()
        moderator.settle()
        moderator.page.locator(".st-key-question-1").get_by_role("button", name="On screen").click()
        moderator.settle()

        projector.page.wait_for_function(
            "text => [...document.querySelectorAll('[data-testid=stText]')].some(e => e.innerText.includes(text))",
            arg=QUESTION, timeout=10_000)
        assert projector.page.locator(".st-key-screen-question b").count() == 0
        participant.page.wait_for_selector("text=on screen now", timeout=20_000)
        for watched in (participant, moderator, projector):
            assert watched.count("stException") == 0
            watched.close()
