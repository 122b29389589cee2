"""Spreadsheet formula injection: every text cell that a spreadsheet would run is neutralised."""

import csv
import io

import pandas as pd
import pytest

from engagement.analysis import exports
from engagement.qa import listing

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("dtype", ["str", object])
def test_formula_cells_become_text_whatever_the_column_type(dtype):
    frame = pd.DataFrame({"text": HOSTILE + ["plain", None], "n": range(len(HOSTILE) + 2)})
    frame["text"] = frame["text"].astype(dtype)
    rows = list(csv.DictReader(io.StringIO(exports.csv_bytes(frame).decode(), newline="")))
    assert [row["text"] for row in rows] == ["'" + value for value in HOSTILE] + ["plain", ""]
    assert [row["n"] for row in rows] == [str(n) for n in range(len(HOSTILE) + 2)]


def test_question_exports_are_neutralised(db_url):
    from sqlalchemy import select

    from engagement.storage import db
    from engagement.storage.models import AgendaSession, Question

    with db.writing(db_url) as session:
        session_id = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-panel-1"))
        session.add(Question(session_id=session_id, text=HOSTILE[0], display_name="@admin", status="approved"))
    with db.reading(db_url) as session:
        data = exports.csv_bytes(listing.export_frame(session)).decode()
    row = next(csv.DictReader(io.StringIO(data)))
    assert (row["question"], row["name"]) == ("'" + HOSTILE[0], "'@admin")
