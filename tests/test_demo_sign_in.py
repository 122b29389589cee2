"""The demo's one-click staff sign-in: offered only on the demo database with no password and no
OIDC configured, and granted only when the same holds at the moment of the click."""

import pytest
from streamlit.testing.v1 import AppTest

from .helpers import ROOT
from .helpers.pages import OIDC_SECRETS

MODERATOR = "Sign in as moderator (demo)"
ORGANISER = "Sign in as organiser (demo)"
PASSWORDS = ("MODERATOR_PASSWORD", "ORGANISER_PASSWORD")


def run(url, monkeypatch, path="dashboard.py", secrets=None, user=None, **environment):
    monkeypatch.setenv("DATABASE_URL", url)
    for variable in PASSWORDS:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    at = AppTest.from_file(str(ROOT / path), default_timeout=90)
    if secrets:
        at.secrets.update(secrets)
    if user:
        at.user = user
    return at.run()


def account(url, monkeypatch, **settings):
    at = run(url, monkeypatch, **settings)
    at.switch_page("views/account.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Account"
    return at


def labels(at) -> list[str]:
    return [b.label for b in at.button]


def button(at, label):
    return next(b for b in at.button if b.label == label)


def test_the_demo_database_with_nothing_configured_opens_each_role_in_one_click(demo_db, monkeypatch):
    at = account(demo_db, monkeypatch)
    assert labels(at) == [MODERATOR, ORGANISER]
    assert any("demo database" in i.value and "docs/deploy.md" in i.value for i in at.info)
    assert "role" not in at.session_state

    button(at, ORGANISER).click().run()
    assert at.session_state["role"] == "organiser"
    assert [t.value for t in at.text] == ["Signed in as organiser."]
    at.switch_page("views/summary.py").run()  # in the organiser's menu now, and open
    assert not at.exception and at.title[0].value == "Post-event summary"

    at = account(demo_db, monkeypatch)
    button(at, MODERATOR).click().run()
    assert at.session_state["role"] == "moderator"
    at.switch_page("views/live.py").run()
    assert not at.exception and at.title[0].value == "Live"
    # An organiser page is at its address but not in a moderator's menu; opened, its own guard
    # answers with the sign-in (the organiser's demo button) and nothing of the agenda.
    at.switch_page("views/agenda.py").run()
    assert not at.exception and [t.value for t in at.title] == ["Sign in"]
    assert labels(at) == [ORGANISER] and not at.dataframe


def test_a_closed_page_offers_the_roles_that_open_it(demo_db, monkeypatch):
    at = run(demo_db, monkeypatch, path="views/live.py")
    assert [t.value for t in at.title] == ["Sign in"] and labels(at) == [MODERATOR, ORGANISER]
    button(at, MODERATOR).click().run()
    assert at.session_state["role"] == "moderator" and at.title[0].value == "Live"

    at = run(demo_db, monkeypatch, path="views/agenda.py")
    assert [t.value for t in at.title] == ["Sign in"] and labels(at) == [ORGANISER]
    button(at, ORGANISER).click().run()
    assert at.session_state["role"] == "organiser" and at.title[0].value == "Agenda and groups"


def test_not_offered_on_a_database_that_is_not_the_demo(db_url, monkeypatch):
    at = account(db_url, monkeypatch)
    assert labels(at) == []
    assert [i.value for i in at.info] == [
        "No moderator or organiser password is configured (MODERATOR_PASSWORD, ORGANISER_PASSWORD)."
    ]
    at = run(db_url, monkeypatch, path="views/live.py")
    assert [t.value for t in at.title] == ["Sign in"] and labels(at) == []


@pytest.mark.parametrize("variable", PASSWORDS)
def test_not_offered_when_a_password_is_set(demo_db, monkeypatch, variable):
    at = account(demo_db, monkeypatch, **{variable: "a-staff-secret"})
    assert labels(at) == ["Sign in"] and len(at.text_input) == 1  # the password form, nothing else
    assert not any("demo database" in i.value for i in at.info)
    at = run(demo_db, monkeypatch, path="views/live.py", **{variable: "a-staff-secret"})
    assert [t.value for t in at.title] == ["Sign in"] and labels(at) == ["Sign in"]


@pytest.mark.parametrize("variable", PASSWORDS)
def test_not_offered_when_a_password_is_in_the_secrets(demo_db, monkeypatch, variable):
    at = account(demo_db, monkeypatch, secrets={variable: "a-staff-secret"})
    assert labels(at) == ["Sign in"] and len(at.text_input) == 1


def test_not_offered_with_oidc_configured(demo_db, monkeypatch):
    at = account(demo_db, monkeypatch, secrets=OIDC_SECRETS, user={"is_logged_in": False})
    assert labels(at) == ["Sign in"] and not at.text_input  # the identity provider's button only
    at = run(demo_db, monkeypatch, path="views/live.py", secrets=OIDC_SECRETS, user={"is_logged_in": False})
    assert [t.value for t in at.title] == ["Sign in"] and labels(at) == ["Sign in"]


def _password_set(at, monkeypatch, other_db):
    monkeypatch.setenv("ORGANISER_PASSWORD", "set-since")


def _another_database(at, monkeypatch, other_db):
    monkeypatch.setenv("DATABASE_URL", other_db)  # the same app now on a database that is not the demo's


def _oidc_configured(at, monkeypatch, other_db):
    at.secrets.update(OIDC_SECRETS)
    at.user = {"is_logged_in": False}


@pytest.mark.parametrize(
    "change", [_password_set, _another_database, _oidc_configured], ids=["password", "database", "oidc"]
)
def test_the_click_is_checked_again_on_the_server(demo_db, db_url, monkeypatch, change):
    """A button shown a moment ago opens nothing once the conditions no longer hold."""
    at = run(demo_db, monkeypatch, path="views/live.py")
    organiser = button(at, ORGANISER)
    change(at, monkeypatch, db_url)
    organiser.click().run()
    assert "role" not in at.session_state and [t.value for t in at.title] == ["Sign in"]
    assert ORGANISER not in labels(at)
