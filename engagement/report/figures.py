"""The report's charts, drawn for a printed A4 page as well as a screen.

Each chart is as wide as the page's text (``WIDTH``) so that Chromium prints it as drawn, with its
legend just above the plot, under the title (never floating away from it); session titles are
shortened (``short_titles``: "Panel 1", with the full titles in a key beside the chart) so that the
bars, not the labels, take the width. Stakeholder groups keep their colours; measures that share a
colour differ by fill pattern, so that every chart reads in greyscale too. Plotly renders a few HTML
tags inside labels, so labels from data are escaped (``charts.esc``).
"""

from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go

from engagement.analysis import charts
from engagement.analysis.charts import esc
from engagement.i18n import N_, Translator


def from_json(spec: str) -> go.Figure:
    """A chart again from the JSON ``Figure.to_json`` wrote, not checked anew: what it holds was checked
    when the chart was drawn. ``plotly.io.from_json`` checks every property again (the summary's eight
    charts at a million posts: 0.19 s of CPU, on each cold run of the page, against 0.015 s)."""
    return go.Figure(json.loads(spec), _validate=False)


def _words(t: Translator | None):
    """``t.gettext`` (the report's language), or the English as it is."""
    return t.gettext if t is not None else (lambda text: text)


# A4 portrait less 12 mm margins is 186 mm, 703 CSS pixels; a little less leaves the border room.
WIDTH = 680
SHORT = 26  # a session title longer than this is shortened for the axis
FONT = {"family": "Helvetica, Arial, sans-serif", "size": 12, "color": "#222"}
LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom", "title": None}
# (measure, legend name, colour, pattern): distinct in colour, lightness and fill (Okabe–Ito colours;
# light grey, dark blue and orange are three lightnesses apart in greyscale).
MEASURES = {
    "posts": (N_("Posts"), "#0072B2", ""),
    "authors": (N_("Unique authors"), "#E69F00", "/"),
    "questions": (N_("Questions"), "#56B4E9", "x"),
}
SHARES = {
    "registered share": (N_("Share of registered participants"), "#CCCCCC", ""),
    "posts share": (N_("Share of posts"), "#0072B2", ""),
    "questions share": (N_("Share of questions"), "#E69F00", "x"),
    "speakers share": (N_("Share of speakers"), "#CC79A7", "/"),
    "submitted_share": (N_("Share of questions submitted"), "#CCCCCC", ""),
    "approved_share": (N_("Share of questions approved"), "#0072B2", ""),
    "answered_share": (N_("Share of questions answered"), "#E69F00", "x"),
}


def short_titles(titles: list[str]) -> dict[str, str]:
    """Full title → a label short enough for a chart's axis: the part before a colon ("Panel 1: …" →
    "Panel 1"), else the first words up to ``SHORT`` characters; numbered where two would be equal."""
    shorts: dict[str, str] = {}
    for title in titles:
        head = title.split(":", 1)[0].strip() if ":" in title else title
        if len(head) > SHORT:
            words, head = re.split(r"\s+", head), ""
            for word in words:
                if len(head) + len(word) + 1 > SHORT - 1:
                    break
                head = f"{head} {word}".strip()
            head = (head or title[: SHORT - 1]) + "…"
        shorts[title] = head
    seen: dict[str, int] = {}
    for head in shorts.values():
        seen[head] = seen.get(head, 0) + 1
    for number, (title, head) in enumerate(shorts.items(), start=1):
        if seen[head] > 1:
            shorts[title] = f"{head} ({number})"
    return shorts


def _layout(traces: list, title: str, height: int, *, xaxis: dict | None = None, yaxis: dict | None = None, **more):
    """A figure of ``traces`` in the report's page layout, built in one go (as ``charts.drawn``): each
    ``add_bar``, ``update_layout`` and ``update_xaxes`` checked the whole figure anew, a quarter of the
    summary's report build (0.87 s of one thread's CPU at 50,000 posts). The same JSON as before."""
    return charts.drawn(traces, **_page_layout(title, height, xaxis=xaxis, yaxis=yaxis, **more))


def _page_layout(title: str, height: int, *, xaxis: dict | None = None, yaxis: dict | None = None, **more) -> dict:
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "y": 1, "yanchor": "top", "pad": {"t": 8}},
        "width": WIDTH,
        "height": height,
        "autosize": False,
        "font": FONT,
        "legend": LEGEND,
        "margin": {"l": 10, "r": 10, "t": 80, "b": 10},
        "plot_bgcolor": "white",
        **more,
        "xaxis": {
            **(xaxis or {}),
            "showgrid": True,
            "gridcolor": "#DDDDDD",
            "zeroline": True,
            "zerolinecolor": "#999999",
            "automargin": True,
        },
        "yaxis": {**(yaxis or {}), "automargin": True},
    }


def _pattern(shape: str) -> dict:
    """Dark lines over the bar's own colour: in greyscale, hatched and cross-hatched bars stay apart from
    solid ones of the same lightness."""
    return {"shape": shape, "fillmode": "overlay", "fgcolor": "#222", "size": 6, "solidity": 0.25} if shape else {}


def _bars(
    frame: pd.DataFrame, label: str, measures: dict[str, tuple[str, str, str]], t: Translator | None = None, **bar
) -> list[go.Bar]:
    _ = _words(t)
    return [
        go.Bar(
            x=frame[column],
            y=esc(frame[label]),
            name=_(name),
            orientation="h",
            marker={"color": colour, "line": {"color": "#333", "width": 0.5}, "pattern": _pattern(pattern)},
            **bar,
        )
        for column, (name, colour, pattern) in measures.items()
    ]


def by_session(frame: pd.DataFrame, shorts: dict[str, str], t: Translator | None = None) -> go.Figure:
    """Posts, unique authors and questions per session, sessions by their short titles."""
    _ = _words(t)
    named = frame.assign(session=frame["session"].map(lambda title: shorts.get(title, title)))
    return _layout(
        _bars(named, "session", {k: MEASURES[k] for k in ("posts", "authors", "questions")}, t),
        _("Participation by session"),
        100 + 34 * len(frame),
        barmode="group",
        xaxis={"title": {"text": _("Count")}},
        yaxis={"autorange": "reversed", "title": None},
    )


def by_group(frame: pd.DataFrame, t: Translator | None = None) -> go.Figure:
    """Posts (solid) and unique authors (hatched) per group, each in the group's colour."""
    _ = _words(t)
    bars = [
        go.Bar(
            x=frame[column],
            y=esc(frame["group"]),
            orientation="h",
            name=_(MEASURES[column][0]),
            opacity=opacity,
            marker={
                "color": list(frame["colour"]),
                "line": {"color": "#333", "width": 0.5},
                "pattern": _pattern(pattern),
            },
        )
        for column, pattern, opacity in (("posts", "", 1.0), ("authors", "/", 0.75))
    ]
    return _layout(
        bars,
        _("Participation by stakeholder group"),
        110 + 28 * len(frame),
        barmode="group",
        xaxis={"title": {"text": _("Count")}},
        yaxis={"autorange": "reversed", "title": None},
    )


def shares(
    frame: pd.DataFrame, label: str, columns: tuple[str, ...], title: str, t: Translator | None = None
) -> go.Figure:
    """Shares side by side per group (the voice gap, questions by group), patterned for greyscale;
    ``title`` as given (in the report's language), the legend and axis in ``t``'s."""
    _ = _words(t)
    bars = _bars(frame, label, {c: SHARES[c] for c in columns}, t, hovertemplate="%{y}: %{x:.1%}<extra></extra>")
    return _layout(
        bars,
        title,
        max(240, 110 + 11 * len(columns) * len(frame)),
        barmode="group",
        xaxis={"tickformat": ".0%", "title": _("Share")},
        yaxis={"autorange": "reversed", "title": None},
    )


def _heatmap(table: pd.DataFrame, title: str, scale: str, legend: str, x_title: str, y_title: str | None) -> go.Figure:
    """Counts as shaded cells with the count written in each (greyscale reads the numbers)."""
    cells = [
        go.Heatmap(
            z=table.values,
            x=esc(table.columns),
            y=esc(table.index),
            colorscale=scale,
            colorbar={"title": {"text": legend}, "thickness": 12},
            text=table.values,
            texttemplate="%{text}",
            textfont={"size": 10},
            hovertemplate="%{y} · %{x}: %{z}<extra></extra>",
            xgap=1,
            ygap=1,
        )
    ]
    return _layout(
        cells,
        title,
        190 + 22 * len(table.index),
        xaxis={"title": x_title, "tickangle": -45, "side": "bottom"},
        yaxis={"title": y_title, "autorange": "reversed"},
    )


def session_group(
    frame: pd.DataFrame, sessions: list[str], groups: list[str], shorts: dict[str, str], t: Translator | None = None
) -> go.Figure:
    """Posts per group (rows) and session (columns, short titles)."""
    _ = _words(t)
    table = frame.pivot_table(index="group", columns="session", values="posts", aggfunc="sum", fill_value=0)
    table = table.reindex(
        index=[g for g in groups if g in table.index], columns=[s for s in sessions if s in table.columns], fill_value=0
    )
    table.columns = [shorts.get(s, s) for s in table.columns]
    return _heatmap(table, _("Posts by stakeholder group and session"), "Blues", _("Posts"), _("Session"), None)


def conversations(frame: pd.DataFrame, groups: list[str], t: Translator | None = None) -> go.Figure:
    """Interactions of every kind from each group (rows) to each group (columns)."""
    _ = _words(t)
    named = frame.dropna(subset=["from", "to"])
    table = named.pivot_table(index="from", columns="to", values="count", aggfunc="sum", fill_value=0)
    present = [g for g in groups if g in table.index or g in table.columns]
    table = table.reindex(index=present, columns=present, fill_value=0)
    return _heatmap(
        table,
        _("Interactions from group to group"),
        "Oranges",
        _("Interactions"),
        _("To the group of the account mentioned, replied to, quoted or reposted"),
        _("From the author's group"),
    )


def by_network(frame: pd.DataFrame, t: Translator | None = None) -> go.Figure:
    figure = charts.by_network(frame, t=t)
    figure.update_traces(marker_line={"color": "#333", "width": 0.5})
    page = _page_layout(_words(t)("Posts by network"), max(240, 140 + 40 * len(frame)), showlegend=False)
    return figure.update_layout(page)
