"""Directory and classification (organisers): known accounts on every network, overrides (one
author on one network), coverage, reclassification."""

import streamlit as st
from babel.numbers import format_percent

from engagement import settings
from engagement.analysis import analytics, display
from engagement.app import start
from engagement.rules import admin
from engagement.rules.classification import network_of, reclassify_in_steps, set_override
from engagement.rules.event import EventConfigError
from engagement.storage import db
from engagement.ui import staff, widgets
from engagement.ui.auth import require

require("organiser")
event = start()
t = staff.translator()
_ = t.gettext
staff.header(_("Directory and classification"), event, t)
# How an author's group was decided (coverage's authors_<source>), as the metrics name it.
DECIDED_BY = {
    "moderator": _("Authors: moderator"),
    "directory": _("Authors: directory"),
    "rule": _("Authors: rule"),
    "unclassified": _("Authors: unclassified"),
}


@st.cache_data(ttl=30, show_spinner=False)
def load_coverage(url: str) -> dict:
    with db.reading(url) as session:
        return analytics.coverage(session)


coverage = load_coverage(settings.database_url())
with db.reading() as session:
    directory = admin.directory_frame(session)
    groups = analytics.groups(session)
# The network each row names an account on, from its shape (read only: the handle decides it).
directory.insert(1, "network", [display.network_label(network_of(h)) for h in directory["handle"]])
columns = st.columns(5)
columns[0].metric(_("Posts from classified authors"), format_percent(coverage["share"], "#,##0.0%", locale=t.locale))
for column, (source, label) in zip(columns[1:], DECIDED_BY.items(), strict=True):
    column.metric(label, t.number(coverage[f"authors_{source}"]))
st.caption(
    _(
        "Order of decision: a moderator's override, then the directory of known accounts, then keyword rules "
        "on names and bios, else unclassified."
    )
)

st.subheader(_("Known accounts"))
st.caption(
    _(
        "An account on X (osce_cthb), Bluesky (a domain handle such as osce.org: it also names every handle "
        "under the domain, such as vienna.osce.org) or Mastodon (user@host). Keyword rules apply on every network."
    )
)
group_keys = list(groups["key"])
widgets.editor_keys(t)
edited = st.data_editor(
    directory,
    num_rows="dynamic",
    hide_index=True,
    key="directory-editor",
    column_config=widgets.editor_config(
        directory,
        group=st.column_config.SelectboxColumn(display.label("group", t), options=group_keys, required=True),
        network=st.column_config.TextColumn(display.label("network", t), disabled=True),
    ),
)
left, right = st.columns(2)
if left.button(_("Save the directory and reclassify"), type="primary", key="save-directory"):
    try:
        with st.spinner(_("Reclassifying authors…")):
            changed = admin.save_directory_and_reclassify(edited)
    except EventConfigError as error:
        st.error(_("Not saved: {reason}").format(reason=error))
    else:
        st.cache_data.clear()
        st.success(
            t.ngettext(
                "Directory saved; {n} author changed group.", "Directory saved; {n} authors changed group.", changed
            ).format(n=t.number(changed))
        )
if right.button(_("Reclassify every author"), key="reclassify"):
    with st.spinner(_("Reclassifying authors…")):
        changed = reclassify_in_steps()
    st.cache_data.clear()
    st.success(
        t.ngettext("{n} author changed group.", "{n} authors changed group.", changed).format(n=t.number(changed))
    )

st.subheader(_("One author"))
query = st.text_input(_("Find an author by handle or name"), key="author-query")
if query.strip():
    with db.reading() as session:
        found = admin.find_authors(session, query)
    if found.empty:
        st.info(_("No author matches."))
    else:
        shown = found.drop(columns=["id"])
        st.dataframe(
            display.for_page(shown, event.time_zone, t),
            hide_index=True,
            key="authors-found",
            column_config=widgets.column_config(shown),
        )
        choice = st.selectbox(
            _("Author"),
            list(found["id"]),
            key="override-author",
            format_func=lambda i: str(found.loc[found["id"] == i, "handle"].iloc[0]),
        )
        labels = dict(zip(groups["key"], groups["label"], strict=True))
        group = st.selectbox(
            _("Group decided by a moderator"),
            [""] + group_keys,
            key="override-group",
            format_func=lambda k: labels.get(k, _("— no override: directory and rules decide —")),
        )
        organisation = st.text_input(_("Organisation (optional)"), key="override-organisation")
        if st.button(_("Apply"), key="apply-override"):
            with db.writing() as session:
                set_override(session, int(choice), group or None, organisation.strip() or None)
            st.cache_data.clear()
            st.success(_("Applied."))
