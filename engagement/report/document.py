"""The report as one self-contained HTML file, laid out to print as the PDF: a cover (event, dates,
sources, caveats, contents), the findings, then one section per question organisers ask, the methods
and, with ``questions_in_pdf``, every published question as an appendix.

plotly.js is inlined (charts stay interactive offline), every table escaped, no request to any
network. Tables carry human headers that wrap only between words, times as people write them in
the event's zone ("Mon 23 Apr, 09:30"), numbers right-aligned with thousands separators and shares
as percentages ("30.8%", as the findings print them). A long table that is the data behind a chart
(sessions × groups, group to group) shows its top rows here; the workbook and CSV have it whole.

Every word is in the report's language (``Report.words``: the staff catalog), and so is the document's
``<html lang>``; numbers and dates in that language's form (Babel).
"""

from __future__ import annotations

import html
import itertools
import numbers
import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import plotly.io as pio
from babel.dates import format_date
from babel.numbers import format_decimal

from engagement import i18n
from engagement.analysis import display
from engagement.i18n import N_, Translator
from engagement.report.content import Report
from engagement.report.findings import percent, ratio
from engagement.timeutil import to_local

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 760px; padding: 0 1rem;
       color: #222; line-height: 1.4; font-size: 15px; }
h1 { font-size: 1.9rem; margin: 0 0 0.3rem; } h2 { margin: 2.2rem 0 0.6rem; border-bottom: 2px solid #0072B2;
     padding-bottom: 0.2rem; font-size: 1.35rem; } h3 { margin: 1.4rem 0 0.3rem; font-size: 1.05rem; }
.meta, .note { color: #555; } .note { font-size: 0.9em; margin: 0.2rem 0 0.4rem; }
.caveats { background: #fff6e0; border-left: 4px solid #E69F00; padding: 0.4rem 1rem; margin: 1rem 0; }
.cover dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 1rem 0; }
.cover dt { font-weight: 600; } .cover dd { margin: 0; }
.toc ol { padding-left: 1.4rem; } .toc a { color: inherit; }
.findings ol { padding-left: 1.4rem; } .findings li { margin: 0.45rem 0; font-size: 1.05em; }
.headline { display: grid; grid-template-columns: repeat(4, 1fr); gap: 0.4rem; margin: 1rem 0; }
.figure { border: 1px solid #ccc; border-radius: 4px; padding: 0.3rem 0.5rem; break-inside: avoid; }
.figure .value { font-size: 1.1rem; font-weight: 600; } .figure .label { color: #555; font-size: 0.8rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.8rem; margin: 0.4rem 0 0.8rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.35rem; text-align: left; vertical-align: top; }
/* A header wraps between words only (a column is at least as wide as its longest word); a cell
   breaks a word only when it cannot fit otherwise (a link). */
th { background: #eee; font-weight: 600; hyphens: none; word-break: keep-all; overflow-wrap: normal; }
td { overflow-wrap: break-word; } td.link { word-break: break-all; font-size: 0.85em; min-width: 8rem; }
td.text { min-width: 16rem; } .keep-together { break-inside: avoid; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.2rem; align-items: start; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.time, th .nobr { white-space: nowrap; }
thead { display: table-header-group; } tr { break-inside: avoid; }
.chart { margin: 0.4rem 0 0.6rem; break-inside: avoid; }
.wide table { font-size: 0.72rem; } .wide th, .wide td { padding: 0.15rem 0.2rem; }
.key { font-size: 0.72rem; width: auto; } .key td { padding: 0.1rem 0.4rem; }
@page { size: A4 portrait; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; padding: 0; }
  h2 { break-before: page; } .cover h2, h2.keep { break-before: auto; }
  h2, h3 { break-after: avoid; } .note { break-after: avoid; }
  .findings { break-before: page; }
  .modebar-container { display: none !important; }
  a { color: inherit; text-decoration: none; }
}
"""


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    parts: tuple[str, ...]  # report tables (and their charts and notes), in order


SECTIONS = (
    Section("sessions", N_("Participation by session"), ("By session",)),
    Section("groups", N_("Participation by stakeholder group"), ("By group", "Session x group")),
    # "Voice gap by layer" (speakers, questions, posts beside registrations) is shown when the report has it.
    Section("voice-gap", N_("The voice gap"), ("Voice gap", "Voice gap by layer", "Speakers", "Voice gap by session")),
    Section("conversations", N_("Conversations between groups"), ("Conversations",)),
    Section(
        "qa",
        N_("Q&A and moderation"),
        ("Q&A by session", "Questions by group", "Most voted questions", "Moderation actions", "Dismissal reasons"),
    ),
    Section(
        "networks",
        N_("Networks, languages and public accounts"),
        ("By network", "Languages", "Top posts", "Top contributors"),
    ),
    Section("methods", N_("Methods"), ("Methods",)),
)
APPENDIX = Section("questions", N_("Appendix: every published question"), ("Published questions",))
# Every part in the order the documents and the summary page show them.
ORDER = [part for section in (*SECTIONS, APPENDIX) for part in section.parts]
TITLES = {
    "By network": N_("Posts by network"),
    "By session": N_("Participation by session"),
    "By group": N_("Participation by stakeholder group"),
    "Session x group": N_("Sessions and stakeholder groups"),
    "Q&A by session": N_("Q&A per session"),
    "Questions by group": N_("Questions by stakeholder group"),
    "Most voted questions": N_("Most voted questions"),
    "Published questions": N_("Questions published"),
    "Conversations": N_("Conversations between groups"),
    "Voice gap": N_("Voice gap"),
    "Voice gap by layer": N_("Voice gap in its layers"),
    "Speakers": N_("Speakers of the programme, with their affiliations"),
    "Voice gap by session": N_("Under-heard groups, session by session"),
    "Moderation actions": N_("Moderation transparency: actions"),
    "Dismissal reasons": N_("Moderation transparency: dismissals by reason"),
    "Methods": N_("Methods"),
    "Top posts": N_("Top posts (public accounts)"),
    "Top contributors": N_("Top contributors (public accounts)"),
    "Languages": N_("Languages"),
}
# Tables behind a chart, too long to print: their top rows by this column here, all in the files.
TOP_ROWS = {
    "Session x group": ("posts", 10),
    "Conversations": ("count", 10),
    "Most voted questions": ("votes", 5),
    "Top posts": ("retweets", 5),
    "Top contributors": ("posts", 10),
}
# Tables with many columns: printed smaller to fit the portrait page. (No landscape page: Chromium
# lays the whole document out at the widest page's width, which shrank every portrait page to 66%.)
# Short tables printed side by side, two to a row.
HALF = frozenset({"Moderation actions", "Dismissal reasons"})
WIDE = frozenset({"Voice gap", "Voice gap by layer", "Questions by group", "Q&A by session"})


_TABLES = itertools.count(1)  # ids for the style rules of tables with no name


def number_text(value, column: str = "", t: Translator | None = None) -> str:
    """A number as the documents print it: 3,000; a share 30.8%; a ratio 0.31 (``t``: in its
    language's form, "3 000", "30,8 %")."""
    english = t is None or t.code == i18n.DEFAULT
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}" if english or t is None else t.number(int(value))
    if column.endswith("share"):
        return percent(float(value), t)
    if column.endswith("ratio"):
        return ratio(float(value), t)
    if english or t is None:
        return f"{float(value):,.3f}".rstrip("0").rstrip(".")
    return format_decimal(round(float(value), 3), locale=t.locale)


def _cell(value, column: str, t: Translator | None = None) -> tuple[str, str]:
    """(class, text) of one cell; ``column`` is the table's own column name."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return "", ""
    if isinstance(value, datetime):  # local already (display.for_page)
        return "time", html.escape(display.format_time(value, "UTC", t=t))
    if isinstance(value, (bool, np.bool_)):
        yes, no = (t.gettext("yes"), t.gettext("no")) if t is not None else ("yes", "no")
        return "", yes if value else no
    if isinstance(value, numbers.Number):
        return "number", number_text(value, column, t)
    if column == "link":
        return "link", html.escape(str(value))
    if column in display.LONG_TEXT:
        return "text", html.escape(str(value))
    return "", html.escape(str(value))


def _header(text: str) -> str:
    """A header's text with each hyphenated word kept on one line ("under-heard" would break after its
    hyphen in a narrow column)."""
    return " ".join(
        f'<span class="nobr">{html.escape(word)}</span>' if "-" in word else html.escape(word)
        for word in text.split(" ")
    )


def table_html(
    frame: pd.DataFrame, limit: int = 500, zone: str = "UTC", name: str = "", t: Translator | None = None
) -> str:
    """``frame`` as an escaped HTML table: human headers, times in ``zone``, language names (in ``t``'s
    language); numeric columns right-aligned, their headers too."""
    _ = t.gettext if t is not None else (lambda text: text)
    if frame.empty:
        return '<p class="note">' + html.escape(_("Nothing to show.")) + "</p>"
    columns = [str(c) for c in frame.columns]
    shown = display.for_page(frame, zone, t)
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c].dtype) and not pd.api.types.is_bool_dtype(frame[c].dtype)
        for c in frame.columns
    ]
    # Plain <th>s (the tests and readers look for "<th>Posts</th>"); numeric ones right-aligned by a
    # rule for this table's columns.
    head = "".join(f"<th>{_header(str(c))}</th>" for c in shown.columns)
    ident = "table-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") if name else f"table{next(_TABLES)}"
    right = ", ".join(f"#{ident} th:nth-child({n})" for n, is_number in enumerate(numeric, start=1) if is_number)
    style = f"<style>{right} {{ text-align: right; }}</style>" if right else ""
    rows = []
    for row in shown.head(limit).itertuples(index=False, name=None):
        cells = []
        for value, column in zip(row, columns, strict=True):
            kind, text = _cell(value, column, t)
            cells.append(f'<td class="{kind}">{text}</td>' if kind else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        '<p class="note">'
        + html.escape(
            _("The first {limit} of {rows} rows; the workbook has them all.").format(
                limit=number_text(limit, t=t), rows=number_text(len(frame), t=t)
            )
        )
        + "</p>"
        if len(frame) > limit
        else ""
    )
    label = f' data-table="{html.escape(name)}"' if name else ""
    return (
        f'{style}<table id="{ident}"{label}><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'
    )


def printed_table(report: Report, name: str) -> tuple[pd.DataFrame, str]:
    """The part of table ``name`` the documents print, and a note where it is not all of it."""
    t = report.words()
    if name == "Most voted questions":
        frame = report.tables.get("Published questions", pd.DataFrame())
        total = report.published_questions or len(frame)
        column, rows = TOP_ROWS[name]
        top = frame.sort_values(column, ascending=False, kind="stable").head(rows) if not frame.empty else frame
        return top, t.gettext(
            "The {shown} most voted of {total} published questions; every one is in the workbook "
            "and the CSV files (published-questions)."
        ).format(shown=number_text(len(top), t=t), total=number_text(total, t=t))
    frame = report.tables[name]
    if name in TOP_ROWS and len(frame) > TOP_ROWS[name][1]:
        column, rows = TOP_ROWS[name]
        top = frame.sort_values(column, ascending=False, kind="stable").head(rows)
        return (
            top,
            t.gettext("The top {n} of {rows} rows by {column}; the workbook has them all.").format(
                n=number_text(rows, t=t), rows=number_text(len(frame), t=t), column=display.label(column, t).lower()
            ),
        )
    return frame, ""


def _chart(figure, first: bool) -> str:
    # plotly.js goes in once, inline, with the first chart; the others use it.
    return (
        '<div class="chart">'
        + pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=bool(first),
            include_mathjax=False,
            config={"displaylogo": False, "responsive": False, "displayModeBar": False},
        )
        + "</div>"
    )


def _key(report: Report) -> str:
    """The full titles behind the charts' short session titles."""
    pairs = [(short, full) for full, short in report.short_titles.items() if short != full]
    if not pairs:
        return ""
    _ = report.words().gettext
    # Marked outside the f-string: pybabel on Python 3.11 reads an f-string as one token, and skips it.
    shown_as, session = html.escape(_("In the charts")), html.escape(_("Session"))
    rows = "".join(f"<tr><td>{html.escape(s)}</td><td>{html.escape(f)}</td></tr>" for s, f in pairs)
    return (
        f'<table class="key" data-key="sessions"><thead><tr><th>{shown_as}</th>'
        f"<th>{session}</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _has(report: Report, name: str) -> bool:
    if name == "Most voted questions":
        return "Published questions" in report.tables
    return name in report.tables or name in report.notes


def _day(value, t: Translator) -> str:
    """A date as the cover writes it: "23 April 2018" ("23 avril 2018")."""
    return f"{value:%d %B %Y}" if t.code == i18n.DEFAULT else format_date(value, "d MMMM y", locale=t.locale)


def _cover(report: Report, sections: list[Section]) -> list[str]:
    event, zone = report.event, report.event.time_zone
    t = report.words()
    _ = t.gettext
    methods = dict(report.tables["Methods"].values) if "Methods" in report.tables else {}
    generated = (
        f"{to_local(report.generated_at, zone):%d %B %Y %H:%M}"
        if t.code == i18n.DEFAULT
        else _day(to_local(report.generated_at, zone), t) + f" {to_local(report.generated_at, zone):%H:%M}"
    )
    facts = [
        (_("Event"), event.name),
        (_("Venue"), event.venue),
        (_("Dates"), f"{_day(event.start_date, t)} – {_day(event.end_date, t)}"),
        (_("Times"), _("in {zone}, as the event's own clock").format(zone=zone)),
        (_("Posts"), f"{methods.get('posts from', '—')} – {methods.get('posts until', '—')}"),
        (_("Networks"), methods.get("networks", "")),
        (_("Collected with"), methods.get("collection query", "")),
        (_("Sources"), methods.get("sources", "")),
        (_("Filters"), methods.get("filters", "")),
        (_("Generated"), generated),
    ]
    parts = [
        '<section class="cover">',
        f"<h1>{html.escape(event.name)}</h1>",
        '<p class="meta">' + html.escape(_("Post-event report: who took part, and who was heard")) + "</p>",
        "<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in facts if v) + "</dl>",
    ]
    if report.caveats:
        parts.append(
            '<div class="caveats"><strong>'
            + html.escape(_("Caveats"))
            + "</strong><ul>"
            + "".join(f"<li>{html.escape(c)}</li>" for c in report.caveats)
            + "</ul></div>"
        )
    entries = [("findings", _("Findings")), *((s.anchor, _(s.title)) for s in sections)]
    parts.append(
        '<nav class="toc"><h2 class="keep">'
        + html.escape(_("Contents"))
        + "</h2><ol>"
        + "".join(f'<li><a href="#{a}">{html.escape(title)}</a></li>' for a, title in entries)
        + "</ol></nav></section>"
    )
    return parts


def _findings(report: Report) -> list[str]:
    t = report.words()
    _ = t.gettext
    parts = ['<section class="findings" id="findings"><h2 class="keep">' + html.escape(_("Findings")) + "</h2>"]
    if report.findings:
        parts.append("<ol>" + "".join(f"<li>{html.escape(f.text)}</li>" for f in report.findings) + "</ol>")
        parts.append(
            '<p class="note">'
            + html.escape(_("Each sentence is computed from the tables of this report by the rules in Methods."))
            + "</p>"
        )
    parts.append(
        "<h3>"
        + html.escape(_("Headline figures"))
        + '</h3><div class="headline">'
        + "".join(
            '<div class="figure"><div class="value">'
            + html.escape(number_text(v, t=t) if isinstance(v, int) else str(v))
            + f'</div><div class="label">{html.escape(report.headline_names.get(k, k))}</div></div>'
            for k, v in report.headline.items()
        )
        + "</div>"
    )
    if report.collected_as:
        parts.append(f'<p class="note">{html.escape(report.collected_as)}</p>')
    if report.under_heard:
        parts.append(
            '<p class="note">'
            + html.escape(
                _("Under-heard groups over the whole event: {groups}").format(groups=", ".join(report.under_heard))
            )
            + ".</p>"
        )
    return [*parts, "</section>"]


def methods_named(frame: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The methods table with its items named in ``t``'s language (the report keeps them in English)."""
    return frame.assign(item=frame["item"].map(t.gettext))


def named(report: Report, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Table ``name`` as the documents print it: the headline's figures and the methods' items in the
    report's language (the report keeps their English names as keys)."""
    if name == "Headline":
        return frame.assign(figure=frame["figure"].map(lambda key: report.headline_names.get(key, key)))
    if name == "Methods":
        return methods_named(frame, report.words())
    return frame


def sections(report: Report) -> list[Section]:
    """The sections ``report`` prints: those with something in them, the appendix when asked for."""
    chosen = [s for s in SECTIONS if any(_has(report, p) for p in s.parts)]
    if report.questions_in_pdf and "Published questions" in report.tables:
        chosen.append(APPENDIX)
    return chosen


def render(report: Report, *, questions_in_pdf: bool | None = None) -> str:
    """The whole report as HTML text; ``questions_in_pdf`` (default: the report's own) adds every
    published question as an appendix."""
    if questions_in_pdf is not None and questions_in_pdf != report.questions_in_pdf:
        from dataclasses import replace

        report = replace(report, questions_in_pdf=questions_in_pdf)
    event, zone = report.event, report.event.time_zone
    t = report.words()
    _ = t.gettext
    chosen = sections(report)
    parts = [*_cover(report, chosen), *_findings(report)]
    first_chart = True
    for section in chosen:
        parts.append(f'<section id="{section.anchor}"><h2>{html.escape(_(section.title))}</h2>')
        paired = False
        for name in section.parts:
            if not _has(report, name):
                continue
            if (name in HALF) != paired:
                parts.append('<div class="pair">' if not paired else "</div>")
                paired = not paired
            wide = " wide" if name in WIDE else ""
            # A short table with no chart stays with its heading, on one page.
            if name not in report.figures and len(report.tables.get(name, ())) <= 16:
                wide += " keep-together"
            parts.append(f'<div class="part{wide}" data-part="{html.escape(name)}">')
            if TITLES.get(name, name) != section.title:
                parts.append(f"<h3>{html.escape(_(TITLES.get(name, name)))}</h3>")
            if name in report.notes:
                parts.append(f'<p class="note">{html.escape(report.notes[name])}</p>')
            if name in report.figures:
                parts.append(_chart(report.figures[name], first_chart))
                first_chart = False
                if name == "By session":
                    parts.append(_key(report))
            if name in report.tables or name == "Most voted questions":
                frame, note = printed_table(report, name)
                if name == "Published questions" and report.published_questions is not None:
                    note = _("The {shown} most voted of {total} published questions.").format(
                        shown=number_text(len(frame), t=t), total=number_text(report.published_questions, t=t)
                    )
                parts.append(table_html(named(report, name, frame), limit=len(frame) or 1, zone=zone, name=name, t=t))
                if note:
                    parts.append(f'<p class="note">{html.escape(note)}</p>')
            parts.append("</div>")
        parts.append("</div></section>" if paired else "</section>")
    body = "\n".join(parts)
    title = _("{event}: post-event report").format(event=event.name)
    return (
        f'<!DOCTYPE html>\n<html lang="{report.language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
