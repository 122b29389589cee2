"""Post-event summary (organisers): the findings first, then who took part and who was heard, with
the report's downloads."""

import re
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engagement import i18n, report, settings
from engagement.app import start
from engagement.programme import registrations
from engagement.report.document import ORDER, TITLES, named
from engagement.report.figures import from_json
from engagement.report.pdf import PdfUnavailable, write_pdf
from engagement.report.voice import RegistrationsError
from engagement.report.workbook import csv_zip, file_stem, xlsx_bytes
from engagement.storage import db
from engagement.ui import staff, widgets
from engagement.ui.auth import require

require("organiser")
event = start()
t = staff.translator()
_ = t.gettext
# The page's own words are in the page's language; the report's text (findings, figures, tables, notes:
# engagement/report) is in the report's language, the organiser's choice below (default the event's),
# as the files it downloads are.
staff.header(_("Post-event summary"), event, t, notes=None)
# The report covers everything collected, as the files `python -m ingest report` writes do; the
# event's days are one click away in the sidebar.
f = widgets.filters(event, period="all")
# Drawn in this order on the page, filled once the summary is read: the one notice area and the
# headline figures first, then the options that change them.
notice_area, headline_area = st.container(), st.container()

left, right = st.columns(2)
default_language = i18n.resolve(query=None, chosen=None, browser=None, event_languages=event.languages)
report_language = left.selectbox(
    _("Language of the report"),
    i18n.LANGUAGES,
    index=i18n.LANGUAGES.index(default_language),
    format_func=lambda code: i18n.ENDONYMS[code],
    key="summary-language",
    help=_("The findings, notes, charts and tables of the report and of its files, in this language."),
)
names = left.toggle(
    _("Include participants' names and affiliations"),
    value=False,
    key="summary-names",
    help=_("Left out by default. Tokens and hashes never leave the database."),
)
upload = right.file_uploader(
    _("Registrations, for the voice gap: a group,registered CSV, or the registration tool's export (CSV or XLSX)"),
    type=["csv", "xlsx"],
    key="summary-registrations",
    help=_(
        "An export is counted per group through a column and a mapping (registration_mapping.csv); "
        "only the counts are used, never a name or an e-mail."
    ),
)


def registrations_counts(upload) -> bytes | None:
    """The uploaded file as group,registered counts: as it is, or counted from an export through the
    column and the mapping chosen here (the same as ``ingest registrations-import``)."""
    if upload is None:
        return None
    path = registrations.keep_upload(upload.getvalue(), upload.name)
    header = registrations.columns_of(path)
    if {"group", "registered"} <= set(header):
        return upload.getvalue()
    column = right.selectbox(_("The column holding the group"), header, key="summary-group-column")
    count = right.segmented_control(
        _("Count"), list(registrations.COUNTS), default="registered", required=True, key="summary-count"
    )
    groups = registrations.event_groups()
    tally = registrations.tally(
        path, group_column=column, groups=groups, mapping=registrations.saved_mapping(), count=count or "registered"
    )
    if tally.unmapped:
        rows = sum(tally.unmapped.values())
        right.caption(
            t.ngettext(
                "{n} row has a value no mapping names: give it a group.",
                "{n} rows have values no mapping names: give each a group.",
                rows,
            ).format(n=t.number(rows))
        )
        unmapped = pd.DataFrame(
            [(value, rows, None) for value, rows in tally.unmapped.most_common()], columns=["value", "rows", "group"]
        )
        chosen = right.data_editor(
            unmapped,
            hide_index=True,
            disabled=["value", "rows"],
            key="summary-mapping",
            column_config={"group": st.column_config.SelectboxColumn(_("Group"), options=list(groups))},
        )
        added = {str(v): str(g) for v, g in zip(chosen["value"], chosen["group"], strict=True) if isinstance(g, str)}
        if added and right.button(_("Save the mapping"), key="summary-save-mapping"):
            registrations.save_mapping(added)
            st.rerun()
    return registrations.render(tally, upload.name, count or "registered", groups).encode("utf-8")


BRACKETED = re.compile(r"(.+?) \((.+)\)")


def plain(text: str) -> str:
    """``text`` shown as it is in Markdown: its markup characters escaped (a "$" would start LaTeX)."""
    return re.sub(r"([\\`*_\[\]#$~<>|])", r"\\\1", text)


@st.cache_data(ttl=60, show_spinner=_("Computing the summary…"))
def load(url: str, f, names: bool, registrations: bytes | None, language: str):
    """The summary, its charts as Plotly JSON beside it: the cache hands every rerun a copy (a pickle),
    and unpickling eight figures rebuilt and checked each one, template and all; a string is copied as
    it is (the page's warm run at 50,000 posts: 0.28 → 0.17 s of CPU)."""
    source = None
    if registrations is not None:
        source = Path(tempfile.mkdtemp(prefix="registrations-")) / "registrations.csv"
        source.write_bytes(registrations)
    with db.reading_together(url, report.THREADS) as db_sessions:
        built = report.build(
            db_sessions,
            event,
            f,
            names=names,
            registrations=source,
            question_limit=report.PAGE_QUESTIONS,
            language=language,
        )
    return replace(built, figures={}), {name: chart.to_json() for name, chart in built.figures.items()}


@st.cache_resource(max_entries=64, show_spinner=False)
def figure(spec: str) -> go.Figure:
    """A chart of the summary from its JSON, built once a process (read only: st.plotly_chart and the
    report's files copy it)."""
    return from_json(spec)


def complete():
    """The summary with every published question (the page lists the most voted) and its charts: for
    the files, read when a download is clicked."""
    with db.reading(settings.database_url()) as session:
        whole = report.with_all_questions(summary, session)
    return replace(whole, figures={name: figure(spec) for name, spec in specs.items()})


try:
    summary, specs = load(settings.database_url(), f, names, registrations_counts(upload), report_language)
except (RegistrationsError, registrations.RegistrationsError) as problem:
    st.error(_("The registrations file cannot be used: {reason}").format(reason=problem), icon=":material/error:")
    st.stop()

with notice_area:
    staff.notices(t, [*summary.caveats, widgets.describe(f, event)])

with headline_area:
    st.subheader(_("Findings"))
    if summary.findings:
        st.markdown("\n".join(f"{n}. {plain(f.text)}" for n, f in enumerate(summary.findings, start=1)))
        st.caption(_("Each sentence is computed from the tables below by the rules in Methods."))
    st.subheader(_("Headline figures"))
    figures = list(summary.headline.items())
    # Three to a row, and a figure's count in brackets beside its value ("Mon 23 Apr 09:42 (16
    # posts)") goes under it: a metric's large value is cut where it is wider than its column.
    for start_at in range(0, len(figures), 3):
        for column, (label, value) in zip(st.columns(3), figures[start_at : start_at + 3], strict=False):
            text = t.number(value) if isinstance(value, int) else str(value)
            main, detail = found.groups() if (found := BRACKETED.fullmatch(text)) else (text, None)
            column.metric(
                summary.headline_names.get(label, label).capitalize(),
                main,
                detail,
                delta_color="off",
                delta_arrow="off",
                border=True,
            )
    if summary.collected_as:
        st.text(summary.collected_as)
    if summary.under_heard:
        st.text(_("Under-heard groups over the whole event: {groups}").format(groups=", ".join(summary.under_heard)))

downloads = st.columns(4)
# Each file is made when its button is clicked, not on every run of the page.
downloads[0].download_button(
    _("Report (HTML)"),
    lambda: report.render(complete()),
    "report.html",
    "text/html",
    key="summary-html",
    icon=":material/description:",
)
downloads[1].download_button(
    _("Workbook (XLSX)"),
    lambda: xlsx_bytes(complete()),
    "report.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="summary-xlsx",
    icon=":material/table:",
)
downloads[2].download_button(
    _("Tables (CSV, zip)"),
    lambda: csv_zip(complete()),
    "report-csv.zip",
    "application/zip",
    key="summary-csv",
    icon=":material/folder_zip:",
)
if downloads[3].button(_("Prepare a PDF"), key="summary-pdf", icon=":material/picture_as_pdf:"):
    folder = Path(tempfile.mkdtemp(prefix="report-"))
    page = folder / "report.html"
    page.write_text(report.render(complete()), encoding="utf-8")
    try:
        st.session_state["summary-pdf-bytes"] = write_pdf(page, folder / "report.pdf").read_bytes()
    except PdfUnavailable as problem:
        st.session_state.pop("summary-pdf-bytes", None)
        downloads[3].error(str(problem))
if "summary-pdf-bytes" in st.session_state:
    downloads[3].download_button(
        _("Download the PDF"),
        st.session_state["summary-pdf-bytes"],
        "report.pdf",
        "application/pdf",
        key="summary-pdf-download",
    )

for name in ORDER:
    if name not in summary.tables and name not in summary.notes:
        continue
    st.subheader(_(TITLES.get(name, name)))
    if name in summary.notes:
        st.caption(summary.notes[name])
    if name == "Published questions" and summary.published_questions is not None:
        st.caption(
            _("The {shown} most voted of {published} published questions; the downloads above list them all.").format(
                shown=t.number(len(summary.tables[name])), published=t.number(summary.published_questions)
            )
        )
    if name in specs and name in summary.tables and not summary.tables[name].empty:
        st.plotly_chart(figure(specs[name]), config={"displayModeBar": False}, key=f"summary-chart-{file_stem(name)}")
    if name in summary.tables:
        widgets.table(
            named(summary, name, summary.tables[name]),  # the methods' items in the report's language
            f"summary-{file_stem(name)}",
            empty=_("Nothing to show for these filters."),
            link_column="link" if "link" in summary.tables[name].columns else None,
        )
