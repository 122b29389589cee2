"""The app and the worker may start together on a new database: one migrates, none fails."""

import subprocess
import sys

from engagement.storage.migrate import current_revision, head_revision

from .helpers import ROOT

START = "from engagement.storage import db; db.get_engine(); print('ok')"


def test_processes_starting_together_on_a_new_database_all_succeed(tmp_path):
    _race(f"sqlite:///{tmp_path / 'race.db'}")


def test_processes_starting_together_on_a_new_postgresql_database_all_succeed(postgres_server):
    url = postgres_server.empty_database()
    try:
        _race(url)
    finally:
        postgres_server.drop(url)


def _race(url: str) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", START],
            cwd=ROOT,
            env={"DATABASE_URL": url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], [err for _, err in results]
    assert current_revision(url) == head_revision()
