"""Alembic: a new database and one at the previous revision both reach the current schema."""

import json
import sqlite3
import subprocess
import sys
import warnings

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from engagement.storage import models  # noqa: F401
from engagement.storage.migrate import current_revision, head_revision, upgrade

from .helpers import ROOT


def test_a_new_database_reaches_head_and_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    upgrade(url)
    assert current_revision(url) == head_revision() == "0023"
    engine = create_engine(url)
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLAlchemy cannot reflect expression indexes on SQLite; that one is checked by name below.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata
        )
        indexes = {
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'author'"
            )
        }
    differences = [d for d in differences if not (d[0] == "add_index" and d[1].name == "ix_author_handle_lower")]
    assert differences == [], "models changed without a migration: add an Alembic revision"
    assert "ix_author_handle_lower" in indexes


def _fill_revision_0001(path):
    """Rows as revision 0001 stored them, written with plain SQL (the old code is gone)."""
    con = sqlite3.connect(path)
    con.executescript("""
        INSERT INTO stakeholder_group VALUES ('osce', 'OSCE structures', '', 3, '#332288');
        INSERT INTO agenda_session (id, key, title, kind, starts_at, ends_at, room, hashtags, speakers, illustrative, source_note)
          VALUES (1, 'd1-opening', 'Opening', 'plenary', '2018-04-23 07:30:00', '2018-04-23 08:45:00', '', '[]', '[]', 1, '');
        INSERT INTO author (id, platform, platform_user_id, handle, group_key, group_source, profile_known, first_seen, last_updated)
          VALUES (1, 'x', '42', 'demo_a', 'osce', 'directory', 1, '2018-04-23 07:00:00', '2018-04-23 07:00:00');
    """)
    for n in range(1, 251):
        con.execute(
            "INSERT INTO post (id, platform, platform_id, current_id, author_id, created_at, text, kind, referenced,"
            " hashtags, mentions, urls, media_count, retweets, replies, likes, quotes, collected, raw, first_seen,"
            " last_updated, session_id) VALUES (?, 'x', ?, ?, 1, '2018-04-23 07:40:00', ?, 'original', '[]', ?, ?, '[]',"
            " 0, 0, 0, 0, 0, 1, '{}', '2018-04-23 07:40:00', '2018-04-23 07:40:00', 1)",
            (
                n,
                str(1000 + n),
                str(1000 + n),
                f"post {n} #cthb18",
                json.dumps(["cthb18", "OSCE"]),
                json.dumps(["Demo_A"] if n % 2 else []),
            ),
        )
    con.execute(
        "INSERT INTO question (session_id, text, status, votes, flagged, origin, created_at, updated_at)"
        " VALUES (1, 'Why?', 'approved', 4, 0, 'app', '2018-04-23 07:50:00', '2018-04-23 07:50:00')"
    )
    con.execute("INSERT INTO ingest_checkpoint VALUES ('x-poll', '1250', '2018-04-23 07:50:00')")
    con.execute(
        "INSERT INTO ingest_run (source, command, started_at, status, counts)"
        " VALUES ('x-poll', 'x-poll --once', '2018-04-23 07:50:00', 'ok', '{\"pages\": 3}')"
    )
    con.commit()
    con.close()


def _table_rows(path, table):
    con = sqlite3.connect(path)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    finally:
        con.close()


def test_upgrading_from_the_previous_revision_keeps_every_row(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0001")
    assert current_revision(url) == "0001"
    _fill_revision_0001(path)
    tables = ["stakeholder_group", "agenda_session", "author", "ingest_checkpoint"]
    posts_before = _table_rows(path, "post")
    questions_before = _table_rows(path, "question")
    runs_before = _table_rows(path, "ingest_run")
    before = {table: _table_rows(path, table) for table in tables}

    upgrade(url)

    assert current_revision(url) == head_revision()
    # Revision 0018 adds the titles and labels in other languages: none for the old rows.
    translated = {"stakeholder_group", "agenda_session"}
    for table in tables:
        after = _table_rows(path, table)
        if table in translated:
            assert {row[-1] for row in after} == {"{}"}, f"{table}: translations where there were none"
            after = [row[:-1] for row in after]
        assert after == before[table], f"{table} changed in the upgrade"
    # Revision 0012 adds why each post was collected: before it, the query sent the hashtags alone.
    # Revision 0013 adds whether a post is hidden from the public: none of the old ones is. 0014
    # (when a Bluesky post was hydrated) and 0015 (a Mastodon content warning) start empty.
    posts = _table_rows(path, "post")
    assert [row[:-4] for row in posts] == posts_before
    assert {(row[-4], bool(row[-8])) for row in posts} <= {("hashtag", True), (None, False)}
    assert any(row[-4] == "hashtag" for row in posts) and {row[-3] for row in posts} == {0}
    assert {row[-2:] for row in posts} == {(None, None)}
    # Revision 0006 adds moderation columns to question: the old values stay, the new ones start empty.
    questions = _table_rows(path, "question")
    assert [row[:15] for row in questions] == questions_before
    assert questions[0][15:] == (None, None, None, 0, None, None, None, None, None, 0, None)
    # Revision 0003 adds a column to ingest_run: the old values stay, the new one starts empty.
    assert [row[:-1] for row in _table_rows(path, "ingest_run")] == runs_before
    assert _table_rows(path, "ingest_run")[0][-1] == "[]"
    entities = _table_rows(path, "post_entity")
    # Every post's hashtags backfilled, lower-cased; mentions on the odd posts.
    assert len([e for e in entities if e[1] == "hashtag"]) == 500
    assert (1, "mention", "demo_a") in entities and (2, "mention", "demo_a") not in entities
    assert (1, "hashtag", "osce") in entities
    # Revision 0007 drops the post indexes the covering index makes redundant.
    post_indexes = {
        row[0]
        for row in sqlite3.connect(path).execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'post'"
        )
    }
    assert {"ix_post_analytics", "ix_post_session_created", "ix_post_author_id"} <= post_indexes
    assert not post_indexes & {"ix_post_collected_created", "ix_post_kind", "ix_post_language"}
    assert "ix_post_own" in post_indexes


def test_revision_0019_counts_the_posts_stored_and_its_downgrade_leaves_no_trigger(tmp_path):
    """The author rollup without kind and language: counted from the posts by the upgrade, kept by its
    triggers, gone with them in the downgrade (PostgreSQL's side: tests/test_rollups.py goes down to
    0007 and back up on both databases)."""
    from alembic import command

    from engagement.storage.migrate import alembic_config

    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0001")
    _fill_revision_0001(path)
    upgrade(url)
    hour = 25_407_780  # 2018-04-23 07:00 UTC in minutes: the posts' hour
    assert _table_rows(path, "rollup_author_hour") == [(1, 1, hour, "x", "hashtag", 250, 0, 0)]
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE post SET likes = 2, session_id = NULL WHERE id <= 10")
        con.execute("DELETE FROM post_entity WHERE post_id = 250")
        con.execute("DELETE FROM post WHERE id = 250")
    con.close()
    assert _table_rows(path, "rollup_author_hour") == [
        (1, 0, hour, "x", "hashtag", 10, 0, 20),
        (1, 1, hour, "x", "hashtag", 239, 0, 0),
    ]
    command.downgrade(alembic_config(url), "0018")
    con = sqlite3.connect(path)
    names = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE name LIKE 'rollup_author_hour%'")}
    with con:
        con.execute("UPDATE post SET likes = 3 WHERE id <= 10")  # no trigger left to fail on the table
    con.close()
    assert names == set()
    upgrade(url)
    assert _table_rows(path, "rollup_author_hour") == [
        (1, 0, hour, "x", "hashtag", 10, 0, 30),
        (1, 1, hour, "x", "hashtag", 239, 0, 0),
    ]


def test_revision_0022_sums_the_finer_rollups_and_follows_them_and_its_downgrade_leaves_no_trigger(tmp_path):
    """The author and link rollups without time: summed from the finer rollups by the upgrade, kept by
    the posts' triggers (authors) and by triggers on the link rollup's rows, gone in the downgrade
    (PostgreSQL's side: tests/test_rollups.py goes down to 0007 and back up on both databases)."""
    from alembic import command

    from engagement.storage.migrate import alembic_config

    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0001")
    _fill_revision_0001(path)
    upgrade(url)
    # 250 posts in session 1, the odd ones mentioning their own author (demo_a).
    assert _table_rows(path, "rollup_author_session") == [(1, 1, "x", "hashtag", 250, 0, 0)]
    assert _table_rows(path, "rollup_link_session") == [("osce", "osce", "mention", 1, "x", "hashtag", 125)]
    con = sqlite3.connect(path)
    with con:
        # Posts 1–10 move out of the session (five of them mention), and two posts go.
        con.execute("UPDATE post SET likes = 2, session_id = NULL WHERE id <= 10")
        for gone in (249, 250):
            con.execute("DELETE FROM post_entity WHERE post_id = ?", (gone,))
            con.execute("DELETE FROM post WHERE id = ?", (gone,))
    con.close()
    moved = [(1, 0, "x", "hashtag", 10, 0, 20), (1, 1, "x", "hashtag", 238, 0, 0)]
    assert _table_rows(path, "rollup_author_session") == moved
    links = [("osce", "osce", "mention", 0, "x", "hashtag", 5), ("osce", "osce", "mention", 1, "x", "hashtag", 119)]
    assert sorted(_table_rows(path, "rollup_link_session")) == links
    with sqlite3.connect(path) as con:
        con.execute("UPDATE post SET session_id = 1 WHERE id <= 10")  # back: the session 0 row goes
    assert _table_rows(path, "rollup_author_session") == [(1, 1, "x", "hashtag", 248, 0, 20)]
    command.downgrade(alembic_config(url), "0021")
    con = sqlite3.connect(path)
    names = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE name LIKE 'rollup_%_session%'")}
    with con:
        con.execute("UPDATE post SET likes = 3 WHERE id <= 10")  # no trigger left to fail on the tables
    con.close()
    assert names == set()
    upgrade(url)
    assert _table_rows(path, "rollup_author_session") == [(1, 1, "x", "hashtag", 248, 0, 30)]


def test_one_command_upgrades_a_database(tmp_path):
    path = tmp_path / "cli.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0001")
    result = subprocess.run(
        [sys.executable, "-m", "ingest", "db", "upgrade"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert f"0001 -> {head_revision()}" in result.stdout
    assert current_revision(url) == head_revision()


def test_foreign_keys_stay_enforced_after_a_migration(tmp_path):
    from sqlalchemy.exc import IntegrityError

    from engagement.storage import db
    from engagement.storage.models import Vote

    url = f"sqlite:///{tmp_path / 'fk.db'}"
    upgrade(url, "0005")
    upgrade(url)
    engine = db.get_engine(url, write=True, migrate=False)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    try:
        with db.writing(url) as session:
            session.add(Vote(question_id=999, participant_hash="x"))
            session.flush()
        raise AssertionError("a vote for a missing question was stored")
    except IntegrityError:
        pass
