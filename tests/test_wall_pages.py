"""The social wall's pages through AppTest: the public /wall shows what moderators let through and
nothing else; the Live page's wall queue approves, pulls, blocks and announces, audited."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engagement.storage import db, flags
from engagement.storage.models import AgendaSession, Author, Post, Question, WallAction
from engagement.wall import moderation

from .helpers.browser import HOSTILE
from .helpers.pages import page

NOW = datetime(2018, 4, 23, 9, 30, tzinfo=UTC)  # Panel 1 running


@pytest.fixture
def wall_url(db_url):
    """Panel 1's posts in every state a wall knows, by text; the replay clock at 11:30 Vienna."""
    with db.writing(db_url) as session:
        flags.set_replay_clock(session, NOW)
        panel = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-panel-1"))
        authors = []
        for n, (handle, name) in enumerate([("open_voice", "Open Voice"), ("secret_spammer", "Secret Spammer")]):
            author = Author(platform="bluesky", platform_user_id=f"did:plc:{n}", handle=handle, display_name=name)
            session.add(author)
            session.flush()
            authors.append(author.id)
        texts = {
            "approved": " ".join(HOSTILE) + " approved-post",
            "held": "held-post, never approved",
            "pulled": "pulled-post",
            "hidden": "hidden-post",
            "blocked": "blocked-author-post",
        }
        ids = {}
        for n, (state, text) in enumerate(texts.items()):
            post = Post(
                platform="bluesky",
                platform_id=f"at://did:plc:{n}/app.bsky.feed.post/{n}",
                current_id=str(n),
                author_id=authors[1] if state == "blocked" else authors[0],
                created_at=NOW - timedelta(minutes=10 - n),
                text=text,
                session_id=panel,
                media_count=2 if state == "approved" else 0,
                hidden=state == "hidden",
            )
            session.add(post)
            session.flush()
            ids[state] = post.id
        for state in ("approved", "pulled", "blocked"):
            moderation.act(session, ids[state], "approve", "Moderator Margot")
        moderation.act(session, ids["pulled"], "pull", "Moderator Margot", reason="staff-only reason")
        moderation.block_author(session, authors[1], "Moderator Margot", "staff-only block note")
        moderation.announce(session, "Lunch is served <b>now</b>", "Moderator Margot")
        gone = moderation.announce(session, "withdrawn-announcement", "Moderator Margot")
        moderation.withdraw(session, gone.id, "Moderator Margot")
    return db_url, texts


def _html(at) -> str:
    """The page's HTML elements, but our own script that sets <html lang> (ui.qa.document_language:
    a constant template with a language code in it, checked by test_hostile)."""
    bodies = [element.proto.body for element in at.get("html")]
    return "\n".join(body for body in bodies if "window.__pageLanguage" not in body)


def test_the_public_wall_shows_only_what_moderators_let_through(wall_url, monkeypatch):
    url, texts = wall_url
    at = page(url, monkeypatch, "views/wall.py")  # no role: a participant, not signed in
    shown = _html(at)
    # The approved post, escaped: its hostile text is literal, never markup.
    assert html.escape(texts["approved"]) in shown
    assert "<script>" not in shown and "onerror=alert" in shown
    # The one image is the join panel's QR code, drawn here as a data URI: nothing is fetched.
    assert shown.count("<img") == shown.count('<img class="hall-qr"') == 1
    assert re.search(r'<img class="hall-qr"[^>]*src="data:image/svg\+xml', shown)
    assert 'data-url="http://localhost:8501/ask?session=d1-panel-1"' in shown  # the session running now
    assert "2 images (not shown)" in shown and "Open Voice" in shown and "@open_voice" in shown and "Bluesky" in shown
    assert html.escape("Lunch is served <b>now</b>") in shown
    # Nothing else: no other post, no blocked author, no staff data (names, reasons, notes, states).
    for hidden in (
        texts["held"],
        texts["pulled"],
        texts["hidden"],
        texts["blocked"],
        "Secret Spammer",
        "secret_spammer",
        "Moderator Margot",
        "staff-only",
        "withdrawn-announcement",
        "pending",
    ):
        assert hidden not in shown, hidden
    # And no widget at all: nothing to click, type or download.
    for kind in ("button", "text_input", "text_area", "checkbox", "dataframe", "metric", "text", "markdown"):
        assert len(at.get(kind)) == 0, kind


@pytest.mark.parametrize(
    "query",
    [
        {"order": "rotate", "contrast": "high", "join": "0"},
        {"room": "Neuer Saal"},
        # What someone might try: the queue's tabs, the other mode, a role (page() takes "role" itself), a post.
        {"tab": "pulled", "mode": "post", "status": "pending", "user": "organiser", "post": "1", "debug": "1"},
    ],
)
def test_no_query_reaches_anything_else_from_the_wall(wall_url, monkeypatch, query):
    url, texts = wall_url
    at = page(url, monkeypatch, "views/wall.py", **query)
    shown = _html(at)
    assert html.escape(texts["approved"]) in shown
    for hidden in (texts["held"], texts["pulled"], texts["hidden"], texts["blocked"], "Secret Spammer", "Moderator"):
        assert hidden not in shown, (query, hidden)
    assert "role" not in at.session_state or at.session_state["role"] == "participant"  # a query grants nothing
    for kind in ("button", "text_input", "checkbox", "dataframe", "text", "markdown"):
        assert len(at.get(kind)) == 0, (query, kind)


def test_the_live_page_moderates_the_wall_with_an_audit(wall_url, monkeypatch):
    url, texts = wall_url
    at = page(url, monkeypatch, "views/live.py", role="moderator")
    assert texts["held"] in [e.value for e in at.text]  # verbatim, in st.text
    assert not [b for b in at.button if str(b.key).startswith("wall-approve-")]  # no name typed yet: no actions
    at.text_input(key="moderator-name").input("Ana").run()
    with db.reading(url) as session:
        held_id = session.scalar(select(Post.id).where(Post.text == texts["held"]))
    at.button(key=f"wall-approve-{held_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with db.reading(url) as session:
        assert moderation.status(session, held_id) == "approved"
        last = session.scalars(select(WallAction).order_by(WallAction.id.desc())).first()
    assert (last.actor, last.action, last.post_id) == ("Ana", "approve", held_id)
    after = page(url, monkeypatch, "views/wall.py")
    assert texts["held"] in _html(after)


def _projector_pieces(aspect: str, contrast: bool, texts: list[str]) -> None:
    """The projector's pieces as views/screen.py draws them (AppTest runs this function as a page)."""
    from engagement.qa.projector import TopQuestion
    from engagement.ui import hall

    hall.projector_style(aspect, contrast)
    main, side = hall.projector_layout(aspect)
    with main:
        hall.top_questions_panel([TopQuestion(n, text, 10 - n, "en") for n, text in enumerate(texts)])
    with side:
        hall.join_panel("d1-panel-1", "fr")


@pytest.mark.parametrize("aspect, contrast", [("16:9", False), ("4:3", True)])
def test_the_projector_pieces_show_top_questions_verbatim_and_how_to_join(monkeypatch, aspect, contrast):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PUBLIC_URL", "https://ask.example.org")
    at = AppTest.from_function(_projector_pieces, args=(aspect, contrast, HOSTILE), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _html(at)
    for text in HOSTILE:
        assert html.escape(text) in shown
    assert "<script>" not in shown and shown.count("<img") == 1
    assert shown.index(html.escape(HOSTILE[0])) < shown.index(html.escape(HOSTILE[1]))  # most votes first
    assert 'data-url="https://ask.example.org/ask?session=d1-panel-1&amp;lang=fr"' in shown
    # The short URL, to type: the host, then the path (each a line of its own on a narrow panel).
    assert "<span>ask.example.org</span><span>/ask?session=d1-panel-1&amp;lang=fr</span></p>" in shown
    assert ("#000000; color: #ffffff" in shown) == contrast  # the high-contrast theme: white on black
    assert (len(at.columns) == 2) == (aspect == "16:9")  # 4:3: the join panel under the questions


def test_no_top_questions_yet_says_where_they_will_appear(monkeypatch):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_projector_pieces, args=("16:9", False, []), default_timeout=30).run()
    assert "Questions will appear here." in _html(at)


def test_bulk_approval_and_an_author_block_from_the_live_page(wall_url, monkeypatch):
    url, texts = wall_url
    with db.writing(url) as session:
        ids = {state: session.scalar(select(Post.id).where(Post.text == text)) for state, text in texts.items()}
        moderation.act(session, ids["pulled"], "restore", "Setup")  # back to incoming
    at = page(url, monkeypatch, "views/live.py", role="moderator")
    at.text_input(key="moderator-name").input("Ana").run()
    for state in ("held", "pulled"):
        at.checkbox(key=f"wall-pick-{ids[state]}").check()
    at.button(key="wall-bulk-approve").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with db.reading(url) as session:
        assert [moderation.status(session, ids[s]) for s in ("held", "pulled")] == ["approved", "approved"]
    at.segmented_control(key="wall-tab").set_value("approved").run()
    at.button(key=f"wall-block-{ids['held']}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = page(url, monkeypatch, "views/wall.py")
    shown = _html(after)
    assert texts["held"] not in shown and texts["pulled"] not in shown  # one author wrote both
    with db.reading(url) as session:
        actions = [a.action for a in session.scalars(select(WallAction).where(WallAction.actor == "Ana"))]
    assert actions == ["approve", "approve", "block_author"]


def test_a_projector_without_a_session_moves_on_with_the_agenda(wall_url, monkeypatch):
    """Left open all day on /screen (no ?session=), the projector follows the session running now:
    Panel 1's question at 11:30 in Vienna, Panel 2's at 15:00, in the same session. (AppTest runs the
    whole page each time; that the choice is made inside the 2 s fragment, so that a browser's reruns
    make it too, is views/screen.py's to keep.)"""
    import streamlit as st

    url, _ = wall_url
    with db.writing(url) as session:
        for key, text in (("d1-panel-1", "Panel 1's question on screen"), ("d1-panel-2", "Panel 2's question")):
            panel = session.scalar(select(AgendaSession.id).where(AgendaSession.key == key))
            session.add(Question(session_id=panel, status="on_screen", text=text))
    screen = page(url, monkeypatch, "views/screen.py", role="moderator")
    shown = "\n".join(t.value for t in screen.get("text"))
    assert "Panel 1's question on screen" in shown and "Panel 2's question" not in shown
    assert "session=d1-panel-1" in _html(screen)
    with db.writing(url) as session:
        flags.set_replay_clock(session, NOW + timedelta(hours=3, minutes=30))
    st.cache_data.clear()  # the agenda's 30 s read, as after half a minute
    screen.run()
    shown = "\n".join(t.value for t in screen.get("text"))
    assert "Panel 2's question" in shown and "Panel 1's question on screen" not in shown
    assert "session=d1-panel-2" in _html(screen)


def test_the_walls_own_words_follow_its_language(wall_url, monkeypatch):
    """?lang= on the screen's link puts our words and the agenda's titles (its title_fr column) in that
    language; the posts stay as written."""
    url, texts = wall_url
    french = _html(page(url, monkeypatch, "views/wall.py", lang="fr"))
    assert "2 images (non affichées)" in french and "2 images (not shown)" not in french
    assert html.escape(texts["approved"]) in french
    # Now: Panel 1 (11:15–13:00 Vienna, the clock at 11:30); next: Panel 2, both in French.
    now_line = re.search(r"<b>Maintenant</b> 11:15–13:00  ([^<]*)</p>", french)
    assert now_line and now_line[1].startswith("Table ronde 1\u00a0: coordination gouvernementale"), french[:2000]
    assert "Panel 1: Government co-ordination" not in french and "Panel 2" not in french
    english = _html(page(url, monkeypatch, "views/wall.py"))
    assert "2 images (not shown)" in english
    assert "11:15–13:00  Panel 1: Government co-ordination" in english
