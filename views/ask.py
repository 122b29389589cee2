"""Ask a question (public, made for a phone): submit to a session, upvote published questions, follow one's own.

Every word of ours is in the participant's language (``engagement.i18n``: EN, FR, DE, IT, RU, ES),
chosen by ``?lang=``, the picker, the browser or the event. Questions, names and affiliations are
shown verbatim: escaped, each in an element with the question's ``lang`` and ``dir="auto"``
(``user_text``), never as markdown.
"""

import streamlit as st

from engagement.analysis import analytics
from engagement.app import start
from engagement.i18n import N_, explain
from engagement.qa import asking, blocklist, privacy
from engagement.qa.language import LANGUAGE_NAMES
from engagement.qa.limits import Limits, RateLimited
from engagement.rules import translations
from engagement.settings import database_url
from engagement.storage import db
from engagement.timeutil import to_local
from engagement.ui import widgets
from engagement.ui.auth import require
from engagement.ui.qa import (
    USER_TEXT_STYLE,
    document_language,
    held_order,
    language_picker,
    participant_hash,
    session_picker,
    translator,
    user_text,
)

require("participant")
event = start()
t = translator()
_ = t.gettext
document_language(t.code)
st.html(USER_TEXT_STYLE)
widgets.page_header(
    _("Ask a question"),
    event,
    caption=_("{event} · questions to the session's chair").format(event=event.name),
    notes=None,
)
language_picker(t)
if widgets.is_demo_database(database_url()):
    st.info(
        _("Demo data: a synthetic collection. Every account, post and question is invented."), icon=":material/info:"
    )
me = participant_hash()
FIELDS = ("ask-text", "ask-name", "ask-affiliation")

# A form keeps the text on a refusal; after a successful submission the fields are emptied here,
# before the widgets are drawn again.
if st.session_state.pop("ask-clear", False):
    for field in FIELDS:
        st.session_state[field] = ""
    st.session_state["ask-consent"] = False
    st.session_state["ask-group"] = None
# What is kept for the next run is the English message, so that it is shown in the language of that run.
if message := st.session_state.pop("ask-flash", None):
    st.success(_(message), icon=":material/check_circle:")

session_id = session_picker("ask-session", _("Session"), t)
if session_id is None:
    st.stop()


def groups() -> dict[str, str]:
    """The stakeholder groups a participant may name, labelled in their language where the event
    files translate the label."""
    with db.reading() as session:
        frame = analytics.groups(session)
        labels = translations.labels_in(session, t.code)
    return {key: labels.get(key, label) for key, label in zip(frame["key"], frame["label"], strict=True)}


with st.form("ask-form"):
    text = st.text_area(
        _("Your question"),
        max_chars=asking.MAX_QUESTION_CHARS,
        key="ask-text",
        height=120,
        placeholder=_("Ask the panel something. Anonymous unless you add your name below."),
    )
    languages = ["auto"] + list(dict.fromkeys(event.languages + list(LANGUAGE_NAMES)))
    language = st.selectbox(
        _("Language of your question"),
        languages,
        key="ask-language",
        placeholder=_("Choose an option"),
        format_func=lambda code: _("Detect automatically") if code == "auto" else t.language_name(code),
    )
    with st.expander(_("Add your name, group or affiliation (optional)")):
        st.text(_(asking.CONSENT_TEXT))
        name = st.text_input(_("Name"), key="ask-name", max_chars=asking.MAX_NAME_CHARS)
        group_labels = groups()
        group = st.selectbox(
            _("Stakeholder group"),
            list(group_labels),
            index=None,
            key="ask-group",
            format_func=group_labels.get,
            placeholder=_("Not stated"),
        )
        affiliation = st.text_input(_("Affiliation"), key="ask-affiliation", max_chars=asking.MAX_AFFILIATION_CHARS)
        consent = st.checkbox(_("I agree that these details are stored with my question"), key="ask-consent")
    sent = st.form_submit_button(_("Send question"), type="primary")

if sent:
    try:
        with db.writing() as session:
            asked = asking.submit(
                session,
                session_id=session_id,
                text=text,
                participant_hash=me,
                limits=Limits.from_environment(),
                blocklist=blocklist.load(),
                name=name,
                group_key=group,
                affiliation=affiliation,
                consent=consent,
                language=None if language == "auto" else language,
            )
        st.session_state["ask-clear"] = True
        st.session_state["ask-flash"] = N_(
            "Thank you. Your question went to the moderators; it appears below once they publish it."
        )
        st.rerun()
    except (asking.QuestionRefused, RateLimited) as refusal:
        st.error(explain(refusal, t), icon=":material/error:")


def cast_vote(question_id: int) -> None:
    try:
        with db.writing() as session:
            asking.vote(session, question_id=question_id, participant_hash=me, limits=Limits.from_environment())
        st.session_state["vote-counted"] = True
    except (asking.VoteRefused, RateLimited) as refusal:
        st.session_state["vote-message"] = refusal.message


HELD = "ask-held"  # the order of the questions as this reader has them, and for which session and sort


def show_new_questions() -> None:
    st.session_state.pop(HELD, None)


@st.fragment(run_every="10s")
def published() -> None:
    st.subheader(_("Questions in this session"), anchor=False)
    order = st.segmented_control(
        _("Sort"),
        ["votes", "newest"],
        default="votes",
        key="ask-sort",
        format_func={"votes": _("Most votes"), "newest": _("Newest")}.get,
    )
    # Status messages: Streamlit gives st.success and st.info role="status", st.warning role="alert", so a
    # screen reader says them where the reader is; the focus stays on the button pressed. They and the
    # "new questions" control live in containers drawn on every run, empty or not: an element coming or
    # going above the list would shift the list's place in the page, and the browser would draw its
    # buttons anew, dropping the keyboard focus from the button just pressed (seen in CI).
    with st.container(key="ask-vote-status"):
        if message := st.session_state.pop("vote-message", None):
            st.warning(t.text(message), icon=":material/info:")
        elif st.session_state.pop("vote-counted", False):
            st.success(_("Your vote is counted."), icon=":material/check_circle:")
    with db.reading() as session:
        questions = asking.published(session, session_id, me, sort=order or "votes")
    if not questions:
        st.info(_("No published questions yet. Moderators publish questions as the session goes on."))
    # The list refreshes every 10 s; what is already shown keeps its place, newer questions wait behind a
    # button, so nothing moves under a reader (held_order). A change of session or sort shows all anew.
    held = st.session_state.get(HELD)
    view = [session_id, order]
    ids, new = held_order(held["ids"] if held and held["view"] == view else None, [q.id for q in questions])
    st.session_state[HELD] = {"view": view, "ids": ids}
    with st.container(key="ask-new-questions"):
        if new:
            count = t.number(len(new))
            st.info(t.ngettext("{n} new question", "{n} new questions", len(new)).format(n=count))
            st.button(_("Show the new questions"), key="ask-show-new", on_click=show_new_questions)
    by_id = {q.id: q for q in questions}
    for question in (by_id[i] for i in ids):
        with st.container(border=True, key=f"ask-question-{question.id}"):
            user_text(question.text, question.language)
            byline = ", ".join(filter(None, [question.display_name, question.affiliation]))
            if byline:
                user_text(byline, None, "user-text user-byline")
            state = _("answered") if question.answered else (_("on screen now") if question.on_screen else "")
            if state:
                st.caption(state)
            votes = t.number(question.votes)
            st.button(
                (_("Voted · {votes}") if question.voted else _("Upvote · {votes}")).format(votes=votes),
                key=f"vote-{question.id}",
                icon=":material/thumb_up:",
                # A voted button stays enabled: disabling it would drop the keyboard focus to the page's
                # top; a second press is refused with a message ("You have already voted…").
                disabled=question.answered,
                on_click=cast_vote,
                args=(question.id,),
            )


published()


@st.fragment(run_every="10s")
def yours() -> None:
    """One's own questions and their states, kept up to date as moderators act."""
    st.subheader(_("Your questions"), anchor=False)
    with db.reading() as session:
        mine = asking.mine(session, me)
    if not mine:
        st.caption(_("Questions you send from this browser appear here with their state."))
        return
    for row in mine:
        votes = t.ngettext("{n} vote", "{n} votes", row["votes"]).format(n=t.number(row["votes"]))
        asked_at = t.time(to_local(row["asked_at"], event.time_zone))
        st.text(f"{_(row['state'])} · {asked_at} · {votes} · {row['session']}")
        user_text(row["question"], row["language"])
    with st.popover(_("Forget me")):
        st.text(
            _(
                "This removes your questions and votes from view and from the organisers' exports. The "
                "numbers of questions and votes stay. It cannot be undone."
            )
        )
        if st.button(_("Yes, forget my questions and votes"), key="forget-me"):
            with db.writing() as session:
                privacy.forget(session, me)
            st.session_state["ask-flash"] = N_("Done: your questions and votes are forgotten.")
            st.rerun(scope="app")


yours()
