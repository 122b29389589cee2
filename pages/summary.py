"""Post-event summary (organisers). The report work fills this page; until then it says so."""

import streamlit as st

from engagement.ui.auth import require

require("organiser")
st.title("Post-event summary")
st.info("The post-event report and its exports are not built yet: this page is a placeholder. The Analyse "
        "pages show the same figures meanwhile.", icon=":material/construction:")
