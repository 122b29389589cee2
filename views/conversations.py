"""Conversations between groups: who mentions, replies to, quotes and reposts whom."""

import streamlit as st

from engagement import settings
from engagement.analysis import analytics, charts, display
from engagement.app import start
from engagement.storage import db
from engagement.ui import staff, widgets
from engagement.ui.auth import require

require("moderator")
event = start()
t = staff.translator()
_ = t.gettext
staff.header(_("Conversations"), event, t)
f = widgets.filters(event)
# Interactions in neutral words; "Reposts (retweets)" while X is among the networks shown.
KINDS = {
    "all": _("All interactions"),
    "mention": _("Mentions"),
    "reply": _("Replies"),
    "quote": _("Quotes"),
    # The networks' own words for a repost ("retweets", "boosts") come from display.
    "retweet": display.kind_label("retweet", widgets.shown_networks(f), capital=True, t=t),
}
kind = st.segmented_control(_("Interaction"), list(KINDS), format_func=KINDS.get, default="all", key="interaction")


@st.cache_data(ttl=15, show_spinner=False)
def load(url: str, f: analytics.Filters):
    with db.reading(url) as session:
        return analytics.conversations(session, f), analytics.groups(session)


pairs, groups = load(settings.database_url(), f)
chosen = pairs if kind in (None, "all") else pairs[pairs["kind"] == kind]
title = _("{interactions} between stakeholder groups").format(interactions=KINDS.get(kind or "all"))
# The download names each interaction in neutral words ("repost", not X's "retweet").
widgets.chart(
    charts.group_matrix(chosen, list(groups["label"]), title, t=t),
    chosen.assign(kind=chosen["kind"].map(lambda kind: display.kind_word(kind, t=t))),
    f"conversations-{kind or 'all'}",
)
