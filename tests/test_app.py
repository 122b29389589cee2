"""The app on real demo databases, through AppTest: roles, figures against SQL, charts against totals, filters."""

import base64
import html
import json
import sqlite3

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engagement.analysis import charts, display
from engagement.ui.menu import PAGES, menu_for

from .helpers import ROOT
from .helpers.pages import OIDC_SECRETS

STAFF_PAGES = [p for p in PAGES if p.minimum != "participant"]


def sql(url, query, *args):
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return con.execute(query, args).fetchone()[0]
    finally:
        con.close()


def app(url, monkeypatch, role=None):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MODERATOR_PASSWORD", "moderator-secret-1")
    monkeypatch.setenv("ORGANISER_PASSWORD", "organiser-secret-2")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if role:
        at.session_state["role"] = role
    return at.run()


def plotly(at, index=0):
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def values(data):
    """Plotly 7 writes numeric arrays as typed base64 ({"dtype", "bdata"})."""
    if isinstance(data, dict) and "bdata" in data:
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
        return array.reshape(data["shape"]) if "shape" in data and isinstance(data["shape"], list) else array
    return np.array(data)


def total(data) -> int:
    return int(values(data).sum())


def trace(figure, name):
    return next(t for t in figure["data"] if t.get("name") == name)


def test_each_role_sees_exactly_its_pages():
    def paths(role):
        return {p.url_path for pages in menu_for(role).values() for p in pages}

    assert paths("participant") == {"ask", "account"}
    assert paths("moderator") == {
        "ask",
        "live",
        "queue",
        "screen",
        "engagement",
        "sessions",
        "groups",
        "conversations",
        "account",
    }
    assert paths("organiser") == {p.url_path for p in PAGES}
    assert list(menu_for("organiser")) == ["Participate", "Moderate", "Analyse", "Report", "Admin", "Account"]
    assert {"ask", "live", "queue", "screen", "engagement", "summary"} <= {p.url_path for p in PAGES}


@pytest.mark.parametrize("page", STAFF_PAGES, ids=lambda p: p.url_path)
def test_a_participant_cannot_open_staff_pages(demo_db, monkeypatch, page):
    # Kept at its address but hidden from the participant's menu (dashboard.py): the page refuses by
    # itself, with a sign-in in the reader's language instead of Streamlit's "Page not found".
    at = app(demo_db, monkeypatch)
    at.switch_page(page.path).run()
    assert not at.exception and [t.value for t in at.title] == ["Sign in"], page.url_path
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe
    # The page file run on its own (as a deep link to a fresh server does) guards itself.
    alone = AppTest.from_file(str(ROOT / page.path), default_timeout=90).run()
    assert not alone.exception
    assert [t.value for t in alone.title] == ["Sign in"]
    assert not alone.metric and not alone.get("plotly_chart") and not alone.dataframe and not alone.text


def sign_in(at, form, password):
    at.text_input(key=f"{form}-password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()


def test_signing_in_with_the_one_password_field(demo_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_db)
    monkeypatch.setenv("MODERATOR_PASSWORD", "moderator-secret-1")
    monkeypatch.setenv("ORGANISER_PASSWORD", "organiser-secret-2")
    at = AppTest.from_file(str(ROOT / "views/live.py"), default_timeout=90).run()
    assert [t.value for t in at.title] == ["Sign in"] and len(at.text_input) == 1
    sign_in(at, "sign-in-moderator", "wrong password")
    assert at.session_state["failed_sign_ins"] == 1 and "role" not in at.session_state
    assert any("opens nothing" in e.value for e in at.error)
    sign_in(at, "sign-in-moderator", "moderator-secret-1")
    assert at.session_state["role"] == "moderator" and [t.value for t in at.title] == ["Live"]


def test_a_moderator_password_does_not_open_organiser_pages(demo_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_db)
    monkeypatch.setenv("MODERATOR_PASSWORD", "moderator-secret-1")
    monkeypatch.setenv("ORGANISER_PASSWORD", "organiser-secret-2")
    at = AppTest.from_file(str(ROOT / "views/agenda.py"), default_timeout=90).run()
    sign_in(at, "sign-in-organiser", "moderator-secret-1")
    assert at.session_state["role"] == "moderator" and [t.value for t in at.title] == ["Sign in"]
    at = AppTest.from_file(str(ROOT / "views/agenda.py"), default_timeout=90).run()
    sign_in(at, "sign-in-organiser", "organiser-secret-2")
    assert at.session_state["role"] == "organiser" and at.title[0].value == "Agenda and groups"


def signed_in(url, monkeypatch, path, user):
    """A page run with [auth] configured, as the person the identity provider said (``st.user``)."""
    monkeypatch.setenv("DATABASE_URL", url)
    for variable in ("MODERATOR_PASSWORD", "ORGANISER_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    at = AppTest.from_file(str(ROOT / path), default_timeout=90)
    at.secrets.update(OIDC_SECRETS)
    at.user = user
    return at.run()


def test_with_oidc_the_signed_in_email_decides_the_role(demo_db, monkeypatch):
    # Signed out: one button that starts the provider's sign-in, no password field, nothing of the page.
    at = signed_in(demo_db, monkeypatch, "views/live.py", {"is_logged_in": False})
    assert not at.exception and [t.value for t in at.title] == ["Sign in"]
    assert not at.text_input and [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.get("plotly_chart")
    # A moderator's address opens the moderator pages, not the organiser's.
    floor = {"is_logged_in": True, "email": "floor@example.org"}
    assert signed_in(demo_db, monkeypatch, "views/live.py", floor).title[0].value == "Live"
    assert [t.value for t in signed_in(demo_db, monkeypatch, "views/agenda.py", floor).title] == ["Sign in"]
    # The organisers' list, whatever the case of the address.
    chair = {"is_logged_in": True, "email": "chair@example.ORG"}
    assert signed_in(demo_db, monkeypatch, "views/agenda.py", chair).title[0].value == "Agenda and groups"
    # Signed in with an address on neither list: a participant.
    stranger = {"is_logged_in": True, "email": "someone@example.net"}
    assert [t.value for t in signed_in(demo_db, monkeypatch, "views/live.py", stranger).title] == ["Sign in"]
    # And the menu follows: the organiser's address reaches the summary through the entry point.
    at = signed_in(demo_db, monkeypatch, "dashboard.py", chair)
    at.switch_page("views/summary.py").run()
    assert not at.exception and at.title[0].value == "Post-event summary"


def test_failed_sign_ins_wait_longer_each_time(monkeypatch):
    from engagement.ui import auth

    waits = []
    monkeypatch.setattr(auth.time, "sleep", waits.append)
    monkeypatch.setattr(auth, "st", type("S", (), {"session_state": {}})())
    for _ in range(4):
        auth._slow_down()
    assert waits == sorted(waits) and waits[-1] >= 4 * waits[0]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.url_path)
def test_every_page_runs_for_an_organiser(demo_db, monkeypatch, page):
    at = app(demo_db, monkeypatch, role="organiser")
    at.switch_page(page.path).run()
    assert not at.exception, [e.value for e in at.exception]
    if page.url_path == "screen":  # the projector view: no title, only the on-screen question
        latest = sql(demo_db, "SELECT text FROM question WHERE status = 'on_screen' ORDER BY updated_at DESC LIMIT 1")
        assert not at.title and at.text[-1].value == latest
    else:
        assert at.title[0].value == page.title


def everything(at):
    """The Analyse pages open on the event's days; these tests compare with the whole collection."""
    at.button_group(key="filter-period").set_value("all").run()
    return at


def test_engagement_figures_equal_sql_and_charts_sum_to_them(demo_db, monkeypatch):
    at = app(demo_db, monkeypatch, role="moderator")
    everything(at.switch_page("views/engagement.py").run())
    metrics = {m.label: m.value for m in at.metric}
    posts = sql(demo_db, "SELECT count(*) FROM post WHERE collected")
    voices = sql(demo_db, "SELECT count(DISTINCT author_id) FROM post WHERE collected")
    assert metrics["Collected posts"] == f"{posts:,}" and metrics["Unique voices"] == f"{voices:,}"
    assert metrics["Questions"] == f"{sql(demo_db, 'SELECT count(*) FROM question'):,}"
    followers = sql(
        demo_db,
        "SELECT sum(f) FROM (SELECT max(a.followers) f FROM post p JOIN author a "
        "ON a.id = p.author_id WHERE p.collected GROUP BY p.author_id)",
    )
    assert metrics["Potential reach"] == f"{followers:,}"

    by_session = plotly(at, 0)
    assert by_session["layout"]["title"]["text"] == "Participation by session"
    assert total(trace(by_session, "Posts")["x"]) == posts
    assert total(trace(by_session, "Questions")["x"]) == sql(demo_db, "SELECT count(*) FROM question")
    assert by_session["layout"]["xaxis"]["title"]["text"] and by_session["layout"]["yaxis"]["title"]["text"]
    volume = plotly(at, 1)
    assert sum(total(t["y"]) for t in volume["data"]) == posts
    assert {t["name"] for t in volume["data"]} == {"originals", "reposts (retweets)", "replies", "quotes"}
    assert total(trace(volume, "reposts (retweets)")["y"]) == sql(
        demo_db, "SELECT count(*) FROM post WHERE collected AND kind = 'retweet'"
    )
    why = plotly(at, 2)
    assert why["layout"]["title"]["text"] == "Why posts were collected"
    assert total(why["data"][0]["x"]) == posts
    own = sql(demo_db, "SELECT count(*) FROM post WHERE collected AND reason = 'own'")
    assert (
        dict(zip(why["data"][0]["y"], values(why["data"][0]["x"]), strict=True))[
            html.escape(display.reason_label("own"))
        ]
        == own
    )


def test_filters_change_the_figures(demo_db, monkeypatch):
    at = app(demo_db, monkeypatch, role="moderator")
    everything(at.switch_page("views/engagement.py").run())
    at.sidebar.multiselect(key="filter-groups").set_value(["osce"]).run()
    at.sidebar.multiselect(key="filter-kinds").set_value(["original", "quote"]).run()
    expected = sql(
        demo_db,
        "SELECT count(*) FROM post p JOIN author a ON a.id = p.author_id WHERE p.collected "
        "AND a.group_key = 'osce' AND p.kind IN ('original', 'quote')",
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Collected posts"] == f"{expected:,}" and 0 < expected < 3000
    assert total(trace(plotly(at, 0), "Posts")["x"]) == expected
    assert metrics["Questions"] == f"{sql(demo_db, 'SELECT count(*) FROM question WHERE group_key = ?', 'osce'):,}"


def test_group_page_uses_the_taxonomy_colours(demo_db, monkeypatch):
    at = app(demo_db, monkeypatch, role="moderator")
    everything(at.switch_page("views/groups.py").run())
    figure = plotly(at, 0)
    posts = trace(figure, "Posts")
    colours = dict(zip(posts["y"], posts["marker"]["color"], strict=True))
    # The event file's colours, the OSCE's indigo in the shade that stands 3:1 off the dark theme too.
    assert colours["OSCE structures"] == charts.legible("#332288") != "#332288"
    assert colours["General public / unclassified"] == "#898989"
    # Participants only: the organiser's own posts are shown beside the chart, not in it.
    own = sql(demo_db, "SELECT count(*) FROM post WHERE collected AND reason = 'own'")
    assert own > 0
    assert total(posts["x"]) == sql(demo_db, "SELECT count(*) FROM post WHERE collected") - own
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["The organiser's own posts, not counted above"] == f"{own:,}"


def test_the_conversation_matrix_counts_every_interaction(demo_db, monkeypatch):
    at = app(demo_db, monkeypatch, role="moderator")
    everything(at.switch_page("views/conversations.py").run())
    matrix = plotly(at, 0)["data"][0]
    referenced = sql(
        demo_db,
        "SELECT count(*) FROM post p JOIN post t ON t.platform_id = p.referenced_platform_id "
        "JOIN author ta ON ta.id = t.author_id WHERE p.collected AND p.kind != 'original'",
    )
    mentions = sql(
        demo_db,
        "SELECT count(*) FROM post p JOIN post_entity e ON e.post_id = p.id AND e.kind = "
        "'mention' JOIN author m ON lower(m.handle) = e.value WHERE p.collected",
    )
    assert total(matrix["z"]) == referenced + mentions


def test_an_empty_database_shows_empty_states_not_errors(db_url, monkeypatch):
    at = app(db_url, monkeypatch, role="organiser")
    for page in PAGES:
        at.switch_page(page.path).run()
        assert not at.exception, (page.path, [e.value for e in at.exception])
    at.switch_page("views/engagement.py").run()
    assert any("No posts match" in i.value for i in at.info)


def test_live_shows_the_running_session_with_figures_equal_to_sql(clocked_db, monkeypatch):
    at = app(clocked_db, monkeypatch, role="moderator")
    at.switch_page("views/live.py").run()
    assert not at.exception
    texts = [t.value for t in at.text]
    assert any(t.startswith("Now:") and "Survivors' voices" in t for t in texts)
    assert any(t.startswith("Next:") and "Panel 2" in t for t in texts)
    metrics = {m.label: m.value for m in at.metric}
    session_id = sql(clocked_db, "SELECT id FROM agenda_session WHERE key = 'd1-side-survivors'")
    posts = sql(
        clocked_db,
        "SELECT count(*) FROM post WHERE collected AND session_id = ? AND created_at <= '2018-04-23 11:30:00.000000'",
        session_id,
    )
    assert metrics["Posts"] == f"{posts:,}" and posts > 0
    pending = sql(clocked_db, "SELECT count(*) FROM question WHERE session_id = ? AND status = 'pending'", session_id)
    assert metrics["Questions pending"] == f"{pending:,}"
    newest = at.dataframe[0].value
    assert len(newest) == 20 and newest["Time"].iloc[0] <= "13:30:00"
    assert any("(replay clock)" in s.value for s in list(at.success) + list(at.warning))


def test_most_mentioned_and_hashtags_follow_the_filters(demo_db):
    from engagement.analysis import analytics
    from engagement.storage import db

    f = analytics.Filters(groups=("osce",), kinds=("original", "quote", "reply"))
    with db.reading(demo_db) as session:
        mentioned = analytics.most_mentioned(session, f, limit=5)
        tags = analytics.hashtags(session, ["#cthb18"], f, limit=5)
    where = "p.collected AND a.group_key = 'osce' AND p.kind IN ('original', 'quote', 'reply')"
    top = sql(
        demo_db,
        f"SELECT count(*) FROM post p JOIN author a ON a.id = p.author_id JOIN post_entity e "
        f"ON e.post_id = p.id AND e.kind = 'mention' AND e.value = ? WHERE {where}",
        mentioned["account"].iloc[0],
    )
    assert mentioned["mentions"].iloc[0] == top > 0
    top_tag = sql(
        demo_db,
        f"SELECT count(*) FROM post p JOIN author a ON a.id = p.author_id JOIN post_entity e "
        f"ON e.post_id = p.id AND e.kind = 'hashtag' AND e.value = ? WHERE {where}",
        tags["hashtag"].iloc[0].lstrip("#"),
    )
    assert tags["posts"].iloc[0] == top_tag > 0 and "#cthb18" not in set(tags["hashtag"])


def test_ingest_status_shows_the_database_counts(demo_db, monkeypatch):
    at = app(demo_db, monkeypatch, role="organiser")
    at.switch_page("views/ingest.py").run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Collected posts"] == f"{sql(demo_db, 'SELECT count(*) FROM post WHERE collected'):,}"
    assert shown["Context posts"] == f"{sql(demo_db, 'SELECT count(*) FROM post WHERE NOT collected'):,}"
    assert shown["Authors"] == f"{sql(demo_db, 'SELECT count(*) FROM author'):,}"
    assert int(sql(demo_db, "SELECT count(*) FROM post WHERE collected")) > 0


def test_a_download_read_later_reads_the_page_runs_database_when_clicked(demo_db, monkeypatch, tmp_path):
    from engagement.qa import listing
    from engagement.ui import widgets

    monkeypatch.setenv("DATABASE_URL", demo_db)
    session_id = int(sql(demo_db, "SELECT session_id FROM question GROUP BY session_id ORDER BY count(*) DESC"))
    load = widgets.read_later(listing.export_frame, session_id)
    # The click may come on another thread, with another DATABASE_URL in sight: the page run's stands.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    frame = load()
    assert len(frame) == sql(demo_db, "SELECT count(*) FROM question WHERE session_id = ?", session_id) > 0


def test_make_demos_two_networks_show_on_engagement_and_filter_every_figure(two_network_db, monkeypatch):
    at = app(two_network_db, monkeypatch, role="moderator")
    everything(at.switch_page("views/engagement.py").run())
    posts = sql(two_network_db, "SELECT count(*) FROM post WHERE collected")
    on_bluesky = sql(two_network_db, "SELECT count(*) FROM post WHERE collected AND platform = 'bluesky'")
    assert 0 < on_bluesky < posts
    charts = [plotly(at, i) for i in range(len(at.get("plotly_chart")))]
    by_network = next(c for c in charts if c["layout"]["title"]["text"] == "Posts by network")
    shown = dict(zip(by_network["data"][0]["y"], values(by_network["data"][0]["x"]), strict=True))
    assert shown == {"X": posts - on_bluesky, "Bluesky": on_bluesky}

    at.sidebar.multiselect(key="filter-networks").set_value(["bluesky"]).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Collected posts"] == f"{on_bluesky:,}"
    voices = sql(two_network_db, "SELECT count(DISTINCT author_id) FROM post WHERE collected AND platform = 'bluesky'")
    assert metrics["Unique voices"] == f"{voices:,}"
    assert total(trace(plotly(at, 0), "Posts")["x"]) == on_bluesky
