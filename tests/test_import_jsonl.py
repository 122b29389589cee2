"""twarc2 JSONL import on real API responses: shapes, idempotence, rejects, edits, resume."""

import copy
import gzip
import json

import pytest
from sqlalchemy import func
from sqlmodel import select

from engagement.collection.jsonl import import_file, import_files
from engagement.storage import db
from engagement.storage.models import Author, IngestCheckpoint, IngestRun, Post, PostEntity, RejectedRecord

from .helpers import real_data

pytestmark = pytest.mark.both_databases


def brexit_page():
    return json.loads(real_data("brexit.jsonl").read_text())


def write_lines(path, items):
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write((item if isinstance(item, str) else json.dumps(item)) + "\n")
    return path


def count(url, model, *where):
    with db.reading(url) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_real_search_page_is_stored_whole(db_url):
    summary = import_files([real_data("brexit.jsonl")], url=db_url, progress=False)
    page = brexit_page()
    assert summary.store.posts_new == 100 and summary.rejected == 0
    assert count(db_url, Post, Post.collected.is_(True)) == 100
    referenced = {t["id"] for t in page["includes"]["tweets"]} - {t["id"] for t in page["data"]}
    assert count(db_url, Post, Post.collected.is_(False)) == len(referenced)
    with db.reading(db_url) as session:
        kinds = dict(
            session.exec(select(Post.kind, func.count()).where(Post.collected.is_(True)).group_by(Post.kind)).all()
        )
        expected = {"retweet": 0, "reply": 0, "quote": 0, "original": 0}
        for tweet in page["data"]:
            types = [r["type"] for r in tweet.get("referenced_tweets", [])]
            kind = (
                "retweet"
                if "retweeted" in types
                else "reply"
                if "replied_to" in types
                else "quote"
                if "quoted" in types
                else "original"
            )
            expected[kind] += 1
        assert kinds == {k: v for k, v in expected.items() if v}
        first = page["data"][0]
        post = session.exec(select(Post).where(Post.platform_id == first["id"])).one()
        author = session.get(Author, post.author_id)
        assert author.handle == next(u["username"] for u in page["includes"]["users"] if u["id"] == first["author_id"])
        assert post.text == first["text"] and post.hashtags == ["PeoplesVote", "Brexit"]
        assert post.raw == first
        tags = session.exec(
            select(PostEntity.value).where(PostEntity.post_id == post.id, PostEntity.kind == "hashtag")
        ).all()
        assert sorted(tags) == ["brexit", "peoplesvote"]


def test_the_same_file_twice_changes_nothing(db_url):
    import_files([real_data("brexit.jsonl")], url=db_url, progress=False)
    with db.reading(db_url) as session:
        before = session.exec(select(Post.platform_id, Post.last_updated, Post.text)).all()
    again = import_files([real_data("brexit.jsonl")], url=db_url, progress=False)
    assert (again.store.posts_new, again.store.posts_updated, again.store.duplicates) == (0, 0, 100)
    with db.reading(db_url) as session:
        assert session.exec(select(Post.platform_id, Post.last_updated, Post.text)).all() == before


def test_a_retweet_keeps_its_original_as_context(db_url):
    import_files([real_data("two_tweets.jsonl")], url=db_url, progress=False)
    with db.reading(db_url) as session:
        retweet = session.exec(select(Post).where(Post.collected.is_(True))).one()
        original = session.exec(select(Post).where(Post.collected.is_(False))).one()
    assert retweet.kind == "retweet" and retweet.referenced_platform_id == original.platform_id == "1391677057810288641"


def test_an_edited_post_is_one_logical_post_with_the_newest_text(db_url, tmp_path):
    page = json.loads(real_data("edited.jsonl").read_text())
    newest = page["data"][0]
    older = dict(
        newest,
        id=newest["edit_history_tweet_ids"][0],
        text="first version",
        created_at="2022-10-03T17:57:01.000Z",
        edit_history_tweet_ids=newest["edit_history_tweet_ids"][:1],
    )
    older_page = dict(page, data=[older])
    # The newer version arrives first, then an old copy: the newer text must stay.
    import_files([write_lines(tmp_path / "e.jsonl", [page, older_page])], url=db_url, progress=False)
    with db.reading(db_url) as session:
        post = session.exec(select(Post)).one()
    assert post.platform_id == "1576994746135764992" and post.current_id == "1576994789110992896"
    assert post.text == newest["text"]
    assert post.created_at.isoformat() == "2022-10-03T17:57:01+00:00"  # the logical post began with its first version


def test_bad_lines_and_records_are_kept_aside_and_the_rest_goes_in(db_url, tmp_path):
    good = brexit_page()
    damaged = copy.deepcopy(good)
    del damaged["data"][3]["created_at"]
    damaged["data"][5]["id"] = "not-a-number"
    stream_message = {
        "data": good["data"][0],
        "includes": good["includes"],
        "matching_rules": [{"id": "1", "tag": "x"}],
    }
    path = write_lines(tmp_path / "mixed.jsonl", [damaged, '{"data": [ {"id": "1"', "[1, 2, 3]", "", stream_message])
    with path.open("ab") as handle:
        handle.write(b'{"text": "\xff\xfe"}\n')

    summary = import_files([path], url=db_url, progress=False)

    assert summary.rejected == 5 and summary.store.posts_new == 98
    with db.reading(db_url) as session:
        rejected = {r.location: r for r in session.exec(select(RejectedRecord)).all()}
    assert set(rejected) == {
        "mixed.jsonl:1 data[3]",
        "mixed.jsonl:1 data[5]",
        "mixed.jsonl:2",
        "mixed.jsonl:3",
        "mixed.jsonl:6",
    }
    assert "created_at" in rejected["mixed.jsonl:1 data[3]"].reason
    assert (
        "invalid JSON" in rejected["mixed.jsonl:2"].reason and rejected["mixed.jsonl:2"].raw == '{"data": [ {"id": "1"'
    )
    assert "not an X API v2" in rejected["mixed.jsonl:3"].reason
    assert "UTF-8" in rejected["mixed.jsonl:6"].reason
    with db.reading(db_url) as session:
        run = session.exec(select(IngestRun)).one()
    assert run.status == "rejected" and run.counts["rejected"] == 5


def test_another_bad_line_at_a_kept_location_is_kept_too(db_url, tmp_path):
    # The file is edited between two imports: its line 2 is bad both times, but not the same line.
    path = write_lines(tmp_path / "edited.jsonl", [brexit_page(), '{"data": [ {"id": "1"'])
    import_files([path], url=db_url, progress=False)
    write_lines(path, [brexit_page(), "[1, 2, 3]"])
    assert import_files([path], url=db_url, progress=False).rejected == 1
    import_files([path], url=db_url, progress=False)

    assert count(db_url, RejectedRecord) == 2  # the same bad line again is not kept twice
    with db.reading(db_url) as session:
        kept = {r.location: r.raw for r in session.exec(select(RejectedRecord)).all()}
    assert kept["edited.jsonl:2"] == '{"data": [ {"id": "1"'
    (variant,) = set(kept) - {"edited.jsonl:2"}
    assert variant.startswith("edited.jsonl:2 [") and kept[variant] == "[1, 2, 3]"


def test_gzip_and_flattened_posts(db_url, tmp_path):
    page = brexit_page()
    users = {u["id"]: u for u in page["includes"]["users"]}
    flattened = [dict(t, author=users[t["author_id"]]) for t in page["data"][:10]]
    path = tmp_path / "flat.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for item in flattened:
            handle.write(json.dumps(item) + "\n")
    summary = import_files([path], url=db_url, progress=False)
    assert summary.store.posts_new == 10 and summary.rejected == 0
    with db.reading(db_url) as session:
        handles = set(session.exec(select(Author.handle).join(Post, Post.author_id == Author.id)).all())
    assert handles == {users[t["author_id"]]["username"] for t in page["data"][:10]}


def test_a_post_whose_author_is_missing_is_kept_and_linked_later(db_url, tmp_path):
    page = brexit_page()
    first = page["data"][0]
    without = dict(
        page,
        data=[first],
        includes={"users": []},
        errors=[{"title": "Not Found Error", "detail": f"Could not find user with id: [{first['author_id']}]."}],
    )
    summary = import_files([write_lines(tmp_path / "a.jsonl", [without])], url=db_url, progress=False)
    assert summary.store.posts_new == 1 and summary.api_errors == 1 and summary.rejected == 0
    with db.reading(db_url) as session:
        author = session.exec(select(Author)).one()
    assert author.platform_user_id == first["author_id"] and not author.profile_known and author.handle is None
    import_files([real_data("brexit.jsonl")], url=db_url, progress=False)
    with db.reading(db_url) as session:
        author = session.exec(select(Author).where(Author.platform_user_id == first["author_id"])).one()
    assert author.profile_known and author.handle == "WarmongerHodges"


def test_newer_metrics_win_and_an_older_file_never_overwrites_them(db_url, tmp_path):
    page = brexit_page()
    tweet = page["data"][0]
    newer = copy.deepcopy(page)
    newer["data"] = [dict(tweet, public_metrics=dict(tweet["public_metrics"], like_count=99))]
    newer["__twarc"] = dict(page["__twarc"], retrieved_at="2021-09-30T00:00:00+00:00")
    older = copy.deepcopy(page)
    older["data"] = [dict(tweet, public_metrics=dict(tweet["public_metrics"], like_count=5))]
    import_files([write_lines(tmp_path / "new.jsonl", [newer])], url=db_url, progress=False)
    import_files([write_lines(tmp_path / "old.jsonl", [older])], url=db_url, progress=False)
    with db.reading(db_url) as session:
        assert session.exec(select(Post.likes).where(Post.platform_id == tweet["id"])).one() == 99


def test_an_interrupted_import_resumes_after_its_last_commit(db_url, tmp_path):
    page = brexit_page()
    lines = []
    for start in range(0, 100, 10):
        lines.append(dict(page, data=page["data"][start : start + 10]))
    lines.insert(4, "{broken")
    path = write_lines(tmp_path / "big.jsonl", lines)

    calls = {"n": 0}

    def stop_after_two_batches():
        calls["n"] += 1
        return calls["n"] >= 2

    first = import_file(path, url=db_url, batch_posts=30, should_stop=stop_after_two_batches)
    with db.reading(db_url) as session:
        position = session.exec(select(IngestCheckpoint.position)).one()
        run = session.exec(select(IngestRun)).one()
    assert run.status == "interrupted"
    committed = int(position.split(":")[1])
    assert 0 < committed < len(lines) and not position.endswith(":done")

    second = import_file(path, url=db_url)
    assert second.skipped_lines == committed
    assert first.store.posts_new + second.store.posts_new == 100
    assert second.store.duplicates == 0
    assert count(db_url, Post, Post.collected.is_(True)) == 100
    assert count(db_url, RejectedRecord) == 1
    with db.reading(db_url) as session:
        assert session.exec(select(IngestCheckpoint.position)).one().endswith(":done")


def test_an_earlier_version_arriving_later_dates_the_post_but_keeps_the_newest_text(db_url, tmp_path):
    page = json.loads(real_data("edited.jsonl").read_text())
    newest = page["data"][0]
    older = dict(
        newest,
        id=newest["edit_history_tweet_ids"][0],
        text="first version",
        created_at="2022-10-03T17:57:01.000Z",
        edit_history_tweet_ids=newest["edit_history_tweet_ids"][:1],
    )
    import_files([write_lines(tmp_path / "new.jsonl", [page])], url=db_url, progress=False)
    import_files([write_lines(tmp_path / "old.jsonl", [dict(page, data=[older])])], url=db_url, progress=False)
    with db.reading(db_url) as session:
        post = session.exec(select(Post)).one()
    assert post.text == newest["text"] and post.current_id == newest["id"]
    assert post.created_at.isoformat() == "2022-10-03T17:57:01+00:00"
