"""The import's fast paths give what the slow ones they stand in for give: Mastodon's HTML read by
one regular expression as ``html.parser`` reads it, hosts told as ``urlsplit`` tells them, and the
reading process's chunks arriving in the writer as they were sent (MessagePack, or pickled where
MessagePack cannot hold a value)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest

from engagement.collection import jsonl
from engagement.collection.mastodon import normalise as mastodon
from engagement.collection.mastodon import plaintext
from engagement.collection.readahead import readahead
from engagement.collection.records import Batch, Rejection
from engagement.rules.attribution import Attributor

DATA = Path(__file__).parent / "data"

# Markup each path must agree on, beside the recorded statuses: entities in text and attributes,
# both quotes, self-closing tags, upper case, stray and misnested tags, and forms only html.parser reads.
TRICKY = [
    '<p>Hello <a href="https://ex.org/@a" class="u-url mention">@<span>a</span></a> &amp; you&#39;re<br/>in</p>',
    "<P CLASS='x'>Up<BR>per</P><p>two</p>",
    '<a href="https://ex.org/?a=1&amp;b=2">q</a> &lt;3 &copy &notanentity;',
    '<span class="invisible">https://</span><span class="ellipsis">ex.org/long</span><span class="invisible">x</span>',
    "<p>open <b>bold <i>both</b> after</i></p></div>",
    '<p class="quote-inline">RE: <a href="https://ex.org/1">x</a></p><p>said</p>',
    "a < b and c > d",  # a "<" that opens no tag
    "<!-- a comment --><p>after</p>",
    '<a href=https://unquoted.example>u</a><input disabled><p data-x="1" data-x="2">dup</p>',
    "<script>if (a<b) alert(1)</script><style>p{}</style><p>shown</p>",
    '<p\xa0class="nbsp">NBSP is no space in HTML</p>',
    "<p>\x00control\x07s</p>",
    "text only &amp; an entity at the end &amp",
]


def _pieces() -> set[str]:
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("content", "note") and isinstance(item, str):
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in (DATA / "mastodon").glob("*.json"):
        walk(orjson.loads(path.read_bytes()))
    return {piece for piece in found if "<" in piece or "&" in piece}


def test_mastodon_html_is_read_as_html_parser_reads_it():
    recorded = _pieces()
    assert len(recorded) > 20
    fast = 0
    for html in sorted(recorded) + TRICKY:
        assert plaintext._parsed(html) == plaintext._parsed_by_html_parser(html), html
        fast += plaintext._tokenized(html) is not None
    # Every recorded piece takes the fast path; the forms it does not read go to html.parser.
    assert all(plaintext._tokenized(html) is not None for html in recorded)
    assert plaintext._tokenized("a < b") is None and plaintext._tokenized("<!-- c --><p>x</p>") is None
    assert plaintext._tokenized("<a href=unquoted>u</a>") is None and plaintext._tokenized("<script>x</script>") is None
    assert len(recorded) <= fast < len(recorded) + len(TRICKY)


@pytest.mark.parametrize(
    "url",
    [
        "https://Mastodon.Social/@a/1",
        "http://x.org",
        "https://x.org?q",
        "https://x.org#f",
        "https:///path",
        "https://user@host/x",
        "https://host:443/",
        "https://[::1]/",
        "https://[bad/",
        "https://ho\tst/",
        "https://host\n",
        "HTTPS://Host/",
        "https://bücher.example/",
        "https://h%41/x",
        " https://padded/",
        "mailto:a@b",
    ],
)
def test_a_host_is_what_urlsplit_says(url):
    try:
        expected = urlsplit(url).hostname
    except ValueError:
        expected = None
    assert mastodon._host(url) == (expected.lower() if expected else None)


@pytest.fixture(scope="module")
def chunks():
    """The prepared lines of recorded X, Bluesky and Mastodon files, as the reading process makes them."""
    files = sorted((DATA / "x-api-v2").glob("*.jsonl")) + sorted((DATA / "mastodon").glob("*.json"))[:3]
    files += sorted((DATA / "bluesky").glob("*.json*"))
    prepared = []
    for path in files:
        prepared.extend(jsonl.prepared_lines(path, 0, Attributor([]), "sqlite"))
    assert sum(len(line.batch.posts) for chunk in prepared for line in chunk if line.batch) > 20
    return prepared


def test_chunks_reach_the_writer_as_they_were_sent(chunks):
    for chunk in chunks:
        sent = jsonl.encode_chunk(chunk)
        assert sent[:1] == b"M"  # MessagePack
        assert jsonl.decode_chunk(sent) == chunk
    post = next(line.batch.posts[0] for chunk in chunks for line in chunk if line.batch and line.batch.posts)
    received = jsonl.decode_chunk(jsonl.encode_chunk([jsonl.PreparedLine(1, 10, batch=Batch(posts=[post]))]))
    assert received[0].batch.posts[0].created_at == post.created_at and post.created_at.tzinfo is not None
    assert type(received[0].batch.posts[0].shaped[0]) is tuple  # a row, as the store appends to it


def test_a_value_messagepack_cannot_hold_goes_pickled():
    huge = jsonl.PreparedLine(7, 40, batch=Batch(rejected=[Rejection("data[0]", "bad", {"count": 10**30})]))
    sent = jsonl.encode_chunk([huge])
    assert sent[:1] == b"P"
    assert jsonl.decode_chunk(sent) == [huge]


def _lines(path: str):
    yield from jsonl.prepared_lines(Path(path), 0, Attributor([]), "sqlite")


def test_the_reading_process_sends_chunks_encoded(chunks, tmp_path):
    path = tmp_path / "mixed.jsonl"
    with path.open("wb") as out:
        for source in sorted((DATA / "mastodon").glob("*.json"))[:2]:
            out.write(orjson.dumps(orjson.loads(source.read_bytes())) + b"\n")
    expected = list(_lines(str(path)))
    received = list(readahead(_lines, str(path), encode=jsonl.encode_chunk, decode=jsonl.decode_chunk))
    assert received == expected and any(line.batch and line.batch.posts for chunk in received for line in chunk)


@pytest.mark.parametrize(
    ("size", "took", "expected"),
    [
        (5_000, 0.5, 10_000),  # fast: at most twice the last
        (10_000, 1.5, 13_333),  # what takes about WRITE_SECONDS at that pace
        (20_000, 0.1, 20_000),  # never past MAX_BATCH_POSTS
        (10_000, 8.0, 5_000),  # slow (a loaded machine): back to BATCH_POSTS, never under
        (5_000, 0.0, 10_000),
    ],
)
def test_a_batch_is_sized_to_a_write_of_about_two_seconds(size, took, expected):
    assert (jsonl.WRITE_SECONDS, jsonl.BATCH_POSTS, jsonl.MAX_BATCH_POSTS) == (2.0, 5_000, 20_000)
    assert jsonl.next_batch_size(size, took) == expected


def test_the_last_posts_of_a_file_are_written_in_smaller_batches(db_url, demo_files, monkeypatch):
    # Full batches until the rest of the file holds fewer posts than the batch in hand, then about
    # halves: the last batch, written after the reading process is done, is a small one.
    monkeypatch.setattr(jsonl, "BATCH_POSTS", 1000)
    monkeypatch.setattr(jsonl, "TAIL_POSTS", 100)
    written: list[int] = []
    store_batch = jsonl._store_batch

    def spy(session, batch, *args):
        written.append(sum(len(item.batch.posts) + 1 for item in batch if item.batch))
        return store_batch(session, batch, *args)

    monkeypatch.setattr(jsonl, "_store_batch", spy)
    posts, _ = demo_files
    summary = jsonl.import_files([posts], url=db_url, progress=False)
    assert sum(written) > 3000 and summary.store.posts_new > 0 and summary.rejected == 0, written
    written = [count for count in written if count]  # the last commit may only mark the file done
    full, tail = written[:2], written[-4:]
    assert min(full) >= 1000 and max(tail) < 1000 and written[-1] < 400, written
