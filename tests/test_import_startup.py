"""The import's fixed costs: a database at head is not migrated again, the worker's command line
loads no API client, the reading process is forked when that is safe, and Mastodon HTML
remembered gives what parsing it again gives."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading

from engagement.collection import jsonl
from engagement.collection import readahead as readahead_module
from engagement.collection.mastodon import plaintext
from engagement.demo import write_collection
from engagement.storage import migrate

from .helpers import ROOT


def _python(code: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_database_at_head_is_opened_without_alembic_or_an_api_client(db_url):
    assert migrate._head_from_files() == migrate.head_revision()
    # A fresh worker opening it loads no Alembic (so runs no whole-database foreign key check), and
    # neither tweepy nor requests (only the commands that call an API need them).
    loaded = _python(
        "import sys, ingest.cli, engagement.collection.jsonl\n"
        "from engagement.storage import db\n"
        "db.get_engine()\n"
        "print(sorted({'alembic', 'tweepy', 'requests'} & set(sys.modules)))",
        {"DATABASE_URL": db_url},
    )
    assert loaded == "[]"


def test_a_database_behind_head_is_still_brought_to_head(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0001")
    assert migrate.current_revision(url) == "0001"
    migrate.upgrade(url)
    assert migrate.current_revision(url) == migrate.head_revision()


def test_the_reading_process_is_forked_only_from_a_single_thread():
    stop = threading.Event()
    beside = threading.Thread(target=stop.wait)
    beside.start()
    try:
        assert not readahead_module._may_fork()
    finally:
        stop.set()
        beside.join()


def test_a_forked_import_stores_what_an_import_without_a_reading_process_does(db_url, tmp_path, monkeypatch):
    # A small three-network collection read by a forked process (a process of one thread, as the
    # worker is), and here read in this process: the same counts, and the same rows. Its second
    # file's reading process is forked too: the first file's checkpointing thread is gone by then.
    posts, _ = write_collection(tmp_path / "demo.jsonl", posts=400)
    again = shutil.copy(posts, tmp_path / "again.jsonl")
    forked = tmp_path / "forked.db"
    stored, forks = _python(
        "import json; from pathlib import Path\n"
        "from engagement.collection import jsonl, readahead\n"
        "from engagement.rules.sync import sync_event\n"
        "from engagement.storage import db\n"
        "may_fork, forks = readahead._may_fork, []\n"
        "readahead._may_fork = lambda: forks.append(may_fork()) or forks[-1]\n"
        "jsonl.READAHEAD_BYTES = 0  # a reading process for any file\n"
        f"url = 'sqlite:///{forked}'\n"
        "with db.writing(url) as session: sync_event(session)\n"
        f"files = [Path({str(posts)!r}), Path({str(again)!r})]\n"
        "print(json.dumps(jsonl.import_files(files, url=url, progress=False).as_dict()))\n"
        "print(json.dumps(forks))"
    ).splitlines()
    assert json.loads(forks) == [True, True]
    monkeypatch.setattr(jsonl, "READAHEAD_BYTES", 1 << 40)
    here = jsonl.import_files([posts, again], url=db_url, progress=False).as_dict()
    assert json.loads(stored) == here and here["posts_new"] > 0 and here["duplicates"] >= here["posts_new"]
    rows = "SELECT platform, platform_id, text, session_id, reason, likes FROM post ORDER BY platform, platform_id"
    with sqlite3.connect(forked) as theirs, sqlite3.connect(db_url.removeprefix("sqlite:///")) as ours:
        assert theirs.execute(rows).fetchall() == ours.execute(rows).fetchall()


def test_remembered_html_comes_back_as_new_objects():
    html = '<p>Hi <a href="https://example.org/tags/cthb" class="mention hashtag">#<span>cthb</span></a></p>'
    first = plaintext.render(html)
    first.links[0].text = "changed"
    first.links.append(plaintext.Link("https://x.example", False, False))
    second = plaintext.render(html)
    assert second.text == "Hi #cthb" and [(link.href, link.text) for link in second.links] == [
        ("https://example.org/tags/cthb", "#cthb")
    ]
    long = "<p>" + "word " * 5000 + "</p>"  # longer than what is remembered: parsed each time, the same
    assert plaintext.render(long).text == plaintext.to_text(long) == ("word " * 5000).strip()
