"""Plotly figures for the pages. Every figure has a title and labelled axes; a stakeholder group has
the same colour everywhere (the taxonomy's colour-blind-safe palette), and so has a network
(``display.NETWORK_COLOURS``); post kinds have fixed colours and neutral names ("reposts (retweets)"
where X is shown, ``display.kind_label``).

Plotly renders a few HTML tags inside labels, so every label that comes from data (titles, handles,
group names, hashtags) is escaped here.

Every colour a chart draws with meets 3:1 against both of Streamlit's backgrounds, the light theme's
white and the dark theme's #0E1117 (WCAG 1.4.11; tests/test_palette.py): one palette for both, so a
chart reads the same whichever theme the reader's system asks for. The Okabe–Ito orange and the grey
are a shade darker than the palette's (orange 2.25:1 → 3.47:1, grey 1.92:1 → 3.50:1 on white); a
group colour from the event file that falls under 3:1 on either is drawn in the nearest shade of it
that does not (``legible``: the OSCE structures' indigo is 1.55:1 on the dark background). The session bands
behind the time charts are a translucent grey, so that they stay faint on either background. Each chart has a text alternative beside it (``text_alternative``:
its key figures in words; the same data as CSV below it).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
from babel.numbers import format_decimal, format_percent

from engagement.analysis import display
from engagement.i18n import N_, Translator
from engagement.timeutil import to_local

ORANGE, GREY = "#BF7B00", "#898989"  # the Okabe–Ito orange and a grey, darkened to 3:1 on white
# The quote pink a shade darker than Okabe–Ito's #CC79A7 (3.07:1 on white, 2.73:1 on a session band):
# #B55F91 is 4.2:1 on white, 3.7:1 on the bands, 4.5:1 on the dark background.
KIND_COLOURS = {"original": "#0072B2", "retweet": ORANGE, "reply": "#009E73", "quote": "#B55F91"}
MEASURE_COLOURS = {"posts": "#0072B2", "authors": ORANGE, "questions": "#009E73"}
LAYOUT = {"margin": {"l": 10, "r": 10, "t": 60, "b": 10}, "legend": {"orientation": "h", "y": -0.2}}
# The page behind a chart (the plotly theme Streamlit applies is transparent): Streamlit 1.67's light
# and dark themes' backgrounds.
BACKGROUNDS = {"light": "#FFFFFF", "dark": "#0E1117"}
# The session bands: this grey at these opacities, alternately (a 97 % and a 95 % white over the light
# theme, barely lighter than the dark one over it): every mark of a time chart keeps 3:1 against them.
BAND, BAND_OPACITIES = "#808080", (0.06, 0.10)


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of an sRGB ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _mix(colour: str, towards: str, share: float) -> str:
    pairs = [(int(colour[i : i + 2], 16), int(towards[i : i + 2], 16)) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(a + (b - a) * share):02X}" for a, b in pairs)


def legible(colour: str, least: float = 3.0) -> str:
    """``colour``, or the nearest shade of it (mixed with white, or with black) that stands ``least``
    off both themes' backgrounds: an organiser's colour too dark for the dark theme, or too light for
    the light one, keeps its hue."""
    colour = str(colour).upper()
    if not colour.startswith("#") or len(colour) != 7:
        return colour
    light, dark = BACKGROUNDS["light"], BACKGROUNDS["dark"]
    towards = "#FFFFFF" if contrast(colour, dark) < least else "#000000"
    for step in range(51):
        shade = _mix(colour, towards, step / 50)
        if contrast(shade, light) >= least and contrast(shade, dark) >= least:
            return shade
    return "#767676"  # 4.5:1 on white, 4.1:1 on the dark background: for a colour no shade of which fits


def esc(values) -> list[str]:
    return [html.escape(str(v)) for v in values]


def _words(t: Translator | None):
    """``t.gettext``, or the English as it is: every function here takes the reader's ``Translator``
    (the staff catalog) and draws its titles, axes and legends in that language."""
    return t.gettext if t is not None else (lambda text: text)


def drawn(traces: Iterable, **layout) -> go.Figure:
    """A figure built in one go, its traces and layout given at once: each ``add_bar`` and
    ``update_layout`` checks the whole figure anew (the ranked bars: 0.0125 → 0.006 s of CPU each, and
    a page draws four to seven charts on every run, warm ones too). The same figure either way."""
    return go.Figure(data=list(traces), layout=layout)


def participation_by_session(frame: pd.DataFrame, t: Translator | None = None) -> go.Figure:
    _ = _words(t)
    measures = (("posts", N_("Posts")), ("authors", N_("Unique authors")), ("questions", N_("Questions")))
    bars = [
        go.Bar(
            x=frame[column],
            y=esc(frame["session"]),
            name=_(name),
            orientation="h",
            marker_color=MEASURE_COLOURS[column],
        )
        for column, name in measures
    ]
    return drawn(
        bars,
        title=_("Participation by session"),
        barmode="group",
        height=140 + 55 * len(frame),
        xaxis_title=_("Count"),
        yaxis_title=_("Session"),
        yaxis={"autorange": "reversed"},
        **LAYOUT,
    )


def participation_by_group(frame: pd.DataFrame, t: Translator | None = None) -> go.Figure:
    """Posts (solid) and unique authors (hatched) per group, in the group's colour (``legible``). No
    opacity: a bar at 70 % over the dark background fell under 3:1."""
    _ = _words(t)
    colours = [legible(c) for c in frame["colour"]]
    bars = [
        go.Bar(x=frame["posts"], y=esc(frame["group"]), orientation="h", name=_("Posts"), marker_color=colours),
        go.Bar(
            x=frame["authors"],
            y=esc(frame["group"]),
            orientation="h",
            name=_("Unique authors"),
            marker_color=colours,
            marker_pattern_shape="/",
        ),
    ]
    return drawn(
        bars,
        title=_("Participation by stakeholder group"),
        barmode="group",
        height=140 + 40 * len(frame),
        xaxis_title=_("Count"),
        yaxis_title=_("Stakeholder group"),
        yaxis={"autorange": "reversed"},
        **LAYOUT,
    )


def session_group_heatmap(
    frame: pd.DataFrame, session_order: list[str], group_order: list[str], t: Translator | None = None
) -> go.Figure:
    _ = _words(t)
    table = frame.pivot_table(index="session", columns="group", values="posts", aggfunc="sum", fill_value=0)
    rows = [s for s in session_order if s in table.index]
    columns = [g for g in group_order if g in table.columns]
    table = table.reindex(index=rows, columns=columns, fill_value=0)
    return _heatmap(
        table,
        "Blues",
        _("Posts"),
        "%{y}<br>%{x}: %{z}<extra></extra>",
        title=_("Posts by session and stakeholder group"),
        xaxis_title=_("Stakeholder group"),
        yaxis_title=_("Session"),
        height=200 + 40 * len(rows),
    )


def _heatmap(table: pd.DataFrame, colours: str, measure: str, hover: str, **layout) -> go.Figure:
    """``table``'s cells as a heatmap, its first row at the top, its labels shown as text."""
    cells = go.Heatmap(
        z=table.values,
        x=esc(table.columns),
        y=esc(table.index),
        colorscale=colours,
        colorbar={"title": measure},
        hovertemplate=hover,
    )
    return drawn([cells], yaxis={"autorange": "reversed"}, **layout, **LAYOUT)


def session_bands(sessions: pd.DataFrame, zone: str) -> list[dict]:
    """A translucent band behind the plot over each session, alternately fainter and darker: the
    rectangles ``add_vrect`` draws, as a layout's shapes. ``add_vrect`` checks every shape anew on each
    call: eight sessions took 0.12 s of CPU, a third of the Engagement page's warm run."""
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "y domain",
            "x0": to_local(item.starts_at, zone),
            "x1": to_local(item.ends_at, zone),
            "y0": 0,
            "y1": 1,
            "fillcolor": BAND,
            "opacity": BAND_OPACITIES[index % 2],
            "layer": "below",
            "line": {"width": 0},
        }
        for index, item in enumerate(sessions.itertuples())
    ]


def add_session_bands(figure: go.Figure, sessions: pd.DataFrame, zone: str) -> None:
    """The session bands (``session_bands``) added to ``figure``, in one update."""
    figure.update_layout(shapes=[*figure.layout.shapes, *session_bands(sessions, zone)])


def volume_over_time(
    frame: pd.DataFrame,
    sessions: pd.DataFrame,
    zone: str,
    minutes: int,
    networks: Iterable[str] = ("x",),
    t: Translator | None = None,
) -> go.Figure:
    """Posts per bucket stacked by kind; ``networks``: those shown, for the kinds' names."""
    _ = _words(t)
    shown = tuple(networks)
    bars = []
    for kind, colour in KIND_COLOURS.items():
        part = frame[frame["kind"] == kind]
        times = [to_local(t.to_pydatetime(), zone) for t in part["time"]]
        bars.append(go.Bar(x=times, y=part["posts"], name=display.kind_label(kind, shown, t=t), marker_color=colour))
    return drawn(
        bars,
        shapes=session_bands(sessions, zone),
        title=_("Posts per {minutes} minutes by kind (grey bands: sessions)").format(minutes=minutes),
        barmode="stack",
        xaxis_title=_("Time ({zone})").format(zone=zone),
        yaxis_title=_("Posts"),
        height=420,
        **LAYOUT,
    )


def per_minute(
    frame: pd.DataFrame, sessions: pd.DataFrame, zone: str, start=None, end=None, t: Translator | None = None
) -> go.Figure:
    """Posts per minute, stacked by network in each network's colour where ``frame`` has a ``network``
    column; with ``start`` and ``end`` the axis shows that window and the sessions in it."""
    _ = _words(t)
    if start is not None and end is not None:
        sessions = sessions[(sessions["ends_at"] > start) & (sessions["starts_at"] < end)]
    networks = list(dict.fromkeys(frame["network"])) if "network" in frame.columns else [None]
    bars = []
    for network in sorted(networks, key=_network_order):
        part = frame if network is None else frame[frame["network"] == network]
        bars.append(
            go.Bar(
                x=[to_local(t.to_pydatetime(), zone) for t in part["time"]],
                y=part["posts"],
                name=_("Posts") if network is None else display.network_label(network),
                marker_color=KIND_COLOURS["original"] if network is None else display.network_colour(network),
            )
        )
    axis: dict[str, object] = {"title": {"text": _("Time ({zone})").format(zone=zone)}}
    if start is not None and end is not None:
        axis["range"] = [to_local(start, zone), to_local(end, zone)]
    return drawn(
        bars,
        shapes=session_bands(sessions, zone),
        title=_("Posts per minute (grey bands: sessions)"),
        barmode="stack",
        xaxis=axis,
        yaxis_title=_("Posts"),
        height=320,
        showlegend=len(networks) > 1,
        **LAYOUT,
    )


def _network_order(network: str | None) -> tuple[int, str]:
    order = display.NETWORK_ORDER
    return (order.index(network), "") if network in order else (len(order), str(network))


def ranked_bars(
    frame: pd.DataFrame,
    label: str,
    value: str,
    title: str,
    x_title: str,
    y_title: str,
    colour: str | list[str] = "#0072B2",
    height: int | None = None,
) -> go.Figure:
    return drawn(
        [go.Bar(x=frame[value], y=esc(frame[label]), orientation="h", marker_color=colour)],
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        yaxis={"autorange": "reversed"},
        height=height if height is not None else 140 + 28 * len(frame),
        showlegend=False,
        **LAYOUT,
    )


def by_network(frame: pd.DataFrame, title: str = N_("Posts by network"), t: Translator | None = None) -> go.Figure:
    """Posts per network (``analytics.by_network``), each bar in its network's one colour."""
    _ = _words(t)
    named = frame.assign(network=frame["network"].map(display.network_label))
    colours = [display.network_colour(n) for n in frame["network"]]
    # A bar or two: taller than a ranked list would make them, so that the chart reads as one.
    height = max(240, 140 + 40 * len(frame))
    return ranked_bars(named, "network", "posts", _(title), _("Posts"), _("Network"), colours, height)


def group_matrix(frame: pd.DataFrame, group_order: list[str], title: str, t: Translator | None = None) -> go.Figure:
    _ = _words(t)
    table = frame.pivot_table(index="from", columns="to", values="count", aggfunc="sum", fill_value=0)
    present = [g for g in group_order if g in table.index or g in table.columns]
    table = table.reindex(index=present, columns=present, fill_value=0)
    return _heatmap(
        table,
        "Oranges",
        _("Interactions"),
        "%{y} → %{x}: %{z}<extra></extra>",
        title=title,
        xaxis_title=_("To (group of the account mentioned, replied to, quoted or reposted)"),
        yaxis_title=_("From (group of the author)"),
        height=260 + 32 * len(present),
    )


HEARD_MEASURES = (
    ("submitted_share", N_("Share of questions submitted"), GREY),
    ("approved_share", N_("Share of questions approved"), "#0072B2"),
    ("answered_share", N_("Share of questions answered"), "#009E73"),
)


def heard(
    frame: pd.DataFrame,
    title: str = N_("Who is being heard: questions by stakeholder group"),
    t: Translator | None = None,
) -> go.Figure:
    """Per group, its share of the questions submitted beside its share of those approved and answered."""
    _ = _words(t)
    shown = frame[frame["submitted"] > 0]
    bars = [
        go.Bar(
            x=shown[column],
            y=esc(shown["label"]),
            name=_(name),
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}: %{x:.0%}<extra></extra>",
        )
        for column, name, colour in HEARD_MEASURES
    ]
    return drawn(
        bars,
        title=_(title),
        barmode="group",
        height=160 + 60 * len(shown),
        xaxis_title=_("Share"),
        xaxis_tickformat=".0%",
        yaxis_title=_("Stakeholder group"),
        yaxis={"autorange": "reversed"},
        **LAYOUT,
    )


VOICE_GAP_MEASURES = (
    ("registered share", N_("Share of registered participants"), GREY),
    ("posts share", N_("Share of posts"), "#0072B2"),
    ("questions share", N_("Share of questions"), "#009E73"),
)


def voice_gap(frame: pd.DataFrame, t: Translator | None = None) -> go.Figure:
    """Per registered group: its share of registrations, of posts and of questions."""
    _ = _words(t)
    bars = [
        go.Bar(
            x=frame[column],
            y=esc(frame["group"]),
            name=_(name),
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}: %{x:.0%}<extra></extra>",
        )
        for column, name, colour in VOICE_GAP_MEASURES
    ]
    return drawn(
        bars,
        title=_("Voice gap: contributions beside registrations"),
        barmode="group",
        height=160 + 60 * len(frame),
        xaxis_title=_("Share"),
        xaxis_tickformat=".0%",
        yaxis_title=_("Stakeholder group"),
        yaxis={"autorange": "reversed"},
        **LAYOUT,
    )


LAYER_MEASURES = (
    ("registered_share", N_("Registrations (in the room)"), GREY),
    ("speakers_share", N_("Speakers (on stage)"), "#CC79A7"),
    ("questions_share", N_("Questions (from the floor)"), "#0072B2"),
    ("posts_share", N_("Posts (online)"), ORANGE),
)


def layers(
    frame: pd.DataFrame,
    title: str = N_("Who was heard: on stage, from the floor and online"),
    t: Translator | None = None,
) -> go.Figure:
    """Per group (``layers.by_group``), its share of each layer beside its share of registrations;
    groups with nothing in any layer are left out. The colours are the Okabe–Ito palette's, which
    stay apart for colour-blind readers and in greyscale by their order."""
    _ = _words(t)
    shown = frame[frame[["speakers", "questions", "posts", "registered"]].sum(axis=1) > 0]
    measures = [m for m in LAYER_MEASURES if m[0] != "registered_share" or shown["registered"].sum()]
    bars = [
        go.Bar(
            x=shown[column],
            y=esc(shown["group"]),
            name=_(name),
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}: %{x:.0%}<extra></extra>",
        )
        for column, name, colour in measures
    ]
    return drawn(
        bars,
        title=_(title),
        barmode="group",
        height=160 + 22 * len(measures) * max(len(shown), 1),
        xaxis_title=_("Share of the layer"),
        xaxis_tickformat=".0%",
        yaxis_title=_("Stakeholder group"),
        yaxis={"autorange": "reversed"},
        **LAYOUT,
    )


def _figure(value: float, kind: str, t: Translator | None = None) -> str:
    if t is not None and t.code != "en":  # the reader's separators and percent sign (Babel)
        if kind == "share":
            return format_percent(value, locale=t.locale)
        if kind == "ratio":
            return format_decimal(round(value, 2), format="0.00", locale=t.locale)
        return t.number(round(value))
    if kind == "share":
        return f"{value:.0%}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _label(value: object, zone: str, t: Translator | None = None) -> str:
    if isinstance(value, datetime) and not pd.isna(value):
        return display.format_time(value, zone, t=t)
    return str(value)


def text_alternative(frame: pd.DataFrame, title: str, zone: str, measures: int = 3, t: Translator | None = None) -> str:
    """A chart's key figures in words (WCAG 1.1.1), from the frame it draws: how many entries, then for
    each of its first ``measures`` measures the total (counts only) and the entry with the most.
    Entries are named by the frame's first two label columns (session, group, a time in ``zone``…).
    Plain text: the page shows it escaped, since labels may be people's text (hashtags, handles).
    ``t``: in its language, numbers in its form."""
    _ = _words(t)
    numbers = [c for c in frame.columns if display.kind_of(c, frame[c]) in ("count", "share", "ratio")]
    labels = [c for c in frame.columns if c not in numbers and c not in ("id", "colour", "key")]
    entries = (
        t.ngettext("{n} entry", "{n} entries", len(frame)) if t else ("{n} entry" if len(frame) == 1 else "{n} entries")
    )
    parts = [_("{title}: {entries}.").format(title=title, entries=entries.format(n=_figure(len(frame), "count", t)))]
    for column in numbers[:measures]:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().all():
            continue
        kind = display.kind_of(column, frame[column])
        top = frame.loc[values.idxmax()]
        name = " / ".join(_label(top[c], zone, t) for c in labels[:2]) or _("entry {n}").format(n=values.idxmax())
        most = _figure(values.max(), kind, t)
        if kind == "count":
            said = _("{measure}: {total} in all; most: {name} ({most}).")
        else:
            said = _("{measure}: most: {name} ({most}).")
        parts.append(
            said.format(measure=display.label(column, t), total=_figure(values.sum(), kind, t), name=name, most=most)
        )
    return " ".join(parts)
