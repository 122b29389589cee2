"""Ingest status (organisers): posts per network, each source's state and lag (its last run, how it
ended, its resume point's age, how far behind now a stream is), resume points, rejected records."""

import pandas as pd
import streamlit as st

from engagement import settings
from engagement.analysis import display, live
from engagement.app import start
from engagement.rules import admin
from engagement.storage import db
from engagement.storage.status import database_status
from engagement.ui import staff, widgets
from engagement.ui.auth import require

require("organiser")
event = start()
t = staff.translator()
_ = t.gettext
staff.header(_("Ingest status"), event, t)


@st.cache_data(ttl=5, show_spinner=False)
def load(url: str):
    # Counting a million posts takes PostgreSQL a tenth of a second or more: not on every rerun.
    with db.reading(url) as session:
        return database_status(session), *admin.ingest_overview(session)


status, runs, rejected = load(settings.database_url())
with db.reading() as session:
    age, quiet = live.freshness(session)
columns = st.columns(5)
for column, (label, key) in zip(
    columns,
    [
        (_("Collected posts"), "posts"),
        (_("Context posts"), "context_posts"),
        (_("Authors"), "authors"),
        (_("Questions"), "questions"),
        (_("Rejected records"), "rejected"),
    ],
    strict=True,
):
    column.metric(label, t.number(status[key]))
st.caption(
    _("Last write by the worker: {when}").format(
        when=_("never") if age is None else _("{seconds} s ago").format(seconds=t.number(round(age)))
    )
)
by_platform = status["posts_by_platform"]
if by_platform:
    for column, network in zip(st.columns(max(len(by_platform), 3)), by_platform, strict=False):
        column.metric(
            _("Collected on {network}").format(network=display.network_label(network)),
            t.number(by_platform[network]),
        )

st.subheader(_("Sources"))
st.caption(
    _(
        "Each source's last run and how it ended, and how old its resume point is: a running stream whose "
        "resume point keeps ageing has gone quiet. Behind now: how far the Jetstream resume point is behind "
        "the clock."
    )
)
sources = pd.DataFrame(list(status["sources"].values()))
for column in ("started_at", "ended_at", "checkpoint_at"):
    sources[column] = pd.to_datetime(sources[column], utc=True, format="ISO8601")
sources["network"] = sources["network"].fillna(_("any network"))
widgets.table(sources.drop(columns=["last_error"]), "ingest-sources", empty=_("No source yet."))

st.subheader(_("Last run of each source"))
widgets.table(runs, "ingest-runs", empty=_("Nothing has been ingested yet."))
st.subheader(_("Resume points"))
st.dataframe(
    pd.DataFrame([(k, v) for k, v in status["checkpoints"].items()], columns=["source", "position"]).rename(
        columns=lambda column: display.label(column, t)
    ),
    hide_index=True,
    key="checkpoints",
)
st.subheader(_("Rejected records (newest first)"))
widgets.table(rejected, "rejected-records", empty=_("No record has been rejected."))
