"""Sessions: who took part in each session, by stakeholder group, and the posts most reposted (each with its network)."""

import streamlit as st

from engagement import settings
from engagement.analysis import analytics, charts, layers
from engagement.app import start
from engagement.storage import db
from engagement.ui import staff, widgets
from engagement.ui.auth import require

require("moderator")
event = start()
t = staff.translator()
_ = t.gettext
staff.header(
    _("Sessions"),
    event,
    t,
    notes=[_("The agenda is illustrative: modelled on the concept note, not the published programme.")],
)
f = widgets.filters(event)


@st.cache_data(ttl=15, show_spinner=False)
def load(url: str, f: analytics.Filters):
    with db.reading(url) as session:
        return (
            analytics.by_session(session, f),
            analytics.session_by_group(session, f),
            analytics.groups(session),
            analytics.most_retweeted(session, f),
            layers.by_session(session, f),
        )


by_session, heat, groups, shared, heard = load(settings.database_url(), f)
widgets.table(by_session.drop(columns=["id"]), "sessions")
order = list(by_session["session"])
widgets.chart(charts.session_group_heatmap(heat, order, list(groups["label"]), t=t), heat, "session-by-group")
st.subheader(_("On stage, from the floor, online: each session by group"))
st.caption(
    _(
        "Per session and group: speakers on the panel (from the programme), questions asked in the session, "
        "posts during it. The Stakeholder groups page sets them beside the registrations."
    )
)
widgets.table(heard.drop(columns=["session_id", "key"]), "sessions-who-was-heard")
st.subheader(_("Most reposted posts"))
widgets.table(shared, "most-retweeted", link_column="link")
