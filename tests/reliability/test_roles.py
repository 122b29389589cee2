"""Every role × every page: only permitted content is served, whether the page is reached through
the menu, run on its own (a deep link to a fresh server runs the file around the entry point), or
asked for by URL in a real browser; and repeated wrong passwords are slowed down."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from engagement.ui.auth import RANK
from engagement.ui.menu import PAGES

from ..helpers import ROOT
from ..helpers.browser import CHROMIUM, PASSWORDS, STAFF, Watched, assert_no_staff_content, serve

ROLES = ["participant", "moderator", "organiser"]
# A page file runs on its own only for a new browser session (the first request to a fresh server),
# before anyone has signed in; what it must do then is refuse every role it does not admit.
REFUSED = [(role, page) for role in ROLES for page in PAGES if RANK[role] < RANK[page.minimum]]


def permitted(role, page) -> bool:
    return RANK[role] >= RANK[page.minimum]


def content(at) -> int:
    """How many pieces of data a run showed: metrics, charts, tables, verbatim texts."""
    return len(at.metric) + len(at.get("plotly_chart")) + len(at.dataframe) + len(at.text)


@pytest.mark.parametrize("role, page", REFUSED, ids=[f"{r}-{p.url_path}" for r, p in REFUSED])
def test_a_page_file_run_on_its_own_refuses_the_roles_below_it(demo_db, monkeypatch, role, page, tally):
    for name, value in {"DATABASE_URL": demo_db, **PASSWORDS}.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(ROOT / page.path), default_timeout=90)
    at.session_state["role"] = role
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Sign in"] and content(at) == 0
    tally.bad_input("page files run on their own by a role below theirs (deep link)")


@pytest.mark.parametrize("role", ROLES)
def test_the_menu_offers_exactly_a_roles_pages(demo_db, monkeypatch, role, tally):
    for name, value in {"DATABASE_URL": demo_db, **PASSWORDS}.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["role"] = role
    at.run()
    for page in PAGES:
        if permitted(role, page):
            at.switch_page(page.path).run()
            assert not at.exception, (page.url_path, [e.value for e in at.exception])
            assert [t.value for t in at.title] != ["Sign in"], page.url_path
        else:
            # Refused by the navigation, or (once another page has run) by the page's own guard.
            try:
                at.switch_page(page.path).run()
            except ValueError as error:
                assert "Could not find a navigation page" in str(error)
            else:
                assert not at.exception and [t.value for t in at.title] in (["Sign in"], ["Ask a question"])
                assert content(at) == 0 or [t.value for t in at.title] == ["Ask a question"], page.url_path
            tally.bad_input("pages asked of the menu by a role below theirs")


# The waits are compared (0.5 s < 1 s < 2 s, each plus a run of the page): alone on the machine,
# so that a busy neighbour cannot stretch one run past the next wait.
@pytest.mark.serial
def test_wrong_passwords_are_slowed_down_and_open_nothing(demo_db, monkeypatch, tally):
    for name, value in {"DATABASE_URL": demo_db, **PASSWORDS}.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(ROOT / "views/agenda.py"), default_timeout=90).run()
    took = []
    for guess in ["organiser", "password", "Password1"]:
        at.text_input(key="sign-in-organiser-password").input(guess)
        started = time.monotonic()
        next(b for b in at.button if b.label == "Sign in").click().run()
        took.append(time.monotonic() - started)
        assert [t.value for t in at.title] == ["Sign in"] and "role" not in at.session_state
    # Waits double per browser session (0.5 s, 1 s, 2 s), plus a share for the process's recent failures.
    assert took[0] >= 0.5 and took[1] >= 1.0 and took[2] >= 2.0 and took[0] < took[1] < took[2]
    assert at.session_state["failed_sign_ins"] == 3
    # The moderator's password signs in as a moderator, and this organiser page stays closed.
    at.text_input(key="sign-in-organiser-password").input(PASSWORDS["MODERATOR_PASSWORD"])
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert at.session_state["role"] == "moderator" and [t.value for t in at.title] == ["Sign in"]
    tally.bad_input("wrong passwords, each answered more slowly", 3)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_a_participant_asking_for_every_staff_url_gets_no_staff_content(demo_db, browser, tally):  # noqa: F811
    with serve(demo_db) as base:
        watched = Watched(browser)
        watched.open(base)  # a server that has served its entry point (the fresh case is in test_browser)
        for page in STAFF:
            assert_no_staff_content(watched, f"{base}/{page.url_path}")
        watched.close()
    tally.bad_input("staff URLs opened by a participant in Chromium", len(STAFF))
