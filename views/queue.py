"""Q&A queue (moderators): incoming → approve / edit / dismiss / follow up; approved → star, order, on screen,
answered, archive; every state restorable; claims and other moderators' actions appear within seconds."""

import streamlit as st

from engagement.analysis import analytics, charts
from engagement.app import start
from engagement.qa import listing, moderation
from engagement.qa.language import LANGUAGE_NAMES  # the languages detection knows
from engagement.storage import db
from engagement.ui import staff, widgets
from engagement.ui.auth import require
from engagement.ui.moderation import ERROR, PANEL, card, notice, panel
from engagement.ui.qa import moderator_name, session_key, session_picker

require("moderator")
event = start()
t = staff.translator()
_ = t.gettext
staff.header(_("Q&A queue"), event, t)
REFRESH = "3s"
PAGE = 40  # cards drawn at a time: a queue of thousands stays quick
TAB_NAMES = {
    "incoming": _("Incoming"),
    "approved": _("Approved"),
    "answered": _("Answered"),
    "dismissed": _("Dismissed"),
    "archived": _("Archived and merged"),
}
# What an empty tab says: in this session, or under the filters.
EMPTY = {
    "incoming": (_("No incoming questions in this session."), _("No incoming questions match the filters.")),
    "approved": (_("No approved questions in this session."), _("No approved questions match the filters.")),
    "answered": (_("No answered questions in this session."), _("No answered questions match the filters.")),
    "dismissed": (_("No dismissed questions in this session."), _("No dismissed questions match the filters.")),
    "archived": (
        _("No archived or merged questions in this session."),
        _("No archived or merged questions match the filters."),
    ),
}

left, right = st.columns([2, 1])
with left:
    session_id = session_picker("queue-session", _("Session"), t)
with right:
    actor = moderator_name()
if session_id is None:
    st.stop()
if not actor:
    st.info(_("Type your name above to act on questions: the audit log records who did what."), icon=":material/badge:")

with db.reading() as session:
    group_frame = analytics.groups(session)
    attribution = moderation.screen_attribution(session)
group_labels = dict(zip(group_frame["key"], group_frame["label"], strict=True)) | {listing.UNSTATED: _("Not stated")}

toggle_column, link_column = st.columns([2, 1])
shown = toggle_column.toggle(
    _("Show the asker's name on the projector"), value=attribution, key="screen-attribution", disabled=not actor
)
# In this tab, so the sign-in carries over; the projector view then follows this session.
link_column.page_link(
    "views/screen.py",
    label=_("Projector view of this session"),
    icon=":material/tv:",
    query_params={"session": session_key(session_id)},
)
if shown != attribution:
    with db.writing() as session:
        moderation.set_screen_attribution(session, shown)

tab = (
    st.segmented_control(_("Queue"), list(TAB_NAMES), format_func=TAB_NAMES.get, default="incoming", key="queue-tab")
    or "incoming"
)
with st.expander(_("Filters")):
    chosen_groups = st.multiselect(
        _("Stakeholder groups"),
        list(group_labels),
        format_func=group_labels.get,
        key="queue-groups",
        placeholder=_("All groups"),
    )
    chosen_languages = st.multiselect(
        _("Languages"),
        list(LANGUAGE_NAMES),
        format_func=t.language_name,
        key="queue-languages",
        placeholder=_("All languages"),
    )
    flagged_only = st.toggle(_("Only questions held by the blocklist"), key="queue-flagged")
    sort = st.selectbox(
        _("Order"),
        ["chair", "votes", "newest", "oldest"],
        key="queue-sort",
        format_func={
            "chair": _("Chair's order (approved: starred, then moved, then votes)"),
            "votes": _("Most votes"),
            "newest": _("Newest first"),
            "oldest": _("Oldest first"),
        }.get,
    )

if PANEL in st.session_state:
    panel(actor, t)


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
        column.metric(TAB_NAMES[name], t.number(sum(counts[s] for s in states)))
    if not items:
        filtered = bool(chosen_groups or chosen_languages or flagged_only)
        st.info(EMPTY[tab][filtered], icon=":material/inbox:")
    for item in items:
        card(item, actor, group_labels, t=t)
    if total > len(items):
        st.caption(_("Showing {shown} of {total}.").format(shown=t.number(len(items)), total=t.number(total)))
        st.button(
            _("Show {n} more").format(n=t.number(PAGE)),
            key="queue-more",
            on_click=lambda: st.session_state.__setitem__("queue-shown", shown + PAGE),
        )

    st.subheader(_("Who is being heard"))
    st.caption(
        _(
            "Each stakeholder group's share of the questions submitted in this session, beside its share of "
            "those approved and answered: a group far below its submitted share has not been heard yet."
        )
    )
    # Its CSV: the group's name, not its key.
    widgets.chart(
        charts.heard(heard, t=t),
        heard.drop(columns=["group"]).rename(columns={"label": "group"}),
        f"heard-{session_id}",
        empty=_("No questions in this session yet."),
    )
    st.subheader(_("Recent moderation"))
    recent["at"] = recent["at"].dt.tz_convert(event.time_zone).dt.strftime("%H:%M:%S") if not recent.empty else []
    widgets.table(recent, f"audit-recent-{session_id}", empty=_("No moderation actions yet in this session."))


board()

with st.expander(_("Exports and the full audit log")):
    # Read when clicked, not on every refresh of the queue.
    widgets.download(
        widgets.read_later(listing.export_frame, session_id),
        f"questions-{session_id}",
        _("Download this session's questions (CSV)"),
    )
    widgets.download(
        widgets.read_later(listing.audit_log, session_id, limit=10_000),
        f"audit-{session_id}",
        _("Download this session's audit log (CSV)"),
    )
