"""Live (moderators): the session now and next, its figures, posts per minute, the newest posts.

Refreshes itself every few seconds. The clock is the replay's while a demo is replayed. With more
than one network collected, a network filter narrows every figure, the chart and the feed, and the
session's posts and voices are shown per network, each network in its one colour and label.
"""

from datetime import timedelta

import streamlit as st

from engagement.analysis import analytics, charts, display, live, queries
from engagement.app import start
from engagement.storage import db, flags
from engagement.timeutil import to_local
from engagement.ui import widgets
from engagement.ui.auth import require

require("moderator")
event = start()
widgets.page_header("Live", event)
REFRESH = "5s"
FEED = 8

with db.reading() as reading:
    collected_networks = analytics.networks(reading)
chosen_networks: list[str] = []
if len(collected_networks) > 1:
    chosen_networks = st.multiselect(
        "Networks",
        collected_networks,
        format_func=display.network_label,
        key="live-networks",
        placeholder="All networks",
    )
networks = tuple(chosen_networks) or None
shown_networks = list(networks or collected_networks)


def describe(item, zone: str) -> str:
    return f"{to_local(item.starts_at, zone):%a %H:%M}–{to_local(item.ends_at, zone):%H:%M}  {item.title}"


@st.fragment(run_every=REFRESH)
def board() -> None:
    with db.reading() as session:
        now = flags.now(session)
        current, upcoming = live.now_and_next(session, now)
        figures = live.session_figures(session, current.id, now, networks) if current else None
        per_network = live.session_by_network(session, current.id, now, networks) if current else None
        window_start = now - timedelta(hours=2)
        minutes = live.per_minute(session, window_start, now, networks)
        agenda = analytics.sessions(session, include_breaks=False)
        newest = queries.newest_posts(session, 20, until=now, networks=networks)
        age, quiet = live.freshness(session)
        replaying = flags.get(session, flags.REPLAY_CLOCK) is not None

    zone = event.time_zone
    badge = "no data yet" if age is None else f"data {age:,.0f} s old"
    clock = f"Event time {to_local(now, zone):%a %d %b %H:%M}" + (" (replay clock)" if replaying else "")
    if quiet:
        st.warning(f"{badge}: the worker has gone quiet. {clock}", icon=":material/sync_problem:")
    else:
        st.success(f"{badge}. {clock}", icon=":material/sync:")

    left, right = st.columns(2)
    left.text("Now:  " + (describe(current, zone) if current else "no session"))
    right.text("Next: " + (describe(upcoming, zone) if upcoming else "no more sessions"))
    if figures:
        columns = st.columns(6)
        for column, (label, key) in zip(
            columns,
            [
                ("Posts", "posts"),
                ("Unique voices", "voices"),
                ("Groups heard", "groups"),
                ("Questions pending", "pending"),
                ("Approved", "approved"),
                ("Answered", "answered"),
            ],
            strict=True,
        ):
            column.metric(label, f"{figures[key]:,}")
    if per_network is not None and len(shown_networks) > 1:
        # The session's posts and voices per network, in the networks' order, 0 where none yet.
        found = {row.network: row for row in per_network.itertuples()}
        for column, network in zip(st.columns(len(shown_networks)), shown_networks, strict=True):
            row = found.get(network)
            column.metric(
                f"Posts on {display.network_label(network)}",
                f"{row.posts if row else 0:,}",
                help=f"{row.voices if row else 0:,} unique voices on {display.network_label(network)} this session",
            )
    widgets.chart(
        charts.per_minute(minutes, agenda, zone, window_start, now),
        minutes,
        "live-per-minute",
        empty="No posts in the last two hours.",
    )
    st.subheader("Newest posts")
    newest["time"] = newest["time"].map(lambda t: to_local(t, zone).strftime("%H:%M:%S"))
    if newest.empty:
        st.info("No posts yet.")
        return
    # The latest few as plain text blocks (verbatim: st.text renders no markdown), then all as a table.
    newest["kind"] = [
        display.kind_word(kind, network) for kind, network in zip(newest["kind"], newest["network"], strict=True)
    ]
    for post in newest.head(FEED).itertuples():
        where = display.network_label(post.network)
        st.text(
            f"{post.time}  {where}  @{post.handle or '?'}  ({post.group or 'unclassified'}, {post.kind})\n{post.text}"
        )
    widgets.table(newest, "live-newest", link_column="link")


board()
