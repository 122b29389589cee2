"""Property-based tests (hypothesis) of the Bluesky normalisers and of ``ingest import`` with real
PostViews and Jetstream events (tests/data/bluesky) mutated at random, and arbitrary JSON: nothing
raises out but a ``RecordError`` with its reason, every input is a record or a rejection with a
reason, and every line of a file is stored, rejected with its reason or (a Jetstream event of a
kind not kept) passed over, and nothing else is lost.

The mutations are drawn from a ``random.Random`` that hypothesis controls (``st.randoms``), so that
the same mutator also writes the file the worker process imports in the last test.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import sqlite3
from contextlib import closing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from engagement.collection.bluesky.normalise import normalise_jetstream, normalise_page, normalise_post_view
from engagement.collection.jsonl import import_file, normalise_line, parse_line
from engagement.collection.records import Batch, RecordError
from engagement.rules.sync import sync_event
from engagement.storage import db

from ..helpers import real_data
from ..helpers.tally import SEED, TALLY
from ..helpers.worker import ingest
from ..jetsim import ACCOUNT_DID, derived_post, recorded_events

# As tests/reliability/test_properties.py: its hostile strings, extreme numbers and times, settings.
HOSTILE = [
    '=HYPERLINK("http://127.0.0.1:9/x")',
    "<script>alert(1)</script>",
    "![p](http://127.0.0.1:9/p.png)",
    "\u202eevil",
    "\x00",
    "𝕏" * 3,
    "-1",
    "9" * 30,
    "NaN",
    "null",
    "2018-04-23T25:99:00Z",
    "at://did:plc:x/app.bsky.feed.post/",
    "did:plc:" + "a" * 3000,
]
EXTREME = [
    2**70,
    2**63,
    2**31,
    -1,
    -(2**63) - 1,
    1e308,
    "9999-12-31T23:59:59.999Z",
    "0000-10-14T15:06:10.730Z",
    "0001-01-01T00:00:00+05:00",
    "2026-05-25T14:23:00",  # no time zone
    "",
]
# The places a Bluesky object's meaning hides in: mutated more often than the rest.
KEYS = [
    "uri",
    "cid",
    "did",
    "handle",
    "author",
    "record",
    "text",
    "createdAt",
    "indexedAt",
    "facets",
    "features",
    "index",
    "byteStart",
    "byteEnd",
    "embed",
    "$type",
    "reply",
    "parent",
    "root",
    "labels",
    "val",
    "likeCount",
    "kind",
    "commit",
    "time_us",
    "operation",
    "collection",
    "rkey",
    "identity",
    "tags",
    "posts",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(HOSTILE)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12) | st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=25,
)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
IMPORTS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


def post_views() -> list[dict]:
    views = json.loads(real_data("twitwi_bluesky-posts.json", "bluesky").read_text(encoding="utf-8"))
    views += json.loads(real_data("twitwi_bluesky-hydrated-firehose-posts.json", "bluesky").read_text(encoding="utf-8"))
    return [item for item in views if isinstance(item, dict) and "uri" in item and "record" in item]


def jetstream_events() -> list[dict]:
    """The recorded events, and the kinds the event's stream handles that they lack: a repost of a
    post, a delete of a post, an identity event of the organiser's account."""
    events = recorded_events()
    post = next(e for e in events if e["kind"] == "commit" and e["commit"]["collection"] == "app.bsky.feed.post")
    tagged = derived_post(post, "3cthb18prop1", "Opening plenary #cthb18")
    subject = {"uri": f"at://{tagged['did']}/app.bsky.feed.post/3cthb18prop1", "cid": "bafyreia"}
    repost = {"$type": "app.bsky.feed.repost", "createdAt": "2026-05-25T14:25:00.000Z", "subject": subject}
    commit = {"rev": "3m", "collection": "app.bsky.feed.repost", "rkey": "3cthb18rep01"}
    time_us = post["time_us"]
    events += [
        tagged,
        {
            "did": ACCOUNT_DID,
            "time_us": time_us,
            "kind": "commit",
            "commit": {**commit, "operation": "create", "record": repost},
        },
        {
            "did": tagged["did"],
            "time_us": time_us,
            "kind": "commit",
            "commit": {"rev": "3n", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3cthb18prop1"},
        },
        {
            "did": ACCOUNT_DID,
            "time_us": time_us,
            "kind": "identity",
            "identity": {"did": ACCOUNT_DID, "handle": "OSCE.bsky.social"},
        },
    ]
    return events


VIEWS, EVENTS = post_views(), jetstream_events()


def paths(value, prefix=()):
    """Every place in a JSON value, as a tuple of keys and indexes."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def _at(value, place):
    for step in place[:-1]:
        value = value[step]
    return value


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """An arbitrary JSON value, small."""
    kind = rng.randrange(9 if depth < 2 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.randint(-(2**70), 2**70)
    if kind == 3:
        return rng.uniform(-1e9, 1e9)
    if kind == 4:
        return "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 12)))
    if kind == 5:
        return rng.choice(HOSTILE)
    if kind == 6:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(KEYS): random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def mutated(item: Any, rng: random.Random) -> Any:
    """A copy of ``item`` with 1 to 6 of its places replaced by arbitrary, hostile, extreme or
    wrongly typed values, or deleted; the places under ``KEYS`` twice as likely."""
    value = copy.deepcopy(item)
    for _ in range(rng.randint(1, 6)):
        action = rng.choice(["replace", "delete", "hostile", "extreme", "retype"])
        places = [p for p in paths(value) if p]
        if action == "extreme":  # aim at the numbers and the times, where overflow hides
            places = [p for p in places if type(_at(value, p)[p[-1]]) is int or str(p[-1]).endswith("At")]
        places += [p for p in places if p[-1] in KEYS]
        if not places:
            break
        place = rng.choice(places)
        parent = _at(value, place)
        if action == "delete":
            del parent[place[-1]]
        else:
            parent[place[-1]] = {
                "replace": lambda: random_json(rng),
                "hostile": lambda: rng.choice(HOSTILE),
                "extreme": lambda: rng.choice(EXTREME),
                "retype": lambda: rng.choice([None, [], {}, "", 0, True, [{}], "did:plc:x"]),
            }[action]()
    return value


def assert_post(post, where: str) -> None:
    assert post.platform == "bluesky" and post.platform_id.startswith("at://"), where
    assert post.author_platform_id.startswith("did:") and isinstance(post.text, str), where
    assert post.created_at.tzinfo is not None, where


def assert_rejections(batch: Batch) -> None:
    for rejection in batch.rejected:
        assert rejection.reason, rejection


@seed(SEED)
@PROPERTY
@given(st.sampled_from(VIEWS), st.randoms(use_true_random=False))
def test_a_mutated_post_view_is_a_post_or_a_rejection_with_its_reason(view, rng):
    value = mutated(view, rng)
    try:
        post = normalise_post_view(value)
    except RecordError as error:
        assert str(error)
    else:
        assert_post(post, "post view")
        assert post.platform_id == value["uri"] and post.collected
    TALLY.bad_input("mutated real PostViews through normalise_post_view (hypothesis)")


@seed(SEED)
@PROPERTY
@given(st.lists(st.sampled_from(VIEWS), min_size=1, max_size=4), st.randoms(use_true_random=False), st.booleans())
def test_every_item_of_a_mutated_page_is_a_post_or_a_rejection_with_its_reason(views, rng, wrapped):
    items = [mutated(view, rng) for view in views]
    page: Any = {"posts": items, "cursor": "3m"} if wrapped else items
    batch = normalise_page(page)  # a list or a {posts} object is a page: never refused whole
    assert_rejections(batch)
    for post in batch.posts:
        assert_post(post, "page")
    collected = {post.platform_id for post in batch.posts if post.collected}
    prefix = "posts" if wrapped else ""
    for index, item in enumerate(items):
        where = f"{prefix}[{index}]"
        rejected = any(r.location == where or r.location.startswith((f"{where}.", f"{where} ")) for r in batch.rejected)
        uri = item.get("uri") if isinstance(item, dict) else None
        assert (isinstance(uri, str) and uri in collected) or rejected, f"item {index} neither stored nor rejected"
    TALLY.bad_input("mutated real PostViews in searchPosts pages through normalise_page (hypothesis)", len(items))


@seed(SEED)
@PROPERTY
@given(st.sampled_from(EVENTS), st.randoms(use_true_random=False))
def test_a_mutated_jetstream_event_is_one_thing_or_one_rejection_with_its_reason(event, rng):
    value = mutated(event, rng)
    result = normalise_jetstream(value)  # never raises
    outcomes = len(result.batch.posts) + len(result.deletions) + len(result.handles) + result.ignored
    assert outcomes + len(result.batch.rejected) == 1, result
    assert_rejections(result.batch)
    if not result.batch.rejected:
        assert type(result.time_us) is int
    for post in result.batch.posts:
        assert_post(post, "jetstream")
        assert post.author_platform_id == value["did"] and post.platform_id.startswith(f"at://{value['did']}/")
    TALLY.bad_input("mutated real Jetstream events through normalise_jetstream (hypothesis)")


@seed(SEED)
@PROPERTY
@given(json_values)
def test_the_bluesky_normalisers_take_any_json(value):
    result = normalise_jetstream(value)
    outcomes = len(result.batch.posts) + len(result.deletions) + len(result.handles) + result.ignored
    assert outcomes + len(result.batch.rejected) == 1
    assert_rejections(result.batch)
    for normalise in (normalise_page, normalise_post_view):
        try:
            normalise(value)
        except RecordError as error:
            assert str(error)
    TALLY.bad_input("arbitrary JSON values through the Bluesky normalisers (hypothesis)")


# -- ingest import ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def import_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bluesky-properties")
    url = f"sqlite:///{folder / 'test.db'}"
    with db.writing(url) as session:
        sync_event(session)
    return folder, url


COUNTER = itertools.count()


def mutated_lines(rng: random.Random, count: int) -> list[str]:
    """``count`` lines as files people have hold them: a PostView, a Jetstream event, a searchPosts
    page, each mutated; now and then a line cut off mid-JSON."""
    lines = []
    for _ in range(count):
        shape = rng.choice(["view", "view", "event", "event", "page", "cut"])
        if shape == "view":
            line = mutated(rng.choice(VIEWS), rng)
        elif shape == "event":
            line = mutated(rng.choice(EVENTS), rng)
        elif shape == "page":
            line = {"posts": [mutated(rng.choice(VIEWS), rng) for _ in range(rng.randint(1, 3))], "cursor": "3m"}
        else:
            text = json.dumps(rng.choice(VIEWS))
            lines.append(text[: rng.randint(1, len(text) - 1)])
            continue
        lines.append(json.dumps(line))
    return lines


def expected_of(lines: list[str]) -> tuple[dict[int, set[str]], dict[int, int], set[int]]:
    """By line number, what the importer's own choice of normaliser makes of each line: the post
    URIs, the rejections, and the lines that are neither (a Jetstream event not kept, a delete, a
    handle)."""
    posts: dict[int, set[str]] = {}
    rejections: dict[int, int] = {}
    other: set[int] = set()
    for number, raw in enumerate(lines, 1):
        try:
            batch = normalise_line(parse_line(raw.encode("utf-8")))  # the importer's own parser
        except (RecordError, ValueError):
            rejections[number] = 1
            continue
        if batch.posts:
            posts[number] = {post.platform_id for post in batch.posts}
        if batch.rejected:
            rejections[number] = len(batch.rejected)
        if not batch.posts and not batch.rejected:
            other.add(number)
    return posts, rejections, other


def stored_state(url: str, name: str) -> tuple[set[str], set[str], dict[int, int]]:
    """The stored post URIs, the tombstones, and the rejected rows of file ``name`` by line."""
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
        stored = {row[0] for row in connection.execute("SELECT platform_id FROM post WHERE platform = 'bluesky'")}
        gone = {row[0] for row in connection.execute("SELECT platform_id FROM deleted_post")}
        rows = connection.execute(
            "SELECT location, reason FROM rejected_record WHERE location LIKE ?", (f"{name}:%",)
        ).fetchall()
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        doubled = "SELECT count(*) FROM (SELECT platform, platform_id FROM post GROUP BY 1, 2 HAVING count(*) > 1)"
        assert connection.execute(doubled).fetchone()[0] == 0
    rejected: dict[int, int] = {}
    for location, reason in rows:
        assert reason, location
        number = int(location.removeprefix(f"{name}:").split(" ", 1)[0])
        rejected[number] = rejected.get(number, 0) + 1
    return stored, gone, rejected


def assert_every_line_accounted(lines: list[str], url: str, name: str) -> int:
    """Each line stored, rejected with its reason, or neither by design; nothing lost. Returns how
    many rejections the file holds."""
    posts, rejections, other = expected_of(lines)
    stored, gone, rejected = stored_state(url, name)
    assert rejected == rejections  # each line's rejections kept, with its reason and file:line
    for number, uris in posts.items():
        missing = uris - stored - gone  # a delete in the file (or before it) may have taken one
        assert not missing, f"line {number}: {sorted(missing)[:3]} neither stored nor deleted"
    accounted = set(posts) | set(rejected) | other
    assert accounted == set(range(1, len(lines) + 1))
    return sum(rejections.values())


@seed(SEED)
@IMPORTS
@given(st.randoms(use_true_random=False), st.integers(1, 5))
def test_every_line_of_a_mutated_bluesky_file_is_stored_or_rejected(import_db, rng, count):
    folder, url = import_db
    path = folder / f"mutated-{next(COUNTER)}.jsonl"
    lines = mutated_lines(rng, count)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    summary = import_file(path, url=url)  # must not raise, whatever the input
    db.dispose_engines()
    assert summary.lines == len(lines)
    assert summary.rejected == assert_every_line_accounted(lines, url, path.name)
    TALLY.bad_input("mutated PostViews, pages and Jetstream events through import (hypothesis)", len(lines))


def test_ingest_import_of_a_file_of_mutated_lines_exits_3_and_keeps_every_line(db_url, tmp_path, seed, tally):
    rng = random.Random(seed)
    lines = mutated_lines(rng, 60)
    path = tmp_path / "mutated.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    result = ingest("import", str(path), url=db_url)
    rejections = assert_every_line_accounted(lines, db_url, path.name)
    assert rejections > 0, "the draw rejected nothing: the exit status is not tested"
    assert result.returncode == 3, result.stderr
    assert f"rejected {rejections}" in " ".join(result.stdout.split()), result.stdout
    tally.bad_input("mutated Bluesky lines through `ingest import` (worker process)", len(lines))


# A lone surrogate (the JSON escape "\ud800", which json.loads accepts and the fallback parser kept)
# in a stored field once raised UnicodeEncodeError out of import_file (no database can store it), so
# the whole file stopped there, X lines included. Now the line is rejected and the rest stored.
SURROGATE = "\ud800"


@pytest.mark.parametrize("where", ["post view text", "jetstream text", "display name", "x text"])
def test_a_lone_surrogate_in_a_line_is_stored_or_rejected_and_the_next_line_goes_in(db_url, tmp_path, where):
    view = copy.deepcopy(VIEWS[0])
    event = copy.deepcopy(next(e for e in EVENTS if e.get("commit", {}).get("collection") == "app.bsky.feed.post"))
    page = json.loads(real_data("two_tweets.jsonl").read_text(encoding="utf-8").splitlines()[0])
    line: Any = {"post view text": view, "jetstream text": event, "display name": view, "x text": page}[where]
    if where == "post view text":
        view["record"]["text"] += SURROGATE
    elif where == "jetstream text":
        event["commit"]["record"]["text"] += SURROGATE
    elif where == "display name":
        view["author"]["displayName"] = SURROGATE
    else:
        page["data"][0]["text"] += SURROGATE
    path = tmp_path / "surrogate.jsonl"
    path.write_text(json.dumps(line) + "\n" + json.dumps(VIEWS[1]) + "\n", encoding="utf-8")
    summary = import_file(path, url=db_url)
    assert summary.lines == 2
    assert_every_line_accounted(path.read_text(encoding="utf-8").splitlines(), db_url, path.name)
