"""The import's reading process (engagement.collection.readahead) and what it leaves out (jsonl.Shaper): the
database ends up exactly as when every line is parsed in-process and every repeated copy is stored."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from engagement.collection import jsonl
from engagement.collection.readahead import ChildFailed, readahead
from engagement.demo import write_collection
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.sync import sync_event
from engagement.storage import db
from engagement.storage.models import Author

from .helpers import real_data
from .helpers.worker import snapshot

pytestmark = pytest.mark.both_databases


def second_database(dialect, tmp_path, request):
    if dialect == "postgresql":
        from .helpers import prepare_event

        return request.getfixturevalue("postgres_server").database(prepare=prepare_event)
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    with db.writing(url) as session:
        sync_event(session)
    return url


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    path, _ = write_collection(tmp_path_factory.mktemp("readahead") / "posts.jsonl", posts=2_000, seed=5)
    return path


@pytest.fixture(scope="module")
def x_collection(tmp_path_factory):
    """X only: twarc2 pages repeat their authors' profiles (the other networks' lines do not)."""
    path, _ = write_collection(
        tmp_path_factory.mktemp("readahead-x") / "posts.jsonl", posts=2_000, seed=5, bluesky_share=0, mastodon_share=0
    )
    return path


def test_reading_process_and_left_out_copies_change_nothing(
    db_url, dialect, tmp_path, request, monkeypatch, collection
):
    reference = second_database(dialect, tmp_path, request)
    # The reference: parsed in this process, every copy stored, every new author classified by the
    # writer.
    monkeypatch.setattr(jsonl, "READAHEAD_BYTES", 1 << 62)
    monkeypatch.setattr(jsonl.Shaper, "repeated", lambda self, kind, item: False)
    monkeypatch.setattr(jsonl, "classify_new", lambda classifier, user: None)
    plain = jsonl.import_file(collection, url=reference)
    monkeypatch.undo()
    monkeypatch.setenv("DATABASE_URL", db_url)

    # Parsed in a reading process, repeated copies left out, profiles classified there.
    monkeypatch.setattr(jsonl, "READAHEAD_BYTES", 0)
    summary = jsonl.import_file(collection, url=db_url)

    assert summary.store.posts_new == plain.store.posts_new == 2_000
    assert summary.store.duplicates == plain.store.duplicates
    assert summary.rejected == plain.rejected
    assert snapshot(db_url) == snapshot(reference)
    if dialect == "postgresql":
        request.getfixturevalue("postgres_server").drop(reference)


def test_the_reading_process_classifies_new_authors_as_the_writer_would(db_url, collection, monkeypatch):
    """Every author's group, source and organisation after an import whose profiles were classified
    in its reading process, as the classifier gives them for the stored author; and the writer did
    not classify them again."""
    monkeypatch.setattr(jsonl, "READAHEAD_BYTES", 0)
    calls = []
    classify = Classifier.classify
    monkeypatch.setattr(Classifier, "classify", lambda self, **kw: calls.append(kw) or classify(self, **kw))
    jsonl.import_file(collection, url=db_url)
    by_writer = list(calls)
    with db.reading(db_url) as session:
        classifier = Classifier.from_database(session)
        authors = session.exec(select(Author)).all()
        got = {a.platform_user_id: (a.group_key, a.group_source, a.organisation) for a in authors}
        wanted = {a.platform_user_id: tuple(classifier.classify_author(a)) for a in authors}
    assert got == wanted
    assert {source for _, source, _ in got.values()} >= {"directory", "rule", "unclassified"}
    # Those the writer classified are authors with no profile in the file (only their id is known).
    profiled = [a for a in authors if a.profile_known]
    assert len(profiled) > 100 and not [c for c in by_writer if c.get("bio") or c.get("display_name")]


def test_repeated_copies_are_left_out(x_collection):

    shaper = jsonl.Shaper(Attributor([]), "sqlite")
    stored = {"post": 0, "user": 0}
    left_out = {"post": 0, "user": 0}
    repeated = shaper.repeated

    def counting(kind, item):
        result = repeated(kind, item)
        (left_out if result else stored)[kind] += 1
        return result

    shaper.repeated = counting
    lines = list(jsonl.read_lines(x_collection))
    for start in range(0, len(lines), 10):
        jsonl.prepare(lines[start : start + 10], shaper)
    # Every page repeats its authors' profiles: most are left out, each author's first is kept.
    assert left_out["user"] > 5 * stored["user"] > 0
    assert left_out["post"] > 0 and stored["post"] > 0


def _numbers(count):
    yield from range(count)


def _fails_after(count):
    yield from range(count)
    raise ValueError("line 3 is not what it seems")


def _dies():
    yield 1
    os._exit(3)


def test_readahead_yields_everything_in_order():
    assert list(readahead(_numbers, 1_000, depth=2)) == list(range(1_000))


def test_an_error_in_the_reading_process_is_raised_here():
    seen = []
    with pytest.raises(ValueError, match="line 3"):
        for item in readahead(_fails_after, 3):
            seen.append(item)
    assert seen == [0, 1, 2]


def test_a_reading_process_that_dies_is_reported():
    with pytest.raises(ChildFailed, match="exit code 3"):
        list(readahead(_dies))


def test_a_shaped_row_lines_up_with_its_columns():
    from engagement.collection.store import JSON_FIELDS, SHAPED_COLUMNS, shape, time_writer
    from engagement.collection.x.normalise import normalize

    page = jsonl.parse_line(next(iter(jsonl.read_lines(real_data("brexit.jsonl"))))[1])
    record = normalize(page).posts[0]
    row, entities = shape(record, Attributor([]), time_writer("sqlite"))
    values = dict(zip(SHAPED_COLUMNS, row, strict=True))
    for name in SHAPED_COLUMNS:
        if name in JSON_FIELDS:
            assert json.loads(values[name]) == getattr(record, name), name
        elif name not in ("platform", "created_at", "session_id"):
            assert values[name] == getattr(record, name), name
    assert values["created_at"] == record.created_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    assert entities == sorted(
        {("hashtag", t.lower()) for t in record.hashtags} | {("mention", m.lower()) for m in record.mentions}
    )


def test_the_reading_process_never_runs_the_parents_main_script(tmp_path):
    # A Streamlit page or the worker's command line must not run a second time in the child.
    marks = tmp_path / "marks"
    script = tmp_path / "main.py"
    script.write_text(
        "import sys\n"
        f"open({str(marks)!r}, 'a').write('ran\\n')\n"
        "from engagement.collection.readahead import readahead\n"
        "from tests.test_import_readahead import _numbers\n"
        "print(sum(readahead(_numbers, 100)))\n"
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4950"
    assert marks.read_text() == "ran\n"


def _page(when, post_id, likes):
    """A search page whose one post quotes post 900 (a context post with ``likes``)."""
    return {
        "data": [
            {
                "id": post_id,
                "text": "#cthb18 quoting",
                "created_at": "2018-04-23T08:00:00.000Z",
                "author_id": "11",
                "edit_history_tweet_ids": [post_id],
                "referenced_tweets": [{"type": "quoted", "id": "900"}],
            }
        ],
        "includes": {
            "tweets": [
                {
                    "id": "900",
                    "text": "the original",
                    "created_at": "2018-04-20T08:00:00.000Z",
                    "author_id": "12",
                    "edit_history_tweet_ids": ["900"],
                    "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": likes, "quote_count": 3},
                }
            ],
            "users": [{"id": "11", "username": "a", "name": "A"}, {"id": "12", "username": "b", "name": "B"}],
        },
        "__twarc": {"retrieved_at": when},
    }


def test_nothing_is_left_out_once_retrieval_times_go_backwards(db_url, tmp_path):
    # Line 2 was fetched before line 1. The writer stores a batch in retrieval order, so line 3 (the
    # latest, identical in its context post to line 2) decides the context post's likes: 1, not 5.
    lines = [
        _page("2018-04-23T10:00:00+00:00", "901", 5),
        _page("2018-04-23T09:00:00+00:00", "902", 1),
        _page("2018-04-23T11:00:00+00:00", "903", 1),
    ]
    path = tmp_path / "backwards.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    summary = jsonl.import_file(path, url=db_url)
    assert summary.store.posts_new == 3 and summary.rejected == 0
    with db.reading(db_url) as session:
        from engagement.storage.models import Post

        assert session.exec(select(Post.likes).where(Post.platform_id == "900")).one() == 1
