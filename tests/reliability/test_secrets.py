"""The bearer token, the passwords and the token-hashing secret never appear in logs, pages,
exports, error messages or the database — including when things go wrong."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engagement.ui.menu import PAGES

from ..helpers import ROOT
from ..xsim import Simulator

SECRETS = {
    "X_BEARER_TOKEN": "bearer-Zq7-never-shown-0001",
    "MODERATOR_PASSWORD": "moderator-Zq7-never-shown-0002",
    "ORGANISER_PASSWORD": "organiser-Zq7-never-shown-0003",
    "PARTICIPANT_TOKEN_SECRET": "hashing-Zq7-never-shown-0004",
}
DB_PASSWORD = "dbpass-Zq7-never-shown-0005"


def leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return [name for name, value in {**SECRETS, "database password": DB_PASSWORD}.items() if value in text]


def run(*args, url: str, **env) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": url, **SECRETS, **env}
    return subprocess.run(
        [sys.executable, "-m", "ingest", "-v", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def worked_db(demo_db, demo_files, tmp_path_factory):
    """A copy of the demo database that the worker has used, failed on, and reported from, with the
    secrets set throughout; with everything the worker said."""
    folder = tmp_path_factory.mktemp("secrets")
    path = folder / "worked.db"
    shutil.copy(demo_db.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    said = []
    with Simulator(token=SECRETS["X_BEARER_TOKEN"]) as sim:
        sim.load_file(demo_files[0])
        quick = {
            "X_API_BASE_URL": sim.base_url,
            "X_API_RETRY_DELAY": "0.01",
            "X_API_RETRY_MAX_DELAY": "0.02",
            "X_API_RETRIES": "4",
            "X_API_TIMEOUT": "0.5",
        }
        sim.fail("500", times=2)
        sim.fail("truncate")
        said.append(run("x-poll", "--once", url=url, **quick))  # retries, then collects
        sim.fail("503", times=4)
        said.append(run("x-poll", "--once", url=url, **quick))  # gives up: an error message
        sim.fail("403")
        said.append(
            run("x-backfill", "--since", "2018-04-23T00:00:00Z", "--until", "2018-04-24T00:00:00Z", url=url, **quick)
        )  # refused: a fatal message
        said.append(run("x-poll", "--once", url=url, **{**quick, "X_BEARER_TOKEN": SECRETS["X_BEARER_TOKEN"] + "x"}))
    bad = folder / "bad.jsonl"
    bad.write_text('{"data": [{"id": "1", "text": "' + SECRETS["X_BEARER_TOKEN"][:6] + '"\n')
    said.append(run("import-jsonl", str(bad), url=url))
    said.append(run("status", "--json", url=url))
    said.append(run("report", "--out", str(folder / "report"), "--names", "--no-pdf", url=url))
    # A database that cannot be reached, its password in the URL.
    said.append(
        run(
            "status",
            url=f"postgresql+psycopg://engagement:{DB_PASSWORD}@127.0.0.1:9/engagement",
            X_API_BASE_URL="http://127.0.0.1:9",
        )
    )
    return url, folder, said


def test_the_worker_never_says_a_secret(worked_db, tally):
    _, _, said = worked_db
    assert [p.returncode for p in said] == [0, 1, 1, 1, 3, 0, 0, 1], [p.stderr[-300:] for p in said]
    assert "failures in a row" in said[1].stderr and "X plan does not include" in said[2].stderr
    assert "bearer token was refused" in said[3].stderr
    for process in said:
        assert leaks(process.stdout + process.stderr) == [], process.args
    tally.bad_input(
        "worker runs with failures, refusals and an unreachable database, output searched for secrets", len(said)
    )


def test_no_secret_reaches_the_database_or_the_report(worked_db, tally):
    url, folder, _ = worked_db
    files = [Path(url.removeprefix("sqlite:///"))] + [p for p in (folder / "report").rglob("*") if p.is_file()]
    for path in files:
        assert leaks(path.read_bytes()) == [], path.name
    tally.bad_input("database and report files searched for secrets", len(files))


def everything_shown(at) -> str:
    """Every element of a run, as its protobuf text (labels, values, tables' bytes, captions)."""
    parts = []

    def walk(node):
        if getattr(node, "proto", None) is not None:
            parts.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.url_path)
def test_no_page_shows_a_secret(worked_db, monkeypatch, page, tally):
    url, _, _ = worked_db
    for name, value in {"DATABASE_URL": url, **SECRETS}.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["role"] = "organiser"
    at.run()
    at.switch_page(page.path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert leaks(everything_shown(at)) == []
    tally.bad_input("pages searched for secrets (as an organiser)")


def test_a_failed_sign_in_shows_no_secret(worked_db, monkeypatch, tally):
    url, _, _ = worked_db
    for name, value in {"DATABASE_URL": url, **SECRETS}.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(ROOT / "views/agenda.py"), default_timeout=90).run()
    at.text_input(key="sign-in-organiser-password").input(SECRETS["ORGANISER_PASSWORD"][:-1])
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert any("opens nothing" in e.value for e in at.error)
    shown = everything_shown(at)
    assert leaks(shown) == [] and SECRETS["ORGANISER_PASSWORD"][:-1] not in shown
    tally.bad_input("failed sign-ins searched for secrets and for the attempt itself")
