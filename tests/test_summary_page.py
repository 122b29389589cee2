"""The post-event summary page keeps its charts as JSON in the cache: the page draws every chart the
report has, a rerun draws the same ones, and the HTML download still carries them."""

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from engagement import report
from engagement.rules.event import load_event
from engagement.storage import db

ROOT = Path(__file__).resolve().parent.parent


def test_the_summary_draws_the_reports_charts_and_its_html_download_has_them(demo_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_db)
    made: dict[str, object] = {}
    # Each download's data (a function: the file is made when clicked), by file name.
    monkeypatch.setattr(
        st.delta_generator.DeltaGenerator,
        "download_button",
        lambda self, label, data, name, *a, **k: made.__setitem__(name, data),
    )
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["role"] = "organiser"
    at.run()
    at.switch_page("views/summary.py").run()
    assert not at.exception, [e.value for e in at.exception]
    with db.reading(demo_db) as session:
        built = report.build(session, load_event(), question_limit=report.PAGE_QUESTIONS)
    drawn = [t for t in built.figures if t in built.tables and not built.tables[t].empty]
    charts = at.get("plotly_chart")
    assert len(charts) == len(drawn) >= 6
    first = [chart.proto.spec for chart in charts]
    at.run()  # from the cache: the same charts
    assert [chart.proto.spec for chart in at.get("plotly_chart")] == first
    html = made["report.html"]()
    assert html.count('class="chart"') == len(built.figures)
