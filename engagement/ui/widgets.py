"""Filters, downloads and empty states shared by the Analyse pages. Untrusted text only ever goes
into dataframe cells or ``st.text``; never markdown."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from datetime import time as clock_time

import pandas as pd
import streamlit as st

from engagement import settings
from engagement.analysis import analytics, charts, display, exports
from engagement.rules.event import EventConfig
from engagement.rules.reasons import REASONS
from engagement.storage import db
from engagement.timeutil import to_local, to_utc
from engagement.ui import markup

# Post kinds in neutral words; the filter adds each shown network's own word ("Reposts (retweets)").
KIND_LABELS = {kind: display.kind_label(kind, capital=True) for kind in display.KIND_WORDS}
PERIODS = {"event": "Event days", "all": "Everything collected"}
DEMO_NOTICE = "Demo data: a synthetic collection. Every account, post and question is invented."


@st.cache_data(ttl=30, show_spinner=False)
def _options(url: str) -> dict:
    with db.reading(url) as session:
        options = analytics.filter_options(session)
        options["sessions"] = analytics.sessions(session)
        options["groups"] = analytics.groups(session)
    return options


def filters(event: EventConfig, period: str = "event") -> analytics.Filters:
    """The sidebar filters: time range, sessions, groups, kinds, languages, networks, reasons of collection. The days offered are the
    event's (``period="event"``, the default) or every day with collected posts (``"all"``); the other
    is one click away."""
    options = _options(settings.database_url())
    sidebar = st.sidebar
    sidebar.header("Filters")
    first = to_local(options["first"], event.time_zone).date() if options["first"] else event.start_date
    last = to_local(options["last"], event.time_zone).date() if options["last"] else event.end_date
    chosen_period = (
        sidebar.segmented_control(
            "Period",
            list(PERIODS),
            format_func=lambda k: PERIODS.get(k, str(k)),
            default=period,
            required=True,
            key="filter-period",
        )
        or period
    )
    if chosen_period == "event":
        start_day, end_day = event.start_date, event.end_date
    else:
        start_day, end_day = min(first, event.start_date), max(last, event.end_date)
    # A key per period: switching gives that period's whole range, not the other's choice.
    days = sidebar.date_input(
        "Days", value=(start_day, end_day), min_value=start_day, max_value=end_day, key=f"filter-days-{chosen_period}"
    )
    start = end = None
    if isinstance(days, tuple) and len(days) == 2:
        start = to_utc(datetime.combine(days[0], clock_time()), event.time_zone)
        end = to_utc(datetime.combine(days[1] + timedelta(days=1), clock_time()), event.time_zone)
    if chosen_period == "all" and isinstance(days, tuple) and tuple(days) == (start_day, end_day):
        start = end = None  # everything collected: no bound at all
    sessions = options["sessions"]
    session_labels = {int(r.id): r.title for r in sessions.itertuples()} | {analytics.BETWEEN: "Between sessions"}
    chosen_sessions = sidebar.multiselect(
        "Sessions",
        list(session_labels),
        format_func=lambda k: session_labels.get(k, str(k)),
        key="filter-sessions",
        placeholder="All sessions",
    )
    group_labels = dict(zip(options["groups"]["key"], options["groups"]["label"], strict=True))
    chosen_groups = sidebar.multiselect(
        "Stakeholder groups",
        list(group_labels),
        format_func=lambda k: group_labels.get(k, str(k)),
        key="filter-groups",
        placeholder="All groups",
    )
    chosen_networks = sidebar.multiselect(
        "Networks",
        options["networks"],
        format_func=display.network_label,
        key="filter-networks",
        placeholder="All networks",
    )
    # "Reposts (retweets)" while X is among the networks shown; "Reposts" for Bluesky alone.
    shown = tuple(chosen_networks) or tuple(options["networks"])
    chosen_kinds = sidebar.multiselect(
        "Post kinds",
        options["kinds"],
        format_func=lambda k: display.kind_label(k, shown, capital=True),
        key="filter-kinds",
        placeholder="All kinds",
    )
    # The value stays the code the posts carry; people read the language's name.
    chosen_languages = sidebar.multiselect(
        "Languages",
        options["languages"],
        format_func=display.language_name,
        key="filter-languages",
        placeholder="All languages",
    )
    chosen_reasons = sidebar.multiselect(
        "Why collected",
        [reason.value for reason in REASONS],
        format_func=display.reason_label,
        key="filter-reasons",
        placeholder="Every reason",
        help="Carrying the event's hashtag, replying to or mentioning the organiser's accounts, or being "
        "the organiser's own posts (event.toml's accounts).",
    )
    return analytics.Filters(
        start=start,
        end=end,
        sessions=tuple(chosen_sessions) or None,
        groups=tuple(chosen_groups) or None,
        kinds=tuple(chosen_kinds) or None,
        languages=tuple(chosen_languages) or None,
        reasons=tuple(chosen_reasons) or None,
        networks=tuple(chosen_networks) or None,
    )


def shown_networks(f: analytics.Filters) -> tuple[str, ...]:
    """The networks a page shows under ``f``: those chosen, else every network collected."""
    return f.networks or tuple(_options(settings.database_url())["networks"])


def describe(f: analytics.Filters, event: EventConfig) -> str | None:
    """The filters in effect, in a few words of our own (counts, not people's text), or None when none is."""
    parts = []
    if f.start or f.end:
        first = to_local(f.start, event.time_zone).date() if f.start else None
        last = to_local(f.end - timedelta(days=1), event.time_zone).date() if f.end else None
        if (first, last) == (event.start_date, event.end_date):
            parts.append("the event's days only")
        else:
            parts.append(f"days {first:%d %b} – " if first else "days … – ")
            parts[-1] += f"{last:%d %b %Y}" if last else "…"
    for name, values in (("sessions", f.sessions), ("stakeholder groups", f.groups), ("post kinds", f.kinds)):
        if values:
            parts.append(f"{len(values)} {name if len(values) > 1 else name[:-1]}")
    if f.languages:
        parts.append(", ".join(display.language_name(code) for code in f.languages))
    if f.networks:
        parts.append(", ".join(display.network_label(n) for n in f.networks))
    if f.reasons:
        parts.append("collected as: " + ", ".join(display.reason_label(r).lower() for r in f.reasons))
    return "Filtered: " + "; ".join(parts) + "." if parts else None


def _zone() -> str:
    from engagement.app import start

    return start().time_zone


def download(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    name: str,
    label: str = "Download the data (CSV)",
    *,
    zone: str | None = None,
    raw: bool = False,
) -> None:
    """A CSV download of ``frame``, or of what ``frame()`` reads: made on click (on a thread of its
    own), not on every run of the page. Human headers, times in the event's zone as sortable text
    (the header names the zone), language names; ``raw``: the columns as they are, for a file the
    app reads back (agenda.csv)."""
    load = frame if callable(frame) else lambda: frame
    zone = zone or _zone()

    def data() -> bytes:
        loaded = load()
        return exports.csv_bytes(loaded if raw else display.for_export(loaded, zone))

    st.download_button(label, data, f"{name}.csv", "text/csv", key=f"download-{name}")


def read_later(query: Callable[..., pd.DataFrame], *args, **kwargs) -> Callable[[], pd.DataFrame]:
    """``query(session, *args, **kwargs)`` as a loader for ``download``: run when the button is
    clicked, against the database this page run uses (the click is served on a thread of its own)."""
    url = settings.database_url()

    def load() -> pd.DataFrame:
        with db.reading(url) as session:
            return query(session, *args, **kwargs)

    return load


CHART_SUMMARY = '<p class="chart-summary">%(text)s</p>'


def chart(figure, frame: pd.DataFrame, name: str, empty: str = "No posts match these filters.") -> None:
    """A chart, its key figures in words (its text alternative, WCAG 1.1.1: ``charts.text_alternative``,
    escaped, since labels may be people's text) and its CSV; or a clear empty state."""
    if frame.empty or (frame.select_dtypes("number").sum().sum() == 0):
        st.info(empty, icon=":material/filter_alt_off:")
        return
    st.plotly_chart(figure, config={"displayModeBar": False}, key=f"chart-{name}")
    title = figure.layout.title.text or display.label(name.replace("-", " "))
    summary = charts.text_alternative(frame, html.unescape(str(title)), _zone())
    st.html(markup.html(CHART_SUMMARY, text=summary))
    download(frame, name)


def column_config(frame: pd.DataFrame, link_column: str | None = None) -> dict:
    """``st.column_config`` for ``frame`` as ``display.for_page`` shows it (keyed by the human labels):
    times in the page's format, counts with thousands separators, shares as percentages, long text wide,
    links as "open"."""
    config = {}
    for column in frame.columns:
        kind = "link" if column == link_column else display.kind_of(column, frame[column])
        name = display.label(column)
        if kind == "time":
            config[name] = st.column_config.DatetimeColumn(name, format=display.PAGE_TIME_MOMENT)
        elif kind == "share":
            config[name] = st.column_config.NumberColumn(name, format="percent")
        elif kind == "ratio":
            config[name] = st.column_config.NumberColumn(name, format="%.2f")
        elif kind == "count":
            config[name] = st.column_config.NumberColumn(name, format="localized")
        elif kind == "link":
            config[name] = st.column_config.LinkColumn(name, display_text="open", width="small")
        elif kind == "flag":
            config[name] = st.column_config.CheckboxColumn(name)
        elif kind == "text":
            config[name] = st.column_config.TextColumn(name, width="large")
    return config


def editor_config(frame: pd.DataFrame, **overrides) -> dict:
    """Column labels for a ``st.data_editor`` of ``frame``: the editor keeps the column names (the code
    saves by them), people read the labels. ``overrides``: a column's own config (give it its label)."""
    return {column: overrides.get(column) or st.column_config.Column(display.label(column)) for column in frame.columns}


def table(
    frame: pd.DataFrame, name: str, link_column: str | None = None, empty: str = "No posts match these filters."
) -> None:
    """Untrusted text in dataframe cells: shown verbatim, never rendered. Human labels, times in the
    event's zone, language names (``display.for_page``), and the same table as CSV."""
    if frame.empty:
        st.info(empty, icon=":material/filter_alt_off:")
        return
    zone = _zone()
    st.dataframe(
        display.for_page(frame, zone),
        hide_index=True,
        column_config=column_config(frame, link_column),
        key=f"table-{name}",
    )
    download(frame, name, zone=zone)


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>()#+-!|~$"})


def notices(items: Iterable[str | None] = (), demo: bool | None = None) -> None:
    """The page's one notice area: demo data, illustrative agenda or registrations, filters in effect,
    each said once, in one ``st.info`` (a short list when there are several). Only our own sentences go
    in (st.info renders markdown; they are escaped all the same). ``demo``: None asks the database."""
    demo = is_demo_database(settings.database_url()) if demo is None else demo
    said = [DEMO_NOTICE] if demo else []
    for item in items:
        if not item or (demo and item.startswith("Demo data")) or item in said:
            continue
        said.append(item)
    if not said:
        return
    escaped = [item.translate(_MARKDOWN) for item in said]
    body = escaped[0] if len(escaped) == 1 else "\n".join(f"- {item}" for item in escaped)
    st.info(body, icon=":material/info:")


@st.cache_data(ttl=10, show_spinner=False)
def is_demo_database(url: str) -> bool:
    """Whether the database carries the demo flag (cached for 10 s: every page asks)."""
    from engagement.storage import flags

    with db.reading(url) as session:
        return flags.is_demo(session)


def page_header(title: str, event: EventConfig, caption: str | None = None, notes: Sequence[str] | None = ()) -> None:
    """Title, the event line, and the notice area with ``notes`` (demo data added when it is);
    ``notes=None``: the page draws its notice area itself (``notices``), once it knows what to say."""
    st.title(title, anchor=False)  # no anchor: its "Link to heading" label is Streamlit's English
    st.caption(
        caption
        or f"{event.name} · {event.start_date:%d %b %Y} – {event.end_date:%d %b %Y} · times in {event.time_zone}"
    )
    if notes is not None:
        notices(notes)
