"""Ask a question (public). The Q&A work fills this page; until then it says so."""

import streamlit as st

from engagement import analytics, db
from engagement.app import start
from engagement.ui.auth import require

require("participant")
event = start()
st.title("Ask a question")
st.info("Submitting and upvoting questions is not open yet: this page is a placeholder until the session Q&A "
        "is built.", icon=":material/construction:")
with db.reading() as session:
    agenda = analytics.sessions(session)
st.subheader("Sessions")
st.dataframe(agenda[["title", "kind"]], hide_index=True)
