"""Q&A queue (moderators): incoming → approve / edit / dismiss / follow up; approved → star, order, on screen,
answered, archive; every state restorable; claims and other moderators' actions appear within seconds."""

import streamlit as st

from engagement.analysis import analytics, charts, display
from engagement.app import start
from engagement.qa import listing, moderation
from engagement.qa.language import LANGUAGE_NAMES  # the languages detection knows
from engagement.storage import db
from engagement.ui import widgets
from engagement.ui.auth import require
from engagement.ui.moderation import ERROR, PANEL, card, notice, panel
from engagement.ui.qa import moderator_name, session_key, session_picker

require("moderator")
event = start()
widgets.page_header("Q&A queue", event)
REFRESH = "3s"
PAGE = 40  # cards drawn at a time: a queue of thousands stays quick
TAB_NAMES = {
    "incoming": "Incoming",
    "approved": "Approved",
    "answered": "Answered",
    "dismissed": "Dismissed",
    "archived": "Archived and merged",
}

left, right = st.columns([2, 1])
with left:
    session_id = session_picker("queue-session")
with right:
    actor = moderator_name()
if session_id is None:
    st.stop()
if not actor:
    st.info("Type your name above to act on questions: the audit log records who did what.", icon=":material/badge:")

with db.reading() as session:
    group_frame = analytics.groups(session)
    attribution = moderation.screen_attribution(session)
group_labels = dict(zip(group_frame["key"], group_frame["label"], strict=True)) | {listing.UNSTATED: "Not stated"}

toggle_column, link_column = st.columns([2, 1])
shown = toggle_column.toggle(
    "Show the asker's name on the projector", value=attribution, key="screen-attribution", disabled=not actor
)
# In this tab, so the sign-in carries over; the projector view then follows this session.
link_column.page_link(
    "views/screen.py",
    label="Projector view of this session",
    icon=":material/tv:",
    query_params={"session": session_key(session_id)},
)
if shown != attribution:
    with db.writing() as session:
        moderation.set_screen_attribution(session, shown)

tab = (
    st.segmented_control("Queue", list(TAB_NAMES), format_func=TAB_NAMES.get, default="incoming", key="queue-tab")
    or "incoming"
)
with st.expander("Filters"):
    chosen_groups = st.multiselect(
        "Stakeholder groups",
        list(group_labels),
        format_func=group_labels.get,
        key="queue-groups",
        placeholder="All groups",
    )
    chosen_languages = st.multiselect(
        "Languages",
        list(LANGUAGE_NAMES),
        format_func=display.language_name,
        key="queue-languages",
        placeholder="All languages",
    )
    flagged_only = st.toggle("Only questions held by the blocklist", key="queue-flagged")
    sort = st.selectbox(
        "Order",
        ["chair", "votes", "newest", "oldest"],
        key="queue-sort",
        format_func={
            "chair": "Chair's order (approved: starred, then moved, then votes)",
            "votes": "Most votes",
            "newest": "Newest first",
            "oldest": "Oldest first",
        }.get,
    )

if PANEL in st.session_state:
    panel(actor)


@st.fragment(run_every=REFRESH)
def board() -> None:
    if message := st.session_state.pop(ERROR, None):
        notice(message)
    shown = st.session_state.get("queue-shown", PAGE)
    chosen = dict(groups=tuple(chosen_groups), languages=tuple(chosen_languages), flagged_only=flagged_only)
    with db.reading() as session:
        counts = listing.counts(session, session_id)
        items = listing.queue(session, session_id, tab, sort=sort, limit=shown, **chosen)
        total = listing.queue_size(session, session_id, tab, **chosen)
        heard = listing.heard(session, session_id)
        recent = listing.audit_log(session, session_id, limit=8)
    columns = st.columns(len(TAB_NAMES))
    for column, (name, states) in zip(columns, listing.TABS.items(), strict=True):
        column.metric(TAB_NAMES[name], sum(counts[s] for s in states))
    if not items:
        st.info(
            f"No {TAB_NAMES[tab].lower()} questions"
            + (" match the filters." if chosen_groups or chosen_languages or flagged_only else " in this session."),
            icon=":material/inbox:",
        )
    for item in items:
        card(item, actor, group_labels)
    if total > len(items):
        st.caption(f"Showing {len(items)} of {total:,}.")
        st.button(
            f"Show {PAGE} more",
            key="queue-more",
            on_click=lambda: st.session_state.__setitem__("queue-shown", shown + PAGE),
        )

    st.subheader("Who is being heard")
    st.caption(
        "Each stakeholder group's share of the questions submitted in this session, beside its share of "
        "those approved and answered: a group far below its submitted share has not been heard yet."
    )
    # Its CSV: the group's name, not its key.
    widgets.chart(
        charts.heard(heard),
        heard.drop(columns=["group"]).rename(columns={"label": "group"}),
        f"heard-{session_id}",
        empty="No questions in this session yet.",
    )
    st.subheader("Recent moderation")
    recent["at"] = recent["at"].dt.tz_convert(event.time_zone).dt.strftime("%H:%M:%S") if not recent.empty else []
    widgets.table(recent, f"audit-recent-{session_id}", empty="No moderation actions yet in this session.")


board()

with st.expander("Exports and the full audit log"):
    # Read when clicked, not on every refresh of the queue.
    widgets.download(
        widgets.read_later(listing.export_frame, session_id),
        f"questions-{session_id}",
        "Download this session's questions (CSV)",
    )
    widgets.download(
        widgets.read_later(listing.audit_log, session_id, limit=10_000),
        f"audit-{session_id}",
        "Download this session's audit log (CSV)",
    )
