"""Engagement: headline figures, participation by session, why posts were collected, volume over time,
reach, languages, hashtags."""

import streamlit as st

from engagement import settings
from engagement.analysis import analytics, charts, display
from engagement.app import start
from engagement.storage import db
from engagement.ui import widgets
from engagement.ui.auth import require

require("moderator")
event = start()
widgets.page_header("Engagement", event)
f = widgets.filters(event)
minutes = st.sidebar.select_slider("Time buckets (minutes)", [5, 15, 30, 60], value=15, key="bucket")


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
        ("Collected posts", "posts"),
        ("Unique voices", "voices"),
        ("Stakeholder groups heard", "groups"),
        ("Questions", "questions"),
    ],
    strict=True,
):
    column.metric(label, f"{totals[key]:,}")

widgets.chart(charts.participation_by_session(by_session), by_session.drop(columns=["id"]), "participation-by-session")
shown = widgets.shown_networks(f)
widgets.chart(
    charts.volume_over_time(volume, agenda, event.time_zone, minutes, shown),
    volume.assign(kind=volume["kind"].map(display.kind_word)),
    "volume-over-time",
)
# Why the posts were collected: the hashtag, the organiser addressed without it, the organiser's own.
widgets.chart(
    charts.ranked_bars(
        reasons.assign(reason=reasons["reason"].map(display.reason_label)),
        "reason",
        "posts",
        "Why posts were collected",
        "Posts",
        "Reason",
    ),
    reasons,
    "why-collected",
)
if len(networks) > 1:
    widgets.chart(charts.by_network(networks), networks, "posts-by-network")
st.caption(
    "The organiser's own posts count in the volume here, but not in who was heard (Stakeholder groups, "
    "Sessions, the report's voice gap): the organiser speaking is not participation."
)

st.subheader("Reach and impressions")
columns = st.columns(4)
for column, key in zip(
    columns, ["unique contributors", "potential reach", "potential impressions", "impressions"], strict=True
):
    column.metric(key.capitalize(), f"{reach[key]:,}")
for key, definition in analytics.REACH_DEFINITIONS.items():
    st.caption(f"{key.capitalize()}: {definition}")
st.caption(f"Posts reporting impressions: {reach['posts reporting impressions']:,} of {totals['posts']:,}.")

left, right = st.columns(2)
with left:
    # Codes with no language ("und", "zxx", …) share one name: one bar.
    named = (
        languages.assign(language=languages["language"].map(display.language_name))
        .groupby("language", as_index=False, sort=False)["posts"]
        .sum()
        .sort_values("posts", ascending=False)
    )
    widgets.chart(
        charts.ranked_bars(named, "language", "posts", "Languages", "Posts", "Language"), languages, "languages"
    )
with right:
    widgets.chart(
        charts.ranked_bars(tags, "hashtag", "posts", "Hashtags used beside the event's", "Posts", "Hashtag", "#E69F00"),
        tags,
        "hashtags",
    )
