"""The worker as a real process: exit statuses, signals, and kill -9 at any moment.

After every kill the next start must resume from the last commit, and the database at the end must
equal the one an uninterrupted run builds.
"""

import os
import signal
import time

import pytest
from sqlmodel import select

from engagement.demo import write_collection
from engagement.storage import db
from engagement.storage.models import IngestCheckpoint, IngestRun, Post, Question

from .helpers.worker import finish, snapshot, worker
from .xsim import TOKEN, Simulator


@pytest.fixture(scope="module")
def demo_sim(demo_files):
    with Simulator() as simulator:
        simulator.load_file(demo_files[0])
        yield simulator


def test_x_poll_once_collects_everything_and_exits_0(db_url, demo_sim):
    code, out, err = finish(worker("x-poll", "--once", url=db_url, sim=demo_sim))
    assert code == 0, err
    assert "30 page(s), 3000 new" in err
    assert TOKEN not in out + err


@pytest.mark.parametrize("token, status, message", [("wrong-token-xyz", 1, "bearer token was refused")])
def test_a_refused_token_stops_the_worker_with_a_clear_message(db_url, demo_sim, token, status, message):
    code, out, err = finish(worker("-v", "x-poll", "--once", url=db_url, sim=demo_sim, token=token))
    assert code == status and message in err
    assert token not in out + err


def test_a_missing_token_is_a_clear_error(db_url):
    process = worker("x-poll", "--once", url=db_url, token="")
    code, _, err = finish(process)
    assert code == 1 and "X_BEARER_TOKEN is not set" in err


def test_sigterm_between_passes_exits_0_promptly(db_url, demo_sim):
    process = worker("x-poll", "--interval", "60", url=db_url, sim=demo_sim)
    deadline = time.monotonic() + 120  # a bound: the first pass takes 2-20 s
    while True:
        with db.reading(db_url) as session:
            if session.exec(select(IngestRun).where(IngestRun.status == "ok")).first():
                break
        assert time.monotonic() < deadline and process.poll() is None, "the first pass did not end well"
        time.sleep(0.2)  # the polling interval of a bounded wait
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code, _, err = finish(process, timeout=30)
    assert code == 0, err
    # "Promptly" is against the 60 s interval it would otherwise sleep out: a bound, under any load.
    assert time.monotonic() - started < 10


def test_sigterm_during_a_poll_commits_the_page_in_hand_and_resumes(db_url, demo_sim):
    demo_sim.page_delay = 0.3
    base = demo_sim.served
    try:
        # SIGTERM once the simulator has served the pass's third page of 30; the fourth is held until
        # the signal is sent, so the pass is mid-way whatever the machine's speed.
        demo_sim.hold_after(3)
        process = worker("x-poll", "--once", url=db_url, sim=demo_sim)
        assert demo_sim.wait(lambda: demo_sim.served >= base + 3 or process.poll() is not None, timeout=120)
        process.send_signal(signal.SIGTERM)
        demo_sim.release()
        code, _, err = finish(process, timeout=60)
        assert code == 0, err
        with db.reading(db_url) as session:
            stored = len(session.exec(select(Post.id).where(Post.collected.is_(True))).all())
            run = session.exec(select(IngestRun).where(IngestRun.source == "x-poll")).one()
        assert 0 < stored < 3000 and stored % 100 == 0 and run.status == "interrupted"
    finally:
        demo_sim.release()
        demo_sim.page_delay = 0.0
    code, _, err = finish(worker("x-poll", "--once", url=db_url, sim=demo_sim))
    assert code == 0, err
    posts, _, _ = snapshot(db_url)
    assert sum(1 for post in posts if post.collected) == 3000


# kill -9 at random moments of a poll and of an import: tests/reliability/test_kill.py


@pytest.fixture(scope="module")
def large_collection(tmp_path_factory):
    """Large enough to be read by the import's reading process (engagement.collection.readahead)."""
    path, _ = write_collection(tmp_path_factory.mktemp("large") / "large.jsonl", posts=40_000, seed=3)
    return path


@pytest.mark.parametrize("how", ["SIGTERM to the worker", "Ctrl-C to the process group"])
def test_stopping_an_import_commits_the_batch_in_hand_exits_0_and_resumes(tmp_path, large_collection, how):
    url = f"sqlite:///{tmp_path / 'stopped.db'}"
    process = worker("import-jsonl", str(large_collection), url=url, start_new_session=True)
    deadline = time.monotonic() + 120  # a bound: the first batch commits within 1-10 s
    while time.monotonic() < deadline and process.poll() is None and not checkpoint(url):
        time.sleep(0.05)  # the polling interval of a bounded wait for the first commit
    assert process.poll() is None, "the import ended before it could be stopped"
    if how.startswith("SIGTERM"):
        process.send_signal(signal.SIGTERM)
    else:
        os.killpg(process.pid, signal.SIGINT)  # the reading process gets it too
    code, out, err = finish(process, timeout=60)
    assert code == 0, err
    assert "stopped early" in out
    with db.reading(url) as session:
        run = session.exec(select(IngestRun).where(IngestRun.source == "import-jsonl")).one()
        stored = len(session.exec(select(Post.id).where(Post.collected.is_(True))).all())
    assert run.status == "interrupted" and 0 < stored < 40_000
    assert not checkpoint(url).endswith(":done")

    code, out, err = finish(worker("import-jsonl", str(large_collection), url=url))
    assert code == 0, err
    with db.reading(url) as session:
        assert len(session.exec(select(Post.id).where(Post.collected.is_(True))).all()) == 40_000
    assert checkpoint(url).endswith(":done")


def checkpoint(url):
    try:
        with db.reading(url) as session:
            return session.exec(select(IngestCheckpoint.position)).first() or ""
    except Exception:  # the worker has not created the database yet
        return ""
    finally:
        db.dispose_engines()


def test_questions_import_is_idempotent_through_the_cli(tmp_path, demo_files):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    for _ in range(2):
        code, out, err = finish(worker("import-questions", str(demo_files[1]), url=url))
        assert code == 0, err
    with db.reading(url) as session:
        assert len(session.exec(select(Question.id)).all()) == 200


def test_x_stream_runs_until_sigterm_and_exits_0(db_url, demo_sim):
    process = worker("x-stream", url=db_url, sim=demo_sim)
    deadline = time.monotonic() + 120  # a bound: the gap fill takes 2-20 s
    stored = 0
    while time.monotonic() < deadline and stored < 3000:
        time.sleep(0.5)  # the polling interval of a bounded wait
        with db.reading(db_url) as session:
            stored = len(session.exec(select(Post.id).where(Post.collected.is_(True))).all())
    assert stored == 3000  # the first connection's gap fill took the whole collection
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process, timeout=60)
    assert code == 0, err
    assert "stream connected" in err and TOKEN not in err
    # The shipped event.toml: the hashtag and the organiser's account, one rule (under X_QUERY_LIMIT).
    assert [(r["value"], r["tag"]) for r in demo_sim.rules] == [
        ("#cthb18 OR @osce_cthb OR to:osce_cthb OR from:osce_cthb", "event-1")
    ]
