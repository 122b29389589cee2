"""``python -m ingest`` as scripts outside the repository call it: real processes, real files."""

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing

from .helpers import ROOT, real_data
from .helpers.worker import ingest


def test_demo_load_then_status_json(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    out = tmp_path / "demo.jsonl"
    result = ingest("demo", "--posts", "600", "--seed", "5", "--out", str(out), "--load", url=url)
    assert result.returncode == 0, result.stderr
    assert out.exists() and (tmp_path / "demo.questions.csv").exists()
    status = ingest("status", "--json", url=url)
    assert status.returncode == 0, status.stderr
    figures = json.loads(status.stdout)
    assert {"posts", "context_posts", "authors", "questions", "rejected", "checkpoints"} <= set(figures)
    assert figures["posts"] == 600 and figures["questions"] == 40 and figures["rejected"] == 0
    # make demo's collection: three networks, Bluesky about a quarter, Mastodon about a seventh.
    by_platform = figures["posts_by_platform"]
    assert set(by_platform) == {"x", "bluesky", "mastodon"} and sum(by_platform.values()) == 600
    assert 0.15 < by_platform["bluesky"] / 600 < 0.4 and 0.05 < by_platform["mastodon"] / 600 < 0.3
    assert figures["authors"] > 50 and figures["context_posts"] > 0 and figures["demo"] is True
    assert list(figures["checkpoints"]) == [f"jsonl:{out.resolve()}"]


def test_demo_out_writes_a_file_without_touching_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'untouched.db'}"
    result = ingest("demo", "--posts", "150", "--out", str(tmp_path / "d.jsonl"), url=url)
    assert result.returncode == 0, result.stderr
    # 150 posts: X pages, then the Bluesky pages and repost events, then the Mastodon pages.
    lines = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert [line for line in lines if "data" in line] and any("posts" in line for line in lines)
    assert any({"method", "uri", "status"} <= set(line) for line in lines)  # recorded Mastodon responses
    assert not (tmp_path / "untouched.db").exists()


def test_import_with_rejected_records_says_so_in_its_exit_status(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(real_data("brexit.jsonl").read_text() + "{oops\n")
    result = ingest("import-jsonl", str(bad), url=url)
    assert result.returncode == 3, result.stderr
    summary = dict(line.strip().rsplit(None, 1)[::1] for line in result.stdout.splitlines()[1:])
    assert summary["posts new"] == "100" and summary["rejected"] == "1"
    status = json.loads(ingest("status", "--json", url=url).stdout)
    assert status["rejected"] == 1 and status["posts"] == 100


def test_a_missing_file_is_a_usage_error(tmp_path):
    result = ingest("import-jsonl", str(tmp_path / "nope.jsonl"), url=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_batch_posts_is_taken_and_nonsense_refused_with_a_usage_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    posts = real_data("brexit.jsonl")  # one search page of 100 posts a line
    result = ingest("import-jsonl", "--batch-posts", "150", str(posts), url=url)
    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(tmp_path / "b.db")) as connection:
        assert connection.execute("SELECT count(*) FROM post WHERE collected").fetchone() == (100,)
    for nonsense in ("0", "-5", "many"):
        refused = ingest("import-jsonl", "--batch-posts", nonsense, str(posts), url=url)
        assert refused.returncode == 2 and "--batch-posts" in refused.stderr and nonsense in refused.stderr


def test_import_questions_rejects_unknown_sessions(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    path = tmp_path / "q.csv"
    path.write_text(
        "session,question,votes,status\n"
        "d1-opening,What next?,3,approved\n"
        "High-level opening session,By title,0,\n"
        "no-such-session,Lost?,0,pending\n"
        "d1-panel-1,Bad status,0,shouting\n",
        encoding="utf-8",
    )
    first = ingest("import-questions", str(path), url=url)
    assert first.returncode == 3, first.stderr
    again = ingest("import-questions", str(path), url=url)
    status = json.loads(ingest("status", "--json", url=url).stdout)
    assert status["questions"] == 2 and status["rejected"] == 2
    assert "duplicates  2" in again.stdout


def test_secrets_never_reach_the_output(tmp_path):
    token = "AAAAsecret-bearer-token-value"
    result = ingest(
        "import-jsonl", str(tmp_path / "missing.jsonl"), url=f"sqlite:///{tmp_path / 's.db'}", X_BEARER_TOKEN=token
    )
    assert token not in result.stdout + result.stderr


def test_purge_questions_erases_names_after_the_retention_period(tmp_path):
    import sqlite3

    url = f"sqlite:///{tmp_path / 'purge.db'}"
    path = tmp_path / "q.csv"
    path.write_text(
        "session,question,name,affiliation,status,created_at\n"
        "d1-opening,Old and published?,Ana,NGO X,approved,2018-04-23T09:40:00+02:00\n"
        "d1-opening,Old and pending?,Ben,,pending,2018-04-23T09:41:00+02:00\n",
        encoding="utf-8",
    )
    assert ingest("import-questions", str(path), url=url).returncode == 0
    kept = ingest("purge-questions", "--older-than", "100000", url=url)
    assert kept.returncode == 0, kept.stderr
    assert "questions anonymised  0" in kept.stdout
    purged = ingest("purge-questions", url=url, QA_RETENTION_DAYS="30")
    assert purged.returncode == 0, purged.stderr
    assert "questions asked more than 30 day(s) ago" in purged.stdout and "texts erased" in purged.stdout
    con = sqlite3.connect(tmp_path / "purge.db")
    rows = con.execute("SELECT text, display_name, affiliation FROM question ORDER BY id").fetchall()
    assert rows == [("Old and published?", None, None), ("(removed after the retention period)", None, None)]
    assert ingest("purge-questions", "--older-than", "-1", url=url).returncode == 2


def _committed_posts(path) -> int:
    """Posts a reader sees in the worker's database (0 before it exists or has its tables)."""
    import sqlite3

    if not path.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as con:
            return con.execute("SELECT count(*) FROM post").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is still being created
        return 0


def test_backup_copies_a_live_database_while_the_worker_writes(tmp_path):
    import sqlite3
    import time

    from engagement.demo import write_collection

    url = f"sqlite:///{tmp_path / 'live.db'}"
    collection, _ = write_collection(tmp_path / "c.jsonl", posts=20_000, seed=3)
    worker = subprocess.Popen(
        [sys.executable, "-m", "ingest", "import-jsonl", "--no-progress", str(collection)],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The copies are taken while the worker writes: once its first batch is in, well before its last.
    deadline = time.monotonic() + 120
    while not _committed_posts(tmp_path / "live.db"):
        assert time.monotonic() < deadline and worker.poll() is None, "the import committed no batch"
        time.sleep(0.05)  # the polling interval of a bounded wait
    copies = []
    for n in range(3):
        result = ingest("backup", str(tmp_path / f"copy-{n}.db"), url=url)
        assert result.returncode == 0, result.stderr
        copies.append(tmp_path / f"copy-{n}.db")
    _, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err
    final = ingest("backup", str(tmp_path / "final.db"), url=url)
    assert final.returncode == 0 and "posts" in final.stdout
    counts = []
    for copy in copies + [tmp_path / "final.db"]:
        con = sqlite3.connect(copy)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts.append(con.execute("SELECT count(*) FROM post WHERE collected").fetchone()[0])
        con.close()
    # Each copy is a consistent moment of the import (it passes its integrity check), never behind the one before.
    assert counts == sorted(counts) and counts[-1] == 20_000
    assert not list(tmp_path.glob("*.partial"))
    assert ingest("backup", str(tmp_path / "live.db"), url=url).returncode == 2


def test_backup_refuses_postgresql(tmp_path):
    result = ingest("backup", str(tmp_path / "x.db"), url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 2 and "pg_dump" in result.stderr


def test_report_network_writes_one_networks_report_and_refuses_unknown_names(two_network_db, tmp_path):
    import csv

    wrong = ingest("report", "--out", str(tmp_path / "wrong"), "--network", "x,myspace", "--no-pdf", url=two_network_db)
    assert wrong.returncode == 2 and "myspace" in wrong.stderr and not (tmp_path / "wrong").exists()
    counts = {}
    for network in ("bluesky", "x"):
        done = ingest("report", "--out", str(tmp_path / network), "--network", network, "--no-pdf", url=two_network_db)
        assert done.returncode == 0, done.stderr
        folder = tmp_path / network / "csv"
        table = next(p for p in folder.iterdir() if "network" in p.name)
        with table.open(encoding="utf-8") as handle:
            counts[network] = [row for row in csv.DictReader(handle)]
    # Each report's by-network table holds its own network alone.
    assert [len(rows) for rows in counts.values()] == [1, 1]
    assert counts["bluesky"][0] != counts["x"][0]


def test_report_language_writes_the_report_in_it_and_refuses_unknown_codes(two_network_db, tmp_path):
    wrong = ingest("report", "--out", str(tmp_path / "wrong"), "--language", "xx", "--no-pdf", url=two_network_db)
    assert wrong.returncode == 2 and "xx" in wrong.stderr and not (tmp_path / "wrong").exists()
    done = ingest("report", "--out", str(tmp_path / "fr"), "--language", "fr", "--no-pdf", url=two_network_db)
    assert done.returncode == 0, done.stderr
    assert '<html lang="fr">' in (tmp_path / "fr" / "report.html").read_text(encoding="utf-8")
