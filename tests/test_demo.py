"""The demo collection: deterministic, shaped like the real APIs (X's, Bluesky's and Mastodon's), and
shaped like a real event."""

import csv
import dataclasses
import hashlib
import json
import re
import shutil
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func
from sqlmodel import select

from engagement.collection.jsonl import import_files
from engagement.collection.mastodon.plaintext import to_text
from engagement.demo import DemoCollection, write_collection
from engagement.demo.generator import BLUESKY_SHARE, MASTODON_INSTANCES, MASTODON_SHARE
from engagement.demo.texts import DIRECTORY_ACCOUNTS, HOSTILE
from engagement.rules.event import load_agenda, load_directory, load_event, load_groups
from engagement.rules.sync import sync_event
from engagement.storage import db, flags
from engagement.storage.models import AgendaSession, Author, Post, PostKind, Question

from .helpers import ROOT, real_data

API_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BLUESKY_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
DEMO_DID = re.compile(r"^did:plc:demo[a-z2-7]{20}$")
POST_URI = re.compile(r"^at://(did:plc:demo[a-z2-7]{20})/app\.bsky\.feed\.post/([2-7a-z]{13})$")
CID = re.compile(r"^bafyrei[a-z2-7]{52}$")
BLUESKY_ORGANISER = "osce.bsky.social"
# The default demo (3,000 posts, seed 18) split between the networks: X and Bluesky alone (the
# two-network fixtures), and the three networks of ``make demo``.
X_POSTS = 3000 - round(3000 * BLUESKY_SHARE)
BLUESKY_POSTS, MASTODON_POSTS = round(3000 * BLUESKY_SHARE), round(3000 * MASTODON_SHARE)
X_POSTS_OF_THREE = 3000 - BLUESKY_POSTS - MASTODON_POSTS
# HEAD's output before Bluesky (commit e7ac525): 600 posts, seed 5, the shipped event files. A share
# of 0 must give these bytes; if the shipped event files change, regenerate at the parent of the
# Bluesky commit (848594d) and paste the new digests.
BEFORE_BLUESKY_POSTS = "40388d84b2bebecfb738f22f002fffef992f52e965cf5c7359189882f63a3440"
BEFORE_BLUESKY_QUESTIONS = "beb8f9ffe4e248b74757b21056a8e89b3e4bdbce07fb97b5faa2ca5771a6f52a"
# The output before Mastodon (the parent of commit 3fa7301): 600 posts, seed 5, X and Bluesky at their
# default shares, the shipped event files. A Mastodon share of 0 must give these bytes.
BEFORE_MASTODON_POSTS = "b73eff86d86896dc9c4e58aec85d090030db09b2ef42a715d5d65f7654f8fa14"
EVENT_FILES = (
    "event.toml",
    "agenda.csv",
    "stakeholder_groups.csv",
    "stakeholder_directory.csv",
    "qa_blocklist.csv",
    "qa_glossary.csv",
    "registrations.csv",
)


def lines_of(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def pages_of(path):
    """The X search pages of a demo file (Bluesky's lines follow them)."""
    return [line for line in lines_of(path) if "data" in line]


def bluesky_of(path):
    """(searchPosts pages, Jetstream events) of a demo file."""
    lines = lines_of(path)
    return [line for line in lines if "posts" in line], [line for line in lines if line.get("kind") == "commit"]


def mastodon_of(path):
    """The Mastodon lines of a demo file: recorded responses of the instances' hashtag timelines."""
    return [line for line in lines_of(path) if "method" in line]


def statuses_of(path, instance=None):
    """The statuses of a demo file's Mastodon pages (of one instance), as served."""
    return [
        status
        for line in mastodon_of(path)
        if instance is None or line["uri"].startswith(f"https://{instance}/")
        for status in line["body"]
    ]


def tid_microseconds(rkey):
    """The time a TID record key holds (its top 53 bits after the sign bit), decoded independently."""
    value = 0
    for char in rkey:
        value = value * 32 + "234567abcdefghijklmnopqrstuvwxyz".index(char)
    return value >> 10


def bluesky_ms(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def with_bluesky_account(folder):
    """The event files in ``folder`` with the organiser's Bluesky account added to ``accounts``."""
    path = folder / "event.toml"
    toml = path.read_text(encoding="utf-8")
    assert 'accounts = ["osce_cthb"]' in toml
    path.write_text(toml.replace('accounts = ["osce_cthb"]', f'accounts = ["osce_cthb", "{BLUESKY_ORGANISER}"]'))
    return folder


@pytest.fixture(scope="module")
def bluesky_event(tmp_path_factory):
    """A copy of the shipped event files whose accounts include the organiser's Bluesky account."""
    folder = tmp_path_factory.mktemp("bluesky-event")
    for name in EVENT_FILES:
        shutil.copy(ROOT / "data" / name, folder / name)
    return with_bluesky_account(folder)


def collection_for(folder, posts=3000, seed=18, **options):
    event = load_event(folder)
    return DemoCollection(posts, seed, event=event, agenda=load_agenda(event, folder), **options)


@pytest.fixture(scope="module")
def bluesky_files(tmp_path_factory, bluesky_event):
    """The default demo (3,000 posts, seed 18) for an event with a Bluesky account."""
    folder = tmp_path_factory.mktemp("bluesky-demo")
    return write_collection(folder / "demo.jsonl", collection=collection_for(bluesky_event))


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


def test_the_same_seed_gives_the_same_bytes(tmp_path, bluesky_event):
    a = write_collection(tmp_path / "a.jsonl", collection=collection_for(bluesky_event, 400, 7))
    b = write_collection(tmp_path / "b.jsonl", collection=collection_for(bluesky_event, 400, 7))
    c = write_collection(tmp_path / "c.jsonl", collection=collection_for(bluesky_event, 400, 8))
    d = write_collection(tmp_path / "d.jsonl", collection=collection_for(bluesky_event, 400, 7, bluesky_share=0.3))
    assert a[0].read_bytes() == b[0].read_bytes() and a[1].read_bytes() == b[1].read_bytes()
    assert bluesky_of(a[0])[0] and bluesky_of(a[0])[1], "the compared files hold Bluesky posts and reposts"
    assert a[0].read_bytes() != c[0].read_bytes()
    assert a[0].read_bytes() != d[0].read_bytes() and a[1].read_bytes() == d[1].read_bytes()


def test_a_share_of_0_gives_the_bytes_of_before_bluesky(tmp_path, event_dir):
    """The X pages and the questions as they were before Bluesky, even for an event that lists a
    Bluesky account: nothing of Bluesky is planned, nothing of X's plan moves."""
    with_bluesky_account(event_dir)
    posts, questions = write_collection(
        tmp_path / "zero.jsonl", collection=collection_for(event_dir, 600, 5, bluesky_share=0, mastodon_share=0)
    )
    assert hashlib.sha256(posts.read_bytes()).hexdigest() == BEFORE_BLUESKY_POSTS
    assert hashlib.sha256(questions.read_bytes()).hexdigest() == BEFORE_BLUESKY_QUESTIONS


def test_a_mastodon_share_of_0_gives_the_bytes_of_before_mastodon(tmp_path, event_dir):
    """The X pages, Bluesky's lines and the questions as they were before Mastodon: nothing of
    Mastodon is planned, nothing of the other networks' plans moves."""
    posts, questions = write_collection(
        tmp_path / "zero.jsonl", collection=collection_for(event_dir, 600, 5, mastodon_share=0)
    )
    assert hashlib.sha256(posts.read_bytes()).hexdigest() == BEFORE_MASTODON_POSTS
    assert hashlib.sha256(questions.read_bytes()).hexdigest() == BEFORE_BLUESKY_QUESTIONS


def test_the_size_parameter(tmp_path):
    posts, _ = write_collection(tmp_path / "s.jsonl", posts=250, seed=1, bluesky_share=0, mastodon_share=0)
    pages = pages_of(posts)
    assert sum(len(p["data"]) for p in pages) == 250 and len(pages) == 3 and not bluesky_of(posts)[0]
    assert not mastodon_of(posts)
    posts, _ = write_collection(tmp_path / "b.jsonl", posts=250, seed=1)
    searched, reposts = bluesky_of(posts)
    on_x = sum(len(p["data"]) for p in pages_of(posts))
    on_bluesky = sum(len(p["posts"]) for p in searched) + len(reposts)
    on_mastodon = len({s["uri"] for s in statuses_of(posts)})
    assert on_x + on_bluesky + on_mastodon == 250 and on_bluesky == round(250 * BLUESKY_SHARE)
    assert on_mastodon == round(250 * MASTODON_SHARE)


def test_pages_have_the_shape_of_real_search_pages(bluesky_demo_files):
    real = json.loads(real_data("brexit.jsonl").read_text())
    pages = pages_of(bluesky_demo_files[0])
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
    assert len(ids_seen) == X_POSTS and users_missing >= 1


def test_the_collection_looks_like_the_event(bluesky_demo_files):
    tweets = [t for page in pages_of(bluesky_demo_files[0]) for t in page["data"]]
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


def test_the_organisers_own_channel_is_in_the_collection(bluesky_demo_files):
    """The event's X account posts, is addressed and is replied to, with and without the hashtag, in
    issue 28's shares: its own posts 4-6 %, mentions 10-15 %, replies to its posts 4-8 %."""
    event = load_event()
    accounts = set(event.accounts_on("x"))
    assert accounts == {"osce_cthb"}
    hashtags = set(event.hashtags)
    pages = pages_of(bluesky_demo_files[0])
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
    # 0.71-0.82 over seeds 1-3 and 18 at 3,000 X posts, 0.75-0.80 at 2,190 (the default's X part).
    assert len(addressing) > 0.65 * len(mentions), "mostly participants' own posts, not retweets"
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
    assert all(p["author"]["handle"] != BLUESKY_ORGANISER for page in bluesky_of(posts)[0] for p in page["posts"])
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


def test_questions_cover_sessions_and_every_moderation_state(bluesky_demo_files):
    rows = list(csv.DictReader(bluesky_demo_files[1].open(encoding="utf-8")))
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
    on_bluesky, on_mastodon = collection.bluesky, collection.mastodon
    assert on_bluesky is not None and len(on_bluesky.times) == round(20_000 * BLUESKY_SHARE)
    assert on_mastodon is not None and len(on_mastodon.times) == round(20_000 * MASTODON_SHARE)
    assert len(collection.times) + len(on_bluesky.times) + len(on_mastodon.times) == 20_000
    for plan in (collection, on_bluesky):
        assert plan.times.itemsize == 8 and isinstance(plan.kind, bytearray) and plan.author.itemsize == 4
        assert len(plan.authors) == round(300 * (len(plan.times) / 3000) ** 0.5)


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


# -- Bluesky -----------------------------------------------------------------------------------------


def test_a_share_of_the_collected_posts_is_on_bluesky(tmp_path, bluesky_files):
    """27 % by default (issue 20 asks for 25-30 %), another share when asked, each following the
    agenda: Bluesky's busiest hours are X's."""
    searched, reposts = bluesky_of(bluesky_files[0])
    on_x = [t for page in pages_of(bluesky_files[0]) for t in page["data"]]
    on_bluesky = [p for page in searched for p in page["posts"]]
    on_mastodon = {s["uri"] for s in statuses_of(bluesky_files[0])}
    share = (len(on_bluesky) + len(reposts)) / 3000
    assert 0.25 <= share <= 0.30 and len(on_x) + len(on_bluesky) + len(reposts) + len(on_mastodon) == 3000
    assert len(reposts) > 0.3 * (len(on_bluesky) + len(reposts)), "reposts are common, as retweets are"

    def busiest_hours(times):
        hours = Counter(moment.strftime("%m-%d %H") for moment in times)
        return {hour for hour, _ in hours.most_common(6)}

    x_times = [datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")) for t in on_x]
    bluesky_times = [datetime.fromisoformat(p["record"]["createdAt"].replace("Z", "+00:00")) for p in on_bluesky]
    assert len(busiest_hours(x_times) & busiest_hours(bluesky_times)) >= 3
    night = [m for m in bluesky_times if 0 <= m.astimezone(timezone(timedelta(hours=2))).hour < 6]
    assert len(night) < 0.02 * len(bluesky_times)

    half, _ = write_collection(tmp_path / "half.jsonl", posts=1000, seed=2, bluesky_share=0.5)
    searched, reposts = bluesky_of(half)
    assert sum(len(page["posts"]) for page in searched) + len(reposts) == 500


def test_bluesky_lines_have_bluesky_shapes(bluesky_files):
    """searchPosts pages of PostViews and Jetstream repost events, as the real services write them
    (tests/data/bluesky): at:// URIs with TID keys of the post's time, facets whose UTF-8 byte offsets
    slice exactly the '#tag' and '@handle' they name, replies and reposts of collected posts."""
    searched, reposts = bluesky_of(bluesky_files[0])
    real = json.loads(real_data("twitwi_bluesky-posts.json", "bluesky").read_text())[0]
    views = [p for page in searched for p in page["posts"]]
    by_uri = {view["uri"]: view for view in views}
    did_of = {view["author"]["handle"]: view["author"]["did"] for view in views}
    assert len(by_uri) == len(views), "each post once"
    assert all("cursor" in page for page in searched[:-1]) and "cursor" not in searched[-1]
    for page in searched:
        assert 1 <= len(page["posts"]) <= 100 and set(page) <= {"posts", "cursor", "__demo"}
        times = [view["record"]["createdAt"] for view in page["posts"]]
        assert times == sorted(times, reverse=True), "sort=latest lists the newest first"
    facet_kinds, languages, tagged = Counter(), set(), 0
    for view in views:
        assert set(view) - {"embed"} <= set(real) and {"uri", "cid", "author", "record", "indexedAt"} <= set(view)
        did, rkey = POST_URI.fullmatch(view["uri"]).groups()
        record, author = view["record"], view["author"]
        assert did == author["did"] and DEMO_DID.fullmatch(did) and CID.fullmatch(view["cid"]) and TID.fullmatch(rkey)
        assert tid_microseconds(rkey) // 1000 == bluesky_ms(record["createdAt"]), "the key is the post's time"
        assert BLUESKY_TIME.fullmatch(record["createdAt"]) and BLUESKY_TIME.fullmatch(view["indexedAt"])
        assert record["createdAt"] <= view["indexedAt"]
        assert author["handle"].endswith(".bsky.social") and "avatar" not in author and author["labels"] == []
        assert author["handle"].startswith("demo-") or author["handle"] == BLUESKY_ORGANISER
        assert record["$type"] == "app.bsky.feed.post" and len(record["text"]) <= 300
        assert all(isinstance(view[k], int) for k in ("replyCount", "repostCount", "likeCount", "quoteCount"))
        languages.update(record["langs"])
        encoded = record["text"].encode("utf-8")
        for facet in record.get("facets", []):
            (feature,) = facet["features"]
            covered = encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode("utf-8")
            kind = feature["$type"].removeprefix("app.bsky.richtext.facet#")
            facet_kinds[kind] += 1
            if kind == "tag":
                assert covered == "#" + feature["tag"]
            elif kind == "mention":
                assert covered.startswith("@") and did_of.get(covered[1:], feature["did"]) == feature["did"]
                assert DEMO_DID.fullmatch(feature["did"])
            else:
                assert kind == "link" and feature["uri"] == "https://" + covered
                assert feature["uri"].startswith("https://demo.example.invalid/")
        if "#cthb18" in record["text"]:
            tagged += 1
            assert {"$type": "app.bsky.richtext.facet#tag", "tag": "cthb18"} in [
                f["features"][0] for f in record["facets"]
            ]
        if "reply" in record:
            parent = record["reply"]["parent"]
            assert parent["uri"] in by_uri and parent["cid"] == by_uri[parent["uri"]]["cid"], "the parent was collected"
            assert record["reply"]["root"] == parent
        embed = record.get("embed")
        if embed and embed["$type"] == "app.bsky.embed.record":
            shown = view["embed"]["record"]
            assert view["embed"]["$type"] == "app.bsky.embed.record#view" and shown["uri"] == embed["record"]["uri"]
            assert shown["$type"] in {"app.bsky.embed.record#viewRecord", "app.bsky.embed.record#viewNotFound"}
            if embed["record"]["uri"] in by_uri:
                assert shown["value"] == by_uri[embed["record"]["uri"]]["record"], "the quoted record, the same"
        elif embed:
            assert embed["$type"] == "app.bsky.embed.images"
            assert all(i["thumb"].startswith("https://media.example.invalid/") for i in view["embed"]["images"])
    assert set(facet_kinds) == {"tag", "mention", "link"}
    assert tagged > 0.5 * len(views) and languages == {"en", "ru", "fr", "de", "es", "it", "uk", "tr", "ar"}
    assert any(not record["text"].isascii() for record in (v["record"] for v in views) if "facets" in record)
    assert any("reply" in v["record"] for v in views) and any("embed" in v for v in views)

    golden = json.loads(real_data("jetstream_v1_golden.jsonl", "bluesky").read_text().splitlines()[2])
    for event in reposts:
        assert set(event) == set(golden) and set(event["commit"]) == set(golden["commit"])
        commit, record = event["commit"], event["commit"]["record"]
        assert commit["operation"] == "create" and commit["collection"] == record["$type"] == "app.bsky.feed.repost"
        assert DEMO_DID.fullmatch(event["did"]) and TID.fullmatch(commit["rkey"]) and CID.fullmatch(commit["cid"])
        assert set(record) == set(golden["commit"]["record"]) and BLUESKY_TIME.fullmatch(record["createdAt"])
        assert tid_microseconds(commit["rkey"]) // 1000 == bluesky_ms(record["createdAt"]) <= event["time_us"] // 1000
        subject = by_uri.get(record["subject"]["uri"])
        assert subject is not None and record["subject"]["cid"] == subject["cid"], "the reposted post was collected"
    seen = Counter(event["commit"]["record"]["subject"]["uri"] for event in reposts)
    assert all(by_uri[uri]["repostCount"] >= count for uri, count in seen.items()), "counts include the events"


def test_bluesky_authors_are_their_own_accounts(bluesky_files, bluesky_event):
    """DIDs and handles of their own, visibly made up; some the same people as on X (the same name,
    other accounts); more NGOs and researchers than on X, fewer governments."""
    searched, reposts = bluesky_of(bluesky_files[0])
    authors = {p["author"]["did"]: p["author"] for page in searched for p in page["posts"]}
    x_users = {u["id"]: u for page in pages_of(bluesky_files[0]) for u in page["includes"]["users"]}
    assert all(DEMO_DID.fullmatch(did) for did in authors) and all(DEMO_DID.fullmatch(e["did"]) for e in reposts)
    handles = [a["handle"] for a in authors.values()]
    assert len(set(handles)) == len(handles)
    assert all(re.fullmatch(r"demo-[a-z0-9-]+\.bsky\.social", h) for h in handles if h != BLUESKY_ORGANISER)
    assert any(re.fullmatch(r"demo-ngo-\d+\.bsky\.social", h) for h in handles)
    assert all(a["handle"].startswith("demo-") or a["displayName"].endswith("(demo)") for a in authors.values())
    assert all(a["displayName"].endswith("(demo)") for a in authors.values() if a["handle"].count("-") == 3)
    assert not set(handles) & {u["username"] for u in x_users.values()}
    x_names = Counter(u["name"] for u in x_users.values())
    on_both = [a for a in authors.values() if x_names[a["displayName"]] == 1 and "(demo)" not in a["displayName"]]
    assert len(on_both) >= 0.1 * len(authors), "some people are on both networks"

    collection = collection_for(bluesky_event)
    on_bluesky = collection.bluesky
    assert on_bluesky is not None

    def shares(plan):
        groups = Counter(plan.authors[number].group for number in plan.author)
        return {group: count / len(plan.author) for group, count in groups.items()}

    x, bluesky = shares(collection), shares(on_bluesky)
    assert bluesky["civil_society"] + bluesky["academia"] > 1.3 * (x["civil_society"] + x["academia"])
    assert bluesky["government"] < 0.6 * x["government"]


def test_the_bluesky_organiser_channel_is_there_when_the_event_lists_its_account(
    bluesky_files, bluesky_event, tmp_path
):
    """The organiser's Bluesky account posts (with and without the hashtag), is mentioned (a facet
    with its DID) and is replied to (a reply whose parent is its post), in the X channel's shares;
    without the account in the event, none of it."""
    searched, reposts = bluesky_of(bluesky_files[0])
    views = [p for page in searched for p in page["posts"]]
    by_uri = {view["uri"]: view for view in views}
    (organiser,) = {
        v["author"]["did"]: v["author"] for v in views if v["author"]["handle"] == BLUESKY_ORGANISER
    }.values()
    assert organiser["displayName"].endswith("(demo)") and "Trafficking in Human Beings" in organiser["description"]
    total = len(views) + len(reposts)

    def mentions(view):
        return {f["features"][0].get("did") for f in view["record"].get("facets", [])}

    own = [v for v in views if v["author"]["did"] == organiser["did"]]
    replies = [v for v in views if "reply" in v["record"] and v["record"]["reply"]["parent"]["uri"] in by_uri]
    to_organiser = [v for v in replies if by_uri[v["record"]["reply"]["parent"]["uri"]]["author"] == organiser]
    mentioning = [v for v in views if organiser["did"] in mentions(v) and v not in own]
    assert 0.035 <= len(own) / total <= 0.07
    assert any("#cthb18" not in v["record"]["text"] for v in own) and any("#cthb18" in v["record"]["text"] for v in own)
    assert 0.07 <= len(mentioning) / total <= 0.15
    assert all(f"@{BLUESKY_ORGANISER}" in v["record"]["text"] for v in mentioning)
    assert 0.025 <= len(to_organiser) / total <= 0.08
    assert all(not v["record"]["text"].startswith("@") for v in to_organiser), "Bluesky replies name no handle"
    assert any(e["commit"]["record"]["subject"]["uri"] in {v["uri"] for v in own} for e in reposts)

    event = dataclasses.replace(load_event(bluesky_event), accounts=["osce_cthb"])
    posts, _ = write_collection(tmp_path / "no.jsonl", collection=DemoCollection(1500, 18, event=event))
    views = [p for page in bluesky_of(posts)[0] for p in page["posts"]]
    assert views and all(BLUESKY_ORGANISER not in v["author"]["handle"] + v["record"]["text"] for v in views)


def test_the_demo_with_bluesky_imports_with_no_rejects(bluesky_files, bluesky_event, tmp_path, monkeypatch):
    """Through the real importer: nothing rejected, each network's share of the collected posts, and
    the organiser's Bluesky channel collected for its reasons."""
    monkeypatch.setenv("EVENT_DATA_DIR", str(bluesky_event))
    url = f"sqlite:///{tmp_path / 'bluesky.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    with db.writing(url) as session:
        sync_event(session)
    summary = import_files([bluesky_files[0]], url=url, progress=False)
    assert summary.rejected == 0
    with db.reading(url) as session:
        platforms = dict(
            session.exec(
                select(Post.platform, func.count()).where(Post.collected.is_(True)).group_by(Post.platform)
            ).all()
        )
        reasons = dict(
            session.exec(
                select(Post.reason, func.count())
                .where(Post.collected.is_(True), Post.platform == "bluesky")
                .group_by(Post.reason)
            ).all()
        )
        bluesky_groups = set(session.exec(select(Author.group_key).where(Author.platform == "bluesky")).all())
        assert flags.is_demo(session)
    assert platforms == {"x": X_POSTS_OF_THREE, "bluesky": BLUESKY_POSTS, "mastodon": MASTODON_POSTS}
    assert {"own", "hashtag", "reply", "mention"} <= set(reasons)
    assert {"civil_society", "academia", "government"} <= bluesky_groups


# -- Mastodon ----------------------------------------------------------------------------------------


def test_mastodon_lines_have_mastodon_shapes_on_two_overlapping_instances(bluesky_files):
    """Each instance's hashtag timeline as Mastodon serves it (tests/data/mastodon): pages of at most
    40, newest local id first, each next one asked for below the last id; local ids of each
    instance's own for the same post (its uri), the author's acct short at home and with the domain
    elsewhere; HTML content whose hashtags and mentions are tags[] and mentions[]."""
    real = json.loads(real_data("rtoot_get_timeline_hashtag_anonymous.bodies.json", "mastodon").read_text())
    real_status = real[0]["body"][1]
    lines = mastodon_of(bluesky_files[0])
    assert {line["uri"].split("/")[2] for line in lines} == set(MASTODON_INSTANCES)
    copies: dict[str, dict[str, dict]] = {}
    for instance in MASTODON_INSTANCES:
        pages = [line for line in lines if line["uri"].startswith(f"https://{instance}/")]
        previous = None
        for page in pages:
            assert set(page) == {"method", "uri", "status", "link", "recorded_at", "body", "__demo"}
            assert page["status"] == 200 and 1 <= len(page["body"]) <= 40
            assert "/api/v1/timelines/tag/cthb18?limit=40" in page["uri"]
            assert (f"max_id={previous}" in page["uri"]) if previous else "max_id" not in page["uri"]
            ids = [int(s["id"]) for s in page["body"]]
            assert ids == sorted(ids, reverse=True)
            previous = page["body"][-1]["id"]
            for status in page["body"]:
                assert set(real_status) <= set(status) and API_TIME.fullmatch(status["created_at"])
                assert int(status["id"]) >> 16 == bluesky_ms(status["created_at"]), "an id is its time << 16"
                copies.setdefault(status["uri"], {})[instance] = status
    both = {uri: held for uri, held in copies.items() if len(held) == 2}
    assert len(copies) == MASTODON_POSTS and 0.3 * len(copies) < len(both) < 0.9 * len(copies)
    for uri, held in copies.items():
        home = uri.split("/")[2]
        assert home in MASTODON_INSTANCES and home in held, "a post is on its author's instance"
        for instance, status in held.items():
            account = status["account"]
            assert account["uri"] == uri.split("/statuses/")[0] and account["username"].startswith("demo_")
            assert account["acct"] == (account["username"] if instance == home else f"{account['username']}@{home}")
            assert status["uri"] == uri and status["url"].startswith(f"https://{home}/@")
            tags = {t["name"] for t in status["tags"]}
            assert "cthb18" in tags and all(f"/tags/{t}" in status["content"] for t in tags)
            for mention in status["mentions"]:
                assert f'href="{mention["url"]}" class="u-url mention"' in status["content"]
            assert "<script" not in status["content"] and status["content"].startswith("<p>")
            assert len(status["content"]) < 8000
    for held in both.values():
        first, second = held.values()
        assert first["id"] != second["id"] and first["account"]["acct"] != second["account"]["acct"]
        assert to_text(first["content"]) == to_text(second["content"]), "the same post, read on each instance"
    statuses = [s for held in copies.values() for s in held.values()]
    assert any(s["spoiler_text"] for s in statuses) and any(s["edited_at"] for s in statuses)
    assert any(s["in_reply_to_id"] for s in statuses) and any(s.get("quote") for s in statuses)
    # Read once an instance: read again for every reply, this was the test's 69 s.
    ids_on = {instance: {s["id"] for s in statuses_of(bluesky_files[0], instance)} for instance in MASTODON_INSTANCES}
    for held in copies.values():
        for instance, status in held.items():
            if status["in_reply_to_id"]:  # the parent's id on that instance: the parent is there too
                assert status["in_reply_to_id"] in ids_on[instance]


def test_the_three_network_demo_keeps_one_row_per_mastodon_post(three_network_db):
    """Through the importer: the posts seen on both instances are one row each (their uri), the
    authors one each (their account uri), with plain text, the warning beside it, and the replies
    and quotes found."""
    with db.reading(three_network_db) as session:
        platforms = dict(
            session.exec(
                select(Post.platform, func.count()).where(Post.collected.is_(True)).group_by(Post.platform)
            ).all()
        )
        posts = session.exec(select(Post).where(Post.platform == "mastodon", Post.collected.is_(True))).all()
        authors = session.exec(select(Author).where(Author.platform == "mastodon")).all()
        assert flags.is_demo(session)
    assert platforms == {"x": X_POSTS_OF_THREE, "bluesky": BLUESKY_POSTS, "mastodon": MASTODON_POSTS}
    assert all(p.platform_id.startswith(tuple(f"https://{i}/users/demo_" for i in MASTODON_INSTANCES)) for p in posts)
    assert not [p.text for p in posts if re.search(r"<(p|a|span)\b|&amp;|&lt;", p.text)], "no markup is left"
    assert any("<script>" in p.text for p in posts), "hostile text kept as the literal text it is"
    assert any(p.content_warning for p in posts) and all(
        p.content_warning not in p.text for p in posts if p.content_warning
    )
    assert {p.kind for p in posts} == {PostKind.original, PostKind.reply, PostKind.quote}  # no boosts on a tag timeline
    assert len({a.platform_user_id for a in authors}) == len(authors)
    assert all(re.fullmatch(r"demo_[a-z0-9_]+@(social|fedi)\.demo\.example", a.handle) for a in authors)
    assert {a.group_key for a in authors} >= {"civil_society", "academia"}


def test_the_replay_paces_mastodon_statuses_and_ends_with_the_rows_the_import_gives(tmp_path):
    """``make demo`` replays the file: each status arrives at its own time, with the thread its page
    holds above it, and the replay ends with the import's Mastodon rows, replies resolved alike."""
    from engagement.collection.replay import load_messages, replay

    posts, _ = write_collection(tmp_path / "three.jsonl", posts=600, seed=5)
    messages = [m for m in load_messages(posts) if isinstance(m.page, dict) and "method" in m.page]
    assert len(messages) == len(statuses_of(posts)), "one message per status served"
    assert all(m.created_at.isoformat()[:19] == m.page["body"][0]["created_at"][:19] for m in messages)

    def mastodon_rows(url):
        with db.reading(url) as session:
            found = session.exec(
                select(Post.platform_id, Post.kind, Post.text, Post.referenced_platform_id, Post.conversation_id)
                .where(Post.platform == "mastodon")
                .order_by(Post.platform_id)
            ).all()
        db.dispose_engines()
        return [tuple(row) for row in found]

    urls = []
    for name in ("imported", "replayed"):
        url = f"sqlite:///{tmp_path / name}.db"
        with db.writing(url) as session:
            sync_event(session)
        urls.append(url)
    import_files([posts], url=urls[0], progress=False)
    replay(posts, speed=1e9, url=urls[1], tick=0, sleep=lambda _s: None)
    imported = mastodon_rows(urls[0])
    assert len(imported) == round(600 * MASTODON_SHARE) and any(row[3] for row in imported)
    assert mastodon_rows(urls[1]) == imported
