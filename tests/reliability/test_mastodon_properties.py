"""Property-based tests (hypothesis) of the Mastodon normaliser and of its HTML-to-text converter,
with real statuses (tests/data/mastodon) mutated at random, arbitrary JSON, and HTML built of random
tags, attributes, entities and nesting with hostile script, style and ``javascript:`` links among
them: nothing raises out but a ``RecordError`` with its reason, every status is a record or a
rejection with a reason, no markup survives into the text, and every line of a file of mutated
lines is stored or rejected with its reason by ``ingest import``.

The mutations are drawn from a ``random.Random`` that hypothesis controls (``st.randoms``), so that
the same mutator also writes the file the worker process imports in the last test. The helpers are
this module's own (test modules import no other test module): the hostile strings and the mutator
follow tests/reliability/test_bluesky_properties.py's.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import re
import sqlite3
from contextlib import closing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from engagement.collection.jsonl import import_file, normalise_line
from engagement.collection.mastodon.normalise import (
    bridged_uri,
    normalise,
    normalise_account,
    normalise_page,
    normalise_response,
    normalise_status,
    shape_of,
)
from engagement.collection.mastodon.plaintext import plain, render, to_text
from engagement.collection.records import Batch, RecordError
from engagement.rules.sync import sync_event
from engagement.storage import db

from ..helpers import TEST_DATA
from ..helpers.tally import SEED, TALLY
from ..helpers.worker import ingest

HOSTILE = [
    '=HYPERLINK("http://127.0.0.1:9/x")',
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "![p](http://127.0.0.1:9/p.png)",
    "\u202eevil",
    "\x00",
    "𝕏" * 3,
    "-1",
    "9" * 30,
    "NaN",
    "null",
    "2018-04-23T25:99:00Z",
    "https://bsky.brid.gy/convert/ap/at://",
    "https://" + "a" * 3000,
]
EXTREME = [
    2**70,
    2**63,
    -1,
    1e308,
    "9999-12-31T23:59:59.999Z",
    "0000-10-14T15:06:10.730Z",
    "2026-05-25T14:23:00",  # no time zone
    "",
]
# The places a status's meaning hides in: mutated more often than the rest.
KEYS = [
    "id",
    "uri",
    "url",
    "created_at",
    "edited_at",
    "account",
    "acct",
    "username",
    "display_name",
    "note",
    "content",
    "spoiler_text",
    "visibility",
    "reblog",
    "quote",
    "quoted_status",
    "state",
    "in_reply_to_id",
    "in_reply_to_account_id",
    "tags",
    "mentions",
    "name",
    "media_attachments",
    "card",
    "reblogs_count",
    "favourites_count",
    "replies_count",
    "language",
    "body",
    "method",
    "status",
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
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12) | st.sampled_from(KEYS), inner, max_size=6)
    ),
    max_leaves=25,
)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
IMPORTS = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))


def recorded_statuses() -> tuple[list[dict], list[dict]]:
    """Every status of the recordings (timeline pages, single statuses, reblogs, quotes), and the
    recorded responses themselves."""
    statuses, responses = [], []
    for path in sorted((TEST_DATA / "mastodon").glob("*.bodies.json")):
        for response in json.loads(path.read_text(encoding="utf-8")):
            responses.append(response)
            body = response.get("body")
            for item in body if isinstance(body, list) else [body]:
                if shape_of(item) == "status":
                    statuses.append(item)
    return statuses, responses


STATUSES, RESPONSES = recorded_statuses()


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
            places = [p for p in places if type(_at(value, p)[p[-1]]) is int or str(p[-1]).endswith("_at")]
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
                "retype": lambda: rng.choice([None, [], {}, "", 0, True, [{}], "private"]),
            }[action]()
    return value


MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>")


def assert_post(post, where: str) -> None:
    assert post.platform in ("mastodon", "bluesky"), where
    assert post.platform_id.startswith(("https://", "http://", "at://")), where
    assert isinstance(post.text, str) and post.created_at.tzinfo is not None, where
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", post.text), where


def assert_rejections(batch: Batch) -> None:
    for rejection in batch.rejected:
        assert rejection.reason, rejection


def outcome_of(item: Any, batch: Batch, where: str) -> bool:
    """Whether ``item`` (at ``where`` in what was normalised) became a post or a rejection."""
    if any(r.location == where or r.location.startswith((f"{where}.", f"{where} ")) for r in batch.rejected):
        return True
    collected = {post.platform_id for post in batch.posts if post.collected}
    uri = item.get("uri") if isinstance(item, dict) else None
    try:
        bridged = bridged_uri(item)  # a Bridgy Fed copy is stored as the Bluesky post
    except RecordError:
        bridged = None
    return (isinstance(uri, str) and uri in collected) or (bridged is not None and bridged in collected)


@seed(SEED)
@PROPERTY
@given(st.sampled_from(STATUSES), st.randoms(use_true_random=False))
def test_a_mutated_status_is_a_post_or_a_rejection_with_its_reason(status, rng):
    value = mutated(status, rng)
    batch = normalise_status(value)  # a status is judged, never raised out
    assert_rejections(batch)
    for post in batch.posts:
        assert_post(post, "status")
    assert outcome_of(value, batch, ""), "the status is neither a post nor a rejection"
    TALLY.bad_input("mutated real Mastodon statuses through normalise_status (hypothesis)")


@seed(SEED)
@PROPERTY
@given(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_every_status_of_a_mutated_page_is_a_post_or_a_rejection_with_its_reason(statuses, rng):
    items = [mutated(status, rng) for status in statuses]
    batch = normalise_page(items)  # a list is a page: never refused whole
    assert_rejections(batch)
    for post in batch.posts:
        assert_post(post, "page")
    for index, item in enumerate(items):
        assert outcome_of(item, batch, f"[{index}]"), f"status {index} neither stored nor rejected"
    TALLY.bad_input("mutated real Mastodon statuses in timeline pages through normalise_page (hypothesis)", len(items))


@seed(SEED)
@PROPERTY
@given(json_values)
def test_the_mastodon_normalisers_take_any_json(value):
    for function in (normalise, normalise_page, normalise_status, normalise_account, normalise_response):
        try:
            batch = function(value)
        except RecordError as error:
            assert str(error)
        else:
            if isinstance(batch, Batch):
                assert_rejections(batch)
    TALLY.bad_input("arbitrary JSON values through the Mastodon normalisers (hypothesis)")


# -- HTML --------------------------------------------------------------------------------------------

SHOWN = ["p", "span", "a", "b", "i", "em", "strong", "div", "blockquote", "ul", "li", "pre", "code", "del", "h1"]
DROPPED = ["script", "style", "iframe", "svg", "math", "noscript", "template", "object", "textarea"]
SENTINEL = "zqxhidden"  # written only inside what must not be shown
ATTRIBUTES = [
    'class="invisible"',
    'class="ellipsis"',
    'class="mention hashtag"',
    'class="quote-inline"',
    'href="javascript:alert(1)"',
    'href="JaVaScRiPt:alert(1)"',
    'href=" javascript:alert(1)"',
    'href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="',  # <script>alert(1)</script>
    'href="https://example.org/ok"',
    "onclick=alert(1)",
    'style="background:url(javascript:alert(1))"',
    "title='<b>'",
    "disabled",
]
ENTITIES = ["&amp;", "&quot;", "&#39;", "&nbsp;", "&eacute;", "&#x263A;", "&hellip;", "&amp", "&copy"]
words = st.text(alphabet=st.characters(blacklist_characters="<>&", blacklist_categories=("Cs",)), max_size=12)


@st.composite
def html(draw, depth: int = 0) -> str:
    """A fragment of HTML: text, entities, void tags, shown elements with attributes, nested up to
    four deep, and dropped elements (script, style, …) whose content must never show; now and then
    a tag left open, closed twice or closed out of order."""
    pieces = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 8 if depth < 4 else 3))
        if kind == 0:
            pieces.append(draw(words))
        elif kind == 1:
            pieces.append(draw(st.sampled_from(ENTITIES)))
        elif kind == 2:
            pieces.append(draw(st.sampled_from(["<br>", "<br/>", "<img src=x onerror=alert(1)>", "<hr>", "</p>"])))
        elif kind == 3:
            pieces.append(f"<{draw(st.sampled_from(DROPPED))}>{SENTINEL} <b>{SENTINEL}</b>")
            if draw(st.booleans()):
                pieces[-1] += "</" + pieces[-1][1:].split(">", 1)[0] + ">"
        else:
            tag = draw(st.sampled_from(SHOWN))
            # One of each attribute name: a duplicate is test_a_duplicate_class_attribute_… below.
            chosen = draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=3, unique_by=lambda a: a.split("=")[0]))
            attributes = " ".join(chosen)
            inner = draw(html(depth + 1))
            if "invisible" in attributes or "quote-inline" in attributes:
                inner = SENTINEL  # hidden by its class: never shown
            close = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", "", f"</{tag}></{tag}>", "</div>"]))
            pieces.append(f"<{tag} {attributes}>{inner}{close}")
    return "".join(pieces)


@seed(SEED)
@PROPERTY
@given(html())
def test_html_becomes_text_with_no_markup_and_nothing_hidden_shown(fragment):
    rendered = render(fragment)  # never raises
    text = rendered.text
    assert isinstance(text, str) and text == text.strip()
    assert not MARKUP.search(text), f"markup survived: {text!r}"
    assert "<" not in text and ">" not in text  # no '<' or '>' is in the text or entities drawn
    assert SENTINEL not in text, "what Mastodon's sanitiser drops (or a hidden span) was shown"
    assert not re.search(r"&(amp|quot|nbsp|eacute|hellip|copy|#39|#x263A);", text), "an entity was left undecoded"
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    assert all(link.href.lower().startswith(("https://", "http://")) for link in rendered.links)
    assert to_text(fragment) == text
    TALLY.bad_input("random and hostile HTML through Mastodon's plain-text converter (hypothesis)")


@seed(SEED)
@PROPERTY
@given(st.text(max_size=200), st.sampled_from(HOSTILE))
def test_any_text_is_read_without_raising_and_plain_text_is_never_parsed(text, hostile):
    for value in (text, hostile, text + hostile, "<p>" + text + hostile):
        assert isinstance(to_text(value), str)
    assert plain(hostile + text) == plain(hostile + text).strip()
    assert "<script>" in plain("<script>alert(1)</script>"), "a display name is what the person wrote"


def test_hostile_markup_in_a_status_never_reaches_its_text_as_markup():
    """The hostile elements inside a real status's content: dropped with their content, or their
    text kept; their target never a link."""
    status = copy.deepcopy(next(s for s in STATUSES if not s.get("reblog") and not s.get("quote")))
    status["content"] = (
        '<p>Before<script>alert("x")</script><style>p{color:red}</style>'
        '<a href="javascript:alert(1)">click</a><iframe src="https://evil.example">frame</iframe>'
        "<img src=x onerror=alert(1)>&lt;b&gt;literal&lt;/b&gt; after</p>"
    )
    [post] = normalise_status(status).posts
    assert post.text == "Beforeclick<b>literal</b> after"  # the entity-escaped '<b>' is what was written
    assert not any("javascript" in url for url in post.urls) and "evil.example" not in " ".join(post.urls)


def test_a_duplicate_class_attribute_is_read_as_a_browser_reads_it():
    """Found by the property above: ``<span class="invisible" class="ellipsis">`` is hidden in a
    browser (HTML's tokenizer keeps an element's first attribute of a name and drops the repeats);
    the reader once kept the last, and showed the hidden text."""
    assert to_text('<p>a<span class="invisible" class="ellipsis">hidden</span>b</p>') == "ab"


# -- ingest import ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def import_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mastodon-properties")
    url = f"sqlite:///{folder / 'test.db'}"
    with db.writing(url) as session:
        sync_event(session)
    return folder, url


COUNTER = itertools.count()


def mutated_lines(rng: random.Random, count: int) -> list[str]:
    """``count`` lines as files people have hold them: a status, a timeline page (a JSON array), a
    recorded response, each mutated; now and then a line cut off mid-JSON."""
    lines = []
    for _ in range(count):
        shape = rng.choice(["status", "status", "page", "response", "cut"])
        if shape == "status":
            line: Any = mutated(rng.choice(STATUSES), rng)
        elif shape == "page":
            line = [mutated(rng.choice(STATUSES), rng) for _ in range(rng.randint(1, 3))]
        elif shape == "response":
            line = mutated(rng.choice(RESPONSES), rng)
        else:
            text = json.dumps(rng.choice(STATUSES))
            lines.append(text[: rng.randint(1, len(text) - 1)])
            continue
        lines.append(json.dumps(line))
    return lines


def expected_of(lines: list[str]) -> tuple[dict[int, set[str]], dict[int, int], set[int]]:
    """By line number, what the importer's own choice of normaliser makes of each line: the post
    ids, the rejections, and the lines that are neither (an instance description, an API error, a
    deletion)."""
    posts: dict[int, set[str]] = {}
    rejections: dict[int, int] = {}
    other: set[int] = set()
    for number, raw in enumerate(lines, 1):
        try:
            batch = normalise_line(json.loads(raw))
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
    """The stored post ids, the tombstones, and the rejected rows of file ``name`` by line."""
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
        stored = {row[0] for row in connection.execute("SELECT platform_id FROM post")}
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
    for number, ids in posts.items():
        missing = ids - stored - gone  # a deletion in the file (or before it) may have taken one
        assert not missing, f"line {number}: {sorted(missing)[:3]} neither stored nor deleted"
    assert set(posts) | set(rejected) | other == set(range(1, len(lines) + 1))
    return sum(rejections.values())


@seed(SEED)
@IMPORTS
@given(st.randoms(use_true_random=False), st.integers(1, 5))
def test_every_line_of_a_mutated_mastodon_file_is_stored_or_rejected(import_db, rng, count):
    folder, url = import_db
    path = folder / f"mutated-{next(COUNTER)}.jsonl"
    lines = mutated_lines(rng, count)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    summary = import_file(path, url=url)  # must not raise, whatever the input
    db.dispose_engines()
    assert summary.lines == len(lines)
    assert summary.rejected == assert_every_line_accounted(lines, url, path.name)
    TALLY.bad_input("mutated Mastodon statuses, pages and responses through import (hypothesis)", len(lines))


def test_ingest_import_of_a_file_of_mutated_mastodon_lines_exits_3_and_keeps_every_line(db_url, tmp_path, seed, tally):
    rng = random.Random(seed)
    lines = mutated_lines(rng, 60)
    path = tmp_path / "mutated.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    result = ingest("import", str(path), url=db_url)
    rejections = assert_every_line_accounted(lines, db_url, path.name)
    assert rejections > 0, "the draw rejected nothing: the exit status is not tested"
    assert result.returncode == 3, result.stderr
    assert f"rejected {rejections}" in " ".join(result.stdout.split()), result.stdout
    tally.bad_input("mutated Mastodon lines through `ingest import` (worker process)", len(lines))
