"""Tables leaving the database for spreadsheets: cells a spreadsheet would run as a formula are neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel
and LibreOffice (``=HYPERLINK(…)`` is the classic). Prefixing a ``'`` makes it plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas only where a frame is given: the worker imports this module for its
    import pandas as pd  # formula rules, and importing pandas cost it 0.3 s of every start.

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    return "'" + value if isinstance(value, str) and value[:1] in FORMULA_STARTS else value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # CRLF line ends (RFC 4180) also make the writer quote any cell holding a bare carriage return.
    return neutralise(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], comments: Iterable[str] = ()) -> str:
    """Rows as CSV text (``# `` comment lines first), every text cell neutralised: for the small
    files the importers write for organisers to open (registrations, mappings)."""
    out = io.StringIO()
    for line in comments:
        out.write(f"# {line}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([neutralise_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def plain_cell(value: str) -> str:
    """A cell as it was before ``neutralise_cell``, for a file read back."""
    return value[1:] if value.startswith("'") and value[1:2] and value[1:2] in FORMULA_STARTS else value
