"""Entry point of the Streamlit app: ``streamlit run dashboard.py``.

Builds the menu for the person's role. The page files live in ``views/``, not ``pages/``: a ``pages/``
folder beside the entry point puts a freshly started Streamlit server in its legacy mode, whose first
response lists every file of that folder in the sidebar, staff pages included, to whoever comes first.
Each page also checks the role itself (``require``), so a page stays closed even when its file runs
without this entry point.

The menu's sections and page names, and the browser tab's title, are in the page's language
(``engagement.ui.qa.language``: ``?lang=``, the choice, the browser, the event); the staff catalog
holds the staff pages' names and falls back to the participant's for the others. The move from ``/``
to the first page keeps the query (``/?lang=fr`` lands on ``/ask?lang=fr``).
"""

import streamlit as st

from engagement import i18n
from engagement.app import start
from engagement.i18n import N_
from engagement.ui import auth, hall, qa
from engagement.ui.menu import PAGES, landing, menu_for

APP_TITLE = N_("Conference engagement")
t = i18n.translator(qa.language(), i18n.STAFF)
# The tab's icon is a data URI: a ":material/…:" one is fetched from Google's font host (hall.PAGE_ICON).
st.set_page_config(page_title=t.gettext(APP_TITLE), page_icon=hall.PAGE_ICON, layout="wide")
start()

role = auth.role()
menu = {
    t.gettext(section): [st.Page(p.path, title=t.gettext(p.title), icon=p.icon, url_path=p.url_path) for p in pages]
    for section, pages in menu_for(role).items()
}
first = next(page for pages in menu.values() for page in pages if page.url_path == landing(role))


def home() -> None:
    # st.switch_page drops the query unless it is passed on: /?lang=fr would land on an English /ask.
    st.switch_page(first, query_params=st.query_params.to_dict())


# The default page is served at "/" only, so a real page made default would lose its own path
# (/ask or /live would answer "page not found"). A hidden default that moves on keeps every path.
menu[""] = [
    st.Page(home, title=t.gettext(N_("Home")), url_path="home", default=True, visibility="hidden"),
    # The social wall is public (it checks nothing: it shows only what moderators let through) and
    # made for a screen, not a person: reached by its link from the Live page, never in the menu.
    st.Page("views/wall.py", title=t.gettext(N_("Social wall")), url_path="wall", visibility="hidden"),
]
# Every other page at its own address too, hidden from this role's menu: a participant following a
# staff link (/live?lang=ru) gets the page's own sign-in, in their language (``auth.require``), not
# Streamlit's English "Page not found". Each page checks the role itself before it shows anything.
shown = {page.url_path for pages in menu.values() for page in pages}
menu[""] += [
    st.Page(p.path, title=t.gettext(p.title), icon=p.icon, url_path=p.url_path, visibility="hidden")
    for p in PAGES
    if p.url_path not in shown
]
page = st.navigation(menu)
# The tab names the page, then the app (the page's own title alone would lose which app it is).
st.set_page_config(page_title=f"{page.title} · {t.gettext(APP_TITLE)}")
qa.accessible_style()  # the app-wide accessibility fixes (docs/accessibility.md), on every page
page.run()
