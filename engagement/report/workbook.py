"""The report's tables as an XLSX workbook (one sheet a table) and as CSV files, formula cells neutralised."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..exports import csv_bytes, neutralise
from ..timeutil import to_local
from .content import Report

INVALID_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    return INVALID_SHEET_CHARACTERS.sub("-", name)[:31]


def file_stem(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _local_times(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Spreadsheets hold no time zones: aware times become the event's local time."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert(zone).dt.tz_localize(None)
        elif out[column].dtype == object and out[column].map(lambda v: isinstance(v, datetime)).any():
            out[column] = out[column].map(
                lambda v: to_local(v, zone).replace(tzinfo=None) if isinstance(v, datetime) else v)
    return out


def tables(report: Report) -> dict[str, pd.DataFrame]:
    return {name: _local_times(frame, report.event.time_zone) for name, frame in report.tables.items()}


def write_xlsx(report: Report, path):
    """Write to ``path`` (a file name or a binary buffer) and return it."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        caveats = pd.DataFrame({"caveat": report.caveats or ["none"]})
        for name, frame in {**tables(report), "Caveats": caveats}.items():
            neutralise(frame).to_excel(writer, sheet_name=sheet_name(name), index=False)
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
