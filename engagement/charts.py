"""Plotly figures. Labels come from our own data model; untrusted text never becomes a label
that plotly would render as HTML (session titles are organisers' text, escaped here)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go


def participation_by_session(frame: pd.DataFrame) -> go.Figure:
    labels = [html.escape(title) for title in frame["session"]]
    figure = go.Figure()
    for column, name, colour in (("posts", "Posts", "#0072B2"), ("authors", "Unique authors", "#E69F00"),
                                 ("questions", "Questions", "#009E73")):
        figure.add_bar(x=frame[column], y=labels, name=name, orientation="h", marker_color=colour)
    figure.update_layout(title="Participation by session", barmode="group", height=120 + 60 * len(frame),
                         xaxis_title="Count", yaxis_title="Session", yaxis={"autorange": "reversed"},
                         legend={"orientation": "h", "y": -0.15}, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return figure
