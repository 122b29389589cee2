"""Two app processes over one PostgreSQL database, as behind a load balancer: a question asked through one
reaches the other's moderation queue, and a moderator's choice in the other reaches the first's projector."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engagement.storage import db, flags

from .helpers.browser import (
    CHROMIUM,
    FOLLOWS_WITHIN_MS,
    Watched,
    approve_and_show,
    ask,
    open_projector,
    serve,
    wait_on_screen,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not __import__("os").environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)
QUESTION = "Who pays for shelters when a victim crosses a border? <b>not bold</b>"


@pytest.fixture
def shared_db(postgres_server):
    from .helpers import prepare_event

    url = postgres_server.database(prepare=prepare_event)
    with db.writing(url) as session:
        flags.set_replay_clock(session, datetime(2018, 4, 23, 9, 30, tzinfo=UTC))  # Panel 1 running
    db.dispose_engines()
    yield url
    db.dispose_engines()
    postgres_server.drop(url)


def test_two_app_processes_share_one_postgresql(shared_db, browser):  # noqa: F811 (the fixture)
    with serve(shared_db) as first, serve(shared_db) as second:
        assert first != second
        participant, moderator, projector = Watched(browser), Watched(browser), Watched(browser)

        open_projector(projector, first)
        ask(participant, first, QUESTION)
        assert QUESTION in approve_and_show(moderator, second, "Ben")

        wait_on_screen(projector, QUESTION)
        assert projector.page.locator(".st-key-screen-question b").count() == 0
        participant.page.wait_for_selector("text=on screen now", timeout=FOLLOWS_WITHIN_MS)
        for watched in (participant, moderator, projector):
            assert watched.count("stException") == 0
            watched.close()
