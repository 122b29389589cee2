"""Stakeholder groups: who was heard, the most active accounts and the most mentioned."""

import streamlit as st
from babel.numbers import format_percent

from engagement import settings
from engagement.analysis import analytics, charts, layers
from engagement.app import start
from engagement.report import voice
from engagement.storage import db
from engagement.ui import staff, widgets
from engagement.ui.auth import require

require("moderator")
event = start()
t = staff.translator()
_ = t.gettext
staff.header(_("Stakeholder groups"), event, t)
f = widgets.filters(event)


@st.cache_data(ttl=15, show_spinner=False)
def load(url: str, f: analytics.Filters):
    with db.reading(url) as session:
        return (
            analytics.by_group(session, f),
            analytics.top_contributors(session, f),
            analytics.most_mentioned(session, f),
            analytics.coverage(session),
            analytics.by_reason(session, f),
            layers.by_group(session, f, registered(analytics.groups(session))),
            layers.by_session(session, f, posts=False),  # for the observations: the panels only
        )


def registered(taxonomy):
    """data/registrations.csv's counts (key, registered), or None when the event has none."""
    try:
        found = voice.read_registrations(None, taxonomy)
    except voice.RegistrationsError:
        return None
    return found[0] if found else None


by_group, contributors, mentioned, coverage, reasons, heard, heard_by_session = load(settings.database_url(), f)
own = int(reasons.loc[reasons["reason"] == "own", "posts"].sum())
st.caption(
    _(
        "{share} of collected posts come from classified authors; the rest count as General public / unclassified."
    ).format(share=format_percent(coverage["share"], locale=t.locale))
)
widgets.chart(charts.participation_by_group(by_group, t=t), by_group.drop(columns=["colour"]), "participation-by-group")
st.metric(_("The organiser's own posts, not counted above"), t.number(own))
st.caption(
    _(
        "Participation counts participants only: posts by the event's own accounts (event.toml's accounts) "
        "are the organiser speaking, and are counted apart."
    )
)
st.subheader(_("On stage, from the floor, online"))
st.caption(
    _(
        "Each group's share of the speakers (from the programme), of the questions asked, and of the posts, "
        "beside its share of the registrations (data/registrations.csv)."
    )
)
widgets.chart(charts.layers(heard, t=t), heard.drop(columns=["colour"]), "who-was-heard-layers")
observed = layers.observations(heard, heard_by_session, t)
if observed:
    st.text("\n".join(f"• {sentence}" for sentence in observed))  # st.text: titles shown verbatim
left, right = st.columns(2)
with left:
    st.subheader(_("Top contributors"))
    widgets.table(contributors, "top-contributors")
with right:
    widgets.chart(
        charts.ranked_bars(mentioned, "account", "mentions", _("Most mentioned accounts"), _("Mentions"), _("Account")),
        mentioned,
        "most-mentioned",
    )
