"""Directory and classification (organisers): known accounts on every network, overrides (one
author on one network), coverage, reclassification."""

import streamlit as st

from engagement import settings
from engagement.analysis import analytics, display
from engagement.app import start
from engagement.rules import admin
from engagement.rules.classification import network_of, reclassify_in_steps, set_override
from engagement.rules.event import EventConfigError
from engagement.storage import db
from engagement.ui import widgets
from engagement.ui.auth import require

require("organiser")
event = start()
widgets.page_header("Directory and classification", event)


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
columns[0].metric("Posts from classified authors", f"{coverage['share']:.1%}")
for column, source in zip(columns[1:], ["moderator", "directory", "rule", "unclassified"], strict=True):
    column.metric(f"Authors: {source}", f"{coverage[f'authors_{source}']:,}")
st.caption(
    "Order of decision: a moderator's override, then the directory of known accounts, then keyword rules "
    "on names and bios, else unclassified."
)

st.subheader("Known accounts")
st.caption(
    "An account on X (osce_cthb), Bluesky (a domain handle such as osce.org: it also names every handle "
    "under the domain, such as vienna.osce.org) or Mastodon (user@host). Keyword rules apply on every network."
)
group_keys = list(groups["key"])
edited = st.data_editor(
    directory,
    num_rows="dynamic",
    hide_index=True,
    key="directory-editor",
    column_config=widgets.editor_config(
        directory,
        group=st.column_config.SelectboxColumn(display.label("group"), options=group_keys, required=True),
        network=st.column_config.TextColumn(display.label("network"), disabled=True),
    ),
)
left, right = st.columns(2)
if left.button("Save the directory and reclassify", type="primary", key="save-directory"):
    try:
        with st.spinner("Reclassifying authors…"):
            changed = admin.save_directory_and_reclassify(edited)
    except EventConfigError as error:
        st.error(f"Not saved: {error}")
    else:
        st.cache_data.clear()
        st.success(f"Directory saved; {changed:,} authors changed group.")
if right.button("Reclassify every author", key="reclassify"):
    with st.spinner("Reclassifying authors…"):
        changed = reclassify_in_steps()
    st.cache_data.clear()
    st.success(f"{changed:,} authors changed group.")

st.subheader("One author")
query = st.text_input("Find an author by handle or name", key="author-query")
if query.strip():
    with db.reading() as session:
        found = admin.find_authors(session, query)
    if found.empty:
        st.info("No author matches.")
    else:
        shown = found.drop(columns=["id"])
        st.dataframe(
            display.for_page(shown, event.time_zone),
            hide_index=True,
            key="authors-found",
            column_config=widgets.column_config(shown),
        )
        choice = st.selectbox(
            "Author",
            list(found["id"]),
            key="override-author",
            format_func=lambda i: str(found.loc[found["id"] == i, "handle"].iloc[0]),
        )
        labels = dict(zip(groups["key"], groups["label"], strict=True))
        group = st.selectbox(
            "Group decided by a moderator",
            [""] + group_keys,
            key="override-group",
            format_func=lambda k: labels.get(k, "— no override: directory and rules decide —"),
        )
        organisation = st.text_input("Organisation (optional)", key="override-organisation")
        if st.button("Apply", key="apply-override"):
            with db.writing() as session:
                set_override(session, int(choice), group or None, organisation.strip() or None)
            st.cache_data.clear()
            st.success("Applied.")
