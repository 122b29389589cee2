"""The three Q&A pages through AppTest, on a real SQLite file: what a participant, a moderator and the projector see."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from engagement.storage import db
from engagement.storage.models import ModerationAction, Question, Vote

from .helpers.pages import PANEL_1, ask, page, panel_1, questions


def texts(at) -> list[str]:
    return [t.value for t in at.text]


def user_texts(at) -> list[str]:
    """Participants' text on the Ask page: escaped into st.html elements with their own lang and dir."""
    bodies = [element.proto.body for element in at.get("html")]
    found = re.findall(r'<p class="user-text[^"]*" lang="[^"]*" dir="auto">(.*?)</p>', "\n".join(bodies), re.DOTALL)
    return [html.unescape(text) for text in found]


def test_a_participant_submits_to_the_running_session_anonymously(qa_url, monkeypatch):
    at = page(qa_url, monkeypatch)
    assert at.selectbox(key="ask-session").value == panel_1(qa_url)
    ask(at, "Wie finanzieren die Staaten Schutzunterkünfte für Opfer?")
    (stored,) = questions(qa_url)
    assert (stored.session_id, stored.status, stored.language, stored.display_name) == (
        panel_1(qa_url),
        "pending",
        "de",
        None,
    )
    token = at.session_state["participant-token"]
    assert stored.participant_hash == at.session_state["participant-hash"] != token
    assert at.text_area(key="ask-text").value == ""
    assert "Thank you" in at.success[0].value
    assert any(t.startswith("submitted · ") and t.split(" · ")[2:3] == ["0 votes"] for t in texts(at))
    assert "Wie finanzieren die Staaten Schutzunterkünfte für Opfer?" in user_texts(at)


def test_a_link_naming_a_session_preselects_it(qa_url, monkeypatch):
    """The projector's QR code links to /ask?session=<key>: that session, not the one running now."""
    from sqlalchemy import select as sql_select

    from engagement.storage.models import AgendaSession

    with db.reading(qa_url) as session:
        other = session.scalar(sql_select(AgendaSession.id).where(AgendaSession.key == "d2-panel-4"))
    assert other != panel_1(qa_url)
    from streamlit.testing.v1 import AppTest

    from .helpers import ROOT

    monkeypatch.setenv("DATABASE_URL", qa_url)
    for linked, expected in (("d2-panel-4", other), ("no-such-session", panel_1(qa_url))):
        at = AppTest.from_file(str(ROOT / "views" / "ask.py"), default_timeout=60)  # opened from the link
        at.query_params["session"] = linked
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key="ask-session").value == expected, linked


def test_personal_details_need_consent_and_a_refusal_keeps_the_text(qa_url, monkeypatch):
    at = ask(page(qa_url, monkeypatch), "Who funds the shelters?", **{"ask-name": "Ana Example"})
    assert questions(qa_url) == []
    assert "agree" in at.error[0].value
    assert at.text_area(key="ask-text").value == "Who funds the shelters?"
    ask(
        at,
        "Who funds the shelters?",
        **{"ask-name": "Ana Example", "ask-affiliation": "La Strada", "ask-consent": True},
    )
    (stored,) = questions(qa_url)
    assert (stored.display_name, stored.affiliation) == ("Ana Example", "La Strada")


def test_the_rate_limit_answers_with_a_friendly_message(qa_url, monkeypatch):
    at = page(qa_url, monkeypatch)
    for n in range(3):
        ask(at, f"Question number {n}?")
    ask(at, "A fourth within the minute?")
    assert len(questions(qa_url)) == 3
    assert "wait a moment" in at.error[0].value


def test_participants_see_published_questions_and_upvote_once(qa_url, monkeypatch):
    session_id = panel_1(qa_url)
    with db.writing(qa_url) as session:
        session.add_all(
            [
                Question(
                    session_id=session_id, text="Published *question* [x](http://e.example)", status="approved", votes=2
                ),
                Question(session_id=session_id, text="Still pending", status="pending"),
            ]
        )
    at = page(qa_url, monkeypatch)
    shown = user_texts(at)
    assert "Published *question* [x](http://e.example)" in shown and "Still pending" not in shown
    vote = at.button(key="vote-1")
    assert vote.label == "Upvote · 2" and not vote.disabled
    vote.click().run()
    # The voted button stays enabled (disabling it dropped a keyboard user's focus to the top of the
    # page): a second press is refused with a message and counts nothing.
    assert at.button(key="vote-1").label == "Voted · 3" and not at.button(key="vote-1").disabled
    at.button(key="vote-1").click().run()
    assert at.button(key="vote-1").label == "Voted · 3"
    assert any("already voted" in w.value for w in at.warning), [w.value for w in at.warning]
    with db.reading(qa_url) as session:
        assert session.get(Question, 1).votes == 3
        assert session.scalars(select(Vote.participant_hash)).all() == [at.session_state["participant-hash"]]
    # Another browser is another participant: one more vote.
    other = page(qa_url, monkeypatch)
    other.button(key="vote-1").click().run()
    assert other.button(key="vote-1").label == "Voted · 4"


def test_forget_me_from_the_page(qa_url, monkeypatch):
    at = ask(page(qa_url, monkeypatch), "Forget this one?")
    at.button(key="forget-me").click().run()
    (stored,) = questions(qa_url)
    assert stored.forgotten and stored.text != "Forget this one?" and stored.participant_hash is None
    assert "Forget this one?" not in "\n".join(texts(at) + user_texts(at))


def test_the_queue_is_for_moderators_only(qa_url, monkeypatch):
    at = page(qa_url, monkeypatch, "views/queue.py", role="moderator")
    at.session_state["role"] = "participant"
    at.run()
    # Signed out, the queue stays at its address (hidden from the menu) and its own guard answers:
    # the sign-in, and nothing of the queue.
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.text and not at.dataframe
    assert not [b for b in at.button if b.key and b.key.startswith("approve-")]


def moderator(url, monkeypatch, name="Ana"):
    at = page(url, monkeypatch, "views/queue.py", role="moderator")
    if name:
        at.text_input(key="moderator-name").input(name).run()
    return at


def test_a_moderator_needs_a_name_to_act(qa_url, monkeypatch):
    ask(page(qa_url, monkeypatch), "Anyone there?")
    at = moderator(qa_url, monkeypatch, name=None)
    assert "Anyone there?" in texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("approve-")]


def test_approve_put_on_screen_and_answer_from_the_queue(qa_url, monkeypatch):
    ask(page(qa_url, monkeypatch), "First question?")
    at = moderator(qa_url, monkeypatch)
    assert [m.value for m in at.metric][:2] == ["1", "0"]
    at.button(key="approve-1").click().run()
    assert [m.value for m in at.metric][:2] == ["0", "1"]
    at.segmented_control(key="queue-tab").set_value("approved").run()
    at.button(key="show-1").click().run()
    assert questions(qa_url)[0].status == "on_screen"
    at.button(key="answer-1").click().run()
    assert questions(qa_url)[0].status == "answered"
    with db.reading(qa_url) as session:
        log = [(a.actor, a.action) for a in session.scalars(select(ModerationAction).order_by(ModerationAction.id))]
    assert log == [("Ana", "approve"), ("Ana", "show"), ("Ana", "answer")]


def test_dismiss_with_a_reason_then_restore(qa_url, monkeypatch):
    ask(page(qa_url, monkeypatch), "Buy cheap watches")
    at = moderator(qa_url, monkeypatch)
    at.button(key="dismiss-1").click().run()
    form_select = next(s for s in at.selectbox if s.label.startswith("Reason"))
    form_select.set_value("spam")
    at.button(key="FormSubmitter:queue-panel-form-Confirm").click().run()
    (stored,) = questions(qa_url)
    assert (stored.status, stored.dismiss_reason) == ("dismissed", "spam")
    at.segmented_control(key="queue-tab").set_value("dismissed").run()
    assert "Dismissed: spam" in texts(at)
    at.button(key="restore-1").click().run()
    assert questions(qa_url)[0].status == "pending"


def test_edit_then_approve_keeps_the_original(qa_url, monkeypatch):
    ask(page(qa_url, monkeypatch), "how r victims identifyed")
    at = moderator(qa_url, monkeypatch)
    at.button(key="edit-1").click().run()
    next(a for a in at.text_area if a.label.startswith("Edited")).input("How are victims identified?")
    at.button(key="FormSubmitter:queue-panel-form-Edit and approve").click().run()
    (stored,) = questions(qa_url)
    assert (stored.status, stored.text, stored.original_text) == (
        "approved",
        "How are victims identified?",
        "how r victims identifyed",
    )


def test_similar_questions_are_suggested_and_merged(qa_url, monkeypatch):
    participant = page(qa_url, monkeypatch)
    ask(participant, "How will States fund shelters for victims?")
    ask(page(qa_url, monkeypatch), "Comment les États financent-ils les refuges pour les victimes ?")
    at = moderator(qa_url, monkeypatch)
    assert any(t.startswith("Similar: #2") for t in texts(at))
    at.button(key="merge-2").click().run()
    assert next(s for s in at.selectbox if s.label.startswith("Merge into")).value == 1
    at.button(key="FormSubmitter:queue-panel-form-Confirm").click().run()
    first, second = questions(qa_url)
    assert (second.status, second.merged_into_id) == ("merged", 1)
    assert "Also asked as: Comment les États financent-ils les refuges pour les victimes ?" in texts(at)


def test_who_is_being_heard_chart_matches_the_questions(qa_url, monkeypatch):
    ask(page(qa_url, monkeypatch), "From civil society?", **{"ask-consent": True})
    session_id = panel_1(qa_url)
    with db.writing(qa_url) as session:
        session.add_all(
            [
                Question(session_id=session_id, text="g", group_key="government", status="answered"),
                Question(session_id=session_id, text="c", group_key="civil_society", status="pending"),
            ]
        )
    at = moderator(qa_url, monkeypatch)
    import json

    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["title"]["text"].startswith("Who is being heard")
    assert {t["name"] for t in figure["data"]} == {
        "Share of questions submitted",
        "Share of questions approved",
        "Share of questions answered",
    }
    labels = set(figure["data"][0]["y"])
    assert labels == {"Participating State (government)", "NGO / civil society", "Not stated"}


def test_the_projector_shows_the_on_screen_question_and_attribution_only_when_asked(qa_url, monkeypatch):
    session_id = panel_1(qa_url)
    with db.writing(qa_url) as session:
        session.add(
            Question(
                session_id=session_id,
                text="<b>Bold?</b> **not bold**",
                status="on_screen",
                display_name="Ana",
                affiliation="La Strada",
            )
        )
    screen = page(qa_url, monkeypatch, "views/screen.py", role="moderator", session=PANEL_1)
    assert "<b>Bold?</b> **not bold**" in texts(screen)
    assert not any("Ana" in t for t in texts(screen))
    assert not screen.get("button") and not screen.get("selectbox")
    at = moderator(qa_url, monkeypatch)
    at.toggle(key="screen-attribution").set_value(True).run()
    screen.run()
    assert "— Ana, La Strada" in texts(screen)
    other = page(qa_url, monkeypatch, "views/screen.py", role="moderator", session="d2-panel-4")
    assert "Questions will appear here." in texts(other)


def test_a_long_queue_is_drawn_a_page_at_a_time(qa_url, monkeypatch):
    session_id = panel_1(qa_url)
    with db.writing(qa_url) as session:
        session.add_all(
            [Question(session_id=session_id, text=f"Question {n} about shelters?", status="pending") for n in range(45)]
        )
    at = moderator(qa_url, monkeypatch)
    cards = lambda: [b for b in at.button if b.key and b.key.startswith("approve-")]  # noqa: E731
    assert len(cards()) == 40 and "Showing 40 of 45." in [c.value for c in at.caption]
    at.button(key="queue-more").click().run()
    assert len(cards()) == 45


def test_the_ask_page_names_sessions_and_groups_in_the_participants_language(qa_url, monkeypatch):
    """The event files' title_<lang> and label_<lang> columns reach the session picker and the group
    choice; a language the files do not translate reads the default title."""
    from streamlit.testing.v1 import AppTest

    from .helpers import ROOT

    monkeypatch.setenv("DATABASE_URL", qa_url)
    shown = {}
    for lang in ("fr", "ru", "en"):
        at = AppTest.from_file(str(ROOT / "views" / "ask.py"), default_timeout=60)
        at.query_params["lang"] = lang
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        picker = at.selectbox(key="ask-session")
        shown[lang] = (picker.format_func(picker.value), at.selectbox(key="ask-group").format_func("civil_society"))
    assert shown["fr"] == (
        "Table ronde 1\u00a0: coordination gouvernementale — mécanismes nationaux et partenariats interministériels",
        "ONG / société civile",
    )
    assert shown["ru"][1] == "НПО / гражданское общество" and shown["ru"][0].startswith("Панельная дискуссия 1")
    assert shown["en"] == (
        "Panel 1: Government co-ordination — national mechanisms and inter-ministerial partnerships",
        "NGO / civil society",
    )


def test_the_projector_names_its_session_in_the_screens_language(qa_url):
    from engagement.qa import listing

    with db.writing(qa_url) as session:
        question = session.scalars(select(Question).where(Question.session_id == panel_1(qa_url))).first()
        if question is None:
            question = Question(session_id=panel_1(qa_url), text="Who funds the shelters?", status="on_screen")
        question.status, question.group_key = "on_screen", "civil_society"
        session.add(question)
    with db.reading(qa_url) as session:
        french = listing.on_screen(session, panel_1(qa_url), "fr-CH")
        default = listing.on_screen(session, panel_1(qa_url))
    assert french.session_title.startswith("Table ronde 1\u00a0:") and french.group_label == "ONG / société civile"
    assert default.session_title.startswith("Panel 1:") and default.group_label == "NGO / civil society"
