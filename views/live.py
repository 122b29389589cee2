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
from engagement.ui import staff, widgets
from engagement.ui.auth import require
from engagement.ui.qa import moderator_name
from engagement.wall import listing as wall_listing
from engagement.wall import moderation as wall_moderation

require("moderator")
event = start()
t = staff.translator()
_ = t.gettext
staff.header(_("Live"), event, t)
REFRESH = "5s"
FEED = 8

with db.reading() as reading:
    collected_networks = analytics.networks(reading)
chosen_networks: list[str] = []
if len(collected_networks) > 1:
    chosen_networks = st.multiselect(
        _("Networks"),
        collected_networks,
        format_func=display.network_label,
        key="live-networks",
        placeholder=_("All networks"),
    )
networks = tuple(chosen_networks) or None
shown_networks = list(networks or collected_networks)


def describe(item, zone: str) -> str:
    # The weekday in the page's language (babel's "EEE"), the times in 24-hour form as before.
    return f"{t.datetime(item.starts_at, zone, 'EEE HH:mm')}–{t.time(item.ends_at, zone, 'HH:mm')}  {item.title}"


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
    badge = _("no data yet") if age is None else _("data {seconds} s old").format(seconds=t.number(round(age)))
    clock = (_("Event time {time} (replay clock)") if replaying else _("Event time {time}")).format(
        time=t.datetime(now, zone, "EEE dd MMM HH:mm")
    )
    if quiet:
        st.warning(
            _("{badge}: the worker has gone quiet. {clock}").format(badge=badge, clock=clock),
            icon=":material/sync_problem:",
        )
    else:
        st.success(_("{badge}. {clock}").format(badge=badge, clock=clock), icon=":material/sync:")

    left, right = st.columns(2)
    left.text(_("Now:  {session}").format(session=describe(current, zone) if current else _("no session")))
    right.text(_("Next: {session}").format(session=describe(upcoming, zone) if upcoming else _("no more sessions")))
    if figures:
        columns = st.columns(6)
        for column, (label, key) in zip(
            columns,
            [
                (_("Posts"), "posts"),
                (_("Unique voices"), "voices"),
                (_("Groups heard"), "groups"),
                (_("Questions pending"), "pending"),
                (_("Approved"), "approved"),
                (_("Answered"), "answered"),
            ],
            strict=True,
        ):
            column.metric(label, t.number(figures[key]))
    if per_network is not None and len(shown_networks) > 1:
        # The session's posts and voices per network, in the networks' order, 0 where none yet.
        found = {row.network: row for row in per_network.itertuples()}
        for column, network in zip(st.columns(len(shown_networks)), shown_networks, strict=True):
            row = found.get(network)
            column.metric(
                _("Posts on {network}").format(network=display.network_label(network)),
                t.number(row.posts if row else 0),
                help=_("{voices} unique voices on {network} this session").format(
                    voices=t.number(row.voices if row else 0), network=display.network_label(network)
                ),
            )
    widgets.chart(
        charts.per_minute(minutes, agenda, zone, window_start, now, t=t),
        minutes,
        "live-per-minute",
        empty=_("No posts in the last two hours."),
    )
    st.subheader(_("Newest posts"))
    newest["time"] = newest["time"].map(lambda at: to_local(at, zone).strftime("%H:%M:%S"))
    if newest.empty:
        st.info(_("No posts yet."))
        return
    # The latest few as plain text blocks (verbatim: st.text renders no markdown), then all as a table.
    newest["kind"] = [
        display.kind_word(kind, network, t) for kind, network in zip(newest["kind"], newest["network"], strict=True)
    ]
    for post in newest.head(FEED).itertuples():
        where = display.network_label(post.network)
        # A Mastodon content warning is shown before the text, as the author asked readers to see it.
        warning = (
            _("CW: {warning}").format(warning=post.content_warning) + "\n"
            if isinstance(post.content_warning, str) and post.content_warning
            else ""
        )
        group = post.group or _("unclassified")  # marked outside the f-string, where pybabel finds it
        st.text(f"{post.time}  {where}  @{post.handle or '?'}  ({group}, {post.kind})\n{warning}{post.text}")
    widgets.table(newest, "live-newest", link_column="link")


board()


# --- The social wall: its mode, announcements, blocked authors, and the queue of posts -------------
# (engagement.wall; the public page is views/wall.py). Every action names the moderator in its audit log.

WALL_ERROR = "wall-error"
WALL_PAGE = 20  # posts drawn at a time in the wall's queue
WALL_TABS = {"incoming": _("Incoming"), "approved": _("Approved"), "pulled": _("Pulled")}
WALL_LABELS = {"approve": _("Approve"), "pull": _("Pull"), "restore": _("Back to incoming")}
WALL_EMPTY = {"incoming": _("No posts incoming."), "approved": _("No posts approved."), "pulled": _("No posts pulled.")}

st.divider()
st.header(_("Social wall"))
st.caption(
    _(
        "Posts from every network reach the public wall (/wall, ?room= or ?session= for one room or session) "
        "only as set here. Pre-moderated: each post needs an approval. Post-moderated: a post appears after "
        "the delay unless the blocklist holds it; pull any post to take it off."
    )
)
wall_left, wall_right = st.columns([2, 1])
with wall_right:
    wall_actor = moderator_name()
with db.reading() as reading:
    wall_mode = wall_moderation.mode(reading)
    wall_delay = wall_moderation.delay_seconds(reading)
with wall_left:
    st.page_link("views/wall.py", label=_("Open the social wall (for a screen)"), icon=":material/dashboard:")
if not wall_actor:
    st.info(_("Type your name to act on the wall: the audit log records who did what."), icon=":material/badge:")


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
        st.session_state[WALL_ERROR] = _("Tick the posts to act on first.")
        return
    with db.writing() as session:
        done, refused = wall_moderation.act_many(session, picked, action, actor)
    for post_id in done:
        st.session_state.pop(f"wall-pick-{post_id}", None)
    if refused:
        st.session_state[WALL_ERROR] = "; ".join(
            _("post {id}: {reason}").format(id=post_id, reason=why) for post_id, why in refused
        )


with st.expander(_("Mode, announcements and blocked authors")):
    with st.form("wall-settings"):
        chosen_mode = st.radio(
            _("Moderation"),
            wall_moderation.MODES,
            index=wall_moderation.MODES.index(wall_mode),
            format_func={
                "pre": _("Pre-moderated (approve each post)"),
                "post": _("Post-moderated (pull after)"),
            }.get,
            horizontal=True,
        )
        chosen_delay = st.number_input(
            _("Delay before a post appears when post-moderated (seconds)"),
            min_value=0,
            max_value=wall_moderation.MAX_DELAY_SECONDS,
            value=wall_delay,
            step=15,
        )
        if st.form_submit_button(_("Save"), key="wall-settings-save", disabled=not wall_actor):
            wall_do(wall_moderation.configure, wall_actor, new_mode=chosen_mode, delay=int(chosen_delay))
            st.rerun()  # the queue's caption and markers follow the new mode
    with st.form("wall-announce", clear_on_submit=True):
        words = st.text_area(_("Announcement (shown between posts)"), max_chars=wall_moderation.MAX_ANNOUNCEMENT_CHARS)
        room = st.text_input(_("Only on the wall of room (empty: every wall)"), max_chars=80)
        if st.form_submit_button(_("Announce"), key="wall-announce-send", disabled=not wall_actor):
            wall_do(wall_moderation.announce, words, wall_actor, room=room)
    with db.reading() as reading:
        announced = wall_listing.active_announcements(reading)
        blocked_authors = wall_listing.blocked(reading)
    for row in announced.itertuples():
        text_column, button_column = st.columns([5, 1])
        room = row.room or _("every wall")
        text_column.text(f"{row.text}  ({room}; {row.by})")
        button_column.button(
            _("Withdraw"),
            key=f"wall-withdraw-{row.id}",
            disabled=not wall_actor,
            on_click=wall_do,
            args=(wall_moderation.withdraw, int(row.id), wall_actor),
        )
    for row in blocked_authors.itertuples():
        text_column, button_column = st.columns([5, 1])
        text_column.text(
            _("Blocked: @{handle} ({network}; {by}) {reason}").format(
                handle=row.handle or "?", network=display.network_label(row.network), by=row.by, reason=row.reason
            )
        )
        button_column.button(
            _("Unblock"),
            key=f"wall-unblock-{row.author}",
            disabled=not wall_actor,
            on_click=wall_do,
            args=(wall_moderation.unblock_author, int(row.author), wall_actor),
        )

wall_tab = (
    st.segmented_control(
        _("Wall queue"), list(WALL_TABS), format_func=WALL_TABS.get, default="incoming", key="wall-tab"
    )
    or "incoming"
)
# The queue's keys are single characters (A, X, and the same with Shift): WCAG 2.1.4 asks that they can
# be turned off, for a speech-input user whose words would press them, or a keyboard user who slips.
shortcuts = st.toggle(
    _("Single-key shortcuts (A, X, Shift+A, Shift+X)"),
    value=True,
    key="wall-shortcuts",
    help=_("Off: the buttons are pressed only with the mouse, or with Tab and Enter."),
)


def wall_card(item, actor: str, first: bool, shown_after) -> None:
    """One post of the queue: verbatim text (st.text), its flags, and the actions its state allows."""
    with st.container(border=True, key=f"wall-post-{item.post_id}"):
        pick, body = st.columns([1, 12])
        pick.checkbox(_("Select"), key=f"wall-pick-{item.post_id}", label_visibility="collapsed", disabled=not actor)
        meta = [
            f"#{item.post_id}",
            display.network_label(item.network),
            f"{item.name} @{item.handle}" if item.handle else item.name,
            item.group_label or _("unclassified"),
            to_local(item.created_at, event.time_zone).strftime("%H:%M:%S"),
            t.ngettext("{n} image, not shown on the wall", "{n} images, not shown on the wall", item.images).format(
                n=t.number(item.images)
            )
            if item.images
            else "",
        ]
        body.text(" · ".join(filter(None, meta)))
        if item.content_warning:
            body.text(_("CW: {warning}").format(warning=item.content_warning))
        body.text(item.text)
        if item.held:
            body.text("⚑ " + _("Held when post-moderated: {reason}").format(reason=item.held))
        if item.author_blocked:
            body.text("⛔ " + _("Its author is blocked from the wall"))
        elif item.status == "approved" or (
            wall_mode == "post" and item.status == "pending" and not item.held and item.created_at <= shown_after
        ):
            body.text("● " + _("On the wall now"))
        if not actor:
            return
        actions = [a for a, (states, _target) in wall_moderation.TRANSITIONS.items() if item.status in states]
        columns = body.columns(len(actions) + 1)
        for column, action in zip(columns, actions, strict=False):
            column.button(
                WALL_LABELS[action],  # Streamlit shows a button's shortcut on the button itself
                key=f"wall-{action}-{item.post_id}",
                type="primary" if action == "approve" else "secondary",
                shortcut=("A" if action == "approve" else "X" if action == "pull" else None)
                if first and shortcuts
                else None,
                on_click=wall_do,
                args=(wall_moderation.act, item.post_id, action, actor),
            )
        if item.author_id is not None and not item.author_blocked:
            columns[-1].button(
                _("Block author"),
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
        (
            _("Mode: pre-moderated.")
            if wall_mode == "pre"
            else _("Mode: post-moderated, {seconds} s delay.").format(seconds=t.number(wall_delay))
        )
        + (
            " " + _("Keys: A approves the first post, X pulls it; Shift+A / Shift+X act on the ticked ones.")
            if shortcuts
            else ""
        )
    )
    if wall_actor and items:
        bulk_approve, bulk_pull, _rest = st.columns([1, 1, 2])
        bulk_approve.button(
            _("Approve ticked"),
            key="wall-bulk-approve",
            shortcut="Shift+A" if shortcuts else None,
            on_click=wall_bulk,
            args=("approve", wall_actor),
        )
        bulk_pull.button(
            _("Pull ticked"),
            key="wall-bulk-pull",
            shortcut="Shift+X" if shortcuts else None,
            on_click=wall_bulk,
            args=("pull", wall_actor),
        )
    if not items:
        st.info(WALL_EMPTY[wall_tab], icon=":material/inbox:")
    for n, item in enumerate(items):
        wall_card(item, wall_actor, n == 0, now - timedelta(seconds=wall_delay))
    st.subheader(_("Recent wall moderation"))
    if not recent.empty:
        recent["at"] = recent["at"].dt.tz_convert(event.time_zone).dt.strftime("%H:%M:%S")
    widgets.table(recent, "wall-audit-recent", empty=_("No wall moderation yet."))


wall_queue()
