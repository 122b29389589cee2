"""Entry point of the Streamlit app: ``streamlit run dashboard.py``.

Builds the menu for the person's role. The page files live in ``views/``, not ``pages/``: a ``pages/``
folder beside the entry point puts a freshly started Streamlit server in its legacy mode, whose first
response lists every file of that folder in the sidebar, staff pages included, to whoever comes first.
Each page also checks the role itself (``require``), so a page stays closed even when its file runs
without this entry point.
"""

import streamlit as st

from engagement.app import start
from engagement.ui import auth
from engagement.ui.menu import landing, menu_for

st.set_page_config(page_title="Conference engagement", page_icon=":material/forum:", layout="wide")
start()

role = auth.role()
menu = {
    section: [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path) for p in pages]
    for section, pages in menu_for(role).items()
}
first = next(page for pages in menu.values() for page in pages if page.url_path == landing(role))


def home() -> None:
    st.switch_page(first)


# The default page is served at "/" only, so a real page made default would lose its own path
# (/ask or /live would answer "page not found"). A hidden default that moves on keeps every path.
menu[""] = [
    st.Page(home, title="Home", url_path="home", default=True, visibility="hidden"),
    # The social wall is public (it checks nothing: it shows only what moderators let through) and
    # made for a screen, not a person: reached by its link from the Live page, never in the menu.
    st.Page("views/wall.py", title="Social wall", url_path="wall", visibility="hidden"),
]
st.navigation(menu).run()
