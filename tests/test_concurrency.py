"""The worker writes while pages read and participants submit: nobody sees "database is locked"."""

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func
from sqlmodel import select

from engagement.analysis import analytics
from engagement.demo import write_collection
from engagement.storage import db
from engagement.storage.models import AgendaSession, Question

from .helpers import ROOT


def test_an_import_beside_readers_and_question_writers(db_url, tmp_path):
    path, _ = write_collection(tmp_path / "load.jsonl", posts=15_000, seed=4)
    worker = subprocess.Popen(
        [sys.executable, "-m", "ingest", "import-jsonl", str(path)],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DATABASE_URL": db_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with db.reading(db_url) as session:
        session_id = session.exec(select(AgendaSession.id)).first()
    errors, written, reads = [], [], []
    done = threading.Event()

    def reader():
        while not done.is_set():
            try:
                with db.reading(db_url) as session:
                    analytics.totals(session)
                    analytics.by_session(session)
                reads.append(1)
            except Exception as error:  # noqa: BLE001 (any error is the failure we look for)
                errors.append(repr(error))

    def writer(number):
        count = 0
        while not done.is_set():
            text = f"writer {number} question {count}"
            try:

                def insert(text=text):
                    with db.writing(db_url) as session:
                        session.add(Question(session_id=session_id, text=text))

                db.retry_locked(insert)
                written.append(text)
            except Exception as error:  # noqa: BLE001
                errors.append(repr(error))
            count += 1
            time.sleep(0.01)  # a participant's pace, not a wait: the writers run as long as the import does

    threads = [threading.Thread(target=reader) for _ in range(3)] + [
        threading.Thread(target=writer, args=(n,)) for n in range(3)
    ]
    for thread in threads:
        thread.start()
    out, err = worker.communicate(timeout=300)
    done.set()
    for thread in threads:
        thread.join()
    assert worker.returncode == 0, err
    assert errors == []
    assert len(reads) > 10 and len(written) > 30
    with db.reading(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Question)) == len(written)


def test_writers_of_one_process_queue_and_a_stuck_writer_times_out(db_url, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from engagement.storage import flags

    order, holding, release = [], threading.Event(), threading.Event()

    def slow_writer():
        with db.writing(db_url) as session:
            flags.put(session, "probe", "slow")
            holding.set()
            release.wait(5)
            order.append("slow")

    thread = threading.Thread(target=slow_writer)
    thread.start()
    holding.wait(5)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    with pytest.raises(OperationalError, match="locked"), db.writing(db_url) as session:
        flags.put(session, "probe", "impatient")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 30_000)
    release.set()
    thread.join()
    with db.writing(db_url) as session:
        flags.put(session, "probe", "after")
        order.append("after")
    assert order == ["slow", "after"]
    with db.reading(db_url) as session:
        assert flags.get(session, "probe") == "after"
