"""Property-based tests (hypothesis) of the normaliser and the importers, with arbitrary JSON, real
API pages mutated at random, and arbitrary question CSVs: every record is stored or rejected with
a reason, nothing raises out, and nothing is half-written."""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from engagement.collection.jsonl import import_file, normalise_line
from engagement.collection.questions import RowError, import_questions
from engagement.collection.x.normalise import RecordError, normalize

from ..helpers import real_data
from ..helpers.tally import SEED, TALLY

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
]
# Numbers that overflow a 64-bit or 32-bit column, and times at the ends of the calendar.
EXTREME = [
    2**70,
    2**63,
    2**31,
    -1,
    -(2**63) - 1,
    1e308,
    "9999-12-31T23:59:59.999Z",
    "0001-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "",
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
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=12)
            | st.sampled_from(
                [
                    "id",
                    "data",
                    "text",
                    "author_id",
                    "includes",
                    "users",
                    "tweets",
                    "meta",
                    "created_at",
                    "referenced_tweets",
                    "entities",
                    "public_metrics",
                    "errors",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


def real_pages() -> list[dict]:
    pages = []
    for name in ("brexit.jsonl", "edited.jsonl", "two_tweets.jsonl"):
        pages += [json.loads(line) for line in real_data(name).read_text(encoding="utf-8").splitlines() if line]
    return pages


PAGES = real_pages()


def paths(value, prefix=()):
    """Every place in a JSON value, as a tuple of keys and indexes."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def _at(page, place):
    parent = page
    for step in place[:-1]:
        parent = parent[step]
    return parent


@st.composite
def mutated_pages(draw):
    page = copy.deepcopy(draw(st.sampled_from(PAGES)))
    if isinstance(page.get("data"), list) and len(page["data"]) > 8:  # keep examples small and quick
        page["data"] = page["data"][:8]
        authors = {tweet.get("author_id") for tweet in page["data"]}
        page["includes"]["users"] = [u for u in page["includes"].get("users", []) if u.get("id") in authors]
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["replace", "delete", "hostile", "extreme"]))
        places = [p for p in paths(page) if p]
        if action == "extreme":  # aim at the numbers and times, where overflow hides
            places = [p for p in places if isinstance(_at(page, p)[p[-1]], int) or p[-1] == "created_at"]
        if not places:
            break
        place = draw(st.sampled_from(places))
        parent = _at(page, place)
        if action == "delete":
            del parent[place[-1]]
        else:
            parent[place[-1]] = draw(
                {"replace": json_values, "hostile": st.sampled_from(HOSTILE), "extreme": st.sampled_from(EXTREME)}[
                    action
                ]
            )
    return page


@seed(SEED)
@PROPERTY
@given(json_values)
def test_the_normaliser_takes_any_json(value):
    try:
        batch = normalize(value)
    except RecordError as error:
        assert str(error)
    else:
        for post in batch.posts:
            assert post.platform_id.isdigit() and isinstance(post.text, str)
        for rejection in batch.rejected:
            assert rejection.reason
    TALLY.bad_input("arbitrary JSON values through the normaliser (hypothesis)")


def event_db(tmp_path_factory, name: str) -> tuple:
    """A folder for generated files and a real SQLite database with the event loaded."""
    from engagement.rules.sync import sync_event
    from engagement.storage import db

    folder = tmp_path_factory.mktemp(name)
    url = f"sqlite:///{folder / 'test.db'}"
    with db.writing(url) as session:
        sync_event(session)
    return folder, url


@pytest.fixture(scope="module")
def page_db(tmp_path_factory):
    return event_db(tmp_path_factory, "properties")


COUNTER = itertools.count()


def check_integrity(path: str) -> None:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert (
            con.execute(
                "SELECT count(*) FROM (SELECT platform, platform_id FROM post GROUP BY 1, 2 HAVING count(*) > 1)"
            ).fetchone()[0]
            == 0
        )
    finally:
        con.close()


@seed(SEED)
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(mutated_pages() | json_values, min_size=1, max_size=3), st.booleans())
def test_mutated_api_pages_are_stored_or_rejected_with_a_reason(page_db, lines, broken_line):
    folder, url = page_db
    path = folder / f"mutated-{next(COUNTER)}.jsonl"
    text = [json.dumps(line) for line in lines]
    if broken_line:
        text.insert(len(text) // 2, text[0][: len(text[0]) // 2])  # a line cut off mid-JSON
    path.write_text("\n".join(text) + "\n", encoding="utf-8")

    expected_posts, expected_rejections = set(), 0
    for raw in text:
        try:
            batch = normalise_line(json.loads(raw))  # the importer's own choice of normaliser
        except (RecordError, ValueError):
            expected_rejections += 1
            continue
        expected_posts |= {post.platform_id for post in batch.posts}
        expected_rejections += len(batch.rejected)

    summary = import_file(path, url=url)  # must not raise, whatever the input

    database = url.removeprefix("sqlite:///")
    con = sqlite3.connect(database)
    try:
        kept = con.execute(
            "SELECT count(*), min(length(reason)) FROM rejected_record WHERE location LIKE ?", (f"{path.name}:%",)
        ).fetchone()
        stored = {row[0] for row in con.execute("SELECT platform_id FROM post")}
    finally:
        con.close()
    assert summary.lines == len(text)
    assert summary.rejected == expected_rejections == kept[0]
    assert kept[0] == 0 or kept[1] > 0  # every rejection has its reason
    assert expected_posts <= stored  # every usable post is in, whole
    check_integrity(database)
    TALLY.bad_input("mutated real API pages and cut-off lines through import-jsonl (hypothesis)", len(text))


question_fields = st.fixed_dictionaries(
    {
        "session": st.sampled_from(["opening", "panel-1", "Opening of the conference", "", "no-such-session"])
        | st.text(max_size=20),
        "question": st.text(max_size=300) | st.sampled_from(HOSTILE) | st.just("x" * 2500),
        "name": st.text(max_size=30) | st.sampled_from(HOSTILE),
        "group": st.sampled_from(["", "civil_society", "Civil society", "nonsense"]) | st.text(max_size=10),
        "votes": st.sampled_from(["", "0", "12", "-3", "1e3", "9" * 30]) | st.text(max_size=5),
        "status": st.sampled_from(["", "pending", "approved", "answered", "on screen", "bogus"]),
        "created_at": st.sampled_from(
            ["", "2018-04-23T10:15:00", "2018-04-23 10:15", "yesterday", "2018-04-23T10:15:00+05:00", "9999-99-99"]
        ),
    }
)


@pytest.fixture(scope="module")
def question_db(tmp_path_factory):
    return event_db(tmp_path_factory, "question-properties")


@seed(SEED)
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(question_fields, min_size=1, max_size=12), st.binary(max_size=200))
def test_any_questions_csv_is_stored_or_rejected_row_by_row(question_db, rows, garbage):
    folder, url = question_db
    path = folder / f"questions-{next(COUNTER)}.csv"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass") + garbage)
    database = url.removeprefix("sqlite:///")
    before = _count(database, "SELECT count(*) FROM question")
    try:
        summary = import_questions(path, url=url)
    except RowError as error:  # only a file-level problem (its header) stops an import
        assert str(error).startswith(path.name)
        TALLY.bad_input("question CSVs refused whole for their header (hypothesis)")
        return
    assert summary.rows == summary.new + summary.updated + summary.duplicates + summary.rejected
    assert summary.rows >= len(rows)
    assert (
        _count(database, "SELECT count(*) FROM rejected_record WHERE location LIKE ?", f"{path.name}:%")
        == summary.rejected
    )
    assert _count(database, "SELECT count(*) FROM question") == before + summary.new
    check_integrity(database)
    TALLY.bad_input("generated question CSV rows through import-questions (hypothesis)", summary.rows)


def _count(database: str, query: str, *args) -> int:
    con = sqlite3.connect(database)
    try:
        return con.execute(query, args).fetchone()[0]
    finally:
        con.close()
