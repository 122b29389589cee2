"""The report as a document on the demo event: findings computed from its own tables, findings first
in every format, a PDF of at most 16 pages whose table headers never break inside a word and whose
charts keep title and legend on one page, and HTML, XLSX, CSV and PDF agreeing figure for figure."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from engagement import report
from engagement.analysis import display
from engagement.report import document, figures, findings
from engagement.report.workbook import file_stem, sheet_name
from engagement.rules.event import load_event
from engagement.storage import db

MAX_PAGES = 16
NEEDS_PDF = pytest.mark.skipif(
    not (Path("/usr/bin/chromium").exists() and shutil.which("pdftotext")) and not os.environ.get("CI"),
    reason="needs Debian's chromium and poppler-utils (.ci/run installs them; in CI their absence fails)",
)


@pytest.fixture(scope="module")
def built(demo_db):
    with db.reading(demo_db) as session:
        return report.build(session, load_event())


@pytest.fixture(scope="module")
def written(built, tmp_path_factory):
    """The demo's report written once as HTML, XLSX and CSV."""
    return report.write(built, tmp_path_factory.mktemp("report-document") / "r", pdf=False)


@pytest.fixture(scope="module")
def printed(built, tmp_path_factory):
    """The demo's report written once in every format, the PDF by Chromium."""
    return report.write(built, tmp_path_factory.mktemp("report-printed") / "r")


class Tables(HTMLParser):
    """The tables of an HTML report by their data-table name: header and rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.sections: list[str] = []
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self._rows = self.tables.setdefault(attrs["data-table"], [])
        elif tag == "section" and "id" in attrs:
            self.sections.append(attrs["id"])
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._rows is not None:
            self._rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parsed(page: str) -> Tables:
    tables = Tables()
    tables.feed(page)
    return tables


def looked_up(built, source: findings.Source):
    frame = built.tables[source.table]
    if source.key == "row":
        return frame.loc[int(source.row), source.column]
    return frame.loc[frame[source.key].astype(str) == source.row, source.column].iloc[0]


def test_findings_are_five_to_eight_sentences_made_of_the_reports_own_figures(built):
    assert 5 <= len(built.findings) <= findings.LIMIT
    assert [f.rule for f in built.findings] == [
        name for name, _, _ in findings.RULES if name in {f.rule for f in built.findings}
    ]
    for finding in built.findings:
        assert finding.sources, finding.text
        for source in finding.sources:
            # The cell is in the report's table, holds that value, and the sentence prints it.
            assert looked_up(built, source) == source.value, (finding.text, source)
            assert source.shown in finding.text, (finding.text, source)
        # Every number in the sentence is one of those cells.
        numbers = re.findall(r"\d[\d,.]*%?", finding.text)
        shown = " ".join(s.shown for s in finding.sources)
        for number in numbers:
            assert number.rstrip(".,") in shown or number in " ".join(s.row for s in finding.sources), (
                finding.text,
                number,
            )
    methods = dict(built.tables["Methods"].values)
    assert all(says in methods["findings"] for _, says, _ in findings.RULES)


def test_the_under_heard_findings_name_the_groups_the_voice_gap_marks(built):
    gap = built.tables["Voice gap"].set_index("group")
    named = [f for f in built.findings if f.rule.startswith("under-heard")]
    assert named
    for finding in named:
        group = finding.sources[0].row
        assert bool(gap.loc[group, "under-heard"]) and finding.text.startswith(group)
        assert findings.percent(gap.loc[group, "registered share"]) in finding.text
    # The worst first: its lower ratio is no higher than the next one's.
    worst = [min(gap.loc[f.sources[0].row, ["posts ratio", "questions ratio"]]) for f in named]
    assert worst == sorted(worst)


def test_a_report_with_no_voice_gap_or_questions_says_only_what_it_has():
    tables = {
        "Headline": pd.DataFrame(
            [
                ("collected posts", "12"),
                ("unique voices", "5"),
                ("stakeholder groups heard", "2"),
                ("questions", "0"),
                ("answered share", "—"),
            ],
            columns=["figure", "value"],
        )
    }
    said = findings.findings(tables)
    assert [f.text for f in said] == ["12 posts by 5 unique voices from 2 stakeholder groups, and 0 questions."]


def test_short_session_titles_are_unique_and_keyed():
    titles = [
        "Panel 1: Government co-ordination",
        "Panel 1: a repeat",
        "High-level opening session of the conference",
        "Closing",
    ]
    shorts = figures.short_titles(titles)
    assert shorts["Closing"] == "Closing" and len(set(shorts.values())) == 4
    assert shorts["Panel 1: Government co-ordination"].startswith("Panel 1")
    assert all(len(s) <= figures.SHORT + 4 for s in shorts.values())


def test_findings_come_first_in_the_html_workbook_and_csv(built, written):
    page = written.html.read_text()
    tables = parsed(page)
    assert tables.sections[:2] == ["findings", "sessions"]
    assert page.index('id="findings"') < page.index('id="sessions"') < page.index('id="methods"')
    for finding in built.findings:
        assert document.html.escape(finding.text) in page
    workbook = openpyxl.load_workbook(written.xlsx)
    assert workbook.sheetnames[:2] == ["README", "Findings"]
    listed = [row[1] for row in workbook["Findings"].iter_rows(min_row=2, values_only=True)]
    assert listed == [f.text for f in built.findings]
    rows = list(csv.DictReader(io.StringIO((written.html.parent / "csv" / "findings.csv").read_text())))
    assert [row["Finding"] for row in rows] == [f.text for f in built.findings]
    # The README names every sheet that follows it, with what it holds.
    readme = {row[0] for row in workbook["README"].iter_rows(min_row=2, values_only=True)}
    assert set(workbook.sheetnames[1:]) <= readme


def test_the_workbook_freezes_its_headers_fits_its_columns_and_holds_real_times(built, written):
    workbook = openpyxl.load_workbook(written.xlsx)
    for name in workbook.sheetnames:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        for column in sheet.iter_cols(min_row=1, max_row=1):
            header = column[0]
            assert sheet.column_dimensions[header.column_letter].width >= min(len(str(header.value)), 58), name
    sessions = workbook["By session"]
    header = [c.value for c in sessions[1]]
    starts = header.index(f"Starts ({built.event.time_zone})")
    first = next(sessions.iter_rows(min_row=2, values_only=True))
    assert isinstance(first[starts], datetime) and first[starts].hour == 9  # 09:30 in Vienna, not 07:30 UTC


def test_the_html_prints_long_tables_as_their_top_rows_and_questions_only_when_asked(built):
    tables = parsed(report.render(built))
    heat = built.tables["Session x group"]
    assert len(heat) > 10 and len(tables.tables["Session x group"]) == 1 + 10
    top = heat.sort_values("posts", ascending=False, kind="stable").head(10)
    assert [int(r[-1].replace(",", "")) for r in tables.tables["Session x group"][1:]] == list(top["posts"])
    assert len(tables.tables["Conversations"]) == 1 + 10
    assert "Published questions" not in tables.tables and "Most voted questions" in tables.tables
    every = parsed(report.render(built, questions_in_pdf=True))
    assert len(every.tables["Published questions"]) == 1 + len(built.tables["Published questions"])
    assert every.sections[-1] == "questions"


def _number(value, column: str) -> str:
    return document.number_text(value, column)


def _printed_rows(built, name: str) -> pd.DataFrame:
    return document.printed_table(built, name)[0]


def test_html_xlsx_and_csv_agree_figure_for_figure(built, written):
    html_tables = parsed(written.html.read_text()).tables
    workbook = openpyxl.load_workbook(written.xlsx)
    zone = built.event.time_zone
    for name, frame in built.tables.items():
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool]
        if not numeric:
            continue
        sheet = list(workbook[sheet_name(name)].iter_rows(values_only=True))
        rows = list(csv.reader(io.StringIO((written.html.parent / "csv" / f"{file_stem(name)}.csv").read_text())))
        assert len(sheet) == len(rows) == len(frame) + 1, name
        on_page = _printed_rows(built, name) if name in html_tables else None
        for column in numeric:
            label = display.export_label(column, zone)
            at = sheet[0].index(label)
            assert rows[0][at] == label, name
            for n, value in enumerate(frame[column]):
                if pd.isna(value):
                    continue
                assert sheet[n + 1][at] == pytest.approx(value), (name, column, n)
                assert float(rows[n + 1][at]) == pytest.approx(value), (name, column, n)
            if on_page is not None:
                header = html_tables[name][0]
                at_html = header.index(display.label(column))
                shown = [row[at_html] for row in html_tables[name][1:]]
                assert shown == [_number(v, column) if pd.notna(v) else "" for v in on_page[column]], (name, column)


def pdf_pages(path: Path) -> list[str]:
    """The PDF's text, page by page, in the order Chromium drew it (pdftotext -raw)."""
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def tokens(text: str) -> list[str]:
    return text.split()


def contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


@NEEDS_PDF
@pytest.mark.browser
def test_the_pdf_has_at_most_16_pages_findings_first(built, printed):
    assert printed.pdf is not None, printed.pdf_problem
    pages = pdf_pages(printed.pdf)
    assert 4 <= len(pages) <= MAX_PAGES
    assert built.event.name.split()[0] in pages[0] and "Caveats" in pages[0] and "Contents" in pages[0]
    assert "Findings" in pages[1]
    flat = " ".join(tokens(pages[1]))
    for finding in built.findings:
        assert " ".join(tokens(finding.text)) in flat, finding.text


@NEEDS_PDF
@pytest.mark.browser
def test_no_table_header_in_the_pdf_breaks_inside_a_word(built, printed):
    """Every printed table's header reads whole in the PDF's text: each header's words in a row,
    as Chromium drew them (a header broken inside a word reads 'lan gu ag e' instead)."""
    everything = [t for page in pdf_pages(printed.pdf) for t in tokens(page)]
    headers = parsed(printed.html.read_text()).tables
    assert {"By session", "By group", "Voice gap", "Q&A by session", "Top contributors"} <= set(headers)
    for name, rows in headers.items():
        for header in rows[0]:
            assert contains(everything, tokens(header)), (name, header)


@NEEDS_PDF
@pytest.mark.browser
def test_every_chart_has_its_title_and_legend_on_one_page(built, printed):
    pages = [" ".join(tokens(page)) for page in pdf_pages(printed.pdf)]
    assert len(built.figures) >= 7
    for name, figure in built.figures.items():
        title = figure.layout.title.text
        legend = [t.name for t in figure.data if t.name and figure.layout.showlegend is not False]
        legend += [t.colorbar.title.text for t in figure.data if getattr(t, "colorbar", None) and t.colorbar.title.text]
        on = [n for n, page in enumerate(pages) if title in page]
        assert on, (name, title)
        assert any(all(entry in pages[n] for entry in legend) for n in on), (name, title, legend)


@NEEDS_PDF
@pytest.mark.browser
def test_the_pdf_agrees_with_the_tables_figure_for_figure(built, printed):
    """Each printed row's numbers appear in the PDF as they do in the HTML, in the same order."""
    everything = [t for page in pdf_pages(printed.pdf) for t in tokens(page)]
    for name in ("By session", "By group", "Voice gap", "Q&A by session", "Session x group"):
        frame = _printed_rows(built, name)
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool]
        for _, row in frame.iterrows():
            cells = [_number(row[c], c) for c in numeric if pd.notna(row[c])]
            assert contains(everything, cells), (name, cells)
