"""Agenda and groups (organisers): edit sessions and stakeholder groups; posts are reattributed at once."""

import streamlit as st

from engagement.analysis import display
from engagement.app import start
from engagement.rules import admin
from engagement.rules.event import EventConfigError
from engagement.storage import db
from engagement.ui import widgets
from engagement.ui.auth import require

require("organiser")
event = start()
widgets.page_header("Agenda and groups", event)

st.subheader("Agenda")
st.caption(
    f"Times in {event.time_zone}. Saving reattributes every stored post. A session that has questions "
    "cannot be removed. To keep the change in the event files, download the CSV into data/agenda.csv."
)
with db.reading() as session:
    agenda = admin.agenda_frame(session, event)
    groups = admin.groups_frame(session)
edited = st.data_editor(
    agenda,
    num_rows="dynamic",
    hide_index=True,
    key="agenda-editor",
    column_config=widgets.editor_config(
        agenda,
        kind=st.column_config.SelectboxColumn(
            display.label("kind"), required=True, options=["plenary", "panel", "side_event", "break"]
        ),
        start=st.column_config.DatetimeColumn(display.label("start"), format="YYYY-MM-DD HH:mm", required=True),
        end=st.column_config.DatetimeColumn(display.label("end"), format="YYYY-MM-DD HH:mm", required=True),
        speakers=st.column_config.TextColumn(
            display.label("speakers"), disabled=True, help="From the programme; set their groups below"
        ),
    ),
)
if st.button("Save the agenda", type="primary", key="save-agenda"):
    try:
        with st.spinner("Moving posts to their sessions…"):
            moved = admin.save_agenda_and_reattribute(event, edited)
    except EventConfigError as error:
        st.error(f"Not saved: {error}")
    else:
        st.cache_data.clear()
        st.success(f"Agenda saved; {moved:,} posts moved to another session.")
widgets.download(
    edited.assign(start=edited["start"].astype(str).str[:16], end=edited["end"].astype(str).str[:16]),
    "agenda",
    "Download as agenda.csv",
    raw=True,
)  # the event file's own columns: read back

st.subheader("Speakers")
with db.reading() as session:
    speakers = admin.speakers_frame(session)
unmatched = int(speakers["group"].isna().sum())
st.caption(
    "Each speaker's group: the one agenda.csv gives (Name (group)), else the one their affiliation names "
    "(the directory's organisations, then its keyword rules). "
    + (f"{unmatched} speaker(s) have none yet: choose one. " if unmatched else "Every speaker has a group. ")
    + "Saved groups go into the agenda download above, to keep in data/agenda.csv."
)
if speakers.empty:
    st.info("No speakers in the agenda. They come with the programme (ingest agenda-import) or agenda.csv.")
else:
    chosen = st.data_editor(
        speakers,
        hide_index=True,
        disabled=["name", "affiliation", "role", "sessions", "decided by"],
        key="speakers-editor",
        column_config=widgets.editor_config(
            speakers,
            group=st.column_config.SelectboxColumn(
                display.label("group"), options=list(groups["key"]), help="The stakeholder group they speak for"
            ),
        ),
    )
    if st.button("Save the speakers' groups", key="save-speakers"):
        choices = admin.speaker_choices(speakers, chosen)
        try:
            with db.writing() as session:
                changed = admin.set_speaker_groups(session, choices)
        except EventConfigError as error:
            st.error(f"Not saved: {error}")
        else:
            st.cache_data.clear()
            st.success(f"Saved: {changed} speaker entr{'y' if changed == 1 else 'ies'} changed.")

st.subheader("Stakeholder groups")
st.caption(
    "Labels, descriptions, order and colours. Keys are referred to by the directory and by stored "
    "authors: add or rename them in data/stakeholder_groups.csv."
)
edited_groups = st.data_editor(
    groups, hide_index=True, disabled=["key"], key="groups-editor", column_config=widgets.editor_config(groups)
)
if st.button("Save the groups", key="save-groups"):
    try:
        with db.writing() as session:
            admin.save_groups(session, edited_groups)
    except EventConfigError as error:
        st.error(f"Not saved: {error}")
    else:
        st.cache_data.clear()
        st.success("Groups saved.")
