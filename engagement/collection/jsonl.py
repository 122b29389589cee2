"""Import files of posts (plain or ``.gz``), read as a stream so memory stays flat: twarc2 JSONL
(X), Bluesky AppView pages and Jetstream captures, Mastodon statuses (a JSON array, JSONL, or
recorded ``*.bodies.json`` responses), the format told line by line (``normalise_line``).

Every line is stored or kept aside as a RejectedRecord with ``file:line`` and the reason. Rows are
committed in batches together with the file's resume point, so a run that is killed resumes
after the last committed line; a file imported again in full changes nothing.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import logging
import pickle
import re
import sys
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, cast

import msgspec
import orjson
from sqlmodel import Session

from engagement.collection import fastjson
from engagement.collection.bluesky import normalise as bluesky
from engagement.collection.lines import Overlong, batched, bounded_lines
from engagement.collection.mastodon import normalise as mastodon
from engagement.collection.readahead import readahead
from engagement.collection.store import (
    StoreCounts,
    classify_new,
    forget_posts,
    rename_authors,
    shape,
    store_posts,
    time_writer,
)
from engagement.collection.x.normalise import Batch, RecordError, normalise_user, normalize, retrieved_at
from engagement.collection.x.normalise import shape_of as x_shape
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import load_event
from engagement.rules.reasons import Reasons
from engagement.storage import db, flags, runs

log = logging.getLogger(__name__)
SOURCE = "import-jsonl"
BATCH_POSTS = 5000  # posts per transaction: short enough for readers and question writers beside it
# A run's first two batches hold BATCH_POSTS (its first figures come soon; a run resumed after a kill
# commits within seconds); after them each batch is sized so that its write takes about
# WRITE_SECONDS, from the time the last one took, up to MAX_BATCH_POSTS. Fewer, larger transactions
# count the rollups and write the indexes' pages once for more posts: 50,000 demo posts, writer CPU
# 11.4 s in batches of 5,000, 9.9 s in batches of 20,000 (load ≈ 8). A write holds the database for
# at most a few seconds, far under the 30 s other writers wait (db.BUSY_TIMEOUT_MS).
WRITE_SECONDS = 2.0
MAX_BATCH_POSTS = 20_000
FIXED_BATCHES = 2
TAIL_POSTS = 2000  # the least a batch holds towards the end of a file (``near_the_end``)
CHUNK_LINES = 10  # lines prepared at a time (a search page is one line)
# What the reading process hands on at a time: lines holding at least CHUNK_POSTS posts. It may run
# READ_AHEAD_CHUNKS ahead, more than a largest batch's posts, so that it reads on while the writer
# writes. With 2 chunks of 10 lines (about 150 demo posts) it stopped within a second of every
# write: the two processes took turns, not sides, and an import of 50,000 posts took about as long
# as both halves' CPU put together (21.7 s wall against 11.1 s writer, 8.9 s reader).
CHUNK_POSTS = 1000
READ_AHEAD_CHUNKS = MAX_BATCH_POSTS // CHUNK_POSTS + 2
# A full-archive page of 500 posts with its includes is a few MB; a longer line is no page of ours
# (a corrupt file, or one without line ends) and is rejected without being held in memory.
MAX_LINE_BYTES = 64 << 20
READAHEAD_BYTES = 4 << 20  # below this, starting a reading process costs more than it saves
UNKNOWN_LINE = (
    "not an X API v2 page, stream message or post, a Bluesky AppView page or post, a Jetstream event, "
    "nor a Mastodon status, page or recorded response"
)


@dataclass
class ImportSummary:
    lines: int = 0
    skipped_lines: int = 0  # already committed by an interrupted earlier run
    rejected: int = 0
    api_errors: int = 0
    store: StoreCounts = field(default_factory=StoreCounts)

    def as_dict(self) -> dict[str, int]:
        return {
            "lines": self.lines,
            "skipped_lines": self.skipped_lines,
            **self.store.as_dict(),
            "rejected": self.rejected,
            "api_errors": self.api_errors,
        }


def _packed(path: Path) -> bool:
    """Whether ``path`` is gzip, told by its first bytes whatever its name."""
    with path.open("rb") as probe:
        return probe.read(2) == b"\x1f\x8b"


def _open(path: Path):
    return gzip.open(path, "rb") if _packed(path) else path.open("rb")


def fingerprint(path: Path) -> str:
    """Identifies a file by its first 64 KiB, so a resume point is never applied to another file."""
    with _open(path) as handle:
        return hashlib.sha1(handle.read(65536)).hexdigest()[:16]


def read_lines(path: Path, limit: int | None = None) -> Iterator[tuple[int, bytes | Overlong]]:
    """The file's lines, numbered from 1; for a file that is one JSON document spread over lines (a
    JSON array of posts, a pretty-printed response), its items (or the document) instead, numbered
    from 1 in the same way. A JSON array of Mastodon statuses is one page, line 1: a reply names
    its parent by an id local to the instance, known only within the page."""
    document = read_document(path)
    if document is not None:
        if mastodon.shape_of(document) == "page":
            yield 1, orjson.dumps(document)
            return
        yield from enumerate((orjson.dumps(item) for item in document), start=1)
        return
    with _open(path) as handle:
        yield from enumerate(bounded_lines(handle, limit or MAX_LINE_BYTES), start=1)


def read_document(path: Path) -> list | None:
    """The items of a file that is one JSON document over several lines, else None (JSON lines).
    Told apart by the first line: "[" or "{" alone starts a document (as json.dump(indent=…) and
    the AppView's responses saved by hand write them); a JSON line is a whole object. A document
    that does not parse, or is larger than a line may be, is read as lines, whose errors say where."""
    with _open(path) as handle:
        head = handle.read(4096)
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0].strip()
    if first not in (b"[", b"{") or path.stat().st_size > MAX_LINE_BYTES:
        return None
    with _open(path) as handle:
        try:
            document = orjson.loads(handle.read(MAX_LINE_BYTES + 1))
        except orjson.JSONDecodeError:
            return None
    return document if isinstance(document, list) else [document]


# A JSON escape of a UTF-16 surrogate: orjson refuses a lone one, the fallback parser keeps it.
LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def parse_line(line: bytes) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        pass  # the slower path below accepts more (huge integers, lone surrogates) and says what is wrong
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordError(f"not UTF-8 ({error.reason} at byte {error.start})") from None
    try:
        obj = fastjson.loads(text)
    except json.JSONDecodeError as error:
        raise RecordError(f"invalid JSON: {error.msg} at column {error.colno}") from None
    except RecursionError:
        # orjson stops at 1,024 levels; the fallback would take the whole import down with it.
        raise RecordError("JSON nested too deep to read") from None
    if LONE_SURROGATE.search(text):
        # "\ud800" alone is valid JSON but no character: no database can store it, and kept it
        # would stop the whole import (or a stream, at every restart) at the first write.
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as error:
            raise RecordError(f"a lone surrogate ({error.object[error.start]!r}) is not a character") from None
    return obj


@contextmanager
def few_collections() -> Iterator[None]:
    """Parsing allocates millions of short-lived, acyclic objects (freed by reference counting): at
    the default thresholds the cyclic collector ran every 700 allocations and re-walked every batch
    still pending, a third of parse time. Collect rarely while a file is read. The writer holds a
    batch of decoded records, each with its lists and tuples (up to 20,000 posts): at 100,000 its
    young collections walked them again and again, 0.9-1.0 s of its CPU per 200,000 demo posts, at
    1,000,000 they take 0.03 s (the reading process's 0.2 s either way)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(1_000_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _context(session: Session) -> tuple[Classifier, Attributor, Reasons]:
    event = load_event()
    return (
        Classifier.from_database(session),
        Attributor.from_database(session, event.grace),
        Reasons.from_database(session, event),
    )


class PreparedLine(msgspec.Struct, array_like=True):
    number: int
    size: int
    batch: Batch | None = None
    raw: bytes | None = None  # kept only for a rejected line (an overlong one: its start)
    reason: str | None = None
    demo: bool = False


# What the reading process sends the writer: a chunk of prepared lines as MessagePack arrays, decoded
# in C straight into the records' types. Pickled, the same chunks of 50,000 demo posts took 1.97 s
# of the reader's CPU to pickle and 2.86 s of the writer's to unpickle (108.7 MB).
_CHUNK_ENCODER = msgspec.msgpack.Encoder()
_CHUNK_DECODER = msgspec.msgpack.Decoder(list[PreparedLine])
_MSGPACK, _PICKLE = b"M", b"P"


def encode_chunk(chunk: list[PreparedLine]) -> bytes:
    """A chunk as bytes for the writer. What MessagePack cannot hold — an integer beyond 64 bits in a
    rejected record, kept as read — goes pickled instead, so nothing changes on the way."""
    try:
        return _MSGPACK + _CHUNK_ENCODER.encode(chunk)
    except (TypeError, OverflowError, ValueError):
        return _PICKLE + pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)


def decode_chunk(data: bytes) -> list[PreparedLine]:
    view = memoryview(data)[1:]
    if data[:1] == _MSGPACK:
        return _CHUNK_DECODER.decode(view)
    return pickle.loads(view)


def _remember(cache: dict, key: object, value: object, limit: int) -> None:
    """Set ``key``; at ``limit`` entries, first forget the older half (dicts keep insertion order)."""
    if len(cache) >= limit:
        for old in list(islice(cache, limit // 2)):
            del cache[old]
    cache[key] = value


class Shaper:
    """What a file's reading side does beyond parsing.

    - Serialises each post's raw JSON and shapes its row (``store.shape``), so the writer only adds
      what the database decides.
    - Leaves out expansions that are exact copies of one already handed on: every page repeats its
      authors' profiles and the posts its posts refer to (100,000 demo posts carry 150,000 copies of
      1,700 profiles, and 53,000 context posts, 30,000 of them distinct). A copy identical to the last
      one stored for its id changes nothing when stored, so leaving it out changes nothing either.
      What is remembered is a digest per post id and the profile per author, the most recent
      ``REMEMBERED`` of them, so memory stays bounded.

    "The last copy" is the last in the file, and the writer stores a batch's lines in retrieval
    order: the two agree while retrieval times never go backwards (twarc writes them in order). From
    the first line that goes back in time, nothing more is left out.
    """

    REMEMBERED = 50_000

    def __init__(self, attributor: Attributor, dialect: str, classifier: Classifier | None = None):
        self.attributor, self.stamp = attributor, time_writer(dialect)
        self.classifier = classifier
        self.classified: dict[tuple, tuple[str, str, str | None]] = {}
        self.seen: dict[str, bytes] = {}
        self.profiles: dict[str, dict] = {}
        self.latest: datetime | None = None  # the latest retrieval time so far
        self.in_order = True

    def begin_line(self, obj: object) -> None:
        when = retrieved_at(obj)
        # The writer stores a line without a time after those with one: it counts as the latest.
        when = when or datetime.max.replace(tzinfo=UTC)
        if self.latest is not None and when < self.latest:
            self.in_order = False
        self.latest = max(self.latest or when, when)

    def _digest(self, text: str | bytes) -> bytes:
        return hashlib.blake2b(text if isinstance(text, bytes) else text.encode("utf-8"), digest_size=16).digest()

    def repeated(self, kind: str, item: object) -> bool:
        """Only what was stored before counts: a record that is rejected is rejected every time."""
        if not isinstance(item, dict) or not self.in_order:
            return False
        key = f"{kind}:{item.get('id')}"
        if kind == "user":
            # Profiles are few and small: compared whole, which is cheaper than serialising them.
            if self.profiles.get(key) == item:
                return True
            try:
                normalise_user(item)
            except RecordError:
                return False
            _remember(self.profiles, key, item, self.REMEMBERED // 4)
            return False
        try:
            return self.seen.get(key) == self._digest(orjson.dumps(item))
        except (TypeError, orjson.JSONEncodeError):
            return False

    def __call__(self, batch: Batch) -> None:
        if self.classifier is not None:
            for user in batch.users:
                # A Bluesky or Mastodon post carries its author's profile every time: remembered.
                key = (user.platform_user_id, user.handle, user.display_name, user.bio)
                classified = self.classified.get(key)
                if classified is None:
                    classified = classify_new(self.classifier, user)
                    _remember(self.classified, key, classified, self.REMEMBERED // 4)
                user.classified = classified
        for post in batch.posts:
            post.raw = fastjson.dumps(post.raw)
            post.shaped = shape(post, self.attributor, self.stamp)
            # The last copy stored, collected or not, is what a later copy is compared with.
            _remember(self.seen, f"post:{post.current_id}", self._digest(post.raw), self.REMEMBERED)


def prepared_lines(
    path: Path, resume_after: int, attributor: Attributor, dialect: str, classifier: Classifier | None = None
) -> Iterator[list[PreparedLine]]:
    """The file's lines after ``resume_after``, parsed and shaped, a chunk at a time; with
    ``classifier``, each profile's group as a new author's (``store.classify_new``)."""
    shaper = Shaper(attributor, dialect, classifier)
    with few_collections():
        unread = ((number, line) for number, line in read_lines(path) if number > resume_after)
        chunk: list[PreparedLine] = []
        posts = 0
        for lines in batched(unread, CHUNK_LINES):
            for item in prepare(lines, shaper):
                chunk.append(item)
                posts += 1 + (len(item.batch.posts) if item.batch else 0)
            if posts >= CHUNK_POSTS:
                yield chunk
                chunk, posts = [], 0
        if chunk:
            yield chunk


def prepare(chunk: list[tuple[int, bytes | Overlong]], shaper: Shaper) -> list[PreparedLine]:
    """Parse, normalise and shape lines."""
    prepared = []
    for number, line in chunk:
        if isinstance(line, Overlong):
            prepared.append(
                PreparedLine(
                    number,
                    line.size,
                    raw=(line.head if isinstance(line.head, bytes) else line.head.encode()) + b"...",
                    reason=f"the line has {line.size:,} bytes; lines over "
                    f"{MAX_LINE_BYTES >> 20} MiB are not read (a corrupt file?)",
                )
            )
            continue
        if not line.strip():
            prepared.append(PreparedLine(number, len(line)))
            continue
        try:
            obj: Any = parse_line(line)
            shaper.begin_line(obj)
            batch = normalise_line(obj, shaper.repeated)
        except RecordError as error:
            prepared.append(PreparedLine(number, len(line), raw=line.rstrip(b"\r\n"), reason=str(error)))
            continue
        shaper(batch)
        prepared.append(PreparedLine(number, len(line), batch=batch, demo="__demo" in obj))
    return prepared


def normalise_line(obj: Any, repeated: Callable[[str, object], bool] | None = None) -> Batch:
    """One line (or document item) of any network, its format told by its shape: a twarc2 line
    (X: ``data``), a Mastodon status, page or recorded response (a DELETE in ``deleted``, a Bridgy
    Fed copy's Bluesky handle in ``renamed``), a Bluesky AppView page or post, a Jetstream event
    (whose delete of a post the batch carries in ``deleted``, and its handle change in ``renamed``)."""
    if isinstance(obj, dict) and "data" in obj:
        return normalize(obj, repeated)
    if mastodon.shape_of(obj) != "unknown":
        return mastodon.normalise(obj)
    shape = bluesky.shape_of(obj)
    if isinstance(obj, list) and not (obj and all(bluesky.shape_of(item) == "post" for item in obj)):
        shape = "unknown"  # a line [1, 2, 3] is one bad line, not three bad posts
    if shape == "jetstream":
        event = bluesky.normalise_jetstream(obj)
        event.batch.deleted = [(bluesky.PLATFORM, deletion.uri) for deletion in event.deletions]
        event.batch.renamed = [(bluesky.PLATFORM, u.platform_user_id, u.handle) for u in event.handles if u.handle]
        return event.batch
    if shape in ("page", "post"):
        return bluesky.normalise_page(obj)
    if x_shape(obj) == "unknown":
        raise RecordError(UNKNOWN_LINE)
    return normalize(obj, repeated)


def import_file(
    path: Path,
    *,
    url: str | None = None,
    on_line: Callable[[int], None] | None = None,
    batch_posts: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ImportSummary:
    path = Path(path)
    summary = ImportSummary()
    resume_key = f"jsonl:{path.resolve()}"
    mark = fingerprint(path)
    run_id, resume_after = _start_run(path, url, resume_key, mark)
    pending: list[PreparedLine] = []
    pending_posts = 0
    with db.reading(url) as session:
        # Built once per file: the directory and the agenda do not change under an import
        # (``ingest config`` reclassifies and reattributes afterwards if they do).
        classifier, attributor, reasons = _context(session)
        dialect = session.get_bind().dialect.name

    def write(batch: list[PreparedLine], last_line: int, done: bool) -> tuple[StoreCounts, int]:
        with db.writing(url, bulk=True) as session:
            counts = _store_batch(session, batch, classifier, attributor, reasons)
            rejected = _reject_lines(session, path, batch)
            if any(item.demo for item in batch):
                flags.mark_demo(session)
            runs.save_checkpoint(session, resume_key, f"{mark}:{last_line}" + (":done" if done else ""))
        if checkpoints is not None:
            checkpoints.committed()
        return counts, rejected

    size, commits = batch_posts or BATCH_POSTS, 0

    def flush(last_line: int, done: bool = False) -> None:
        nonlocal pending, pending_posts, size, commits
        started = time.monotonic()
        counts, rejected = db.retry_locked(partial(write, pending, last_line, done))
        summary.store.add(counts)
        summary.rejected += rejected
        commits += 1
        if batch_posts is None and commits >= FIXED_BATCHES:
            # From the posts written, not the size aimed at: a batch written early (near_the_end)
            # took less time for fewer posts, not for as many at a faster pace.
            size = next_batch_size(max(pending_posts, 1), time.monotonic() - started)
        pending, pending_posts = [], 0

    reading = _read(path, resume_after, attributor, dialect, classifier)
    summary.skipped_lines = resume_after  # committed by the earlier run

    last_line, stopped = resume_after, False
    # Where the file ends, to write its last posts in smaller batches (``near_the_end``). Not for a
    # gzip file (its lines are counted unpacked), nor a fixed batch size; a resumed run counts only
    # the lines it reads, so it shrinks its batches late or not at all.
    left = None if batch_posts or _packed(path) else path.stat().st_size
    read_bytes = read_posts = 0
    with few_collections(), db.checkpointing(url) as checkpoints:
        try:
            for item in (line for chunk in reading for line in chunk):
                last_line = item.number
                read_bytes += item.size
                if on_line:
                    on_line(item.size)
                if item.batch is None and item.reason is None:
                    continue  # an empty line
                summary.lines += 1
                if item.batch is not None:
                    summary.api_errors += _log_api_errors(path, item.number, item.batch.api_errors)
                    posts = len(item.batch.posts) + 1
                    pending_posts += posts
                    read_posts += posts
                pending.append(item)
                if pending_posts >= size or (
                    left is not None and near_the_end(pending_posts, read_posts, read_bytes, left)
                ):
                    flush(last_line)
                    if should_stop():
                        stopped = True
                        break
            else:
                flush(last_line, done=True)
        except BaseException as error:
            status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
            _finish_run(url, run_id, status, summary, repr(error))
            raise
        finally:
            reading.close()  # ends the reading process at once, whatever happened
    _finish_run(url, run_id, "interrupted" if stopped else ("rejected" if summary.rejected else "ok"), summary)
    return summary


def near_the_end(pending_posts: int, read_posts: int, read_bytes: int, file_bytes: int) -> bool:
    """Whether to write the batch in hand before it is full: once the rest of the file holds fewer
    posts than it, at the posts per byte read so far. The reading process is done before the
    writer, which then writes what it holds alone; in full batches that was the last 5,000-20,000
    posts, 0.9 s of an import of 50,000 demo posts. Halving towards the end, the last batch holds
    about TAIL_POSTS (0.1 s), for about five more commits. A file that grew while it was read has
    no end known: full batches."""
    if pending_posts < TAIL_POSTS or read_bytes <= 0 or read_bytes > file_bytes:
        return False
    return read_posts / read_bytes * (file_bytes - read_bytes) < pending_posts


def next_batch_size(size: int, took: float) -> int:
    """The size of the next batch, from the last one's and the seconds its write took: what takes
    about WRITE_SECONDS at that pace, at most twice the last, within BATCH_POSTS…MAX_BATCH_POSTS."""
    wanted = size * min(2.0, WRITE_SECONDS / took) if took > 0 else size * 2.0
    return max(BATCH_POSTS, min(MAX_BATCH_POSTS, int(wanted)))


def _start_run(path: Path, url: str | None, resume_key: str, mark: str) -> tuple[int, int]:
    """Record the run; returns its id and the last line an earlier run of this same file committed."""
    with db.writing(url) as session:
        run_id = runs.start_run(session, SOURCE, f"import-jsonl {path.name}")
        saved = runs.checkpoint(session, resume_key)
    resume_after = 0
    if saved and saved.startswith(mark + ":") and not saved.endswith(":done"):
        resume_after = int(saved.split(":")[1])
        log.info("%s: resuming after line %d committed by an earlier run", path.name, resume_after)
    return run_id, resume_after


def _read(
    path: Path, resume_after: int, attributor: Attributor, dialect: str, classifier: Classifier
) -> Generator[list[PreparedLine], None, None]:
    """The prepared lines after ``resume_after``; a large file is parsed in a process of its own
    while this one writes (see readahead). Both are generators: closing one ends its reading."""
    if path.stat().st_size >= READAHEAD_BYTES:
        reading = readahead(
            prepared_lines,
            path,
            resume_after,
            attributor,
            dialect,
            classifier,
            depth=READ_AHEAD_CHUNKS,
            encode=encode_chunk,
            decode=decode_chunk,
        )
    else:
        reading = prepared_lines(path, resume_after, attributor, dialect, classifier)
    return cast("Generator[list[PreparedLine], None, None]", reading)


def _log_api_errors(path: Path, number: int, api_errors: list) -> int:
    """Log the partial errors the API reported on line ``number``; returns how many."""
    for api_error in api_errors:
        log.warning(
            "%s:%d: the API reported: %s",
            path.name,
            number,
            api_error.get("detail") or api_error.get("title") or api_error,
        )
    return len(api_errors)


def _store_batch(
    session: Session, batch: list[PreparedLine], classifier: Classifier, attributor: Attributor, reasons: Reasons
) -> StoreCounts:
    """Store the lines' records. Lines carry their own retrieval time: each time's records are
    stored together, oldest first, so the newest metrics win."""
    counts = StoreCounts()
    # Handles first: a post by an account the event names is then known as the event's own.
    renamed = [change for item in batch if item.batch for change in item.batch.renamed]
    if renamed:
        counts.authors_renamed += rename_authors(session, renamed, classifier, reasons)
    by_time: dict[Any, tuple[list, list]] = {}
    for item in batch:
        if item.batch:
            group = by_time.setdefault(item.batch.retrieved_at, ([], []))
            group[0].extend(item.batch.posts)
            group[1].extend(item.batch.users)
    for retrieved in sorted(by_time, key=lambda t: (t is None, t or 0)):
        group_posts, group_users = by_time[retrieved]
        counts.add(
            store_posts(
                session,
                group_posts,
                group_users,
                classifier=classifier,
                attributor=attributor,
                reasons=reasons,
                metrics_at=retrieved,
            )
        )
    # After the posts: a post created and deleted in the same batch is gone too.
    deleted = [pair for item in batch if item.batch for pair in item.batch.deleted]
    if deleted:
        counts.posts_deleted += forget_posts(session, deleted)
    if renamed:
        # Again after the posts: an identity event is newer than the profiles the batch's pages carried.
        rename_authors(session, renamed, classifier)
    return counts


def _reject_lines(session: Session, path: Path, batch: list[PreparedLine]) -> int:
    """Keep aside the lines that could not be read and the records that could not be used, in one
    look-up of the locations already kept; returns how many (kept before or not)."""
    records: list[tuple[str, str, Any]] = []
    for item in batch:
        where = f"{path.name}:{item.number}"
        if item.reason is not None:
            records.append((where, item.reason, (item.raw or b"").decode("utf-8", "replace")))
        elif item.batch is not None:
            records += [(f"{where} {bad.location}".strip(), bad.reason, bad.raw) for bad in item.batch.rejected]
    if records:
        runs.reject_all(session, SOURCE, records)
    return len(records)


def _finish_run(url: str | None, run_id: int, status: str, summary: ImportSummary, error: str | None = None) -> None:
    with db.writing(url) as session:
        runs.finish_run(session, run_id, status, summary.as_dict(), error)


def import_files(
    paths: list[Path],
    *,
    url: str | None = None,
    progress: bool | None = None,
    batch_posts: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ImportSummary:
    """Import several files; a progress bar on a terminal. ``batch_posts``: every transaction that many
    posts (None: BATCH_POSTS, then sized by the pace, up to MAX_BATCH_POSTS)."""
    total = ImportSummary()
    progress = sys.stderr.isatty() if progress is None else progress
    for path in paths:
        bar = None
        if progress:
            from tqdm import tqdm  # type: ignore[import-untyped]

            bar = tqdm(
                total=Path(path).stat().st_size, unit="B", unit_scale=True, desc=Path(path).name, file=sys.stderr
            )
        try:
            summary = import_file(
                Path(path),
                url=url,
                on_line=bar.update if bar else None,
                batch_posts=batch_posts,
                should_stop=should_stop,
            )
        finally:
            if bar:
                bar.close()
        total.lines += summary.lines
        total.skipped_lines += summary.skipped_lines
        total.rejected += summary.rejected
        total.api_errors += summary.api_errors
        total.store.add(summary.store)
        if should_stop():
            break
    return total
