"""The report as one self-contained HTML file: plotly inlined (charts stay interactive offline), every
table escaped, a print stylesheet, no request to any network."""

from __future__ import annotations

import html
from datetime import datetime

import pandas as pd
import plotly.io as pio

from engagement.analysis import display
from engagement.report.content import Report
from engagement.timeutil import to_local

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1100px;
       padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.4rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.meta, .note { color: #555; } .caveats { background: #fff6e0; border-left: 4px solid #E69F00; padding: 0.6rem 1rem; }
.headline { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 0.6rem; }
.figure { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 0.7rem; }
.figure .value { font-size: 1.5rem; font-weight: 600; } .figure .label { color: #555; font-size: 0.9rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; margin: 0.6rem 0 1rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.25rem 0.45rem; text-align: left; vertical-align: top;
         white-space: pre-wrap; overflow-wrap: anywhere; }
th { background: #f4f4f4; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
.chart { margin: 0.5rem 0 1rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-before: page; } h2.keep { break-before: auto; }
  .chart, table, .figure { break-inside: avoid; }
  .modebar-container { display: none !important; }
  a { color: inherit; text-decoration: none; }
}
"""
ORDER = [
    "By network",
    "By session",
    "By group",
    "Session x group",
    "Languages",
    "Top posts",
    "Top contributors",
    "Q&A by session",
    "Questions by group",
    "Published questions",
    "Conversations",
    "Voice gap",
    "Voice gap by session",
    "Moderation actions",
    "Dismissal reasons",
    "Methods",
]
TITLES = {
    "By network": "Posts by network",
    "By session": "Participation by session",
    "By group": "Participation by stakeholder group",
    "Session x group": "Sessions and stakeholder groups",
    "Q&A by session": "Q&A per session",
    "Questions by group": "Questions by stakeholder group",
    "Published questions": "Questions published",
    "Conversations": "Conversations between groups",
    "Voice gap": "Voice gap",
    "Voice gap by session": "Under-heard groups, session by session",
    "Moderation actions": "Moderation transparency: actions",
    "Dismissal reasons": "Moderation transparency: dismissals by reason",
    "Methods": "Methods",
    "Top posts": "Top posts (public accounts)",
    "Top contributors": "Top contributors (public accounts)",
    "Languages": "Languages",
}


def _cell(value) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return "<td></td>"
    if isinstance(value, datetime):  # local already (display.for_page)
        return f"<td>{value:{display.PAGE_TIME}}</td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, float)):
        text = f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
        return f'<td class="number">{text}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def table_html(frame: pd.DataFrame, limit: int = 500, zone: str = "UTC") -> str:
    """``frame`` as an escaped HTML table: human headers, times in ``zone``, language names."""
    if frame.empty:
        return '<p class="note">Nothing to show.</p>'
    frame = display.for_page(frame, zone)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(_cell(v) for v in row) + "</tr>"
        for row in frame.head(limit).itertuples(index=False, name=None)
    )
    more = (
        f'<p class="note">The first {limit:,} of {len(frame):,} rows; the workbook has them all.</p>'
        if len(frame) > limit
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"


def render(report: Report) -> str:
    """The whole report as HTML text."""
    event, zone = report.event, report.event.time_zone
    first_chart = True
    parts = [
        f"<h1>{html.escape(event.name)}: post-event summary</h1>",
        f'<p class="meta">{html.escape(event.venue)} · {event.start_date:%d %b %Y} – {event.end_date:%d %b %Y}'
        f" · times in {html.escape(zone)} · generated {to_local(report.generated_at, zone):%d %b %Y %H:%M}</p>",
    ]
    if report.caveats:
        parts.append(
            '<div class="caveats"><strong>Caveats</strong><ul>'
            + "".join(f"<li>{html.escape(c)}</li>" for c in report.caveats)
            + "</ul></div>"
        )
    parts.append(
        '<h2 class="keep">Headline figures</h2><div class="headline">'
        + "".join(
            f'<div class="figure"><div class="value">{html.escape(f"{v:,}" if isinstance(v, int) else str(v))}</div>'
            f'<div class="label">{html.escape(k)}</div></div>'
            for k, v in report.headline.items()
        )
        + "</div>"
    )
    if report.collected_as:
        parts.append(f'<p class="note">{html.escape(report.collected_as)}</p>')
    if report.under_heard:
        parts.append(
            '<p class="note">Under-heard groups over the whole event: '
            + html.escape(", ".join(report.under_heard))
            + ".</p>"
        )
    for name in ORDER:
        if name not in report.tables and name not in report.notes:
            continue
        parts.append(f"<h2>{html.escape(TITLES.get(name, name))}</h2>")
        if name in report.notes:
            parts.append(f'<p class="note">{html.escape(report.notes[name])}</p>')
        if name in report.figures:
            figure = report.figures[name]
            # plotly.js goes in once, inline, with the first chart; the others use it.
            parts.append(
                '<div class="chart">'
                + pio.to_html(
                    figure,
                    full_html=False,
                    include_plotlyjs=bool(first_chart),
                    include_mathjax=False,
                    config={"displaylogo": False, "responsive": True},
                )
                + "</div>"
            )
            first_chart = False
        if name in report.tables:
            parts.append(table_html(report.tables[name], zone=zone))
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(event.name)}: post-event summary</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
