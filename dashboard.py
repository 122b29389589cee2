"""Entry point of the Streamlit app: ``streamlit run dashboard.py``."""

import streamlit as st

from engagement.app import start

st.set_page_config(page_title="Conference engagement", page_icon=":material/forum:", layout="wide")
event = start()

pages = {
    "Analyse": [
        st.Page("pages/overview.py", title="Overview", icon=":material/insights:", url_path="overview", default=True),
    ],
}
st.navigation(pages).run()
