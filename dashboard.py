"""Entry point of the Streamlit app: ``streamlit run dashboard.py``.

Builds the menu for the person's role. Each page also checks the role itself (``require``), so a
page stays closed even when its file runs without this entry point (a deep link to a fresh server).
"""

import streamlit as st

from engagement.app import start
from engagement.ui import auth
from engagement.ui.menu import landing, menu_for

st.set_page_config(page_title="Conference engagement", page_icon=":material/forum:", layout="wide")
start()

role = auth.role()
menu = {section: [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path,
                          default=p.url_path == landing(role)) for p in pages]
        for section, pages in menu_for(role).items()}

st.navigation(menu).run()
