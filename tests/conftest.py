"""Fixtures: real SQLite files, built once where tests only read them."""

from __future__ import annotations

import ast
import inspect
import shutil
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engagement.collection.jsonl import import_files
from engagement.collection.questions import import_questions
from engagement.demo import write_collection
from engagement.rules.sync import sync_event
from engagement.storage import db, flags

from .helpers import ROOT, prepare_event


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    # Settings a developer may have exported must not leak into tests.
    for name in (
        "DATABASE_URL",
        "EVENT_HASHTAGS",
        "EVENT_ACCOUNTS",
        "EVENT_DATA_DIR",
        "X_BEARER_TOKEN",
        "X_API_BASE_URL",
        "X_QUERY_LIMIT",
        "JETSTREAM_URL",
        "JETSTREAM_STALL_S",
        "BLUESKY_API_BASE_URL",
        "BLUESKY_HANDLE",
        "BLUESKY_APP_PASSWORD",
        "MASTODON_INSTANCES",
        "MASTODON_TOKENS",
        "PUBLIC_URL",
        "INDICO_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    # The stream would hydrate against the public AppView: no test may reach the network, so a test
    # that hydrates points BLUESKY_APPVIEW_URL at tests/bskysim.py itself.
    monkeypatch.setenv("BLUESKY_APPVIEW_URL", "off")
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


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one for a module's tests."""
    from playwright.sync_api import sync_playwright

    from .helpers.browser import CHROMIUM

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def qa_url(db_url):
    """The event loaded, the replay clock in the middle of Panel 1 (11:30 in Vienna)."""
    with db.writing(db_url) as session:
        flags.set_replay_clock(session, datetime(2018, 4, 23, 9, 30, tzinfo=UTC))
    return db_url


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


@pytest.fixture
def db_url(tmp_path, monkeypatch, dialect, request):
    """A new, migrated database with the shipped event loaded (a SQLite file, or a PostgreSQL database
    copied from a prepared template); DATABASE_URL points at it."""
    if dialect == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = server.database(prepare=prepare_event)
        monkeypatch.setenv("DATABASE_URL", url)
        yield url
        db.dispose_engines()
        server.drop(url)
        return
    path = tmp_path / "test.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated and with the shipped event loaded, built once per test process: each
    ``db_url`` is a copy (Alembic's 20 revisions and the event took 0.5-1 s a test, for about 290
    tests; a copy takes milliseconds)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    with db.writing(url) as session:
        sync_event(session)
    db.dispose_engines()  # the last connection closed: the write-ahead log is checkpointed and removed
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory) -> tuple[Path, Path]:
    """The default demo collection, X only: the X worker's tests serve it through the X simulator and
    count its pages (``bluesky_demo_files`` has both networks)."""
    folder = tmp_path_factory.mktemp("demo")
    return write_collection(folder / "demo.jsonl", bluesky_share=0, mastodon_share=0)


@pytest.fixture(scope="session")
def bluesky_demo_files(tmp_path_factory) -> tuple[Path, Path]:
    """The demo collection on X and Bluesky (``make demo``'s before Mastodon)."""
    folder = tmp_path_factory.mktemp("demo-two-networks")
    return write_collection(folder / "demo.jsonl", mastodon_share=0)


@pytest.fixture(scope="session")
def two_network_db(tmp_path_factory, bluesky_demo_files) -> str:
    """The two-network demo collection imported once; tests must only read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('two-network-db') / 'demo.db'}"
    with db.writing(url) as session:
        sync_event(session)
    summary = import_files([bluesky_demo_files[0]], url=url, progress=False)
    assert summary.rejected == 0
    import_questions(bluesky_demo_files[1], url=url, origin="demo")
    return url


@pytest.fixture(scope="session")
def three_network_db(tmp_path_factory) -> str:
    """``make demo``'s collection (X, Bluesky and two Mastodon instances) imported once; tests must
    only read it."""
    folder = tmp_path_factory.mktemp("three-network-db")
    posts, questions = write_collection(folder / "demo.jsonl")
    url = f"sqlite:///{folder / 'demo.db'}"
    with db.writing(url) as session:
        sync_event(session)
    summary = import_files([posts], url=url, progress=False)
    assert summary.rejected == 0
    import_questions(questions, url=url, origin="demo")
    return url


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


# --- Markers by folder, module and what a test starts (make test-fast leaves out the four kinds; make
# test runs the ``serial`` tests alone, after the rest ran over two xdist workers).

BROWSER_MODULES = {
    "test_browser.py",
    "test_browser_qa.py",
    "test_browser_wall.py",
    "test_browser_i18n.py",
    "test_scale.py",
}
# Modules whose fixtures or helpers start the worker or the app as processes in (nearly) every test.
PROCESS_MODULES = {"test_worker_process.py", "test_concurrent_start.py", "test_cli.py", "test_concurrency.py"}
# Helpers that start a process: ``python -m ingest`` (``ingest``, ``worker``), the app (``serve``).
PROCESS_CALLS = {"ingest", "worker", "serve"}
SUBPROCESS_CALLS = {"run", "Popen", "check_output", "check_call", "call"}
# Tests that cannot share the machine with other tests: they kill processes at observed moments, flood
# or load the database, bound how long something takes, or run two app processes beside a browser.
SERIAL_MODULES = {
    "tests/reliability/test_kill.py",
    "tests/reliability/test_bluesky_kill.py",
    "tests/reliability/test_bluesky_storms.py",
    "tests/reliability/test_bluesky_search_kill.py",
    "tests/reliability/test_flooding.py",
    "tests/reliability/test_storms.py",
    "tests/reliability/test_parallel.py",
    "tests/test_concurrency.py",
    "tests/test_concurrent_start.py",
    "tests/test_worker_process.py",
    "tests/test_scale.py",
    "tests/test_browser_qa.py",
    "tests/test_browser_wall.py",
}


def _calls(function) -> set[str]:
    """The names a test function calls (``serve(…)``, ``subprocess.run(…)`` → ``subprocess.run``)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                names.add(f"{node.func.value.id}.{node.func.attr}")
    return names


def pytest_collection_modifyitems(config, items):
    root = config.rootpath
    for item in items:
        path = item.path.relative_to(root).as_posix()
        fixtures = set(getattr(item, "fixturenames", ()))
        calls = _calls(getattr(item, "function", None))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if path.startswith("tests/reliability/"):
            item.add_marker("reliability")
        if item.path.name in BROWSER_MODULES or "browser" in fixtures or "sync_playwright" in calls:
            item.add_marker("browser")
        if params.get("dialect") == "postgresql" or "postgres_server" in fixtures:
            item.add_marker("postgres")
        if (
            item.path.name in PROCESS_MODULES
            or calls & PROCESS_CALLS
            or {f"subprocess.{name}" for name in SUBPROCESS_CALLS} & calls
        ):
            item.add_marker("processes")
        if path in SERIAL_MODULES:
            item.add_marker("serial")


# --- The reliability tally across xdist workers: each worker sends its counts at the end of its
# session; the controller adds them up and tests/reliability/conftest.py prints them.


def pytest_sessionfinish(session):
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # an xdist worker
        from .helpers.tally import TALLY

        output["reliability_tally"] = {"faults": dict(TALLY.faults), "inputs": dict(TALLY.inputs), "notes": TALLY.notes}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    from .helpers.tally import TALLY

    sent = getattr(node, "workeroutput", {}).get("reliability_tally")
    if sent:
        TALLY.faults.update(sent["faults"])
        TALLY.inputs.update(sent["inputs"])
        TALLY.notes.extend(sent["notes"])


# Here rather than in tests/reliability/conftest.py: an xdist controller collects nothing, so it
# loads only this conftest.
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from .helpers.tally import SEED, TALLY, reproduce

    failed = [r for r in terminalreporter.stats.get("failed", []) if "tests/reliability" in r.nodeid]
    if not (TALLY.faults or TALLY.inputs or failed):
        return
    write = terminalreporter.write_line
    terminalreporter.section("reliability tally")
    write(f"seed {SEED} (RELIABILITY_SEED)")
    write("faults injected, and survived with nothing lost and nothing doubled:")
    for what, count in sorted(TALLY.faults.items()):
        write(f"  {count:>9,}  {what}")
    write(
        "inputs tried (arbitrary, hostile, oversized or abusive), each stored whole, refused, neutralised or "
        "kept aside with its reason:"
    )
    for what, count in sorted(TALLY.inputs.items()):
        write(f"  {count:>9,}  {what}")
    for text in TALLY.notes:
        write(f"  note: {text}")
    if failed:
        write(f"to reproduce the failures with the same seed: {reproduce(sorted({r.nodeid for r in failed}))}")
    write(
        f"total: {sum(TALLY.faults.values()):,} faults survived, {sum(TALLY.inputs.values()):,} bad inputs handled; "
        + (
            f"{len(failed)} reliability test(s) FAILED: these figures are incomplete"
            if failed
            else "every reliability check held: posts lost 0, doubled 0, errors shown to a person 0"
        )
    )
