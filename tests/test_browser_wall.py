"""The social wall in a real browser: the public /wall, opened with no sign-in, shows a post within
seconds of a moderator approving it on the Live page, verbatim (hostile text literal, nothing
fetched); never a held, blocked, deleted or hidden one; and its join panel's QR code, read as a
phone would (zxing-cpp), is the Ask page of the wall's session."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from engagement.collection.store import forget_posts
from engagement.rules.sync import sync_event
from engagement.storage import db, flags
from engagement.storage.models import AgendaSession, Author, Post, WallAction
from engagement.wall import moderation

from .helpers.browser import CHROMIUM, FOLLOWS_WITHIN_MS, HOSTILE, PASSWORDS, PIXEL, Watched, go, serve, sign_in

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not __import__("os").environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)
NOW = datetime(2018, 4, 23, 9, 30, tzinfo=UTC)  # Panel 1 running
TEXTS = {
    "hostile": " ".join(HOSTILE) + " **bold** #cthb18",
    "held": "held post: what an idiot #cthb18",
    "hidden": "hidden post, for signed-in people only #cthb18",
    "blocked": "blocked author's approved post #cthb18",
    "deleted": "deleted post, approved before its author deleted it #cthb18",
    "later": "approved, then deleted while the wall is open #cthb18",
}


@pytest.fixture
def wall_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'wall.db'}"
    with db.writing(url) as session:
        sync_event(session)
        flags.set_replay_clock(session, NOW)
        panel = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-panel-1"))
        authors = {}
        for handle in ("kind_voice", "spam_account"):
            author = Author(platform="mastodon", platform_user_id=handle, handle=f"{handle}@eupolicy.social")
            author.display_name = handle.replace("_", " ").title()
            session.add(author)
            session.flush()
            authors[handle] = author.id
        ids = {}
        for n, (name, text) in enumerate(TEXTS.items()):
            post = Post(
                platform="mastodon",
                platform_id=f"https://eupolicy.social/users/x/statuses/{n}",
                current_id=str(n),
                author_id=authors["spam_account" if name == "blocked" else "kind_voice"],
                created_at=NOW - timedelta(minutes=10 - n),
                text=text,
                session_id=panel,
                hidden=name == "hidden",
            )
            session.add(post)
            session.flush()
            ids[name] = post.id
        for name in ("blocked", "deleted"):
            moderation.act(session, ids[name], "approve", "Setup")
        moderation.block_author(session, authors["spam_account"], "Setup")
        forget_posts(session, [("mastodon", "https://eupolicy.social/users/x/statuses/4")])
    db.dispose_engines()
    return url, ids


def _wait_wall(watched: Watched, text: str, present: bool = True) -> None:
    watched.page.wait_for_function(
        "([text, present]) => [...document.querySelectorAll('.wall-text')].some(e => e.innerText === text) === present",
        arg=[text, present],
        timeout=FOLLOWS_WITHIN_MS,
    )


def test_the_wall_follows_approvals_and_shows_nothing_else(wall_db, browser, monkeypatch):
    url, ids = wall_db
    monkeypatch.delenv("PUBLIC_URL", raising=False)  # the join link then names the address the screen used
    with serve(url) as base:
        wall, moderator = Watched(browser), Watched(browser)
        wall.page.set_viewport_size({"width": 1920, "height": 1080})
        wall.open(f"{base}/wall?session=d1-panel-1")
        wall.page.wait_for_selector("text=Posts will appear here.", timeout=30_000)
        assert not wall.page.locator('[data-testid="stSidebar"]').is_visible()

        # The join panel: its QR code, read from the screen as a phone would, is the Ask page of this session.
        code = wall.page.locator("img.hall-qr")
        code.wait_for(timeout=30_000)
        assert code.get_attribute("src").startswith("data:image/svg+xml")
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())).convert("L"))
        assert [r.text for r in decoded] == [f"{base}/ask?session=d1-panel-1"]
        assert code.bounding_box()["height"] >= 0.3 * 1080  # a third of the screen: readable from the back

        # A moderator approves the hostile post on the Live page; the wall shows it, verbatim.
        moderator.open(base)
        sign_in(moderator, PASSWORDS["MODERATOR_PASSWORD"])
        go(moderator, "Live")
        moderator.page.get_by_label("Your name, for the audit log").fill("Ana")
        moderator.page.keyboard.press("Enter")
        moderator.settle()
        card = moderator.page.locator(f".st-key-wall-post-{ids['hostile']}")
        card.wait_for(timeout=30_000)
        assert moderator.page.locator(f".st-key-wall-post-{ids['hidden']}").count() == 0  # not even offered
        card.get_by_role("button", name=re.compile(r"^Approve")).click()
        _wait_wall(wall, TEXTS["hostile"])
        assert wall.page.locator(".wall-board img, .wall-board a, .wall-board .katex, .wall-board strong").count() == 0

        # The keyboard: "A" approves the first post of the queue (the newest incoming: "later"); then its
        # author deletes it while the wall is open, and it goes.
        first = moderator.page.locator(f".st-key-wall-post-{ids['later']}").get_by_role(
            "button", name=re.compile(r"^Approve")
        )
        first.wait_for(timeout=FOLLOWS_WITHIN_MS)
        moderator.page.locator("h2", has_text="Social wall").click()  # focus out of the name field
        moderator.page.keyboard.press("a")
        _wait_wall(wall, TEXTS["later"])
        with db.reading(url) as session:
            audited = session.scalars(select(WallAction).where(WallAction.post_id == ids["later"])).all()
        assert [(a.actor, a.action) for a in audited] == [("Ana", "approve")]
        with db.writing(url) as session:
            forget_posts(session, [("mastodon", "https://eupolicy.social/users/x/statuses/5")])
        _wait_wall(wall, TEXTS["later"], present=False)

        # Exactly the one approved post once the run that dropped "later" has finished drawing.
        wall.page.wait_for_function(
            "texts => JSON.stringify([...document.querySelectorAll('.wall-text')].map(e => e.innerText))"
            " === JSON.stringify(texts)",
            arg=[TEXTS["hostile"]],
            timeout=FOLLOWS_WITHIN_MS,
        )
        body = wall.page.inner_text("body")
        for name in ("held", "hidden", "blocked", "deleted"):
            assert TEXTS[name] not in body, name
        assert "Spam Account" not in body and "Ana" not in body and "Setup" not in body

        # The event moves on without a reload: at 15:00 in Vienna, Panel 2 is now and Panel 3 next.
        assert "Panel 1" in "\n".join(wall.page.locator(".wall-agenda").all_inner_texts())
        with db.writing(url) as session:
            flags.set_replay_clock(session, NOW + timedelta(hours=3, minutes=30))
        wall.page.wait_for_function(
            "() => /Now.*Panel 2[\\s\\S]*Next.*Panel 3/.test("
            "[...document.querySelectorAll('.wall-agenda')].map(e => e.innerText).join('\\n'))",
            timeout=FOLLOWS_WITHIN_MS,
        )

        for watched in (wall, moderator):
            assert watched.count("stException") == 0
            assert watched.dialogs == []
            assert not any(PIXEL in request for request in watched.requests)
            # Only the app itself (the page icon is a data URI: tests/test_browser_screens.py).
            assert [r for r in watched.requests if not r.startswith((base, "data:", "ws://127.0.0.1"))] == []
            watched.close()
