"""The demo collection: deterministic, shaped like the real API, and shaped like a real event."""

import csv
import dataclasses
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import func
from sqlmodel import select

from engagement.demo import DemoCollection, write_collection
from engagement.demo.texts import DIRECTORY_ACCOUNTS, HOSTILE
from engagement.rules.event import load_directory, load_event, load_groups
from engagement.storage import db, flags
from engagement.storage.models import AgendaSession, Author, Post, Question

from .helpers import real_data

API_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def pages_of(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def reason_of(tweet, hashtags, accounts, account_ids):
    """Why the worker collects a post, decided from the post alone in issue 28's order: the event's own
    account, then the hashtag, then a reply to the account, then a mention of it."""
    entities = tweet.get("note_tweet", {}).get("entities") or tweet.get("entities", {})
    if tweet["author_id"] in account_ids:
        return "own"
    if any("#" + h["tag"].lower() in hashtags for h in entities.get("hashtags", [])):
        return "hashtag"
    if tweet.get("in_reply_to_user_id") in account_ids:
        return "reply"
    if any(m["username"].lower() in accounts for m in entities.get("mentions", [])):
        return "mention"
    return "other"


def test_the_same_seed_gives_the_same_bytes(tmp_path):
    a = write_collection(tmp_path / "a.jsonl", posts=400, seed=7)
    b = write_collection(tmp_path / "b.jsonl", posts=400, seed=7)
    c = write_collection(tmp_path / "c.jsonl", posts=400, seed=8)
    assert a[0].read_bytes() == b[0].read_bytes() and a[1].read_bytes() == b[1].read_bytes()
    assert a[0].read_bytes() != c[0].read_bytes()


def test_the_size_parameter(tmp_path):
    posts, _ = write_collection(tmp_path / "s.jsonl", posts=250, seed=1)
    pages = pages_of(posts)
    assert sum(len(p["data"]) for p in pages) == 250 and len(pages) == 3


def test_pages_have_the_shape_of_real_search_pages(demo_files):
    real = json.loads(real_data("brexit.jsonl").read_text())
    pages = pages_of(demo_files[0])
    assert set(real) <= set(pages[0]) | {"__twarc"}
    ids_seen, users_missing = set(), 0
    organiser_handles = load_event().accounts_on("x")
    for number, page in enumerate(pages):
        data, includes, meta = page["data"], page["includes"], page["meta"]
        assert 1 <= len(data) <= 100
        assert (
            meta["result_count"] == len(data)
            and meta["newest_id"] == data[0]["id"]
            and meta["oldest_id"] == data[-1]["id"]
        )
        assert ("next_token" in meta) == (number < len(pages) - 1)
        assert set(page["__twarc"]) == {"url", "version", "retrieved_at"}
        ids = [int(t["id"]) for t in data]
        assert ids == sorted(ids, reverse=True), "a search page lists the newest first"
        users = {u["id"] for u in includes["users"]}
        included = {t["id"] for t in includes.get("tweets", [])}
        reported = {e["value"] for e in page.get("errors", [])}
        for tweet in data + includes.get("tweets", []):
            assert set(real["data"][0]) & {"id", "text", "author_id", "created_at", "lang"} <= set(tweet)
            assert tweet["id"].isdigit() and API_TIME.match(tweet["created_at"])
            assert tweet["edit_history_tweet_ids"][-1] == tweet["id"]
            if tweet["author_id"] not in users:
                assert tweet["author_id"] in reported
                users_missing += 1
            for ref in tweet.get("referenced_tweets", []):
                assert ref["type"] in {"retweeted", "quoted", "replied_to"}
                assert ref["id"] in included or ref["id"] in reported
            for key, full in (("text", tweet["text"]), ("note", tweet.get("note_tweet", {}).get("text"))):
                entities = (
                    tweet.get("entities", {}) if key == "text" else tweet.get("note_tweet", {}).get("entities", {})
                )
                for tag in entities.get("hashtags", []):
                    assert full[tag["start"] : tag["end"]] == "#" + tag["tag"]
                for mention in entities.get("mentions", []):
                    assert full[mention["start"] : mention["end"]] == "@" + mention["username"]
            assert len(tweet["text"]) <= 280
            if "note_tweet" in tweet:
                assert len(tweet["note_tweet"]["text"]) > 280
        for user in includes["users"]:
            assert {"id", "username", "name", "description", "public_metrics"} <= set(user)
            # Demo handles, but the organiser's, which the event names (its profile still says demo).
            assert user["username"].startswith("demo_") or (
                user["username"] in organiser_handles and user["name"].endswith("(demo)")
            )
        ids_seen.update(t["id"] for t in data)
    assert len(ids_seen) == 3000 and users_missing >= 1


def test_the_collection_looks_like_the_event(demo_files):
    tweets = [t for page in pages_of(demo_files[0]) for t in page["data"]]
    kinds = Counter(next((r["type"] for r in t.get("referenced_tweets", [])), "original") for t in tweets)
    assert kinds["retweeted"] > kinds["original"] > kinds["replied_to"] > 0 and kinds["quoted"] > 0
    assert {t["lang"] for t in tweets} == {"en", "ru", "fr", "de", "es", "it", "uk", "tr", "ar"}
    texts = [t.get("note_tweet", {}).get("text", t["text"]) for t in tweets]
    for hostile in HOSTILE:
        assert any(hostile in text for text in texts), hostile
    assert max(len(text) for text in texts) == 4000
    assert any(re.search("[\u0600-\u06ff]", text) for text in texts), "right-to-left text"
    assert any(re.search("[\U0001f300-\U0001faff]", text) for text in texts), "emoji"
    assert sum(1 for t in tweets if "attachments" in t) > 50
    assert sum(1 for t in tweets if len(t["edit_history_tweet_ids"]) > 1) >= 1
    # The rhythm: the opening burst is busier than any quiet hour, and nights are nearly silent.
    vienna = timezone(timedelta(hours=2))
    local = [datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")).astimezone(vienna) for t in tweets]

    def between(start, end):
        return sum(1 for moment in local if start <= moment.strftime("%m-%d %H:%M") < end)

    opening_burst = between("04-23 09:30", "04-23 09:45")
    lunch_only = between("04-23 14:15", "04-23 14:30")  # after the side event, before panel 2
    assert opening_burst > 5 * max(lunch_only, 1)
    assert between("04-23 10:00", "04-23 10:15") > 3 * max(lunch_only, 1)  # a session is busier than a break
    assert between("04-24 02:00", "04-24 05:00") <= 3  # nights are nearly silent


def test_the_organisers_own_channel_is_in_the_collection(demo_files):
    """The event's X account posts, is addressed and is replied to, with and without the hashtag, in
    issue 28's shares: its own posts 4-6 %, mentions 10-15 %, replies to its posts 4-8 %."""
    event = load_event()
    accounts = set(event.accounts_on("x"))
    assert accounts == {"osce_cthb"}
    hashtags = set(event.hashtags)
    pages = pages_of(demo_files[0])
    users = {u["id"]: u for page in pages for u in page["includes"]["users"]}
    organiser = next(u for u in users.values() if u["username"] == "osce_cthb")
    assert organiser["name"].endswith("(demo)") and "Trafficking in Human Beings" in organiser["description"]
    account_ids = {organiser["id"]}
    tweets = [t for page in pages for t in page["data"]]
    collected = {t["id"]: t for t in tweets}
    reasons = Counter(reason_of(t, hashtags, accounts, account_ids) for t in tweets)
    assert set(reasons) == {"own", "hashtag", "reply", "mention"}, reasons

    def carries_hashtag(tweet):
        return reason_of(dict(tweet, author_id=""), hashtags, accounts, account_ids) == "hashtag"

    own = [t for t in tweets if t["author_id"] == organiser["id"]]
    without_hashtag = [t for t in own if not carries_hashtag(t)]
    assert 0.04 <= len(own) / len(tweets) <= 0.06
    assert 0.2 <= len(without_hashtag) / len(own) <= 0.45, "about a third without the hashtag"
    assert any(carries_hashtag(t) for t in own)

    mentions = [t for t in tweets if reason_of(t, hashtags, accounts, account_ids) == "mention"]
    assert 0.10 <= len(mentions) / len(tweets) <= 0.15
    assert all("@osce_cthb" in t["text"] and not t.get("in_reply_to_user_id") for t in mentions)
    addressing = [t for t in mentions if "referenced_tweets" not in t]
    assert len(addressing) > 0.8 * len(mentions), "mostly participants' own posts, not retweets"
    assert len({t["lang"] for t in addressing}) >= 6

    replies = [t for t in tweets if t.get("in_reply_to_user_id") == organiser["id"]]
    assert 0.04 <= len(replies) / len(tweets) <= 0.08
    assert sum(1 for t in replies if not carries_hashtag(t)) > 0.6 * len(replies), "most without the hashtag"
    for reply in replies:
        (reference,) = reply["referenced_tweets"]
        assert reference["type"] == "replied_to"
        assert collected[reference["id"]]["author_id"] == organiser["id"], "the replied-to post was collected"
        assert reply["text"].startswith("@osce_cthb ")
        assert {"start": 0, "end": 10, "username": "osce_cthb"} in reply["entities"]["mentions"]


def test_without_an_x_account_there_is_no_organiser_channel(tmp_path):
    event = dataclasses.replace(load_event(), accounts=[])
    posts, _ = write_collection(tmp_path / "n.jsonl", collection=DemoCollection(posts=600, seed=4, event=event))
    pages = pages_of(posts)
    assert all(u["username"].startswith("demo_") for page in pages for u in page["includes"]["users"])
    tweets = [t for page in pages for t in page["data"]]
    assert all("osce_cthb" not in t["text"] for t in tweets)
    assert all(reason_of(t, set(event.hashtags), set(), set()) == "hashtag" for t in tweets)


def test_the_shipped_directory_lists_every_demo_account(event_dir):
    groups = {g.key for g in load_groups(event_dir)}
    accounts, _ = load_directory(groups, event_dir)
    listed = {a.handle: a.group_key for a in accounts}
    for handle, group in DIRECTORY_ACCOUNTS:
        assert listed.get(handle) == group, handle


def test_questions_cover_sessions_and_every_moderation_state(demo_files):
    rows = list(csv.DictReader(demo_files[1].open(encoding="utf-8")))
    assert len(rows) == 200
    assert {r["status"] for r in rows} == {
        "pending",
        "follow_up",
        "approved",
        "on_screen",
        "answered",
        "dismissed",
        "archived",
    }
    on_screen = Counter(r["session"] for r in rows if r["status"] == "on_screen")
    assert max(on_screen.values()) == 1
    assert len({r["session"] for r in rows}) == 8  # every session but the breaks
    assert all(HOSTILE_TEXT in "".join(r["question"] for r in rows) for HOSTILE_TEXT in HOSTILE)


def test_a_million_post_plan_stays_compact():
    collection = DemoCollection(posts=20_000, seed=3)
    assert len(collection.times) == 20_000 and collection.times.itemsize == 8
    assert len(collection.authors) == round(300 * (20_000 / 3000) ** 0.5)


def test_the_demo_loads_through_the_importer(demo_db):
    with db.reading(demo_db) as session:
        assert session.scalar(select(func.count()).select_from(Post).where(Post.collected.is_(True))) == 3000
        assert session.scalar(select(func.count()).select_from(Question)) == 200
        assert flags.is_demo(session)
        groups = set(session.exec(select(Author.group_key).distinct()).all())
        assert len(groups) == 15
        per_session = dict(
            session.exec(
                select(AgendaSession.key, func.count(Post.id))
                .join(Post, Post.session_id == AgendaSession.id)
                .group_by(AgendaSession.key)
            ).all()
        )
    assert all(per_session.get(key, 0) > 50 for key in ["d1-opening", "d1-panel-1", "d1-side-survivors", "d2-closing"])
    assert "d1-lunch" not in per_session


def test_the_demo_is_flagged_only_when_demo_data_came_in(db_url):
    from engagement.collection.jsonl import import_files

    import_files([real_data("brexit.jsonl")], url=db_url, progress=False)
    with db.reading(db_url) as session:
        assert not flags.is_demo(session)
