"""The report's tables as an XLSX workbook and as CSV files, formula cells neutralised.

The workbook opens on a README sheet (what each sheet holds, the caveats, the time zone), then the
findings, then one sheet a table: human headers in a frozen first row, columns as wide as their
content (up to ``MAX_WIDTH``, long text wrapped), times as date cells in the event's zone. The CSV
files hold the same tables under the same headers (docs/guide-organisers.md lists them), and
``findings.csv`` the findings with the rule behind each.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from engagement import i18n
from engagement.analysis import display
from engagement.analysis.exports import csv_bytes, neutralise
from engagement.i18n import N_
from engagement.report.content import Report

INVALID_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")
XLSX_TIME = "yyyy-mm-dd hh:mm"
MAX_WIDTH = 60  # characters: a wider column (a question, a post) wraps instead
README = "README"
FINDINGS = N_("Findings")
CAVEATS = N_("Caveats")


def sheet_name(name: str) -> str:
    return INVALID_SHEET_CHARACTERS.sub("-", name)[:31]


def file_stem(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def tables(report: Report, times: str = "text") -> dict[str, pd.DataFrame]:
    """The report's tables as files hold them (``display.for_export``): human headers, times in the
    event's zone (sortable text for CSV; ``times="datetime"``: date cells for a spreadsheet, which holds
    no time zones) under a header naming the zone, language names; in the report's language (keyed by
    the tables' English names, which name the CSV files)."""
    from engagement.report.document import named

    zone, t = report.event.time_zone, report.words()
    return {
        name: display.for_export(named(report, name, frame), zone, times, t) for name, frame in report.tables.items()
    }


def _sheet(report: Report, name: str) -> str:
    """A sheet's name: the table's name in the report's language, as a spreadsheet allows it."""
    return sheet_name(name if report.language == i18n.DEFAULT else report.words().gettext(name))


def _width(frame: pd.DataFrame, column) -> int:
    """Characters a column needs: its header's and its longest value's (a time: 16), at most MAX_WIDTH."""
    if pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
        longest = 16
    else:
        lengths = frame[column].map(lambda v: len(str(v)) if v is not None and v == v else 0)
        longest = int(lengths.max()) if len(lengths) else 0
    return min(max(len(str(column)), longest, 6) + 2, MAX_WIDTH)


def _format_sheet(sheet, frame: pd.DataFrame) -> None:
    """A frozen header row in bold, date cells shown as "2018-04-23 09:30", each column as wide as its
    content; text wider than ``MAX_WIDTH`` wraps."""
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(index)
        width = _width(frame, column)
        sheet.column_dimensions[letter].width = width
        if pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = XLSX_TIME
        elif width == MAX_WIDTH:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def findings_table(report: Report) -> pd.DataFrame:
    """The findings as a table: the sentence and the rule that chose it (headers in the report's language)."""
    _ = report.words().gettext
    return pd.DataFrame(
        [(n, f.text, f.rule) for n, f in enumerate(report.findings, start=1)],
        columns=[_("Number"), _("Finding"), _("Rule")],
    )


def readme(report: Report, sheets: list[str]) -> pd.DataFrame:
    """What each sheet holds, the caveats and how times are written: the workbook's first sheet."""
    from engagement.report.document import TITLES

    zone = report.event.time_zone
    _ = report.words().gettext
    rows = [
        (_("Report"), _("{event}: post-event report").format(event=report.event.name)),
        (_("Times"), _("in {zone}, as date cells (a header names the zone)").format(zone=zone)),
        *((_("Caveat"), c) for c in report.caveats),
        (
            _sheet(report, FINDINGS),
            _("The findings the report opens with, each with the rule that chose it (see Methods)"),
        ),
    ]
    for name in sheets:
        what = _(TITLES.get(name, name))
        note = report.notes.get(name)
        rows.append((_sheet(report, name), f"{what}: {note}" if note else what))
    rows.append((_sheet(report, CAVEATS), _("The caveats above, one a row")))
    return pd.DataFrame(rows, columns=[_("Sheet or item"), _("What it holds")])


def write_xlsx(report: Report, path):
    """Write to ``path`` (a file name or a binary buffer) and return it."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        t = report.words()
        caveats = display.for_export(
            pd.DataFrame({"caveat": report.caveats or [t.gettext("none")]}), report.event.time_zone, t=t
        )
        data = tables(report, times="datetime")
        sheets = {README: readme(report, list(data)), FINDINGS: findings_table(report), **data, CAVEATS: caveats}
        for name, frame in sheets.items():
            sheet = README if name == README else _sheet(report, name)
            neutralise(frame).to_excel(writer, sheet_name=sheet, index=False)
            _format_sheet(writer.sheets[sheet], frame)
    return path


def write_csvs(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in {FINDINGS: findings_table(report), **tables(report)}.items():
        path = folder / f"{file_stem(name)}.csv"
        path.write_bytes(csv_bytes(frame))
        written.append(path)
    return written


def csv_zip(report: Report) -> bytes:
    """Every table as CSV, in one zip archive (for a download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in {FINDINGS: findings_table(report), **tables(report)}.items():
            archive.writestr(f"{file_stem(name)}.csv", csv_bytes(frame))
    return buffer.getvalue()


def xlsx_bytes(report: Report) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    return buffer.getvalue()
