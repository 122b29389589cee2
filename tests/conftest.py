"""Fixtures: real SQLite files, built once where tests only read them."""

from __future__ import annotations

import shutil
from datetime import UTC
from pathlib import Path

import pytest

from engagement.collection.jsonl import import_files
from engagement.collection.questions import import_questions
from engagement.demo import write_collection
from engagement.rules.sync import sync_event
from engagement.storage import db

ROOT = Path(__file__).resolve().parent.parent
# Real recorded API responses, copied in with their sources and licences (tests/data/README.md).
TEST_DATA = ROOT / "tests" / "data"


def real_data(name: str, source: str = "x-api-v2") -> Path:
    """A real recorded file from ``tests/data/<source>/``."""
    path = TEST_DATA / source / name
    if not path.exists():
        pytest.fail(f"{path} is missing from the repository's test data (tests/data/README.md)")
    return path


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    # Settings a developer may have exported must not leak into tests.
    for name in ("DATABASE_URL", "EVENT_HASHTAGS", "EVENT_DATA_DIR", "X_BEARER_TOKEN", "X_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield
    db.dispose_engines()


@pytest.fixture
def event_dir(tmp_path) -> Path:
    """A copy of the shipped event files that a test may edit; EVENT_DATA_DIR points at it."""
    folder = tmp_path / "event"
    folder.mkdir()
    for name in (
        "event.toml",
        "agenda.csv",
        "stakeholder_groups.csv",
        "stakeholder_directory.csv",
        "qa_blocklist.csv",
        "qa_glossary.csv",
        "registrations.csv",
    ):
        shutil.copy(ROOT / "data" / name, folder / name)
    return folder


def pytest_generate_tests(metafunc):
    """Modules marked ``both_databases`` run each test that takes ``db_url`` on SQLite and on PostgreSQL."""
    if "db_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("dialect", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def dialect(request) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server():
    from . import postgres

    server = postgres.start()
    yield server
    db.dispose_engines()
    server.stop()


def _load_event(url: str) -> None:
    with db.writing(url) as session:
        sync_event(session)
    db.dispose_engines()


@pytest.fixture
def db_url(tmp_path, monkeypatch, dialect, request):
    """A new, migrated database with the shipped event loaded (a SQLite file, or a PostgreSQL database
    copied from a prepared template); DATABASE_URL points at it."""
    if dialect == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = server.database(prepare=_load_event)
        monkeypatch.setenv("DATABASE_URL", url)
        yield url
        db.dispose_engines()
        server.drop(url)
        return
    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    with db.writing(url) as session:
        sync_event(session)
    yield url


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("demo")
    return write_collection(folder / "demo.jsonl")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, demo_files) -> str:
    """The default demo collection imported once; tests must only read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo-db') / 'demo.db'}"
    with db.writing(url) as session:
        sync_event(session)
    posts, questions = demo_files
    summary = import_files([posts], url=url, progress=False)
    assert summary.rejected == 0
    import_questions(questions, url=url, origin="demo")
    return url


@pytest.fixture(scope="session")
def clocked_db(demo_db, tmp_path_factory) -> str:
    """A copy of the demo database with the replay clock at 13:30 Vienna on day 1 (the side event)."""
    import shutil
    from datetime import datetime

    from engagement.storage import flags

    path = tmp_path_factory.mktemp("clocked") / "clocked.db"
    shutil.copy(demo_db.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    with db.writing(url) as session:
        flags.set_replay_clock(session, datetime(2018, 4, 23, 11, 30, tzinfo=UTC))
    db.dispose_engines()
    return url
