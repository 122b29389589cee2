"""Live (moderators): the session now and next, its figures, posts per minute, the newest posts; and
the social wall's queue, its mode and announcements.

Refreshes itself every few seconds. The clock is the replay's while a demo is replayed. With more
than one network collected, a network filter narrows every figure, the chart and the feed, and the
session's posts and voices are shown per network, each network in its one colour and label.
"""

from datetime import timedelta

import streamlit as st

from engagement.analysis import analytics, charts, display, live, queries
from engagement.app import start
from engagement.qa import blocklist
from engagement.qa.asking import QuestionRefused
from engagement.qa.states import IllegalTransition
from engagement.storage import db, flags
from engagement.timeutil import to_local
from engagement.ui import widgets
from engagement.ui.auth import require
from engagement.ui.qa import moderator_name
from engagement.wall import listing as wall_listing
from engagement.wall import moderation as wall_moderation

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
        # A Mastodon content warning is shown before the text, as the author asked readers to see it.
        warning = (
            f"CW: {post.content_warning}\n" if isinstance(post.content_warning, str) and post.content_warning else ""
        )
        st.text(
            f"{post.time}  {where}  @{post.handle or '?'}  ({post.group or 'unclassified'}, {post.kind})\n"
            f"{warning}{post.text}"
        )
    widgets.table(newest, "live-newest", link_column="link")


board()


# --- The social wall: its mode, announcements, blocked authors, and the queue of posts -------------
# (engagement.wall; the public page is views/wall.py). Every action names the moderator in its audit log.

WALL_ERROR = "wall-error"
WALL_PAGE = 20  # posts drawn at a time in the wall's queue
WALL_TABS = {"incoming": "Incoming", "approved": "Approved", "pulled": "Pulled"}
WALL_LABELS = {"approve": "Approve", "pull": "Pull", "restore": "Back to incoming"}

st.divider()
st.header("Social wall")
st.caption(
    "Posts from every network reach the public wall (/wall, ?room= or ?session= for one room or session) "
    "only as set here. Pre-moderated: each post needs an approval. Post-moderated: a post appears after "
    "the delay unless the blocklist holds it; pull any post to take it off."
)
wall_left, wall_right = st.columns([2, 1])
with wall_right:
    wall_actor = moderator_name()
with db.reading() as reading:
    wall_mode = wall_moderation.mode(reading)
    wall_delay = wall_moderation.delay_seconds(reading)
with wall_left:
    st.page_link("views/wall.py", label="Open the social wall (for a screen)", icon=":material/dashboard:")
if not wall_actor:
    st.info("Type your name to act on the wall: the audit log records who did what.", icon=":material/badge:")


def wall_do(what, *args, **options) -> None:
    """Run one wall action in its own write transaction; a refusal is kept to be shown, verbatim."""
    try:
        with db.writing() as session:
            what(session, *args, **options)
    except (IllegalTransition, QuestionRefused, ValueError) as error:
        st.session_state[WALL_ERROR] = str(error)


def wall_bulk(action: str, actor: str) -> None:
    picked = [
        int(key.removeprefix("wall-pick-"))
        for key, on in st.session_state.items()
        if str(key).startswith("wall-pick-") and on
    ]
    if not picked:
        st.session_state[WALL_ERROR] = "Tick the posts to act on first."
        return
    with db.writing() as session:
        done, refused = wall_moderation.act_many(session, picked, action, actor)
    for post_id in done:
        st.session_state.pop(f"wall-pick-{post_id}", None)
    if refused:
        st.session_state[WALL_ERROR] = "; ".join(f"post {post_id}: {why}" for post_id, why in refused)


with st.expander("Mode, announcements and blocked authors"):
    with st.form("wall-settings"):
        chosen_mode = st.radio(
            "Moderation",
            wall_moderation.MODES,
            index=wall_moderation.MODES.index(wall_mode),
            format_func={"pre": "Pre-moderated (approve each post)", "post": "Post-moderated (pull after)"}.get,
            horizontal=True,
        )
        chosen_delay = st.number_input(
            "Delay before a post appears when post-moderated (seconds)",
            min_value=0,
            max_value=wall_moderation.MAX_DELAY_SECONDS,
            value=wall_delay,
            step=15,
        )
        if st.form_submit_button("Save", disabled=not wall_actor):
            wall_do(wall_moderation.configure, wall_actor, new_mode=chosen_mode, delay=int(chosen_delay))
            st.rerun()  # the queue's caption and markers follow the new mode
    with st.form("wall-announce", clear_on_submit=True):
        words = st.text_area("Announcement (shown between posts)", max_chars=wall_moderation.MAX_ANNOUNCEMENT_CHARS)
        room = st.text_input("Only on the wall of room (empty: every wall)", max_chars=80)
        if st.form_submit_button("Announce", disabled=not wall_actor):
            wall_do(wall_moderation.announce, words, wall_actor, room=room)
    with db.reading() as reading:
        announced = wall_listing.active_announcements(reading)
        blocked_authors = wall_listing.blocked(reading)
    for row in announced.itertuples():
        text_column, button_column = st.columns([5, 1])
        text_column.text(f"{row.text}  ({row.room or 'every wall'}; {row.by})")
        button_column.button(
            "Withdraw",
            key=f"wall-withdraw-{row.id}",
            disabled=not wall_actor,
            on_click=wall_do,
            args=(wall_moderation.withdraw, int(row.id), wall_actor),
        )
    for row in blocked_authors.itertuples():
        text_column, button_column = st.columns([5, 1])
        text_column.text(f"Blocked: @{row.handle or '?'} ({display.network_label(row.network)}; {row.by}) {row.reason}")
        button_column.button(
            "Unblock",
            key=f"wall-unblock-{row.author}",
            disabled=not wall_actor,
            on_click=wall_do,
            args=(wall_moderation.unblock_author, int(row.author), wall_actor),
        )

wall_tab = (
    st.segmented_control("Wall queue", list(WALL_TABS), format_func=WALL_TABS.get, default="incoming", key="wall-tab")
    or "incoming"
)


def wall_card(item, actor: str, first: bool, shown_after) -> None:
    """One post of the queue: verbatim text (st.text), its flags, and the actions its state allows."""
    with st.container(border=True, key=f"wall-post-{item.post_id}"):
        pick, body = st.columns([1, 12])
        pick.checkbox("Select", key=f"wall-pick-{item.post_id}", label_visibility="collapsed", disabled=not actor)
        meta = [
            f"#{item.post_id}",
            display.network_label(item.network),
            f"{item.name} @{item.handle}" if item.handle else item.name,
            item.group_label or "unclassified",
            to_local(item.created_at, event.time_zone).strftime("%H:%M:%S"),
            f"{item.images} image(s), not shown on the wall" if item.images else "",
        ]
        body.text(" · ".join(filter(None, meta)))
        if item.content_warning:
            body.text(f"CW: {item.content_warning}")
        body.text(item.text)
        if item.held:
            body.text(f"⚑ Held when post-moderated: {item.held}")
        if item.author_blocked:
            body.text("⛔ Its author is blocked from the wall")
        elif item.status == "approved" or (
            wall_mode == "post" and item.status == "pending" and not item.held and item.created_at <= shown_after
        ):
            body.text("● On the wall now")
        if not actor:
            return
        actions = [a for a, (states, _) in wall_moderation.TRANSITIONS.items() if item.status in states]
        columns = body.columns(len(actions) + 1)
        for column, action in zip(columns, actions, strict=False):
            column.button(
                WALL_LABELS[action],  # Streamlit shows a button's shortcut on the button itself
                key=f"wall-{action}-{item.post_id}",
                type="primary" if action == "approve" else "secondary",
                shortcut=("A" if action == "approve" else "X" if action == "pull" else None) if first else None,
                on_click=wall_do,
                args=(wall_moderation.act, item.post_id, action, actor),
            )
        if item.author_id is not None and not item.author_blocked:
            columns[-1].button(
                "Block author",
                key=f"wall-block-{item.post_id}",
                on_click=wall_do,
                args=(wall_moderation.block_author, item.author_id, actor),
            )


@st.fragment(run_every="3s")
def wall_queue() -> None:
    if message := st.session_state.pop(WALL_ERROR, None):
        with st.container(border=True):
            st.text(f"⚠ {message}")
    with db.reading() as session:
        now = flags.now(session)
        counts = wall_listing.counts(session, now)
        items = wall_listing.queue(session, now, blocklist.load(), wall_tab, limit=WALL_PAGE)
        recent = wall_listing.audit_log(session, limit=8)
    for column, (tab, label) in zip(st.columns(len(WALL_TABS)), WALL_TABS.items(), strict=True):
        capped = tab == "incoming" and counts[tab] >= wall_listing.COUNT_CAP
        column.metric(label, f"{counts[tab]:,}" + ("+" if capped else ""))
    st.caption(
        f"Mode: {'pre' if wall_mode == 'pre' else 'post'}-moderated"
        + (f", {wall_delay} s delay" if wall_mode == "post" else "")
        + ". Keys: A approves the first post, X pulls it; Shift+A / Shift+X act on the ticked ones."
    )
    if wall_actor and items:
        bulk_approve, bulk_pull, _ = st.columns([1, 1, 2])
        bulk_approve.button(
            "Approve ticked",
            key="wall-bulk-approve",
            shortcut="Shift+A",
            on_click=wall_bulk,
            args=("approve", wall_actor),
        )
        bulk_pull.button(
            "Pull ticked",
            key="wall-bulk-pull",
            shortcut="Shift+X",
            on_click=wall_bulk,
            args=("pull", wall_actor),
        )
    if not items:
        st.info(f"No posts {WALL_TABS[wall_tab].lower()}.", icon=":material/inbox:")
    for n, item in enumerate(items):
        wall_card(item, wall_actor, n == 0, now - timedelta(seconds=wall_delay))
    st.subheader("Recent wall moderation")
    if not recent.empty:
        recent["at"] = recent["at"].dt.tz_convert(event.time_zone).dt.strftime("%H:%M:%S")
    widgets.table(recent, "wall-audit-recent", empty="No wall moderation yet.")


wall_queue()
