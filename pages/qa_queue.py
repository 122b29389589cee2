"""Q&A queue (moderators). The Q&A work fills this page; until then it says so and lists the questions."""

import streamlit as st

from engagement import db, queries
from engagement.ui.auth import require

require("moderator")
st.title("Q&A queue")
st.info("The moderation workflow (approve, dismiss, on screen, answered) is not built yet: this page is a "
        "placeholder. Below, read-only, the newest 500 questions as imported.", icon=":material/construction:")
with db.reading() as session:
    questions = queries.questions_by_status(session)
st.dataframe(questions, hide_index=True)
