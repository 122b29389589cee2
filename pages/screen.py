"""On screen (projector view). The Q&A work fills this page; until then it says so."""

import streamlit as st

from engagement.ui.auth import require

require("moderator")
st.title("On screen")
st.info("The projector view is not built yet: this page is a placeholder until the session Q&A is built.",
        icon=":material/construction:")
