"""On screen (projector view): the session's on-screen question, large and verbatim, and nothing else.

Open ``/screen?session=<agenda key>`` on the hall's projector; without ``session``, the session
running now, following the agenda through the day (and, failing that, whichever question was put on
screen last). It follows the
moderators' choice every two seconds. The asker's name shows only when a moderator turns it on.

Our words on it ("Questions will appear here.") are in the page's language (``?lang=``, else the
browser's, else the event's); the question keeps its own: its container carries the detected
language, which the page's script puts on it as ``lang`` with ``dir="auto"``, and the text reads in
its own direction (``unicode-bidi: plaintext``) even before the script runs.
"""

import streamlit as st

from engagement import i18n
from engagement.app import start
from engagement.qa import listing, moderation
from engagement.qa.projector import top_questions
from engagement.storage import db
from engagement.ui import hall
from engagement.ui.auth import require
from engagement.ui.qa import document_language, session_by_key, session_key, translator, user_language_key

require("moderator")
start()
t = translator()
document_language(t.code)

# Our own constant stylesheet (no data in it): hide the app's chrome, make the question readable from
# the back of a hall. The question itself stays in st.text, so it is never rendered as markup.
st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 2vh; max-width: 96vw; }
.st-key-screen-question [data-testid="stText"] div, .st-key-screen-question [data-testid="stText"] {
  font-family: system-ui, sans-serif; font-size: clamp(28px, 4.6vw, 96px); line-height: 1.25;
  white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: plaintext; text-align: start; }
[class*="st-key-screen-meta"] [data-testid="stText"] { font-family: system-ui, sans-serif; font-size: clamp(16px, 2vw, 40px);
  opacity: 0.75; }
</style>""")

wanted = st.query_params.get("session")
# ?aspect=4:3 for an older projector (default 16:9), ?contrast=high for the high-contrast theme.
aspect = st.query_params.get("aspect") if st.query_params.get("aspect") in hall.ASPECTS else "16:9"
hall.projector_style(aspect, contrast=hall.high_contrast(st.query_params.get("contrast")))
join_language = i18n.supported(st.query_params.get("lang"))  # the screen's ?lang=, else none


@st.fragment(run_every="2s")
def projector() -> None:
    # Resolved at each run, not once: without ?session= the screen moves on with the agenda to the
    # session running now (the agenda is read at most every 30 s), as it is left open all day.
    session_id = session_by_key(wanted)
    join_key = session_key(session_id) if session_id is not None else None
    with db.reading() as session:
        question = listing.on_screen(session, session_id, t.code)
        if question is None and not wanted:
            question = listing.on_screen(session, None, t.code)
        attribution = moderation.screen_attribution(session)
        # None on screen: the session's top approved questions by votes, following the votes.
        top = top_questions(session, session_id) if question is None and session_id is not None else []
    main, side = hall.projector_layout(aspect)
    with main:
        with st.container(key="screen-meta"):
            st.text(question.session_title if question else "")
        with st.container(key="screen-question"):
            if question:
                with st.container(key=user_language_key(question.language)):
                    st.text(question.text)
            elif not top:
                st.text(t.gettext("Questions will appear here."))
        if top:
            with st.container(key="screen-top"):
                hall.top_questions_panel(top, t.gettext)
        if question and attribution:
            byline = ", ".join(filter(None, [question.display_name, question.affiliation])) or question.group_label
            if byline:
                with st.container(key="screen-meta-byline"):
                    st.text(f"— {byline}")
    with side, st.container(key="screen-join"):
        hall.join_panel(join_key, join_language, t.gettext)


projector()
