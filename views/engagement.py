"""Engagement: headline figures, participation by session, why posts were collected, volume over time,
reach, languages, hashtags."""

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
staff.header(_("Engagement"), event, t)
f = widgets.filters(event)
minutes = st.sidebar.select_slider(_("Time buckets (minutes)"), [5, 15, 30, 60], value=15, key="bucket")


@st.cache_data(ttl=15, show_spinner=False)
def load(url: str, f: analytics.Filters, minutes: int, hashtags: tuple[str, ...]):
    with db.reading(url) as session:
        return (
            analytics.totals(session, f),
            analytics.by_session(session, f),
            analytics.volume(session, f, minutes),
            analytics.sessions(session),
            analytics.reach(session, f),
            analytics.languages(session, f),
            analytics.hashtags(session, list(hashtags), f),
            analytics.by_reason(session, f),
            analytics.by_network(session, f),
        )


totals, by_session, volume, agenda, reach, languages, tags, reasons, networks = load(
    settings.database_url(), f, minutes, tuple(event.hashtags)
)

columns = st.columns(4)
for column, (label, key) in zip(
    columns,
    [
        (_("Collected posts"), "posts"),
        (_("Unique voices"), "voices"),
        (_("Stakeholder groups heard"), "groups"),
        (_("Questions"), "questions"),
    ],
    strict=True,
):
    column.metric(label, t.number(totals[key]))

widgets.chart(
    charts.participation_by_session(by_session, t=t), by_session.drop(columns=["id"]), "participation-by-session"
)
shown = widgets.shown_networks(f)
widgets.chart(
    charts.volume_over_time(volume, agenda, event.time_zone, minutes, shown, t=t),
    volume.assign(kind=volume["kind"].map(lambda kind: display.kind_word(kind, t=t))),
    "volume-over-time",
)
# Why the posts were collected: the hashtag, the organiser addressed without it, the organiser's own.
widgets.chart(
    charts.ranked_bars(
        reasons.assign(reason=reasons["reason"].map(lambda reason: display.reason_label(reason, t))),
        "reason",
        "posts",
        _("Why posts were collected"),
        _("Posts"),
        _("Reason"),
    ),
    reasons,
    "why-collected",
)
if len(networks) > 1:
    widgets.chart(charts.by_network(networks, t=t), networks, "posts-by-network")
st.caption(
    _(
        "The organiser's own posts count in the volume here, but not in who was heard (Stakeholder groups, "
        "Sessions, the report's voice gap): the organiser speaking is not participation."
    )
)

# The figures' names and definitions (analytics.REACH_DEFINITIONS holds the English, for the report).
REACH = {
    "unique contributors": (_("Unique contributors"), _("Accounts with at least one collected post.")),
    "potential reach": (
        _("Potential reach"),
        _(
            "The sum of the followers of the unique contributors: how many accounts could have seen "
            "at least one post. An upper bound; audiences overlap."
        ),
    ),
    "potential impressions": (
        _("Potential impressions"),
        _(
            "The sum, over every post, of its author's followers: how many times posts could "
            "have appeared in timelines. An upper bound."
        ),
    ),
    "impressions": (
        _("Impressions"),
        _("The X API's own count (impression_count), summed over the posts that report it."),
    ),
}
st.subheader(_("Reach and impressions"))
columns = st.columns(4)
for column, (key, (name, _definition)) in zip(columns, REACH.items(), strict=True):
    column.metric(name, t.number(reach[key]))
for name, definition in REACH.values():
    st.caption(_("{name}: {definition}").format(name=name, definition=definition))
st.caption(
    _("Posts reporting impressions: {reporting} of {posts}.").format(
        reporting=t.number(reach["posts reporting impressions"]), posts=t.number(totals["posts"])
    )
)

left, right = st.columns(2)
with left:
    # Codes with no language ("und", "zxx", …) share one name: one bar.
    named = (
        languages.assign(language=languages["language"].map(lambda code: display.language_name(code, t)))
        .groupby("language", as_index=False, sort=False)["posts"]
        .sum()
        .sort_values("posts", ascending=False)
    )
    widgets.chart(
        charts.ranked_bars(named, "language", "posts", _("Languages"), _("Posts"), _("Language")),
        languages,
        "languages",
    )
with right:
    widgets.chart(
        charts.ranked_bars(
            tags, "hashtag", "posts", _("Hashtags used beside the event's"), _("Posts"), _("Hashtag"), charts.ORANGE
        ),
        tags,
        "hashtags",
    )
