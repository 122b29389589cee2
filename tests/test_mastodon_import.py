"""Real Mastodon recordings through the one importer (``ingest import``), on both databases: every
status stored or rejected with its reason, one row per post across instances, the newest edit and
the latest counts kept whatever the order, a Bridgy Fed copy stored as its Bluesky post, and the
event's Mastodon account and hashtag deciding the reasons."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engagement.collection.jsonl import import_files
from engagement.rules.sync import sync_event
from engagement.storage import db
from engagement.storage.models import Author, DeletedPost, Post, RejectedRecord

from .helpers import real_data
from .helpers.worker import ingest

pytestmark = pytest.mark.both_databases

FOLDER = "mastodon"
HASHTAG = "rtoot_get_timeline_hashtag_anonymous.bodies.json"
RECORDINGS = (
    "mastodonpy_test_entity_quote.bodies.json",
    "mastodonpy_test_entity_status.bodies.json",
    "mastodonpy_test_entity_statusedit.bodies.json",
    "mastodonpy_test_hashtag_tl.bodies.json",
    "rtoot_get_account_statuses_default.bodies.json",
    HASHTAG,
)


def load(name: str) -> list[dict]:
    return json.loads(real_data(name, FOLDER).read_text(encoding="utf-8"))


def relative(acct: str, served_by: str) -> str:
    """``user@host`` as the instance ``served_by`` writes it: its own users without the host."""
    user, _, host = acct.partition("@")
    return user if host == served_by else acct


def as_seen_from(responses: list[dict], host: str, recorded_at: str) -> list[dict]:
    """The recording's statuses as another instance gives them: its own local ids, its acct forms,
    its tag addresses, counts of its own and a newer server's account ``uri``."""
    seen = copy.deepcopy(responses)
    for response in seen:
        response["uri"] = f"https://{host}/api/v1/timelines/tag/ichbinhanna?limit=5"
        response["recorded_at"] = recorded_at
        for number, status in enumerate(response["body"]):
            account = status["account"]
            origin = account["url"].split("/")[2]
            absolute = account["acct"] if "@" in account["acct"] else f"{account['acct']}@{origin}"
            status["id"] = str(110_000_000_000_000_000 + number)
            account["id"] = str(120_000_000_000_000_000 + number)
            account["acct"] = relative(absolute, host)
            account["uri"] = status["uri"].split("/statuses/")[0]
            for tag in status["tags"]:
                tag["url"] = f"https://{host}/tags/{tag['name'].lower()}"
            for mention in status["mentions"]:
                mention["acct"] = relative(
                    mention["acct"] if "@" in mention["acct"] else f"{mention['acct']}@{origin}", host
                )
            status["favourites_count"] += 10
            if status["in_reply_to_id"]:
                status["in_reply_to_id"] = "130000000000000000"
    return seen


def write(path: Path, document) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def posts(url: str) -> dict[str, tuple]:
    with db.reading(url) as session:
        rows = session.execute(
            select(Post.platform_id, Post.platform, Post.text, Post.likes, Post.collected, Author.handle).outerjoin(
                Author, Author.id == Post.author_id
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_every_recorded_status_is_stored_or_rejected_with_a_reason(db_url):
    paths = [real_data(name, FOLDER) for name in RECORDINGS]
    summary = import_files(paths, url=db_url, progress=False)
    statuses = {
        s["uri"]
        for name in RECORDINGS
        for r in load(name)
        if r["method"] == "GET"
        for s in (r["body"] if isinstance(r["body"], list) else [r["body"]])
        if isinstance(s, dict) and "uri" in s
    }
    with db.reading(db_url) as session:
        stored = set(session.scalars(select(Post.platform_id).where(Post.collected.is_(True))))
        rejected = session.execute(select(RejectedRecord.location, RejectedRecord.reason)).all()
        tombstones = set(session.scalars(select(DeletedPost.platform_id)))
        platforms = dict(session.execute(select(Post.platform, func.count()).group_by(Post.platform)).all())
    # The Bridgy Fed copy is stored under its Bluesky URI; the hashtag post was deleted by its author.
    bridged = {s for s in statuses if s.startswith("https://bsky.brid.gy/convert/ap/")}
    deleted = {s for s in statuses if s.startswith("http://localhost:3000/")}
    assert stored == (statuses - bridged - deleted) | {
        s.removeprefix("https://bsky.brid.gy/convert/ap/") for s in bridged
    }
    assert tombstones == deleted and summary.store.posts_deleted == 1
    # Only the edit history is kept aside, each version saying why.
    assert sorted(location for location, _ in rejected) == [
        f"mastodonpy_test_entity_statusedit.bodies.json:{line} body[{n}]" for line in (1, 2) for n in (0, 1)
    ]
    assert all("edit history" in reason for _, reason in rejected) and summary.rejected == 4
    assert platforms == {"mastodon": 28, "bluesky": 2}  # a reblogged and a quoted status as context


def test_one_hashtag_from_two_instances_is_one_row_per_post(db_url, tmp_path):
    original = load(HASHTAG)
    elsewhere = write(tmp_path / "chaos.bodies.json", as_seen_from(original, "chaos.social", "2022-11-08 16:45:00 GMT"))
    first = import_files([real_data(HASHTAG, FOLDER)], url=db_url, progress=False)
    second = import_files([elsewhere], url=db_url, progress=False)
    rows = posts(db_url)
    uris = [s["uri"] for s in original[0]["body"]]
    assert sorted(rows) == sorted(uris) and first.store.posts_new == 5
    assert second.store.posts_new == 0 and second.store.authors_new == 0 and second.store.posts_updated == 5
    with db.reading(db_url) as session:
        authors = session.execute(select(Author.platform_user_id, Author.handle).order_by(Author.handle)).all()
    # One author each, keyed on the account's uri (given by one server, derived for the other).
    assert len(authors) == 5 and ("https://chaos.social/users/fuzzyleapfrog", "fuzzyleapfrog@chaos.social") in authors
    # The later reading's counts.
    assert [rows[s["uri"]][2] for s in original[0]["body"]] == [s["favourites_count"] + 10 for s in original[0]["body"]]
    # The earlier recording again changes nothing: its counts are older.
    again = import_files([real_data(HASHTAG, FOLDER)], url=db_url, progress=False)
    assert posts(db_url) == rows and again.store.posts_new == again.store.posts_updated == 0


@pytest.mark.parametrize("edited_first", [True, False])
def test_an_edited_status_keeps_its_newest_text_in_either_order(db_url, tmp_path, edited_first):
    [response, _] = load("mastodonpy_test_entity_status.bodies.json")
    [history, _] = [r["body"] for r in load("mastodonpy_test_entity_statusedit.bodies.json")]
    older = copy.deepcopy(response)
    older["body"].update(
        id="1", content=history[0]["content"], spoiler_text="", edited_at=None, tags=[], media_attachments=[]
    )
    newest, before = write(tmp_path / "newest.json", [response]), write(tmp_path / "older.json", [older])
    import_files([newest, before] if edited_first else [before, newest], url=db_url, progress=False)
    with db.reading(db_url) as session:
        text, tags, media, created_at = session.execute(
            select(Post.text, Post.hashtags, Post.media_count, Post.created_at)
        ).one()
    assert text.startswith("@halcy you're a doo-doo head\n\nedit: editing this") and tags == ["thisisahashtag"]
    assert media == 1 and created_at.isoformat().startswith("2023-05-28T12:06:50")


def test_a_bridged_quote_is_stored_as_the_bluesky_post_and_its_author(db_url):
    import_files([real_data("mastodonpy_test_entity_quote.bodies.json", FOLDER)], url=db_url, progress=False)
    did = "did:plc:5syfqzormjkutgo5hi2u2gpr"
    with db.reading(db_url) as session:
        rows = session.execute(select(Post.platform, Post.platform_id, Post.collected, Post.kind)).all()
        author = session.execute(select(Author.platform, Author.platform_user_id, Author.handle)).one()
    assert {(platform, collected, kind) for platform, _, collected, kind in rows} == {
        ("bluesky", True, "reply"),
        ("bluesky", False, "reply"),
    }
    assert all(platform_id.startswith(f"at://{did}/app.bsky.feed.post/") for _, platform_id, _, _ in rows)
    assert tuple(author) == ("bluesky", did, "h4lcy.bsky.social")


def test_the_events_mastodon_account_and_hashtag_decide_the_reasons(db_url, monkeypatch):
    monkeypatch.setenv("EVENT_HASHTAGS", "#ichbinhanna")
    monkeypatch.setenv("EVENT_ACCOUNTS", "osce_cthb @amreibahr@mastodon.social @elhotzo@mastodon.social")
    with db.writing(db_url) as session:
        sync_event(session)
    import_files([real_data(HASHTAG, FOLDER)], url=db_url, progress=False)
    with db.reading(db_url) as session:
        reasons = dict(
            session.execute(
                select(Author.handle, Post.reason).join(Author, Author.id == Post.author_id).order_by(Author.handle)
            ).all()
        )
    assert reasons["amreibahr@mastodon.social"] == "own"
    assert set(reasons.values()) == {"own", "hashtag"} and len(reasons) == 5


def test_import_and_status_json_count_mastodon(tmp_path):
    url = f"sqlite:///{tmp_path / 'mastodon.db'}"
    page = write(tmp_path / "page.json", load(HASHTAG)[0]["body"])  # a JSON array of statuses
    lines = tmp_path / "statuses.jsonl"
    lines.write_text(
        "".join(json.dumps(r["body"]) + "\n" for r in load("mastodonpy_test_entity_status.bodies.json")) + "{oops\n",
        encoding="utf-8",
    )
    result = ingest("import", str(page), str(lines), url=url)
    assert result.returncode == 3, result.stderr  # the broken line was kept aside
    status = json.loads(ingest("status", "--json", url=url).stdout)
    assert status["posts_by_platform"] == {"mastodon": 7} and status["rejected"] == 1


def test_a_line_nested_too_deep_or_of_no_format_is_kept_aside_and_the_rest_goes_in(db_url, tmp_path):
    statuses = [r["body"] for r in load("mastodonpy_test_entity_status.bodies.json")]
    deep = '{"reblog":' * 3000 + "null" + "}" * 3000
    no_account = json.dumps({"uri": "https://a.example/users/a/statuses/1", "content": "<p>x</p>"})
    path = tmp_path / "deep.jsonl"
    lines = [json.dumps(statuses[0]), deep, no_account, json.dumps(statuses[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_files([path], url=db_url, progress=False)
    with db.reading(db_url) as session:
        rejected = dict(session.execute(select(RejectedRecord.location, RejectedRecord.reason)).all())
    assert summary.store.posts_new == 2 and set(rejected) == {"deep.jsonl:2", "deep.jsonl:3"}
    assert "nested too deep" in rejected["deep.jsonl:2"] and "nor a Mastodon status" in rejected["deep.jsonl:3"]


def test_a_reading_process_gives_the_same_database(tmp_path, monkeypatch):
    """Files over READAHEAD_BYTES are parsed in a process of their own: Mastodon's records, their
    content warnings, deletions and Bridgy Fed handles cross to the writer unchanged."""
    from engagement.collection import jsonl

    from .helpers.worker import snapshot

    # Every recorded response, a JSON line each: one file, one reading process.
    path = tmp_path / "responses.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for name in RECORDINGS for r in load(name)), encoding="utf-8")
    urls = [f"sqlite:///{tmp_path / name}" for name in ("plain.db", "readahead.db")]
    for url, threshold in zip(urls, (1 << 62, 0), strict=True):
        with db.writing(url) as session:
            sync_event(session)
        monkeypatch.setattr(jsonl, "READAHEAD_BYTES", threshold)
        summary = import_files([path], url=url, progress=False)
        assert summary.store.posts_new == 29 and summary.store.posts_deleted == 1 and summary.rejected == 4
    assert snapshot(urls[0]) == snapshot(urls[1])
    with db.reading(urls[1]) as session:
        assert session.scalar(select(Author.handle).where(Author.platform == "bluesky")) == "h4lcy.bsky.social"


def test_a_content_warning_is_kept_and_shown_before_the_text_on_live(db_url, monkeypatch, dialect):
    from .helpers.pages import page

    import_files([real_data("mastodonpy_test_entity_status.bodies.json", FOLDER)], url=db_url, progress=False)
    with db.reading(db_url) as session:
        warnings = set(session.scalars(select(Post.content_warning).where(Post.content_warning.is_not(None))))
    db.dispose_engines()
    assert "test post for mastodon.py stuff" in warnings
    if dialect != "sqlite":
        return  # the page reads the same query on both
    at = page(db_url, monkeypatch, "views/live.py", role="moderator")
    shown = "\n".join(t.value for t in at.text)
    assert "CW: test post for mastodon.py stuff\n" in shown
