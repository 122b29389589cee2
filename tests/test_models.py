"""The data model on a real SQLite file: round trip, constraints, connection settings."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from engagement.storage import db
from engagement.storage.models import (
    AgendaSession,
    Author,
    GroupSource,
    IngestCheckpoint,
    IngestRun,
    Post,
    PostKind,
    Question,
    QuestionStatus,
    RejectedRecord,
    Setting,
    StakeholderGroup,
)

pytestmark = pytest.mark.both_databases

VIENNA_NOON = datetime(2018, 4, 23, 12, 0, tzinfo=timezone(timedelta(hours=2)))


def test_every_model_round_trips_through_the_database(db_url):
    with db.writing(db_url) as session:
        session.add(StakeholderGroup(key="test_group", label="Test — группа ✓", colour="#123456", display_order=99))
        session.flush()
        item = AgendaSession(
            key="t-1",
            title="Test session",
            kind="panel",
            starts_at=VIENNA_NOON,
            ends_at=VIENNA_NOON + timedelta(hours=1),
            hashtags=["#t1"],
            speakers=[{"name": "A. Person", "group": "osce", "role": "chair"}],
            illustrative=True,
        )
        author = Author(
            platform_user_id="42",
            handle="someone",
            display_name="مثال 🌍",
            bio="<b>bio</b>",
            followers=10,
            verified=True,
            group_key="test_group",
            group_source=GroupSource.directory,
        )
        session.add_all([item, author])
        session.flush()
        session.add(
            Post(
                platform_id="100",
                current_id="101",
                author_id=author.id,
                created_at=VIENNA_NOON,
                text="x" * 5000,
                language="ar",
                kind=PostKind.quote,
                referenced=[{"type": "quoted", "id": "7"}],
                referenced_platform_id="7",
                hashtags=["cthb18"],
                mentions=["a"],
                urls=["https://e.org"],
                media_count=2,
                retweets=1,
                replies=2,
                likes=3,
                quotes=4,
                impressions=5,
                session_id=item.id,
                collected=False,
                raw={"id": "101", "nested": {"k": [1, 2]}},
            )
        )
        session.add(Question(session_id=item.id, text="Why? <script>", status=QuestionStatus.on_screen, votes=3))
        session.add(IngestCheckpoint(source="x-poll", position="12345"))
        session.add(RejectedRecord(source="import-jsonl", location="f.jsonl:3", reason="invalid JSON", raw="{"))
        session.add(IngestRun(source="import-jsonl", counts={"lines": 3}))
        session.add(Setting(key="k", value="v"))
    db.dispose_engines()

    with db.reading(db_url) as session:
        post = session.exec(select(Post).where(Post.platform_id == "100")).one()
        assert post.created_at == VIENNA_NOON and post.created_at.utcoffset() == timedelta(0)
        assert post.text == "x" * 5000 and post.raw == {"id": "101", "nested": {"k": [1, 2]}}
        assert (post.kind, post.collected, post.referenced) == ("quote", False, [{"type": "quoted", "id": "7"}])
        assert (post.retweets, post.replies, post.likes, post.quotes, post.impressions) == (1, 2, 3, 4, 5)
        author = session.get(Author, post.author_id)
        assert (author.display_name, author.bio, author.group_key) == ("مثال 🌍", "<b>bio</b>", "test_group")
        item = session.get(AgendaSession, post.session_id)
        assert item.speakers == [{"name": "A. Person", "group": "osce", "role": "chair"}] and item.illustrative
        assert session.exec(select(Question)).one().text == "Why? <script>"
        assert session.get(IngestCheckpoint, "x-poll").position == "12345"
        assert session.exec(select(RejectedRecord)).one().location == "f.jsonl:3"
        assert session.exec(select(IngestRun)).one().counts == {"lines": 3}
        assert session.get(StakeholderGroup, "test_group").label == "Test — группа ✓"


def test_a_post_is_unique_per_platform_id(db_url):
    with db.writing(db_url) as session:
        session.add(Post(platform_id="1", current_id="1", created_at=VIENNA_NOON, text="a"))
    with pytest.raises(IntegrityError), db.writing(db_url) as session:
        session.add(Post(platform_id="1", current_id="1", created_at=VIENNA_NOON, text="b"))


def test_foreign_keys_are_enforced(db_url):
    with pytest.raises(IntegrityError), db.writing(db_url) as session:
        session.add(Post(platform_id="2", current_id="2", created_at=VIENNA_NOON, text="a", session_id=9999))


def test_naive_datetimes_are_refused_rather_than_guessed(db_url):
    with pytest.raises(Exception, match="timezone"), db.writing(db_url) as session:
        session.add(Post(platform_id="3", current_id="3", created_at=datetime(2018, 4, 23, 12), text="a"))


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(db_url, dialect):
    if dialect != "sqlite":
        pytest.skip("SQLite's own settings")
    with db.get_engine(db_url).connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == db.BUSY_TIMEOUT_MS
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_default_database_is_created_on_first_use(tmp_path, monkeypatch):
    target = tmp_path / "nested" / "engagement.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    db.get_engine()
    assert target.exists()
    with db.reading() as session:
        assert session.exec(select(Post)).all() == []


def test_postgresql_sessions_keep_times_in_utc(db_url, dialect):
    if dialect != "postgresql":
        pytest.skip("PostgreSQL's own settings")
    with db.reading(db_url) as session:
        assert session.execute(text("SHOW timezone")).scalar() == "UTC"


def test_a_process_holds_one_pool_of_postgresql_connections(db_url, dialect):
    # SQLite keeps a writers' engine of its own (BEGIN IMMEDIATE); PostgreSQL needs no second pool.
    same = db.get_engine(db_url, write=True) is db.get_engine(db_url)
    assert same == (dialect == "postgresql")
