"""Overview: headline figures and participation by session. Untrusted text only in dataframes."""

import streamlit as st

from engagement import db, flags, queries
from engagement.app import start
from engagement.charts import participation_by_session
from engagement.timeutil import to_local, utcnow

event = start()
st.title(event.short_name or "Conference engagement")
st.caption(f"{event.name} · {event.venue} · {event.start_date:%d %b %Y} – {event.end_date:%d %b %Y}")

with db.reading() as session:
    demo = flags.is_demo(session)
    now = flags.now(session)
    numbers = queries.headline(session)
    by_session = queries.participation_by_session(session)
    newest = queries.newest_posts(session, 15, until=now)

if demo:
    st.warning("Demo data: a synthetic collection. Every account and post is invented.", icon=":material/science:")
st.info("The agenda is illustrative: modelled on the concept note, not the published programme.",
        icon=":material/event_note:")

columns = st.columns(4)
for column, (label, key) in zip(columns, [("Collected posts", "posts"), ("Unique voices", "voices"),
                                          ("Stakeholder groups heard", "groups"), ("Questions", "questions")]):
    column.metric(label, f"{numbers[key]:,}")

st.plotly_chart(participation_by_session(by_session), config={"displayModeBar": False})
st.download_button("Participation by session (CSV)", by_session.to_csv(index=False).encode(),
                   "participation_by_session.csv", "text/csv")

st.subheader("Newest posts")
st.caption(f"Event time ({event.time_zone}); clock: {to_local(now, event.time_zone):%a %d %b %H:%M}"
           + (" (replay)" if abs((utcnow() - now).total_seconds()) > 60 else ""))
newest["time"] = newest["time"].map(lambda t: to_local(t, event.time_zone).strftime("%d %b %H:%M"))
st.dataframe(newest, hide_index=True, column_config={"link": st.column_config.LinkColumn("link", display_text="open")})
