"""Filters, downloads and empty states shared by the Analyse pages. Untrusted text only ever goes
into dataframe cells or ``st.text``; never markdown.

Their words are the staff catalog's (``engagement/i18n/staff.cfg``), in the page's language
(``qa.language``: ``?lang=``, the choice, the browser, the event): filters, the download button, the
charts' titles and text alternatives, the tables' column labels and language names."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from datetime import time as clock_time

import pandas as pd
import streamlit as st

from engagement import i18n, settings
from engagement.analysis import analytics, charts, display, exports
from engagement.i18n import N_, N_plural, Translator
from engagement.rules.event import EventConfig
from engagement.rules.reasons import REASONS
from engagement.storage import db
from engagement.timeutil import to_local, to_utc
from engagement.ui import markup, qa

# Post kinds in neutral words; the filter adds each shown network's own word ("Reposts (retweets)").
KIND_LABELS = {kind: display.kind_label(kind, capital=True) for kind in display.KIND_WORDS}
PERIODS = {"event": N_("Event days"), "all": N_("Everything collected")}
DOWNLOAD = N_("Download the data (CSV)")
NO_POSTS = N_("No posts match these filters.")
DEMO_NOTICE = "Demo data: a synthetic collection. Every account, post and question is invented."


@st.cache_data(ttl=30, show_spinner=False)
def _options(url: str) -> dict:
    with db.reading(url) as session:
        options = analytics.filter_options(session)
        options["sessions"] = analytics.sessions(session)
        options["groups"] = analytics.groups(session)
    return options


def words() -> Translator:
    """The staff catalog in the page's language (what ``staff.translator`` gives the pages)."""
    return i18n.translator(qa.language(), i18n.STAFF)


def filters(event: EventConfig, period: str = "event", t: Translator | None = None) -> analytics.Filters:
    """The sidebar filters: time range, sessions, groups, kinds, languages, networks, reasons of collection. The days offered are the
    event's (``period="event"``, the default) or every day with collected posts (``"all"``); the other
    is one click away. ``t``: the words' language (default: the page's)."""
    t = t or words()
    _ = t.gettext
    options = _options(settings.database_url())
    sidebar = st.sidebar
    sidebar.header(_("Filters"))
    first = to_local(options["first"], event.time_zone).date() if options["first"] else event.start_date
    last = to_local(options["last"], event.time_zone).date() if options["last"] else event.end_date
    chosen_period = (
        sidebar.segmented_control(
            _("Period"),
            list(PERIODS),
            format_func=lambda k: _(PERIODS[k]) if k in PERIODS else str(k),
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
        _("Days"),
        value=(start_day, end_day),
        min_value=start_day,
        max_value=end_day,
        key=f"filter-days-{chosen_period}",
    )
    start = end = None
    if isinstance(days, tuple) and len(days) == 2:
        start = to_utc(datetime.combine(days[0], clock_time()), event.time_zone)
        end = to_utc(datetime.combine(days[1] + timedelta(days=1), clock_time()), event.time_zone)
    if chosen_period == "all" and isinstance(days, tuple) and tuple(days) == (start_day, end_day):
        start = end = None  # everything collected: no bound at all
    sessions = options["sessions"]
    session_labels = {int(r.id): r.title for r in sessions.itertuples()} | {analytics.BETWEEN: _("Between sessions")}
    chosen_sessions = sidebar.multiselect(
        _("Sessions"),
        list(session_labels),
        format_func=lambda k: session_labels.get(k, str(k)),
        key="filter-sessions",
        placeholder=_("All sessions"),
    )
    group_labels = dict(zip(options["groups"]["key"], options["groups"]["label"], strict=True))
    chosen_groups = sidebar.multiselect(
        _("Stakeholder groups"),
        list(group_labels),
        format_func=lambda k: group_labels.get(k, str(k)),
        key="filter-groups",
        placeholder=_("All groups"),
    )
    chosen_networks = sidebar.multiselect(
        _("Networks"),
        options["networks"],
        format_func=display.network_label,
        key="filter-networks",
        placeholder=_("All networks"),
    )
    # "Reposts (retweets)" while X is among the networks shown; "Reposts" for Bluesky alone.
    shown = tuple(chosen_networks) or tuple(options["networks"])
    chosen_kinds = sidebar.multiselect(
        _("Post kinds"),
        options["kinds"],
        format_func=lambda k: display.kind_label(k, shown, capital=True, t=t),
        key="filter-kinds",
        placeholder=_("All kinds"),
    )
    # The value stays the code the posts carry; people read the language's name.
    chosen_languages = sidebar.multiselect(
        _("Languages"),
        options["languages"],
        format_func=lambda code: display.language_name(code, t),
        key="filter-languages",
        placeholder=_("All languages"),
    )
    chosen_reasons = sidebar.multiselect(
        _("Why collected"),
        [reason.value for reason in REASONS],
        format_func=lambda reason: display.reason_label(reason, t),
        key="filter-reasons",
        placeholder=_("Every reason"),
        help=_(
            "Carrying the event's hashtag, replying to or mentioning the organiser's accounts, or being "
            "the organiser's own posts (event.toml's accounts)."
        ),
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


# How many of each filter are chosen ("2 sessions"), in each language's plural forms.
CHOSEN = {
    "sessions": N_plural("{n} session", "{n} sessions"),
    "groups": N_plural("{n} stakeholder group", "{n} stakeholder groups"),
    "kinds": N_plural("{n} post kind", "{n} post kinds"),
}


def describe(f: analytics.Filters, event: EventConfig, t: Translator | None = None) -> str | None:
    """The filters in effect, in a few words of our own (counts, not people's text), or None when none
    is; in ``t``'s language (default: the page's), its dates in that language's form."""
    t = t or words()
    _ = t.gettext
    parts = []
    if f.start or f.end:
        first = to_local(f.start, event.time_zone).date() if f.start else None
        last = to_local(f.end - timedelta(days=1), event.time_zone).date() if f.end else None
        if (first, last) == (event.start_date, event.end_date):
            parts.append(_("the event's days only"))
        else:
            parts.append(
                _("days {first} – {last}").format(
                    first=t.date(first, "d MMM") if first else "…", last=t.date(last, "d MMM y") if last else "…"
                )
            )
    for name, values in (("sessions", f.sessions), ("groups", f.groups), ("kinds", f.kinds)):
        if values:
            parts.append(t.ngettext(*CHOSEN[name], len(values)).format(n=t.number(len(values))))
    if f.languages:
        parts.append(", ".join(display.language_name(code, t) for code in f.languages))
    if f.networks:
        parts.append(", ".join(display.network_label(n) for n in f.networks))
    if f.reasons:
        parts.append(
            _("collected as: {reasons}").format(
                reasons=", ".join(display.reason_label(r, t).lower() for r in f.reasons)
            )
        )
    return _("Filtered: {filters}.").format(filters="; ".join(parts)) if parts else None


def _zone() -> str:
    from engagement.app import start

    return start().time_zone


def download(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    name: str,
    label: str | None = None,
    *,
    zone: str | None = None,
    raw: bool = False,
    t: Translator | None = None,
) -> None:
    """A CSV download of ``frame``, or of what ``frame()`` reads: made on click (on a thread of its
    own), not on every run of the page. Human headers, times in the event's zone as sortable text
    (the header names the zone), language names; ``raw``: the columns as they are, for a file the
    app reads back (agenda.csv). Headers and the button's words in ``t``'s language (the page's)."""
    t = t or words()
    load = frame if callable(frame) else lambda: frame
    zone = zone or _zone()

    def data() -> bytes:
        loaded = load()
        return exports.csv_bytes(loaded if raw else display.for_export(loaded, zone, t=t))

    st.download_button(label or t.gettext(DOWNLOAD), data, f"{name}.csv", "text/csv", key=f"download-{name}")


def read_later(query: Callable[..., pd.DataFrame], *args, **kwargs) -> Callable[[], pd.DataFrame]:
    """``query(session, *args, **kwargs)`` as a loader for ``download``: run when the button is
    clicked, against the database this page run uses (the click is served on a thread of its own)."""
    url = settings.database_url()

    def load() -> pd.DataFrame:
        with db.reading(url) as session:
            return query(session, *args, **kwargs)

    return load


CHART_SUMMARY = '<p class="chart-summary">%(text)s</p>'


def chart(figure, frame: pd.DataFrame, name: str, empty: str | None = None, t: Translator | None = None) -> None:
    """A chart, its key figures in words (its text alternative, WCAG 1.1.1: ``charts.text_alternative``,
    escaped, since labels may be people's text) and its CSV; or a clear empty state. In ``t``'s
    language (the page's)."""
    t = t or words()
    if frame.empty or (frame.select_dtypes("number").sum().sum() == 0):
        st.info(empty or t.gettext(NO_POSTS), icon=":material/filter_alt_off:")
        return
    st.plotly_chart(figure, config={"displayModeBar": False}, key=f"chart-{name}")
    title = figure.layout.title.text or display.label(name.replace("-", " "), t)
    summary = charts.text_alternative(frame, html.unescape(str(title)), _zone(), t=t)
    st.html(markup.html(CHART_SUMMARY, text=summary))
    download(frame, name, t=t)


def column_config(frame: pd.DataFrame, link_column: str | None = None, t: Translator | None = None) -> dict:
    """``st.column_config`` for ``frame`` as ``display.for_page`` shows it (keyed by the human labels, in
    ``t``'s language): times in the page's format, counts with thousands separators, shares as
    percentages, long text wide, links as "open"."""
    t = t or words()
    config = {}
    for column in frame.columns:
        kind = "link" if column == link_column else display.kind_of(column, frame[column])
        name = display.label(column, t)
        if kind == "time":
            config[name] = st.column_config.DatetimeColumn(name, format=display.PAGE_TIME_MOMENT)
        elif kind == "share":
            config[name] = st.column_config.NumberColumn(name, format="percent")
        elif kind == "ratio":
            config[name] = st.column_config.NumberColumn(name, format="%.2f")
        elif kind == "count":
            config[name] = st.column_config.NumberColumn(name, format="localized")
        elif kind == "link":
            config[name] = st.column_config.LinkColumn(name, display_text=t.gettext("open"), width="small")
        elif kind == "flag":
            config[name] = st.column_config.CheckboxColumn(name)
        elif kind == "text":
            config[name] = st.column_config.TextColumn(name, width="large")
    return config


def editor_keys(t: Translator | None = None) -> None:
    """How a data editor is used by keyboard, said above it: its grid keeps Tab for moving between cells,
    so leaving it needs Escape first (WCAG 2.1.2 allows a way out that is not Tab when it is told)."""
    t = t or words()
    st.caption(
        t.gettext(
            "By keyboard: Tab into the table, the arrow keys to a cell, Enter to edit it and Enter again to "
            "keep the change; Escape, then Tab, leaves the table."
        )
    )


def editor_config(frame: pd.DataFrame, t: Translator | None = None, **overrides) -> dict:
    """Column labels for a ``st.data_editor`` of ``frame``: the editor keeps the column names (the code
    saves by them), people read the labels (in ``t``'s language). ``overrides``: a column's own config
    (give it its label)."""
    t = t or words()
    return {
        column: overrides.get(column) or st.column_config.Column(display.label(column, t)) for column in frame.columns
    }


def table(
    frame: pd.DataFrame,
    name: str,
    link_column: str | None = None,
    empty: str | None = None,
    t: Translator | None = None,
) -> None:
    """Untrusted text in dataframe cells: shown verbatim, never rendered. Human labels, times in the
    event's zone, language names (``display.for_page``, in ``t``'s language: the page's), and the same
    table as CSV."""
    t = t or words()
    if frame.empty:
        st.info(empty or t.gettext(NO_POSTS), icon=":material/filter_alt_off:")
        return
    zone = _zone()
    st.dataframe(
        display.for_page(frame, zone, t),
        hide_index=True,
        column_config=column_config(frame, link_column, t),
        key=f"table-{name}",
    )
    download(frame, name, zone=zone, t=t)


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
