"""Ask a question (public, made for a phone): submit to a session, upvote published questions, follow one's own.

Questions, names and affiliations are shown with ``st.text`` only: verbatim, never markdown.
"""

import streamlit as st

from engagement.analysis import analytics, display
from engagement.app import start
from engagement.qa import asking, blocklist, privacy
from engagement.qa.language import LANGUAGE_NAMES
from engagement.qa.limits import Limits, RateLimited
from engagement.storage import db
from engagement.ui import widgets
from engagement.ui.auth import require
from engagement.ui.qa import participant_hash, session_picker

require("participant")
event = start()
widgets.page_header("Ask a question", event, caption=f"{event.name} · questions to the session's chair")
me = participant_hash()
FIELDS = ("ask-text", "ask-name", "ask-affiliation")

# A form keeps the text on a refusal; after a successful submission the fields are emptied here,
# before the widgets are drawn again.
if st.session_state.pop("ask-clear", False):
    for field in FIELDS:
        st.session_state[field] = ""
    st.session_state["ask-consent"] = False
    st.session_state["ask-group"] = None
if message := st.session_state.pop("ask-flash", None):
    st.success(message, icon=":material/check_circle:")

session_id = session_picker("ask-session")
if session_id is None:
    st.stop()


def groups() -> dict[str, str]:
    with db.reading() as session:
        frame = analytics.groups(session)
    return dict(zip(frame["key"], frame["label"], strict=True))


with st.form("ask-form"):
    text = st.text_area(
        "Your question",
        max_chars=asking.MAX_QUESTION_CHARS,
        key="ask-text",
        height=120,
        placeholder="Ask the panel something. Anonymous unless you add your name below.",
    )
    languages = ["auto"] + list(dict.fromkeys(event.languages + list(LANGUAGE_NAMES)))
    language = st.selectbox(
        "Language",
        languages,
        key="ask-language",
        format_func=lambda code: "Detect automatically" if code == "auto" else display.language_name(code),
    )
    with st.expander("Add your name, group or affiliation (optional)"):
        st.text(asking.CONSENT_TEXT)
        name = st.text_input("Name", key="ask-name", max_chars=asking.MAX_NAME_CHARS)
        group_labels = groups()
        group = st.selectbox(
            "Stakeholder group",
            list(group_labels),
            index=None,
            key="ask-group",
            format_func=group_labels.get,
            placeholder="Not stated",
        )
        affiliation = st.text_input("Affiliation", key="ask-affiliation", max_chars=asking.MAX_AFFILIATION_CHARS)
        consent = st.checkbox("I agree that these details are stored with my question", key="ask-consent")
    sent = st.form_submit_button("Send question", type="primary")

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
        st.session_state["ask-flash"] = (
            "Thank you. Your question went to the moderators; it appears below once they publish it."
        )
        st.rerun()
    except (asking.QuestionRefused, RateLimited) as refusal:
        st.error(str(refusal), icon=":material/error:")


def cast_vote(question_id: int) -> None:
    try:
        with db.writing() as session:
            asking.vote(session, question_id=question_id, participant_hash=me, limits=Limits.from_environment())
    except (asking.VoteRefused, RateLimited) as refusal:
        st.session_state["vote-message"] = str(refusal)


@st.fragment(run_every="10s")
def published() -> None:
    st.subheader("Questions in this session")
    order = st.segmented_control(
        "Sort",
        ["votes", "newest"],
        default="votes",
        key="ask-sort",
        format_func={"votes": "Most votes", "newest": "Newest"}.get,
    )
    if message := st.session_state.pop("vote-message", None):
        st.warning(message, icon=":material/info:")
    with db.reading() as session:
        questions = asking.published(session, session_id, me, sort=order or "votes")
    if not questions:
        st.info("No published questions yet. Moderators publish questions as the session goes on.")
    for question in questions:
        with st.container(border=True):
            st.text(question.text)
            byline = ", ".join(filter(None, [question.display_name, question.affiliation]))
            state = "answered" if question.answered else ("on screen now" if question.on_screen else "")
            details = " · ".join(filter(None, [byline, state]))
            if details:
                st.text(details)
            st.button(
                f"{'Voted' if question.voted else 'Upvote'} · {question.votes}",
                key=f"vote-{question.id}",
                icon=":material/thumb_up:",
                disabled=question.voted or question.answered,
                on_click=cast_vote,
                args=(question.id,),
            )


published()


@st.fragment(run_every="10s")
def yours() -> None:
    """One's own questions and their states, kept up to date as moderators act."""
    st.subheader("Your questions")
    with db.reading() as session:
        mine = asking.mine(session, me)
    if not mine:
        st.caption("Questions you send from this browser appear here with their state.")
        return
    for row in mine:
        st.text(f"{row['state']} · {row['votes']} votes · {row['session']}\n{row['question']}")
    with st.popover("Forget me"):
        st.text(
            "This removes your questions and votes from view and from the organisers' exports. The "
            "numbers of questions and votes stay. It cannot be undone."
        )
        if st.button("Yes, forget my questions and votes", key="forget-me"):
            with db.writing() as session:
                privacy.forget(session, me)
            st.session_state["ask-flash"] = "Done: your questions and votes are forgotten."
            st.rerun(scope="app")


yours()
