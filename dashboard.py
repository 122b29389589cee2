"""Entry point of the Streamlit app: ``streamlit run dashboard.py``.

Builds the menu for the person's role. Each page also checks the role itself (``require``), so a
page stays closed even when its file runs without this entry point (a deep link to a fresh server).
"""

import streamlit as st

from engagement.app import start
from engagement.ui import auth

st.set_page_config(page_title="Conference engagement", page_icon=":material/forum:", layout="wide")
event = start()

# (section, file, title, icon, url path, minimum role)
PAGES = [
    ("Participate", "pages/ask.py", "Ask a question", ":material/live_help:", "ask", "participant"),
    ("Moderate", "pages/live.py", "Live", ":material/sensors:", "live", "moderator"),
    ("Moderate", "pages/queue.py", "Q&A queue", ":material/checklist:", "queue", "moderator"),
    ("Moderate", "pages/screen.py", "On screen", ":material/tv:", "screen", "moderator"),
    ("Analyse", "pages/engagement.py", "Engagement", ":material/insights:", "engagement", "moderator"),
    ("Analyse", "pages/sessions.py", "Sessions", ":material/event:", "sessions", "moderator"),
    ("Analyse", "pages/groups.py", "Stakeholder groups", ":material/groups:", "groups", "moderator"),
    ("Analyse", "pages/conversations.py", "Conversations", ":material/forum:", "conversations", "moderator"),
    ("Report", "pages/summary.py", "Post-event summary", ":material/summarize:", "summary", "organiser"),
    ("Admin", "pages/agenda.py", "Agenda and groups", ":material/edit_calendar:", "agenda", "organiser"),
    ("Admin", "pages/directory.py", "Directory and classification", ":material/badge:", "directory", "organiser"),
    ("Admin", "pages/ingest_status.py", "Ingest status", ":material/database:", "ingest", "organiser"),
]

landing = "live" if auth.allowed("moderator") else "ask"
menu: dict[str, list] = {}
for section, path, title, icon, url_path, minimum in PAGES:
    if auth.allowed(minimum):
        menu.setdefault(section, []).append(
            st.Page(path, title=title, icon=icon, url_path=url_path, default=url_path == landing))

with st.sidebar:
    if auth.allowed("moderator"):
        st.caption(f"Signed in as {auth.role()}")
        if st.button("Sign out", key="sign-out"):
            auth.sign_out()
            st.rerun()
    else:
        with st.expander("Staff sign-in"):
            auth.sign_in_form("sidebar-sign-in")

st.navigation(menu).run()
