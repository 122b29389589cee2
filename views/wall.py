"""The social wall (public, for the hall's screens): moderated posts from every collected network.

Open ``/wall`` on a screen, no sign-in needed; ``?room=<room>`` or ``?session=<agenda key>`` keep it to
one room's or one session's posts; ``?order=rotate`` pages through the latest posts instead of
showing the newest; ``?contrast=high`` is the high-contrast theme; ``?join=0`` leaves out the join panel (the QR code and
short address of the Ask page for the wall's session, or the one running in its room). It shows only what the moderators let
through (``engagement.wall.listing.wall``: nothing held, pulled, hidden, deleted or blocked, and no
staff data), with their announcements between posts and the agenda's "now / next", and follows them
every two seconds. Every text on it is escaped (``engagement.ui.hall``): posts are shown verbatim.
"""

import time

import streamlit as st

from engagement import i18n, settings
from engagement.app import start
from engagement.qa import blocklist
from engagement.storage import db, flags
from engagement.ui import hall
from engagement.ui.auth import require
from engagement.ui.qa import document_language, translator
from engagement.wall import listing

require("participant")  # public: everyone has that role
event = start()
# The wall's own words (now / next, the join panel) in the screen's ?lang=, else the browser's or the
# event's language; posts are shown as written.
t = translator()
document_language(t.code)
params = st.query_params
scope = listing.Scope(room=params.get("room") or None, session_key=params.get("session") or None)
rotating = params.get("order") == "rotate"
joining = params.get("join") not in ("0", "false", "no")
hall.wall_style(contrast=hall.high_contrast(params.get("contrast")))
# Posts at a time: two rows of three, then the announcement: what fits a screen at the sizes read from
# 10 m (hall.py: nine posts showed fewer than two rows above the fold at 1600×900; six, each cut to four
# lines, fit from 1024×768 to 1920×1080).
SHOWN = 6
ROTATE_SECONDS = 12  # a rotating wall's page stays this long: time to read three posts


# One read a second for every screen showing the same wall: a post-moderated read of the demo took
# 20-30 ms (its blocklist pass included), so twenty screens each reading every 2 s would keep a
# quarter of a core busy; shared, they cost one read a second. A change shows within 1 + 2 s.
@st.cache_data(ttl=1, show_spinner=False, max_entries=64)
def read(url: str, wanted: listing.Scope, limit: int):
    with db.reading(url) as session:
        now = flags.now(session)
        items = listing.wall(session, wanted, now, blocklist.load(), limit=limit)
        words = listing.announcements(session, wanted)
        current, upcoming = listing.now_and_next(session, now, wanted)
    return items, words, current, upcoming


@st.fragment(run_every="2s")
def board() -> None:
    items, words, current, upcoming = read(settings.database_url(), scope, SHOWN * (4 if rotating else 1))
    tick = int(time.time() // ROTATE_SECONDS)
    shown = hall.rotation(items, SHOWN, tick) if rotating else items
    posts, side = st.columns([4, 1], gap="large") if joining else (st.container(), None)
    with posts.container(key="wall-board"):
        hall.wall_board(shown, words, current, upcoming, event.time_zone, every=SHOWN, turn=tick, t=t)
    if side is not None:
        # The wall's own session, else the one running in its room (a break takes no questions).
        key = scope.session_key or (current.key if current and current.kind != "break" else None)
        with side.container(key="wall-join"):
            hall.join_panel(key, i18n.supported(params.get("lang")), t.gettext)


board()
