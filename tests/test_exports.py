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


def test_exports_of_posts_and_authors_carry_the_network_and_follow_its_filter(two_network_db, monkeypatch):
    from engagement.analysis import analytics, display, queries
    from engagement.storage import db
    from engagement.ui import widgets

    made = {}
    monkeypatch.setattr(widgets.st, "download_button", lambda label, data, name, *a, **k: made.__setitem__(name, data))
    on_bluesky = analytics.Filters(networks=("bluesky",))
    with db.reading(two_network_db) as session:
        frames = {
            "contributors": analytics.top_contributors(session, on_bluesky, limit=50),
            "shared": analytics.most_retweeted(session, on_bluesky, limit=50),
            "newest": queries.newest_posts(session, 50, networks=("bluesky",)),
            "everyone": analytics.top_contributors(session, limit=500),
        }
    for name, frame in frames.items():
        widgets.download(frame, name, zone="Europe/Vienna")
    read = {name: list(csv.DictReader(io.StringIO(made[f"{name}.csv"]().decode()))) for name in frames}
    for name in ("contributors", "shared", "newest"):
        assert read[name] and {row["Network"] for row in read[name]} == {"Bluesky"}, name
    assert {row["Network"] for row in read["everyone"]} == {"X", "Bluesky"}
    assert all(row["Link"].startswith("https://bsky.app/profile/did:") for row in read["newest"])
    assert display.label("network") == "Network"
