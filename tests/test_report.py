"""The post-event summary on the demo database: every section, each figure against its SQL count, the
workbook read back with openpyxl, the CLI, and the PDF's clear message where Chromium is missing."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd
import plotly.io as pio
import pytest

from engagement import report
from engagement.analysis import display
from engagement.report import figures, pdf, voice
from engagement.rules.event import load_event
from engagement.storage import db

from .helpers.worker import ingest

SECTIONS = {
    "Headline",
    "By network",
    "By session",
    "By group",
    "Session x group",
    "Languages",
    "Top posts",
    "Top contributors",
    "Q&A by session",
    "Questions by group",
    "Conversations",
    "Moderation actions",
    "Dismissal reasons",
    "Published questions",
    "Voice gap",
    "Voice gap by layer",
    "Speakers",
    "Voice gap by session",
    "Methods",
}


def sql(url, query, *args):
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


def one(url, query, *args):
    return sql(url, query, *args)[0][0]


@pytest.fixture(scope="module")
def demo_report(demo_db):
    with db.reading(demo_db) as session:
        return report.build(session, load_event())


def test_every_section_is_there(demo_report):
    assert set(demo_report.tables) == SECTIONS
    assert {"By session", "By group", "Session x group", "Questions by group", "Voice gap"} <= set(demo_report.figures)
    assert any("Demo data" in c for c in demo_report.caveats)
    assert any("agenda is illustrative" in c for c in demo_report.caveats)
    assert any("registration counts are illustrative" in c for c in demo_report.caveats)


def _without_empty(value):
    """A chart's JSON without empty objects: the checked figure drops ``{}`` where the unchecked keeps it."""
    if isinstance(value, dict):
        kept = {key: _without_empty(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item != {}}
    if isinstance(value, list):
        return [_without_empty(item) for item in value]
    return value


def test_a_chart_from_its_json_draws_as_the_checked_one(demo_report):
    # The summary page keeps its charts as JSON and draws them again without checking each property.
    for name, chart in demo_report.figures.items():
        spec = chart.to_json()
        again, checked = figures.from_json(spec), pio.from_json(spec)
        drawn = json.loads(pio.to_json(again, validate=False))
        assert _without_empty(drawn) == _without_empty(json.loads(pio.to_json(checked, validate=False))), name
        assert drawn["data"] and drawn["layout"]["title"], name  # not an empty figure that equals another


def test_headline_figures_equal_their_sql_counts(demo_db, demo_report):
    h = demo_report.headline
    collected = "FROM post WHERE collected"
    assert h["collected posts"] == one(demo_db, f"SELECT count(*) {collected}")
    # Kinds in neutral words; the demo is on X, so its reposts say "retweets" too.
    kinds = (("original", "originals"), ("retweet", "reposts (retweets)"), ("reply", "replies"), ("quote", "quotes"))
    for kind, name in kinds:
        assert h[name] == one(demo_db, f"SELECT count(*) {collected} AND kind = ?", kind)
    assert h["unique voices"] == one(demo_db, f"SELECT count(DISTINCT author_id) {collected}")
    assert h["questions"] == one(demo_db, "SELECT count(*) FROM question WHERE status != 'merged'")
    answered = one(
        demo_db,
        "SELECT count(*) FROM question WHERE status = 'answered' OR "
        "(status = 'archived' AND previous_status = 'answered')",
    )
    assert h["answered share"] == f"{answered / h['questions']:.0%}"
    assert h["votes"] == one(demo_db, "SELECT sum(votes) FROM question WHERE status != 'merged'")
    minute, posts = sql(
        demo_db,
        "SELECT strftime('%s', created_at) / 60 AS m, count(*) FROM post WHERE collected "
        "GROUP BY m ORDER BY count(*) DESC, m LIMIT 1",
    )[0]
    assert h["peak minute"].endswith(f"({posts} posts)")
    sessions = one(demo_db, "SELECT count(*) FROM agenda_session WHERE kind != 'break'")
    covered = one(
        demo_db,
        "SELECT count(*) FROM agenda_session s WHERE kind != 'break' AND (EXISTS (SELECT 1 FROM "
        "post p WHERE p.session_id = s.id AND p.collected) OR EXISTS (SELECT 1 FROM question q "
        "WHERE q.session_id = s.id))",
    )
    assert h["sessions covered"] == f"{covered} of {sessions}"


def test_session_and_qa_tables_equal_sql(demo_db, demo_report):
    by_session = demo_report.tables["By session"].set_index("session")
    for title, posts in sql(
        demo_db,
        "SELECT s.title, count(p.id) FROM agenda_session s LEFT JOIN post p ON "
        "p.session_id = s.id AND p.collected WHERE s.kind != 'break' GROUP BY s.id",
    ):
        assert by_session.loc[title, "posts"] == posts
    qa = demo_report.tables["Q&A by session"].set_index("session")
    for title, submitted, answered in sql(
        demo_db,
        "SELECT s.title, count(q.id), count(CASE WHEN q.status = 'answered' OR (q.status = 'archived' "
        "AND q.previous_status = 'answered') THEN 1 END) FROM agenda_session s JOIN question q ON "
        "q.session_id = s.id AND q.status != 'merged' GROUP BY s.id",
    ):
        assert (qa.loc[title, "submitted"], qa.loc[title, "answered"]) == (submitted, answered)
    assert qa["submitted"].sum() == demo_report.headline["questions"]


def test_the_voice_gap_compares_shares_among_registered_groups(demo_db, tmp_path):
    registrations = tmp_path / "registrations.csv"
    registrations.write_text("group,registered\ngovernment,300\nNGO / civil society,100\nmedia,0\n")
    with db.reading(demo_db) as session:
        built = report.build(session, load_event(), registrations=registrations)
    gap = built.tables["Voice gap"].set_index("group")
    assert list(gap.index) == ["Participating State (government)", "NGO / civil society"]
    government, civil = (
        one(
            demo_db,
            "SELECT count(*) FROM post p JOIN author a ON a.id = p.author_id WHERE p.collected AND a.group_key = ?",
            key,
        )
        for key in ("government", "civil_society")
    )
    assert gap.loc["NGO / civil society", "posts"] == civil
    assert gap.loc["NGO / civil society", "posts share"] == round(civil / (civil + government), 3)
    assert gap.loc["Participating State (government)", "registered share"] == 0.75
    ratio = round((government / (civil + government)) / 0.75, 2)
    assert gap.loc["Participating State (government)", "posts ratio"] == ratio
    assert gap.loc["Participating State (government)", "under-heard"] == (
        ratio < voice.UNDER_HEARD or gap.loc["Participating State (government)", "questions ratio"] < voice.UNDER_HEARD
    )
    assert not any("illustrative" in c for c in built.caveats if "registration" in c)
    assert set(built.tables["Voice gap by session"].columns) >= {"session", "under-heard groups"}


def test_a_bad_registrations_file_says_where(demo_db, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("group,registered\nnobody,3\n")
    with db.reading(demo_db) as session, pytest.raises(voice.RegistrationsError, match=r"r.csv:2: 'nobody'"):
        report.build(session, load_event(), registrations=path)


@pytest.fixture(scope="module")
def hostile_url(demo_db, tmp_path_factory):
    """The demo plus a published question and a name made of hostile strings."""
    path = tmp_path_factory.mktemp("report-hostile") / "hostile.db"
    shutil.copy(demo_db.removeprefix("sqlite:///"), path)
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO question (session_id, text, display_name, affiliation, status, votes, flagged, origin, "
        "starred, forgotten, created_at, updated_at) SELECT id, ?, ?, '@evil', 'approved', 999, 0, 'app', 0, 0, "
        "'2018-04-23 09:00:00', '2018-04-23 09:00:00' FROM agenda_session WHERE key = 'd1-panel-1'",
        ('=HYPERLINK("http://evil.example","x") <script>alert(1)</script>', "Zxq <b>Hostile</b> Name"),
    )
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_the_cli_writes_html_xlsx_csv_and_reads_back(hostile_url, tmp_path):
    out = tmp_path / "report"
    result = ingest("report", "--out", str(out), "--names", "--no-pdf", url=hostile_url)
    assert result.returncode == 0, result.stderr
    assert {p.name for p in out.iterdir()} == {"report.html", "report.xlsx", "csv"}
    workbook = openpyxl.load_workbook(out / "report.xlsx")
    assert set(workbook.sheetnames) == SECTIONS | {"README", "Findings", "Caveats"}
    assert workbook.sheetnames[:2] == ["README", "Findings"]
    headline = {row[0]: row[1] for row in workbook["Headline"].iter_rows(min_row=2, values_only=True)}
    assert headline["collected posts"] == str(one(hostile_url, "SELECT count(*) FROM post WHERE collected"))
    rows = list(workbook["By session"].iter_rows(values_only=True))
    posts_column = rows[0].index("Posts")
    assert sum(row[posts_column] for row in rows[1:]) == one(hostile_url, "SELECT count(*) FROM post WHERE collected")
    questions = list(workbook["Published questions"].iter_rows(values_only=True))
    header = questions[0]
    hostile = next(row for row in questions[1:] if row[header.index("Votes")] == 999)
    # A formula stays text in the workbook; the name is there because --names was given.
    assert hostile[header.index("Question")].startswith("'=HYPERLINK(")
    assert hostile[header.index("Name")] == "Zxq <b>Hostile</b> Name"
    assert hostile[header.index("Affiliation")] == "'@evil"
    assert workbook["Published questions"].cell(row=2, column=1).data_type != "f"
    csv_text = (out / "csv" / "published-questions.csv").read_text()
    assert "'=HYPERLINK(" in csv_text and "participant" not in csv_text
    page = (out / "report.html").read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Zxq &lt;b&gt;Hostile&lt;/b&gt; Name" in page and "<b>Hostile</b>" not in page


def test_names_are_left_out_by_default(hostile_url, tmp_path):
    result = ingest("report", "--out", str(tmp_path / "r"), "--no-pdf", url=hostile_url)
    assert result.returncode == 0, result.stderr
    questions = list(
        openpyxl.load_workbook(tmp_path / "r" / "report.xlsx")["Published questions"].iter_rows(values_only=True)
    )
    assert "Name" not in questions[0] and "Affiliation" not in questions[0] and "Question" in questions[0]
    assert "Zxq" not in (tmp_path / "r" / "report.html").read_text()


def test_a_missing_chromium_gives_a_clear_message(hostile_url, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    with db.reading(hostile_url) as session:
        built = report.build(session, load_event())
    written = report.write(built, tmp_path / "r")
    assert (
        written.pdf is None
        and "no Chromium found" in written.pdf_problem
        and "apt-get install chromium" in written.pdf_problem
    )
    result = ingest("report", "--out", str(tmp_path / "cli"), url=hostile_url, PATH="/nonexistent")
    assert result.returncode == 0 and "no PDF: no Chromium found" in result.stdout


@pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)
def test_the_pdf_is_printed_by_chromium(hostile_url, tmp_path):
    result = ingest("report", "--out", str(tmp_path / "r"), url=hostile_url)
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "r" / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 50_000


@pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)
def test_the_html_report_shows_its_charts_offline_in_chromium(hostile_url, tmp_path):
    from playwright.sync_api import sync_playwright

    result = ingest("report", "--out", str(tmp_path / "r"), "--names", "--no-pdf", url=hostile_url)
    assert result.returncode == 0, result.stderr
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = chromium.new_page(viewport={"width": 1200, "height": 900})
        requests, problems, dialogs = [], [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto((tmp_path / "r" / "report.html").as_uri())
        # Every chart drawn (bounded: a report that draws fewer fails here, or on the count below).
        # Every chart drawn: each plot has its SVG and its laid-out size (a plot has two SVGs, so a count
        # of SVGs alone can be reached while the last chart is still being drawn).
        page.wait_for_function(
            "(() => { const plots = [...document.querySelectorAll('.js-plotly-plot')];"
            " return plots.length >= 8 && plots.every(p => p._fullLayout && p.querySelector('.main-svg')); })()",
            timeout=60_000,
        )
        charts = page.locator(".js-plotly-plot")
        # networks, sessions, groups, sessions x groups, voice gap and its layers, group to group,
        # questions by group
        assert charts.count() == 8
        for n in range(charts.count()):
            assert charts.nth(n).locator(".main-svg").count() >= 1
            assert charts.nth(n).bounding_box()["height"] > 200, charts.nth(n).evaluate(
                "e => e.closest('.part').dataset.part"
            )
        # Contents and findings, then the six questions and the methods.
        assert page.locator("h2").count() >= 9
        assert "Zxq <b>Hostile</b> Name" in page.inner_text("body")
        assert page.locator("td b, td script, td img").count() == 0
        assert problems == [] and dialogs == []
        assert [url for url in requests if not url.startswith("file:")] == []
        page.emulate_media(media="print")
        assert page.locator("h2").nth(2).evaluate("e => getComputedStyle(e).breakBefore") == "page"
        chromium.close()


def test_the_summary_page_matches_the_report(demo_db, monkeypatch, demo_report):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from .helpers import ROOT

    monkeypatch.setenv("DATABASE_URL", demo_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["role"] = "organiser"
    at.run()
    at.switch_page("views/summary.py").run()
    assert not at.exception, [e.value for e in at.exception]
    # The findings first: the report's sentences, in its order, above the headline figures.
    said = [m.value for m in at.markdown if m.value.startswith("1. ")]
    assert said == ["\n".join(f"{n}. {f.text}" for n, f in enumerate(demo_report.findings, start=1))]
    assert [s.value for s in at.subheader][:2] == ["Findings", "Headline figures"]
    metrics = {m.label: m.value for m in at.metric}
    # The peak minute whole, its count under it ("Mon 23 Apr 09:42", "16 posts"): never cut.
    peak = next(m for m in at.metric if m.label == "Peak minute")
    assert f"{peak.value} ({peak.delta})" == demo_report.headline["peak minute"]
    assert metrics["Collected posts"] == f"{demo_report.headline['collected posts']:,}"
    assert metrics["Questions"] == f"{demo_report.headline['questions']:,}"
    assert metrics["Answered share"] == demo_report.headline["answered share"]
    subheaders = [s.value for s in at.subheader]
    assert {"Voice gap", "Q&A per session", "Moderation transparency: actions", "Methods"} <= set(subheaders)
    assert len(at.get("plotly_chart")) >= 4
    assert not at.toggle(key="summary-names").value
    assert not any("most voted" in c.value for c in at.caption)

    # Past the page's limit, it lists the most voted and says how many there are.
    monkeypatch.setattr(report, "PAGE_QUESTIONS", 4)
    st.cache_data.clear()
    at.switch_page("views/summary.py").run()
    assert not at.exception, [e.value for e in at.exception]
    total = len(demo_report.tables["Published questions"])
    assert f"The 4 most voted of {total:,} published questions; the downloads above list them all." in [
        c.value for c in at.caption
    ]
    listed = [d.value for d in at.dataframe if "Question" in d.value.columns]
    assert [len(table) for table in listed] == [4]


@pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)
def test_the_summary_page_downloads_in_a_browser(hostile_url, tmp_path):
    from playwright.sync_api import sync_playwright

    from .helpers.browser import PASSWORDS, Watched, go, serve, sign_in

    with sync_playwright() as playwright, serve(hostile_url) as base:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        watched = Watched(chromium)
        watched.open(base)
        sign_in(watched, PASSWORDS["ORGANISER_PASSWORD"])
        go(watched, "Post-event summary")
        watched.page.wait_for_selector('h1:has-text("Post-event summary")', timeout=60_000)
        watched.page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
        # No headline figure is cut: every value fits its box (a cut one is wider than it shows).
        values = watched.page.locator('[data-testid="stMetricValue"]')
        assert values.count() >= 12
        cut = values.evaluate_all(
            "els => els.filter(e => [e, ...e.querySelectorAll('*')].some(n => n.scrollWidth > n.clientWidth + 1))"
            ".map(e => e.innerText)"
        )
        assert cut == []
        assert "Findings" in watched.page.locator("h3").all_inner_texts()
        with watched.page.expect_download(timeout=60_000) as download:
            watched.page.get_by_role("button", name="Workbook (XLSX)").click()
        download.value.save_as(tmp_path / "report.xlsx")
        workbook = openpyxl.load_workbook(tmp_path / "report.xlsx")
        assert "Voice gap" in workbook.sheetnames
        with watched.page.expect_download(timeout=60_000) as download:
            watched.page.locator(".st-key-download-summary-published-questions button").click()
        text = Path(download.value.path()).read_text()
        assert "'=HYPERLINK(" in text and "Zxq" not in text
        assert watched.count("stException") == 0
        chromium.close()


def test_a_report_read_in_threads_equals_one_read_in_one_session(demo_db, demo_report):
    with db.reading_together(demo_db, 3) as sessions:
        threaded = report.build(sessions, load_event())
    assert threaded.headline == demo_report.headline
    assert threaded.tables.keys() == demo_report.tables.keys()
    for name, table in demo_report.tables.items():
        pd.testing.assert_frame_equal(threaded.tables[name], table, obj=name)
    assert threaded.caveats == demo_report.caveats and threaded.under_heard == demo_report.under_heard


def test_a_page_lists_the_most_voted_questions_and_the_files_all_of_them(demo_db, demo_report):
    every = demo_report.tables["Published questions"]
    assert len(every) > 3 and demo_report.published_questions is None
    with db.reading(demo_db) as session:
        short = report.build(session, load_event(), question_limit=3)
        listed = short.tables["Published questions"]
        assert short.published_questions == len(every)
        assert sorted(listed["votes"], reverse=True) == sorted(every["votes"], reverse=True)[:3]
        # Still in agenda order, as in the files.
        order = {title: n for n, title in enumerate(dict.fromkeys(every["session"]))}
        assert list(listed["session"].map(order)) == sorted(listed["session"].map(order))
        full = report.with_all_questions(short, session)
    pd.testing.assert_frame_equal(full.tables["Published questions"], every)
    assert full.published_questions is None
    assert short.tables["Headline"].equals(demo_report.tables["Headline"])


@pytest.fixture(scope="module")
def two_network_report(two_network_db):
    with db.reading(two_network_db) as session:
        return report.build(session, load_event())


def test_the_report_breaks_posts_down_by_network_in_every_format(two_network_db, two_network_report):
    import io
    import zipfile

    from engagement.report.workbook import csv_zip, xlsx_bytes

    by_network = two_network_report.tables["By network"].set_index("network")
    for network, posts, authors in sql(
        two_network_db,
        "SELECT platform, count(*), count(DISTINCT author_id) FROM post WHERE collected GROUP BY platform",
    ):
        assert (by_network.loc[network, "posts"], by_network.loc[network, "authors"]) == (posts, authors)
    assert set(by_network.index) == {"x", "bluesky"}
    assert two_network_report.headline["reposts (retweets)"] == one(
        two_network_db, "SELECT count(*) FROM post WHERE collected AND kind = 'retweet'"
    )
    page = report.render(two_network_report)
    assert "<h3>Posts by network</h3>" in page and "<td>Bluesky</td>" in page
    colours = two_network_report.figures["By network"].data[0].marker.color
    assert list(colours) == [display.NETWORK_COLOURS[n] for n in by_network.index]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(two_network_report)))["By network"]
    assert [c.value for c in sheet[1]] == ["Network", "Posts", "Unique authors"]
    assert {row[0].value for row in sheet.iter_rows(min_row=2)} == {"X", "Bluesky"}
    with zipfile.ZipFile(io.BytesIO(csv_zip(two_network_report))) as archive:
        rows = archive.read("by-network.csv").decode().splitlines()
    assert rows[0] == "Network,Posts,Unique authors" and len(rows) == 3
    kinds = set(two_network_report.tables["Conversations"]["kind"])
    assert "repost" in kinds and kinds <= {"mention", "repost", "reply", "quote"}
    methods = dict(two_network_report.tables["Methods"].values)
    assert f"Bluesky: {by_network.loc['bluesky', 'posts']:,} posts" in methods["networks"]


def test_a_report_of_one_network_counts_that_network_alone(two_network_db, two_network_report):
    from engagement.analysis.analytics import Filters

    with db.reading(two_network_db) as session:
        alone = report.build(session, load_event(), Filters(networks=("bluesky",)))
    on_bluesky = "FROM post WHERE collected AND platform = 'bluesky'"
    assert alone.headline["collected posts"] == one(two_network_db, f"SELECT count(*) {on_bluesky}")
    assert alone.headline["collected posts"] < two_network_report.headline["collected posts"]
    # Bluesky alone: "reposts", with no X word beside it.
    assert alone.headline["reposts"] == one(two_network_db, f"SELECT count(*) {on_bluesky} AND kind = 'retweet'")
    assert "reposts (retweets)" not in alone.headline
    assert list(alone.tables["By network"]["network"]) == ["bluesky"]
    assert set(alone.tables["Top contributors"]["network"]) <= {"bluesky"}
    assert set(alone.tables["Top posts"]["network"]) <= {"bluesky"}
    assert "networks: Bluesky" in dict(alone.tables["Methods"].values)["filters"]
    by_group = alone.tables["By group"]["posts"].sum()
    own = one(two_network_db, f"SELECT count(*) {on_bluesky} AND reason = 'own'")
    assert by_group == alone.headline["collected posts"] - own


def test_the_networks_a_report_is_asked_for_are_checked():
    from engagement.analysis.analytics import ALL

    assert report.for_networks(None) is ALL and report.for_networks([]) is ALL
    assert report.for_networks(["Bluesky"]).networks == ("bluesky",)
    assert report.for_networks(["x,bluesky", "x"]).networks == ("x", "bluesky")
    with pytest.raises(report.UnknownNetwork, match=r"unknown network 'twitter': choose from x, bluesky, mastodon"):
        report.for_networks(["twitter"])
