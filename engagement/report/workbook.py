"""The report's tables as an XLSX workbook (one sheet a table) and as CSV files, formula cells neutralised."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from engagement.analysis import display
from engagement.analysis.exports import csv_bytes, neutralise
from engagement.report.content import Report

INVALID_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")
XLSX_TIME = "yyyy-mm-dd hh:mm"


def sheet_name(name: str) -> str:
    return INVALID_SHEET_CHARACTERS.sub("-", name)[:31]


def file_stem(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def tables(report: Report, times: str = "text") -> dict[str, pd.DataFrame]:
    """The report's tables as files hold them (``display.for_export``): human headers, times in the
    event's zone (sortable text for CSV; ``times="datetime"``: date cells for a spreadsheet, which holds
    no time zones) under a header naming the zone, language names."""
    zone = report.event.time_zone
    return {name: display.for_export(frame, zone, times) for name, frame in report.tables.items()}


def _format_sheet(sheet, frame: pd.DataFrame) -> None:
    """Date cells shown as "2018-04-23 09:30", columns wide enough for their headers."""
    for index, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max(12, len(str(column)) + 2), 50)
        if pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = XLSX_TIME


def write_xlsx(report: Report, path):
    """Write to ``path`` (a file name or a binary buffer) and return it."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        caveats = display.for_export(pd.DataFrame({"caveat": report.caveats or ["none"]}), report.event.time_zone)
        for name, frame in {**tables(report, times="datetime"), "Caveats": caveats}.items():
            neutralise(frame).to_excel(writer, sheet_name=sheet_name(name), index=False)
            _format_sheet(writer.sheets[sheet_name(name)], frame)
    return path


def write_csvs(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables(report).items():
        path = folder / f"{file_stem(name)}.csv"
        path.write_bytes(csv_bytes(frame))
        written.append(path)
    return written


def csv_zip(report: Report) -> bytes:
    """Every table as CSV, in one zip archive (for a download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables(report).items():
            archive.writestr(f"{file_stem(name)}.csv", csv_bytes(frame))
    return buffer.getvalue()


def xlsx_bytes(report: Report) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    return buffer.getvalue()
