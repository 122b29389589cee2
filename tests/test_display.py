"""What people read: human column labels, times in the event's zone, language names, one notice area,
the event's days by default (engagement.analysis.display, engagement.ui.widgets and the pages, on the demo)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engagement import report
from engagement.analysis import display
from engagement.report.workbook import csv_zip, xlsx_bytes
from engagement.rules.event import load_event
from engagement.storage import db

from .helpers import ROOT

ZONE = "Europe/Vienna"
OPENING = datetime(2018, 4, 23, 7, 30, tzinfo=UTC)  # 09:30 in Vienna (summer time)
# The event's days, 23–24 April in Vienna, in UTC as the database stores times.
EVENT_DAYS = ("2018-04-22 22:00:00", "2018-04-24 22:00:00")
ANALYSE = ["views/engagement.py", "views/sessions.py", "views/groups.py", "views/conversations.py"]
NOTICES = {"info", "warning", "error", "success", "exception"}


def sql(url, query, *args):
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return con.execute(query, args).fetchone()[0]
    finally:
        con.close()


def app(url, monkeypatch, page):
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["role"] = "organiser"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def in_order(node):
    """The page's elements in the order they are drawn (containers opened up)."""
    for child in getattr(node, "children", {}).values():
        yield child
        yield from in_order(child)


# The formatting module on its own.


def test_language_names_come_from_cldr_and_undetermined_codes_read_so():
    assert display.language_name("en") == "English" and display.language_name("ru") == "Russian"
    assert display.language_name("uk") == "Ukrainian" and display.language_name("pt-BR") == "Portuguese (Brazil)"
    for code in ("und", "zxx", "qme", "", None, "no-such-code"):
        assert display.language_name(code) == "Undetermined", code


def test_times_are_shown_in_the_event_zone_and_exported_sortable():
    assert display.format_time(OPENING, ZONE) == "Mon 23 Apr, 09:30"
    assert display.format_time(OPENING, ZONE, display.EXPORT_TIME) == "2018-04-23 09:30"
    assert display.format_time(datetime(2018, 1, 8, 7, 30, tzinfo=UTC), ZONE) == "Mon 08 Jan, 08:30"
    assert display.format_time(None, ZONE) == ""


def test_a_frame_for_a_page_and_for_a_file():
    frame = pd.DataFrame(
        {
            "starts_at": pd.to_datetime([OPENING, None], utc=True),
            "language": ["ru", "und"],
            "posts": [3, 4],
            "submitted_share": [0.25, 0.75],
        }
    )
    page = display.for_page(frame, ZONE)
    assert list(page.columns) == ["Starts", "Language", "Posts", "Share of submitted"]
    assert page["Starts"].iloc[0] == pd.Timestamp("2018-04-23 09:30") and page["Starts"].dt.tz is None
    assert list(page["Language"]) == ["Russian", "Undetermined"]
    exported = display.for_export(frame, ZONE)
    assert list(exported.columns) == ["Starts (Europe/Vienna)", "Language", "Posts", "Share of submitted"]
    assert list(exported["Starts (Europe/Vienna)"]) == ["2018-04-23 09:30", ""]
    # The frame itself keeps UTC and codes: converted only for display.
    assert frame["starts_at"].iloc[0] == pd.Timestamp(OPENING) and frame["language"].iloc[0] == "ru"
    # A naive time is the report's local time already: not shifted again.
    naive = display.for_export(pd.DataFrame({"asked at": [datetime(2018, 4, 23, 9, 30)]}), ZONE)
    assert naive.to_dict("list") == {"Asked at (Europe/Vienna)": ["2018-04-23 09:30"]}
    assert display.label("some_new_column") == "Some new column"


# The pages.


def test_the_sessions_page_shows_vienna_times_not_utc(demo_db, monkeypatch):
    at = app(demo_db, monkeypatch, "views/sessions.py")
    sessions = at.dataframe[0]
    assert "+00:00" not in sessions.value.to_string() and "+00:00" not in sessions.value.to_csv()
    opening = sessions.value.set_index("Session").loc["High-level opening session", "Starts"]
    assert sql(demo_db, "SELECT starts_at FROM agenda_session WHERE key = 'd1-opening'").startswith("2018-04-23 07:30")
    assert (opening.hour, opening.minute) == (9, 30) and opening.tzinfo is None
    config = json.loads(sessions.proto.columns)
    assert config["Starts"]["type_config"]["format"] == display.PAGE_TIME_MOMENT


def test_no_table_on_the_analyse_and_summary_pages_shows_a_raw_column_name(demo_db, monkeypatch):
    names = {}
    for page in ANALYSE + ["views/summary.py"]:
        at = app(demo_db, monkeypatch, page)
        names[page] = [str(c) for frame in at.dataframe for c in frame.value.columns]
    raw = {
        page: [n for n in shown if "_" in n or not n[:1].isupper() or n in display.LABELS]
        for page, shown in names.items()
    }
    assert raw == {page: [] for page in names}
    # The pages with tables (Engagement and Conversations have charts only) were looked at.
    assert all(names[page] for page in ("views/sessions.py", "views/groups.py", "views/summary.py"))
    assert {"Starts", "Unique authors", "Language", "Asked at"} <= {n for shown in names.values() for n in shown}


def test_the_summary_page_says_its_caveats_once_before_its_figures(demo_db, monkeypatch):
    at = app(demo_db, monkeypatch, "views/summary.py")
    before = []
    for element in in_order(at.main):
        if element.type == "metric":
            break
        if element.type in NOTICES:
            before.append(element)
    assert len(before) == 1
    said = before[0].value
    assert said.count("Demo data") == 1 and "agenda is illustrative" in said and "registration counts" in said
    assert len(at.metric) >= 12


def test_the_engagement_page_opens_on_the_event_days_with_everything_one_click_away(demo_db, monkeypatch):
    at = app(demo_db, monkeypatch, "views/engagement.py")
    assert at.sidebar.date_input(key="filter-days-event").value == (date(2018, 4, 23), date(2018, 4, 24))
    in_event = sql(
        demo_db, "SELECT count(*) FROM post WHERE collected AND created_at >= ? AND created_at < ?", *EVENT_DAYS
    )
    everything = sql(demo_db, "SELECT count(*) FROM post WHERE collected")
    earlier = sql(demo_db, "SELECT count(*) FROM post WHERE collected AND created_at < ?", EVENT_DAYS[0])
    assert earlier > 0 and metrics(at)["Collected posts"] == f"{in_event:,}"

    at.button_group(key="filter-period").set_value("all").run()
    assert not at.exception
    assert metrics(at)["Collected posts"] == f"{everything:,}"
    days = at.sidebar.date_input(key="filter-days-all").value
    assert days[0] < date(2018, 4, 23) and days[1] > date(2018, 4, 24)


def test_languages_read_as_names_and_filter_by_code(demo_db, monkeypatch):
    at = app(demo_db, monkeypatch, "views/engagement.py")
    languages = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if json.loads(c.proto.spec)["layout"]["title"]["text"] == "Languages"
    )
    shown = languages["data"][0]["y"]
    assert "Russian" in shown and "English" in shown and "ru" not in shown and "en" not in shown
    chooser = at.sidebar.multiselect(key="filter-languages")
    assert "Russian" in chooser.options and "ru" not in chooser.options
    chooser.set_value(["ru"]).run()
    assert not at.exception and at.sidebar.multiselect(key="filter-languages").value == ["ru"]
    russian = sql(
        demo_db,
        "SELECT count(*) FROM post WHERE collected AND language = 'ru' AND created_at >= ? AND created_at < ?",
        *EVENT_DAYS,
    )
    assert metrics(at)["Collected posts"] == f"{russian:,}" and russian > 0

    summary = app(demo_db, monkeypatch, "views/summary.py")
    table = next(d.value for d in summary.dataframe if "Language" in d.value.columns and "Posts" in d.value.columns)
    assert "Russian" in set(table["Language"]) and "ru" not in set(table["Language"])


def test_a_csv_download_has_human_headers_and_local_times(demo_db, monkeypatch):
    from engagement.analysis import analytics
    from engagement.qa import listing
    from engagement.ui import widgets

    made = {}
    monkeypatch.setattr(widgets.st, "download_button", lambda label, data, name, *a, **k: made.__setitem__(name, data))
    monkeypatch.setenv("DATABASE_URL", demo_db)
    with db.reading(demo_db) as session:
        sessions = analytics.by_session(session).drop(columns=["id"])
    widgets.download(sessions, "sessions", zone=ZONE)
    widgets.download(widgets.read_later(listing.export_frame), "questions", zone=ZONE)
    rows = list(csv.DictReader(io.StringIO(made["sessions.csv"]().decode())))
    assert list(rows[0]) == ["Key", "Session", "Starts (Europe/Vienna)", "Posts", "Unique authors", "Questions"]
    assert rows[0]["Starts (Europe/Vienna)"] == "2018-04-23 09:30" and "+00:00" not in made["sessions.csv"]().decode()
    questions = list(csv.DictReader(io.StringIO(made["questions.csv"]().decode())))
    first = questions[0]
    asked = sql(demo_db, "SELECT created_at FROM question WHERE id = ?", int(first["ID"]))
    local = pd.Timestamp(asked, tz="UTC").tz_convert(ZONE)
    assert first["Asked at (Europe/Vienna)"] == f"{local:%Y-%m-%d %H:%M}"
    assert first["Language"] in {
        "English",
        "French",
        "German",
        "Italian",
        "Spanish",
        "Russian",
        "Ukrainian",
        "Arabic",
        "Turkish",
    }
    # The agenda file keeps its own columns: the app reads it back.
    widgets.download(pd.DataFrame({"key": ["a"], "start": ["2018-04-23 09:30"]}), "agenda", raw=True, zone=ZONE)
    assert made["agenda.csv"]().decode().splitlines()[0] == "key,start"


@pytest.fixture(scope="module")
def demo_report(demo_db):
    with db.reading(demo_db) as session:
        return report.build(session, load_event(), names=True)


def test_the_report_files_have_human_headers_local_times_and_language_names(demo_report):
    with zipfile.ZipFile(io.BytesIO(csv_zip(demo_report))) as archive:
        questions = list(csv.DictReader(io.StringIO(archive.read("published-questions.csv").decode())))
        by_session = list(csv.DictReader(io.StringIO(archive.read("by-session.csv").decode())))
    assert {"Session", "Question", "Language", "Votes", "Asked at (Europe/Vienna)"} <= set(questions[0])
    assert all(
        len(row["Asked at (Europe/Vienna)"]) == 16 and row["Asked at (Europe/Vienna)"][10] == " " for row in questions
    )
    assert "Russian" in {row["Language"] for row in questions}
    assert "Starts (Europe/Vienna)" in by_session[0] and "Unique authors" in by_session[0]

    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(demo_report)))
    sheet = workbook["Published questions"]
    header = [c.value for c in sheet[1]]
    asked = header.index("Asked at (Europe/Vienna)") + 1
    cell = sheet.cell(row=2, column=asked)
    assert isinstance(cell.value, datetime) and cell.number_format == "yyyy-mm-dd hh:mm"
    assert [c.value for c in workbook["Caveats"][1]] == ["Caveat"]

    page = report.render(demo_report)
    assert "<th>Asked at</th>" in page and "<th>asked at</th>" not in page and "+00:00" not in page
    assert "<td>Russian</td>" in page and "<th>Unique authors</th>" in page


def test_kinds_read_in_neutral_words_with_each_shown_networks_own():
    assert display.kind_label("retweet", ("x", "bluesky")) == "reposts (retweets)"
    assert display.kind_label("retweet", ("bluesky",), capital=True) == "Reposts"
    assert display.kind_label("retweet", ("mastodon", "x")) == "reposts (retweets, boosts)"
    assert [display.kind_label(k, ("x",)) for k in ("original", "reply", "quote")] == ["originals", "replies", "quotes"]
    assert [display.kind_word("retweet", n) for n in ("x", "bluesky", "mastodon")] == [
        "repost (retweet)",
        "repost",
        "repost (boost)",
    ]
    assert display.kind_word("reply", "x") == "reply" and display.kind_word("original") == "original"


def test_a_network_has_one_label_and_colour_on_pages_and_in_files():
    frame = pd.DataFrame({"network": ["x", "bluesky", "mastodon"], "posts": [3, 2, 1]})
    assert list(display.for_page(frame, ZONE)["Network"]) == ["X", "Bluesky", "Mastodon"]
    assert list(display.for_export(frame, ZONE)["Network"]) == ["X", "Bluesky", "Mastodon"]
    colours = {display.network_colour(n) for n in display.NETWORK_ORDER}
    assert len(colours) == len(display.NETWORK_ORDER)
    status = "https://mastodon.social/users/someone/statuses/1"
    # A Mastodon status's version number is no address: its URI is; X links its newest edit.
    assert display.post_link("mastodon", status, "1524480000000000") == status
    assert display.post_link("x", "1000", "1001") == "https://x.com/i/web/status/1001"
    posts = pd.DataFrame({"network": ["mastodon", "x"], "post": [status, "1000"], "id": ["1524480000000000", "1001"]})
    assert list(display.with_links(posts)["link"]) == [status, "https://x.com/i/web/status/1001"]
