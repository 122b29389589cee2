"""The network on the pages, through AppTest on ``make demo``'s two networks: the Live view filtered
and broken down per network, kinds in neutral words, a network column in the tables people download,
the Ingest status page's sources, and posts hidden from the public absent from sign-in-free pages."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from engagement.analysis import display
from engagement.storage import db, flags
from engagement.storage.models import IngestCheckpoint, IngestRun, Post
from engagement.ui.menu import PAGES

from .helpers import ROOT
from .helpers.pages import page

CLOCK = datetime(2018, 4, 23, 11, 30, tzinfo=UTC)  # 13:30 in Vienna, day 1: the side event runs
UNTIL = "2018-04-23 11:30:00.000000"
HIDDEN = "HIDDEN-FROM-THE-PUBLIC"


def sql(url, query, *args):
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return con.execute(query, args).fetchone()[0]
    finally:
        con.close()


def copy(url: str, folder) -> str:
    path = folder / "copy.db"
    shutil.copy(url.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def clocked_two(two_network_db, tmp_path_factory) -> str:
    """The two-network demo with the replay clock in the side event, a hidden Bluesky post among the
    session's, and runs and resume points of two sources."""
    url = copy(two_network_db, tmp_path_factory.mktemp("two-clocked"))
    with db.writing(url) as session:
        flags.set_replay_clock(session, CLOCK)
        session.add(IngestRun(source="bsky-stream", command="bsky-stream", status="running", started_at=CLOCK))
        session.add(IngestCheckpoint(source="bsky-stream", position=json.dumps({"time_us": 1_524_483_000_000_000})))
        session.add(IngestRun(source="x-poll", command="x-poll", status="ok", started_at=CLOCK, ended_at=CLOCK))
    db.dispose_engines()
    return url


def session_posts(url, network=None) -> int:
    side = sql(url, "SELECT id FROM agenda_session WHERE key = 'd1-side-survivors'")
    on = " AND platform = ?" if network else ""
    return sql(
        url,
        f"SELECT count(*) FROM post WHERE collected AND session_id = ? AND created_at <= ?{on}",
        side,
        UNTIL,
        *([network] if network else []),
    )


def charts(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_live_breaks_the_session_down_per_network_and_filters_by_one(clocked_two, monkeypatch):
    on_x, on_bluesky = session_posts(clocked_two, "x"), session_posts(clocked_two, "bluesky")
    assert on_x > 0 and on_bluesky > 0
    at = page(clocked_two, monkeypatch, "views/live.py", role="moderator")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Posts"] == f"{on_x + on_bluesky:,}"
    assert shown["Posts on X"] == f"{on_x:,}" and shown["Posts on Bluesky"] == f"{on_bluesky:,}"
    minute = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Posts per minute"))
    colours = {t["name"]: t["marker"]["color"] for t in minute["data"]}
    assert colours == {"X": display.NETWORK_COLOURS["x"], "Bluesky": display.NETWORK_COLOURS["bluesky"]}
    assert set(at.dataframe[0].value["Network"]) == {"X", "Bluesky"}

    at.multiselect(key="live-networks").set_value(["bluesky"]).run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Posts"] == f"{on_bluesky:,}" and "Posts on X" not in shown
    voices = sql(
        clocked_two,
        "SELECT count(DISTINCT author_id) FROM post WHERE collected AND platform = 'bluesky' AND session_id = "
        "(SELECT id FROM agenda_session WHERE key = 'd1-side-survivors') AND created_at <= ?",
        UNTIL,
    )
    assert shown["Unique voices"] == f"{voices:,}"
    newest = at.dataframe[0].value
    assert set(newest["Network"]) == {"Bluesky"} and all(
        link.startswith("https://bsky.app/") for link in newest["Link"]
    )
    # A Bluesky repost reads "repost", never X's word.
    assert "repost (retweet)" not in set(newest["Kind"])
    feed = [t.value for t in at.text if t.value[:2].isdigit()]
    assert feed and all("  Bluesky  @" in line for line in feed)


def test_kinds_read_reposts_with_retweets_only_while_x_is_shown(two_network_db, monkeypatch):
    at = page(two_network_db, monkeypatch, "views/engagement.py", role="moderator")
    kinds = at.sidebar.multiselect(key="filter-kinds")
    assert "Reposts (retweets)" in kinds.options and "Retweets" not in kinds.options
    volume = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Posts per 15 minutes"))
    assert {t["name"] for t in volume["data"]} == {"originals", "reposts (retweets)", "replies", "quotes"}
    by_network = next(c for c in charts(at) if c["layout"]["title"]["text"] == "Posts by network")
    colours = dict(zip(by_network["data"][0]["y"], by_network["data"][0]["marker"]["color"], strict=True))
    assert colours == {"X": display.NETWORK_COLOURS["x"], "Bluesky": display.NETWORK_COLOURS["bluesky"]}

    at.sidebar.multiselect(key="filter-networks").set_value(["bluesky"]).run()
    assert "Reposts" in at.sidebar.multiselect(key="filter-kinds").options
    volume = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Posts per 15 minutes"))
    assert {t["name"] for t in volume["data"]} == {"originals", "reposts", "replies", "quotes"}


def test_the_tables_people_download_carry_the_network_and_follow_its_filter(two_network_db, monkeypatch):
    at = page(two_network_db, monkeypatch, "views/groups.py", role="moderator")
    at.button_group(key="filter-period").set_value("all").run()
    contributors = at.dataframe[0].value
    assert "Network" in contributors.columns and set(contributors["Network"]) <= {"X", "Bluesky"}
    at.sidebar.multiselect(key="filter-networks").set_value(["bluesky"]).run()
    contributors = at.dataframe[0].value
    assert len(contributors) > 0 and set(contributors["Network"]) == {"Bluesky"}
    top = contributors.iloc[0]
    posts = sql(
        two_network_db,
        "SELECT count(*) FROM post p JOIN author a ON a.id = p.author_id WHERE p.collected "
        "AND p.platform = 'bluesky' AND a.handle = ?",
        top["Account"],
    )
    assert top["Posts"] == posts > 0

    at = page(two_network_db, monkeypatch, "views/sessions.py", role="moderator")
    at.button_group(key="filter-period").set_value("all").run()
    at.sidebar.multiselect(key="filter-networks").set_value(["x"]).run()
    shared = at.dataframe[-1].value
    assert len(shared) > 0 and set(shared["Network"]) == {"X"}
    assert all(link.startswith("https://x.com/") for link in shared["Link"])


def test_the_ingest_page_shows_each_sources_state_lag_and_posts(clocked_two, monkeypatch):
    at = page(clocked_two, monkeypatch, "views/ingest.py", role="organiser")
    shown = {m.label: m.value for m in at.metric}
    on_bluesky = sql(clocked_two, "SELECT count(*) FROM post WHERE collected AND platform = 'bluesky'")
    assert shown["Collected on Bluesky"] == f"{on_bluesky:,}"
    table = next(d.value for d in at.dataframe if "State" in d.value.columns).set_index("Source")
    assert list(table.index[:3]) == ["x-poll", "x-stream", "bsky-stream"]
    assert table.loc["x-stream", "State"] == "never run" and table.loc["x-poll", "State"] == "ok"
    assert table.loc["bsky-stream", "State"] == "running" and table.loc["bsky-stream", "Posts"] == on_bluesky
    # The resume point stands at 2018-04-23 11:30 UTC: years behind now.
    assert table.loc["bsky-stream", "Behind now (s)"] > 365 * 86400
    assert table.loc["bsky-stream", "Resume point age (s)"] >= 0

    from engagement.storage.status import database_status

    with db.reading(clocked_two) as session:
        status = json.loads(json.dumps(database_status(session)))  # what status --json prints
    assert list(status["sources"])[:3] == ["x-poll", "x-stream", "bsky-stream"]
    assert (
        status["sources"]["bsky-stream"]["network"] == "bluesky"
        and status["sources"]["x-stream"]["posts"] == (status["posts_by_platform"]["x"])
    )


@pytest.fixture(scope="module")
def hidden_db(two_network_db, tmp_path_factory) -> str:
    """Every Bluesky post hidden from the public, with a text that says so."""
    url = copy(two_network_db, tmp_path_factory.mktemp("two-hidden"))
    with db.writing(url) as session:
        session.execute(
            update(Post).where(Post.platform == "bluesky").values(hidden=True, text=HIDDEN + " " + Post.text)
        )
    db.dispose_engines()
    return url


def rendered(at) -> bytes:
    """Every element the page drew, as its serialised message (tables' cells among the bytes)."""

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            yield proto.SerializeToString()
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    return b"".join(walk(at._tree))


@pytest.mark.parametrize("spec", [p for p in PAGES if p.minimum == "participant"], ids=lambda p: p.url_path)
def test_hidden_posts_never_show_on_a_page_that_needs_no_sign_in(hidden_db, monkeypatch, spec):
    at = page(hidden_db, monkeypatch, spec.path)
    assert HIDDEN.encode() not in rendered(at)


def test_the_projector_needs_a_sign_in_and_staff_pages_still_count_hidden_posts(hidden_db, monkeypatch):
    assert next(p for p in PAGES if p.url_path == "screen").minimum == "moderator"
    # Not in a participant's menu; the page file run on its own (a deep link) asks for a sign-in.
    monkeypatch.setenv("DATABASE_URL", hidden_db)
    at = AppTest.from_file(str(ROOT / "views/screen.py"), default_timeout=60).run()
    assert [t.value for t in at.title] == ["Sign in"] and HIDDEN.encode() not in rendered(at)
    # Signed-in staff read them (the check above sees table cells: here it finds them).
    at = page(hidden_db, monkeypatch, "views/sessions.py", role="moderator")
    at.button_group(key="filter-period").set_value("all").run()
    at.sidebar.multiselect(key="filter-networks").set_value(["bluesky"]).run()
    assert HIDDEN.encode() in rendered(at)
    at = page(hidden_db, monkeypatch, "views/engagement.py", role="moderator")
    at.button_group(key="filter-period").set_value("all").run()
    at.sidebar.multiselect(key="filter-networks").set_value(["bluesky"]).run()
    shown = {m.label: m.value for m in at.metric}
    on_bluesky = sql(hidden_db, "SELECT count(*) FROM post WHERE collected AND platform = 'bluesky' AND hidden")
    assert shown["Collected posts"] == f"{on_bluesky:,}" and on_bluesky > 0


def test_the_summary_page_reports_one_network_when_filtered_to_it(two_network_db, monkeypatch):
    at = page(two_network_db, monkeypatch, "views/summary.py", role="organiser")
    shown = {m.label: m.value for m in at.metric}
    assert "Reposts (retweets)" in shown and "Retweets" not in shown
    at.sidebar.multiselect(key="filter-networks").set_value(["bluesky"]).run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    on_bluesky = "FROM post WHERE collected AND platform = 'bluesky'"
    assert shown["Collected posts"] == f"{sql(two_network_db, f'SELECT count(*) {on_bluesky}'):,}"
    assert shown["Reposts"] == f"{sql(two_network_db, f'SELECT count(*) {on_bluesky} AND kind = ?', 'retweet'):,}"
    assert "Reposts (retweets)" not in shown
    assert "Posts by network" in [s.value for s in at.subheader]
    by_network = next(d.value for d in at.dataframe if list(d.value.columns) == ["Network", "Posts", "Unique authors"])
    assert list(by_network["Network"]) == ["Bluesky"]
    assert any("Bluesky" in i.value for i in at.info)  # the filters in effect, said once
