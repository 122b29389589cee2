"""Filters, downloads and empty states shared by the Analyse pages. Untrusted text only ever goes
into dataframe cells or ``st.text``; never markdown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time as clock_time, timedelta

import pandas as pd
import streamlit as st

from .. import analytics, db, exports, settings
from ..event import EventConfig
from ..timeutil import to_local, to_utc

KIND_LABELS = {"original": "Originals", "retweet": "Retweets", "reply": "Replies", "quote": "Quotes"}


@st.cache_data(ttl=30, show_spinner=False)
def _options(url: str) -> dict:
    with db.reading(url) as session:
        options = analytics.filter_options(session)
        options["sessions"] = analytics.sessions(session)
        options["groups"] = analytics.groups(session)
    return options


def filters(event: EventConfig) -> analytics.Filters:
    """The sidebar filters: time range, sessions, groups, kinds, languages."""
    options = _options(settings.database_url())
    sidebar = st.sidebar
    sidebar.header("Filters")
    first = to_local(options["first"], event.time_zone).date() if options["first"] else event.start_date
    last = to_local(options["last"], event.time_zone).date() if options["last"] else event.end_date
    start_day = min(first, event.start_date)
    end_day = max(last, event.end_date)
    days = sidebar.date_input("Days", value=(start_day, end_day), min_value=start_day,
                              max_value=end_day, key="filter-days")
    start = end = None
    if isinstance(days, tuple) and len(days) == 2:
        start = to_utc(datetime.combine(days[0], clock_time()), event.time_zone)
        end = to_utc(datetime.combine(days[1] + timedelta(days=1), clock_time()), event.time_zone)
    sessions = options["sessions"]
    session_labels = {int(r.id): r.title for r in sessions.itertuples()} | {analytics.BETWEEN: "Between sessions"}
    chosen_sessions = sidebar.multiselect("Sessions", list(session_labels), format_func=session_labels.get,
                                          key="filter-sessions", placeholder="All sessions")
    group_labels = dict(zip(options["groups"]["key"], options["groups"]["label"]))
    chosen_groups = sidebar.multiselect("Stakeholder groups", list(group_labels), format_func=group_labels.get,
                                        key="filter-groups", placeholder="All groups")
    chosen_kinds = sidebar.multiselect("Post kinds", options["kinds"], format_func=KIND_LABELS.get,
                                       key="filter-kinds", placeholder="All kinds")
    chosen_languages = sidebar.multiselect("Languages", options["languages"], key="filter-languages",
                                           placeholder="All languages")
    return analytics.Filters(start=start, end=end,
                             sessions=tuple(chosen_sessions) or None, groups=tuple(chosen_groups) or None,
                             kinds=tuple(chosen_kinds) or None, languages=tuple(chosen_languages) or None)


def download(frame: pd.DataFrame | Callable[[], pd.DataFrame], name: str,
             label: str = "Download the data (CSV)") -> None:
    """A CSV download of ``frame``, or of what ``frame()`` reads: made on click (on a thread of its
    own), not on every run of the page."""
    load = frame if callable(frame) else lambda: frame
    st.download_button(label, lambda: exports.csv_bytes(load()), f"{name}.csv", "text/csv", key=f"download-{name}")


def read_later(query: Callable[..., pd.DataFrame], *args, **kwargs) -> Callable[[], pd.DataFrame]:
    """``query(session, *args, **kwargs)`` as a loader for ``download``: run when the button is
    clicked, against the database this page run uses (the click is served on a thread of its own)."""
    url = settings.database_url()

    def load() -> pd.DataFrame:
        with db.reading(url) as session:
            return query(session, *args, **kwargs)
    return load


def chart(figure, frame: pd.DataFrame, name: str, empty: str = "No posts match these filters.") -> None:
    """A chart with its CSV, or a clear empty state."""
    if frame.empty or (frame.select_dtypes("number").sum().sum() == 0):
        st.info(empty, icon=":material/filter_alt_off:")
        return
    st.plotly_chart(figure, config={"displayModeBar": False}, key=f"chart-{name}")
    download(frame, name)


def table(frame: pd.DataFrame, name: str, link_column: str | None = None,
          empty: str = "No posts match these filters.") -> None:
    """Untrusted text in dataframe cells: shown verbatim, never rendered."""
    if frame.empty:
        st.info(empty, icon=":material/filter_alt_off:")
        return
    config = {link_column: st.column_config.LinkColumn(link_column, display_text="open")} if link_column else None
    st.dataframe(frame, hide_index=True, column_config=config, key=f"table-{name}")
    download(frame, name)


def demo_banner(is_demo: bool) -> None:
    if is_demo:
        st.warning("Demo data: a synthetic collection. Every account and post is invented.", icon=":material/science:")


@st.cache_data(ttl=10, show_spinner=False)
def _is_demo(url: str) -> bool:
    from .. import flags

    with db.reading(url) as session:
        return flags.is_demo(session)


def page_header(title: str, event: EventConfig, caption: str | None = None) -> None:
    st.title(title)
    st.caption(caption or f"{event.name} · {event.start_date:%d %b %Y} – {event.end_date:%d %b %Y} · "
                          f"times in {event.time_zone}")
    demo_banner(_is_demo(settings.database_url()))
