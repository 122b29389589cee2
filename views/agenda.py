"""Agenda and groups (organisers): edit sessions and stakeholder groups; posts are reattributed at once."""

import streamlit as st

from engagement.analysis import display
from engagement.app import start
from engagement.rules import admin
from engagement.rules.event import EventConfigError
from engagement.storage import db
from engagement.ui import staff, widgets
from engagement.ui.auth import require

require("organiser")
event = start()
t = staff.translator()
_ = t.gettext
staff.header(_("Agenda and groups"), event, t)

st.subheader(_("Agenda"))
st.caption(
    _(
        "Times in {zone}. Saving reattributes every stored post. A session that has questions "
        "cannot be removed. To keep the change in the event files, download the CSV into data/agenda.csv."
    ).format(zone=event.time_zone)
)
with db.reading() as session:
    agenda = admin.agenda_frame(session, event)
    groups = admin.groups_frame(session)
widgets.editor_keys(t)
edited = st.data_editor(
    agenda,
    num_rows="dynamic",
    hide_index=True,
    key="agenda-editor",
    column_config=widgets.editor_config(
        agenda,
        kind=st.column_config.SelectboxColumn(
            display.label("kind", t), required=True, options=["plenary", "panel", "side_event", "break"]
        ),
        start=st.column_config.DatetimeColumn(display.label("start", t), format="YYYY-MM-DD HH:mm", required=True),
        end=st.column_config.DatetimeColumn(display.label("end", t), format="YYYY-MM-DD HH:mm", required=True),
        speakers=st.column_config.TextColumn(
            display.label("speakers", t), disabled=True, help=_("From the programme; set their groups below")
        ),
    ),
)
if st.button(_("Save the agenda"), type="primary", key="save-agenda"):
    try:
        with st.spinner(_("Moving posts to their sessions…")):
            moved = admin.save_agenda_and_reattribute(event, edited)
    except EventConfigError as error:
        st.error(_("Not saved: {reason}").format(reason=error))
    else:
        st.cache_data.clear()
        st.success(
            t.ngettext(
                "Agenda saved; {n} post moved to another session.",
                "Agenda saved; {n} posts moved to another session.",
                moved,
            ).format(n=t.number(moved))
        )
widgets.download(
    edited.assign(start=edited["start"].astype(str).str[:16], end=edited["end"].astype(str).str[:16]),
    "agenda",
    _("Download as agenda.csv"),
    raw=True,
)  # the event file's own columns: read back

st.subheader(_("Speakers"))
with db.reading() as session:
    speakers = admin.speakers_frame(session)
unmatched = int(speakers["group"].isna().sum())
st.caption(
    _(
        "Each speaker's group: the one agenda.csv gives (Name (group)), else the one their affiliation names "
        "(the directory's organisations, then its keyword rules)."
    )
    + " "
    + (
        t.ngettext(
            "{n} speaker has none yet: choose one.", "{n} speakers have none yet: choose one.", unmatched
        ).format(n=t.number(unmatched))
        if unmatched
        else _("Every speaker has a group.")
    )
    + " "
    + _("Saved groups go into the agenda download above, to keep in data/agenda.csv.")
)
if speakers.empty:
    st.info(_("No speakers in the agenda. They come with the programme (ingest agenda-import) or agenda.csv."))
else:
    chosen = st.data_editor(
        speakers,
        hide_index=True,
        disabled=["name", "affiliation", "role", "sessions", "decided by"],
        key="speakers-editor",
        column_config=widgets.editor_config(
            speakers,
            group=st.column_config.SelectboxColumn(
                display.label("group", t), options=list(groups["key"]), help=_("The stakeholder group they speak for")
            ),
        ),
    )
    if st.button(_("Save the speakers' groups"), key="save-speakers"):
        choices = admin.speaker_choices(speakers, chosen)
        try:
            with db.writing() as session:
                changed = admin.set_speaker_groups(session, choices)
        except EventConfigError as error:
            st.error(_("Not saved: {reason}").format(reason=error))
        else:
            st.cache_data.clear()
            st.success(
                t.ngettext("Saved: {n} speaker entry changed.", "Saved: {n} speaker entries changed.", changed).format(
                    n=t.number(changed)
                )
            )

st.subheader(_("Stakeholder groups"))
st.caption(
    _(
        "Labels, descriptions, order and colours. Keys are referred to by the directory and by stored "
        "authors: add or rename them in data/stakeholder_groups.csv."
    )
)
edited_groups = st.data_editor(
    groups, hide_index=True, disabled=["key"], key="groups-editor", column_config=widgets.editor_config(groups)
)
if st.button(_("Save the groups"), key="save-groups"):
    try:
        with db.writing() as session:
            admin.save_groups(session, edited_groups)
    except EventConfigError as error:
        st.error(_("Not saved: {reason}").format(reason=error))
    else:
        st.cache_data.clear()
        st.success(_("Groups saved."))
