"""Feed a collection into the database in simulated real time, so the live view moves in a demo.

The file's pages are split into one message per post (as the filtered stream would deliver them;
a Mastodon status with the thread its page holds above it), sorted by time, and stored when the simulated clock passes them. The clock itself is kept in the
database (``flags.REPLAY_CLOCK``) so the app shows the agenda as it stood at that moment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from engagement.collection.bluesky import normalise as bluesky
from engagement.collection.jsonl import normalise_line, parse_line, read_lines
from engagement.collection.lines import Overlong
from engagement.collection.mastodon import normalise as mastodon
from engagement.collection.questions import QuestionImportSummary, read_rows, store_rows
from engagement.collection.records import RecordError
from engagement.collection.store import StoreCounts, forget_posts, store_posts
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import load_event
from engagement.storage import db, flags
from engagement.timeutil import UTC, parse_api_time, to_utc

log = logging.getLogger(__name__)


@dataclass
class Message:
    created_at: datetime
    page: dict | list


def split_page(page: dict) -> Iterator[Message]:
    """One stream-like message per post of a search page, carrying only the includes it needs."""
    data = page.get("data")
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return
    includes = page.get("includes") or {}
    users = {u.get("id"): u for u in includes.get("users", []) if isinstance(u, dict)}
    tweets = {t.get("id"): t for t in includes.get("tweets", []) if isinstance(t, dict)}
    by_handle = {u.get("username"): u for u in users.values()}
    for tweet in data:
        try:
            created_at = parse_api_time(tweet["created_at"])
        except (KeyError, TypeError, ValueError):
            continue  # the importer, not the replay, reports malformed posts
        wanted_tweets = [tweets[r["id"]] for r in tweet.get("referenced_tweets", []) if r.get("id") in tweets]
        wanted_users = {tweet.get("author_id")} | {t.get("author_id") for t in wanted_tweets}
        message_users = [users[u] for u in wanted_users if u in users]
        for mention in tweet.get("entities", {}).get("mentions", []):
            user = by_handle.get(mention.get("username"))
            if user is not None and user not in message_users:
                message_users.append(user)
        message = {"data": tweet, "includes": {"users": message_users, "tweets": wanted_tweets}}
        if "__demo" in page:
            message["__demo"] = page["__demo"]
        yield Message(created_at, message)


def _bluesky_time(item: dict) -> datetime | None:
    """When a Bluesky post view or Jetstream event happened, or None (the importer reports it)."""
    if "time_us" in item and isinstance(item["time_us"], int):
        return datetime.fromtimestamp(item["time_us"] / 1_000_000, UTC)
    view: dict = item["post"] if isinstance(item.get("post"), dict) else item
    try:
        return parse_api_time(view["record"]["createdAt"])
    except (KeyError, TypeError, ValueError):
        return None


def _mastodon_time(status: object) -> datetime | None:
    """When a Mastodon status was written, or None (the importer reports it)."""
    try:
        return parse_api_time(status["created_at"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None


def _with_parents(statuses: list) -> Iterator[tuple[datetime, list]]:
    """Each status of a page with the thread above it as far as the page holds it: the normaliser
    resolves a reply's local ``in_reply_to_id`` only within its page (ids are the instance's own),
    so a status alone would lose its parent. The parents, stored already, come in as duplicates."""
    by_id = {s["id"]: s for s in statuses if isinstance(s, dict) and isinstance(s.get("id"), str)}
    for status in statuses:
        created_at = _mastodon_time(status)
        if created_at is None:
            continue
        thread, seen = [status], {id(status)}
        parent = by_id.get(status.get("in_reply_to_id"))
        while parent is not None and id(parent) not in seen:
            thread.append(parent)
            seen.add(id(parent))
            parent = by_id.get(parent.get("in_reply_to_id"))
        yield created_at, thread


def split_mastodon(obj: dict | list) -> Iterator[Message]:
    """One message per status of a Mastodon line: a page (a list of statuses) gives pages of one
    (with its thread: ``_with_parents``), a recorded response (``{method, uri, status, body, …}``)
    responses of one, keeping its request, its time and the demo's marker; a status is one message
    as it is."""
    shape = mastodon.shape_of(obj)
    if shape == "status":
        created_at = _mastodon_time(obj)
        if created_at is not None:
            yield Message(created_at, obj)
    elif shape == "page" and isinstance(obj, list):
        for created_at, thread in _with_parents(obj):
            yield Message(created_at, thread)
    elif shape == "responses":
        for response in obj:
            yield from split_mastodon(response)
    elif shape == "response" and isinstance(obj, dict):
        body = obj.get("body")
        statuses = [body] if mastodon.shape_of(body) == "status" else body if isinstance(body, list) else []
        if not statuses or str(obj.get("method", "GET")).upper() != "GET":
            return  # an error, a description, a deletion: nothing to pace
        for created_at, thread in _with_parents(statuses):
            yield Message(created_at, {**obj, "body": thread})


def split_line(obj: dict) -> Iterator[Message]:
    """One message per post of a line of any network: X pages as ``split_page``; a Bluesky page one
    message per view, a Jetstream event as it is; Mastodon's as ``split_mastodon``."""
    if mastodon.shape_of(obj) != "unknown":
        yield from split_mastodon(obj)
        return
    if "data" in obj:
        yield from split_page(obj)
        return
    shape = bluesky.shape_of(obj)
    items = [obj] if shape in ("jetstream", "post") else obj.get("posts") or obj.get("feed") or []
    for item in items if shape != "unknown" else ():
        created_at = _bluesky_time(item) if isinstance(item, dict) else None
        if created_at is not None:
            message = item if shape == "jetstream" else {"posts": [item]}
            if "__demo" in obj:
                message = {**message, "__demo": obj["__demo"]}
            yield Message(created_at, message)


def load_messages(path: Path) -> list[Message]:
    messages: list[Message] = []
    for number, line in read_lines(path):
        if isinstance(line, Overlong):
            log.warning("%s:%d: skipped: a line of %d bytes is no page of posts", path.name, number, line.size)
            continue
        if not line.strip():
            continue
        try:
            page = parse_line(line)
            if isinstance(page, list) and mastodon.shape_of(page) != "unknown":
                messages.extend(split_mastodon(page))
                continue
            if not isinstance(page, dict):
                # Valid JSON that is no page (a list, a number): split_page would fail on .get().
                raise RecordError(f"a JSON {type(page).__name__}, not an object")
            messages.extend(split_line(page))
        except RecordError as error:
            # A replay only animates a collection; `import-jsonl` keeps such lines as rejected records.
            log.warning("%s:%d: skipped: %s", path.name, number, error)
    messages.sort(key=lambda m: m.created_at)
    return messages


def store_messages(messages: list[Message], url: str | None = None) -> StoreCounts:
    counts = StoreCounts()
    if not messages:
        return counts

    def write() -> StoreCounts:
        with db.writing(url) as session:
            classifier = Classifier.from_database(session)
            attributor = Attributor.from_database(session, load_event().grace)
            posts, users, deleted = [], [], []
            for message in messages:
                batch = normalise_line(message.page)
                posts.extend(batch.posts)
                users.extend(batch.users)
                deleted.extend(batch.deleted)
            counts = store_posts(session, posts, users, classifier=classifier, attributor=attributor)
            if deleted:
                counts.posts_deleted += forget_posts(session, deleted)
            if any(isinstance(m.page, dict) and "__demo" in m.page for m in messages):
                flags.mark_demo(session)  # after the posts, as the import does: no row lock held while waiting
            return counts

    counts.add(db.retry_locked(write))
    return counts


def load_questions(path: Path, zone: str) -> list[tuple[datetime, tuple[str, dict]]]:
    """Question rows in time order; a row without a readable time goes first (the importer judges it)."""
    timed = []
    for where, row in read_rows(path):
        try:
            moment = to_utc(datetime.fromisoformat((row.get("created_at") or "").replace("Z", "+00:00")), zone)
        except ValueError:
            moment = datetime.min.replace(tzinfo=UTC)
        timed.append((moment, (where, row)))
    timed.sort(key=lambda item: item[0])
    return timed


def store_questions(rows: list[tuple[str, dict]], zone: str, url: str | None = None) -> None:
    if rows:
        with db.writing(url) as session:
            store_rows(session, rows, origin="demo", zone=zone, summary=QuestionImportSummary())


def replay(
    path: Path,
    *,
    speed: float = 60.0,
    start: datetime | None = None,
    skip_gaps: timedelta | None = None,
    questions: Path | None = None,
    url: str | None = None,
    tick: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> StoreCounts:
    """Store every post of ``path``, those after ``start`` paced at ``speed`` × real time.

    ``questions``: a questions CSV whose rows arrive by their ``created_at`` on the same clock.
    ``skip_gaps``: when the next post is further away than this, jump the clock to it (nights).
    """
    zone = load_event().time_zone
    asked = load_questions(Path(questions), zone) if questions else []
    messages = load_messages(Path(path))
    total = StoreCounts()
    if not messages:
        return total
    clock = to_utc(start) if start else messages[0].created_at
    position = 0
    while position < len(messages) and messages[position].created_at <= clock:
        position += 1
    total.add(store_messages(messages[:position], url))
    asked_position = sum(1 for moment, _ in asked if moment <= clock)
    store_questions([row for _, row in asked[:asked_position]], zone, url)
    log.info(
        "replay: %d posts up to %s stored at once; %d to go at %gx",
        position,
        clock.isoformat(),
        len(messages) - position,
        speed,
    )
    with db.writing(url) as session:
        flags.set_replay_clock(session, clock)
    last = time.monotonic()
    while (position < len(messages) or asked_position < len(asked)) and not should_stop():
        sleep(tick)
        now = time.monotonic()
        clock += timedelta(seconds=(now - last) * speed)
        last = now
        upcoming = min(
            [m.created_at for m in messages[position : position + 1]]
            + [moment for moment, _ in asked[asked_position : asked_position + 1]]
        )
        if skip_gaps and upcoming - clock > skip_gaps:
            clock = upcoming
        end = position
        while end < len(messages) and messages[end].created_at <= clock:
            end += 1
        total.add(store_messages(messages[position:end], url))
        position = end
        asked_end = asked_position
        while asked_end < len(asked) and asked[asked_end][0] <= clock:
            asked_end += 1
        store_questions([row for _, row in asked[asked_position:asked_end]], zone, url)
        asked_position = asked_end
        with db.writing(url) as session:
            flags.set_replay_clock(session, clock)
    return total
