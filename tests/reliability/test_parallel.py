"""Writers in parallel — the worker importing, 200 participants in four processes, five moderators —
while pages read: no "database is locked" (or any other error) reaches a person, and every write a
participant was told succeeded is in the database. The load is bench/qa_load.py's, shorter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from engagement.storage import db
from engagement.storage.models import AgendaSession

from ..helpers import ROOT

PAGES_READ = ["views/live.py", "views/queue.py", "views/engagement.py", "views/ask.py"]
# Seconds of writing: longer than the 20,000 posts' import (4-6 s), so that it races writes and page
# reads from start to end. At 20 s this module took 100 s of CI's serial phase.
LOAD_SECONDS = 12


def event_loaded(url: str) -> bool:
    try:
        with db.reading(url) as session:
            return bool(session.scalar(select(func.count()).select_from(AgendaSession)))
    except Exception:  # not migrated yet
        return False


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_writers_in_parallel_while_pages_read(dialect, request, monkeypatch, tmp_path, tally):
    if dialect == "postgresql":
        url = request.getfixturevalue("postgres_server").empty_database()
    else:
        url = f"sqlite:///{tmp_path / 'parallel.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    # The load runs in a process of its own: its helpers are spawned, and AppTest, running pages in
    # this process, makes the page script the __main__ that spawned children would import.
    script = (
        "import json, sys; from bench import qa_load; "
        f"result = qa_load.writes(participants=200, seconds={LOAD_SECONDS}, posts=20_000, pace=3.0, url={url!r}); "
        "print('RESULT ' + json.dumps(result))"
    )
    loader = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    runs = 0
    try:
        deadline = time.monotonic() + 120  # a bound: the loader loads the event in 1-10 s
        while loader.poll() is None and not event_loaded(url):
            assert time.monotonic() < deadline, "the load did not load the event within 120 s"
            time.sleep(0.2)  # the polling interval of a bounded wait
        while loader.poll() is None:
            for page in PAGES_READ:
                at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
                at.session_state["role"] = "organiser"
                at.run()
                at.switch_page(page).run()
                assert not at.exception, (page, [e.value for e in at.exception])
                assert not [e.value for e in at.error if "locked" in e.value.lower()], page
                runs += 1
    finally:
        out, err = loader.communicate(timeout=300)
    assert loader.returncode == 0, err[-2000:]
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    assert result["import_exit"] == 0
    assert result["lost_questions"] == 0 and result["lost_votes"] == 0
    assert result["errors"] == 0, f"an error reached a participant or a moderator:\n{out[-2000:]}"
    assert runs >= len(PAGES_READ)
    writes = round(
        (result["submissions_per_s"] + result["votes_per_s"] + result["moderator actions_per_s"]) * LOAD_SECONDS
    )
    tally.fault(
        f"acknowledged writes racing an import and page reads ({dialect}: 200 participants, "
        "5 moderators, 20,000 posts)",
        writes,
    )
    tally.note(f"{dialect}: {runs} page runs during the load, none showed an error")
