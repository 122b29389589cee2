"""Bluesky's stream consumer: events filtered per second, batches per second, memory over a million
events, and the seconds from a matching event arriving to the Live page counting it.

    python -m bench.bluesky_stream [--events 1000000] [--seed 20] [--samples 30] [--rate 100] [--no-postgres]

1. Throughput: a million Jetstream v1 events (written once to bench/out/ by a seeded generator from
   the shapes of the recorded events in tests/data/bluesky, then reused) replayed at full speed
   through ``read_frame`` and ``commit_batch`` (the loop of ``read_frames``, without the socket) into
   a new SQLite file, then a new PostgreSQL database. One thread: the figure is one core's.
   The resident memory is sampled every 100,000 events.
2. Latency: a local Jetstream (a real websocket) sends traffic at ``--rate`` events a second, the
   network's own pace, into ``python -m ingest bsky-stream`` as a process; now and then it sends a
   post with the event's hashtag and notes the moment, while this process runs the Live page's
   query (``live.per_minute`` over its two hours) until the post is counted.

The traffic is mostly the network's, as Jetstream sends it for ``wantedCollections=post,repost``:
posts of strangers, reposts, deletes, identity and account events; 1 event in 200 is a post with the
event's hashtag (as a facet, in ``record.tags``, as plain text, in full-width letters), some
reposts and deletes are of those posts, and a few frames are truncated.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DATA = ROOT / "tests" / "data" / "bluesky"
SAMPLE_EVERY = 100_000
FIRST_TIME_US = 1_779_719_000_000_000  # 2026-05-25 14:23 UTC, as the recorded events
# Jetstream's posts and reposts together come at about 50 to 100 a second: 80 is the pace of the
# generated time_us, and of the latency run's traffic by default.
EVENTS_PER_SECOND = 80
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# What Jetstream sends when asked for posts and reposts (identity and account events always come):
# shares chosen near the network's, with deletes of both collections among the commits.
MIX = {"post": 0.55, "repost": 0.35, "delete": 0.06, "identity": 0.025, "account": 0.015}
MATCHING_EVERY = 200  # 1 event in 200 carries the event's hashtag
# How a matching post carries the hashtag, and how often each way.
VARIANTS = {"facet": 0.60, "plain": 0.20, "tags": 0.15, "fullwidth": 0.05}
REPOST_OF_MATCHING = 0.01  # of reposts: of a post with the hashtag (a few reposts each)
DELETE_OF_MATCHING = 0.005  # of deletes: of a post with the hashtag
MALFORMED_EVERY = 200_000  # a truncated frame now and then


def tid(time_us: int, clock: int) -> str:
    """An atproto TID (13 characters, sorting as the time does) for a record key."""
    value = (time_us << 10) | (clock & 0x3FF)
    return "".join(TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def did(number: int) -> str:
    """A did:plc for account ``number``: 24 base32 characters, visibly made up (it starts "bench")."""
    digest = hashlib.blake2b(number.to_bytes(8, "little"), digest_size=12).hexdigest()
    return "did:plc:bench" + "".join(TID_ALPHABET[int(c, 16) + 10] for c in digest[:19])


def instant(time_us: int) -> str:
    return datetime.fromtimestamp(time_us / 1_000_000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def recorded() -> tuple[list[dict], dict[str, dict]]:
    """The recorded post events (templates of text, facets, replies, embeds), and one recorded
    event of each other kind (repost, identity, account)."""
    golden = [json.loads(line) for line in (DATA / "jetstream_v1_golden.jsonl").read_text().splitlines() if line]
    firehose = json.loads((DATA / "twitwi_bluesky-firehose-posts.json").read_text(encoding="utf-8"))
    posts = [e for e in golden + firehose if (e.get("commit") or {}).get("collection") == "app.bsky.feed.post"]
    others = {
        "repost": next(e for e in golden if (e.get("commit") or {}).get("collection") == "app.bsky.feed.repost"),
        "identity": next(e for e in golden if e["kind"] == "identity"),
        "account": next(e for e in golden if e["kind"] == "account"),
    }
    return posts, others


class Traffic:
    """A seeded stream of Jetstream v1 events in the recorded shapes; ``tally`` counts what it made."""

    def __init__(self, seed: int, hashtag: str, *, authors: int = 200_000, echoes: bool = True):
        self.random = random.Random(seed)
        self.echoes = echoes  # reposts and deletes of the matching posts (not when each is timed alone)
        self.hashtag = hashtag.lstrip("#")
        self.authors = authors
        posts, others = recorded()
        # Copied by parsing their JSON again: 6.5 s for 50,000 events where copy.deepcopy took 11 s.
        self.posts = [json.dumps(event) for event in posts]
        self.others = {kind: json.dumps(event) for kind, event in others.items()}
        self.matching: deque[tuple[str, str]] = deque(maxlen=500)  # (did, rkey) of recent matching posts
        self.tally: Counter[str] = Counter()
        self.variant = ""  # how the last matching post carries the tag
        self.clock = 0

    def _author(self) -> str:
        return did(self.random.randrange(self.authors))

    def _key(self, time_us: int) -> str:
        self.clock += 1
        return tid(time_us, self.clock)

    def post(self, time_us: int, *, matching: bool = False) -> dict:
        event = json.loads(self.random.choice(self.posts))
        event["did"], event["time_us"] = self._author(), time_us
        commit = event["commit"]
        commit["rkey"] = commit["rev"] = self._key(time_us)
        record = commit["record"]
        record["createdAt"] = instant(time_us - self.random.randrange(3_000_000))
        self.tally["post"] += 1
        if matching:
            self._tag(record)
            self.matching.append((event["did"], commit["rkey"]))
        elif self.random.random() < 0.01:
            record["text"] += f" #{self.hashtag}0"  # a near miss: another tag, not the event's
        return event

    def _tag(self, record: dict) -> None:
        variant = self.random.choices(list(VARIANTS), weights=list(VARIANTS.values()))[0]
        self.tally[f"matching {variant}"] += 1
        self.variant = variant
        tag = self.hashtag.upper() if self.random.random() < 0.5 else self.hashtag
        if variant == "tags":
            record["tags"] = [tag]
            return
        if variant == "fullwidth":  # NFKC folds it to the tag: Bluesky's detector makes a tag of it
            tag = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in tag)
        start = len(record["text"].encode("utf-8")) + 1
        record["text"] += f" #{tag}"
        if variant == "facet":
            end = start + len(f"#{tag}".encode())
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
            record.setdefault("facets", []).append(
                {"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}
            )

    def repost(self, time_us: int) -> dict:
        event = json.loads(self.others["repost"])
        event["did"], event["time_us"] = self._author(), time_us
        commit = event["commit"]
        commit["rkey"] = commit["rev"] = self._key(time_us)
        if self.echoes and self.matching and self.random.random() < REPOST_OF_MATCHING:
            author, rkey = self.random.choice(self.matching)
            self.tally["repost of matching"] += 1
        else:
            author, rkey = self._author(), self._key(time_us - self.random.randrange(86_400_000_000))
        commit["record"]["subject"]["uri"] = f"at://{author}/app.bsky.feed.post/{rkey}"
        commit["record"]["createdAt"] = instant(time_us - self.random.randrange(2_000_000))
        self.tally["repost"] += 1
        return event

    def delete(self, time_us: int) -> dict:
        collection = "app.bsky.feed.post" if self.random.random() < 0.6 else "app.bsky.feed.repost"
        matching = self.echoes and self.matching
        if collection == "app.bsky.feed.post" and matching and self.random.random() < DELETE_OF_MATCHING:
            author, rkey = self.matching.popleft()
            self.tally["delete of matching"] += 1
        else:
            author, rkey = self._author(), self._key(time_us - self.random.randrange(86_400_000_000))
        commit = {"rev": self._key(time_us), "operation": "delete", "collection": collection, "rkey": rkey}
        self.tally["delete"] += 1
        return {"did": author, "time_us": time_us, "kind": "commit", "commit": commit}

    def identity(self, time_us: int) -> dict:
        event = json.loads(self.others["identity"])
        event["did"] = event["identity"]["did"] = self._author()
        event["time_us"], event["identity"]["time"] = time_us, instant(time_us)
        if self.random.random() < 0.7:  # most announce a handle; some only that the DID document changed
            event["identity"]["handle"] = f"bench-{self.random.randrange(10**8)}.bsky.social"
        self.tally["identity"] += 1
        return event

    def account(self, time_us: int) -> dict:
        event = json.loads(self.others["account"])
        event["did"] = event["account"]["did"] = self._author()
        event["time_us"], event["account"]["time"] = time_us, instant(time_us)
        event["account"]["active"] = self.random.random() < 0.9
        self.tally["account"] += 1
        return event

    def background(self, time_us: int) -> dict:
        """One event of the network's traffic, never with the event's hashtag."""
        kind = self.random.choices(list(MIX), weights=list(MIX.values()))[0]
        return getattr(self, kind)(time_us)

    def frames(self, count: int) -> Iterator[str]:
        """``count`` frames as Jetstream sends them (one JSON text each), time_us increasing."""
        time_us = FIRST_TIME_US
        mean_gap = 1_000_000 // EVENTS_PER_SECOND
        for _ in range(count):
            time_us += self.random.randint(1, 2 * mean_gap)
            if self.random.randrange(MATCHING_EVERY) == 0:
                event = self.post(time_us, matching=True)
            else:
                event = self.background(time_us)
            text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
            if self.random.randrange(MALFORMED_EVERY) == 0:
                self.tally["malformed"] += 1
                text = text[: len(text) // 2]
            self.tally["events"] += 1
            yield text


def hashtag() -> str:
    from engagement.rules.event import load_event

    return load_event().hashtags[0]


def capture(events: int, seed: int) -> tuple[Path, dict[str, int]]:
    """The generated capture (one frame a line) under bench/out/ and its tally: written once, reused."""
    path = OUT / f"jetstream-{events}-seed{seed}.jsonl"
    tally_path = path.with_suffix(".tally.json")
    if path.exists() and tally_path.exists():
        return path, json.loads(tally_path.read_text())
    OUT.mkdir(parents=True, exist_ok=True)
    traffic = Traffic(seed, hashtag())
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        for text in traffic.frames(events):
            out.write(text + "\n")
    partial.rename(path)
    tally_path.write_text(json.dumps(dict(traffic.tally), indent=1))
    return path, dict(traffic.tally)


def resident_mb() -> float:
    """This process's resident memory now (not its peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def prepare(url: str) -> None:
    """The schema and the event's files, as the worker's start does."""
    from engagement.rules.sync import ensure_event
    from engagement.storage import db

    db.get_engine(url)
    with db.writing(url) as session:
        ensure_event(session)


def replay(path: Path, url: str) -> dict[str, Any]:
    """Every frame of ``path`` through read_frame, each batch through commit_batch when due."""
    from engagement.collection.bluesky.jetstream import Batches, Matcher, StreamResult, read_frame
    from engagement.rules.event import load_event
    from engagement.storage import db

    prepare(url)
    with db.reading(url) as session:
        matcher = Matcher.from_database(session, load_event())
    batches = Batches(url=url, result=StreamResult())
    # Beside each sample, the SQLite file's size: the writer's page cache (64 MiB at most,
    # db.WRITER_CACHE_KIB) holds the pages it has written, so that much of the growth is the file's.
    file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None

    def sample(number: int) -> tuple[int, int, int | None]:
        return number, round(resident_mb()), round(file.stat().st_size / 2**20) if file else None

    memory = [sample(0)]
    reading = committing = 0.0
    load = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    with path.open(encoding="utf-8") as frames:
        for number, line in enumerate(frames, 1):
            started = time.perf_counter()
            read_frame(line.rstrip("\n"), batches.pending, matcher, batches.position)
            due = batches.pending.due(time.monotonic())
            reading += time.perf_counter() - started
            if due:
                started = time.perf_counter()
                batches.flush()
                committing += time.perf_counter() - started
            if number % SAMPLE_EVERY == 0:
                memory.append(sample(number))
    started = time.perf_counter()
    batches.flush()
    committing += time.perf_counter() - started
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = batches.result
    db.dispose_engines()
    return {
        "frames": result.frames,
        "seconds": wall,
        "cpu_seconds": cpu,
        "events_per_s": result.frames / wall,
        "events_per_cpu_s": result.frames / cpu,
        "batches": result.batches,
        "batches_per_s": result.batches / wall,
        "reading_s": reading,
        "committing_s": committing,
        "counts": result.counts(),
        "memory_mb": memory,
        "load": [round(x, 2) for x in (*load, *os.getloadavg())],
    }


class LiveJetstream:
    """A local Jetstream sending the network's traffic at ``rate`` events a second to each client,
    and, when asked (``send``), a post with the event's hashtag, noting when it went out."""

    def __init__(self, traffic: Traffic, rate: float):
        from websockets.sync.server import serve

        self.traffic, self.gap = traffic, 1.0 / rate
        self.asked: queue.Queue[dict] = queue.Queue()
        self.sent_at: dict[str, float] = {}  # URI → time.time() when its frame was sent
        self.connected = threading.Event()
        self.closing = threading.Event()
        self.server = serve(self._serve, "127.0.0.1", 0, compression=None, ping_interval=None)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/subscribe"

    def send(self) -> tuple[str, str]:
        """Queue a matching post (created now) for the next frame; its URI and how it carries the tag."""
        now_us = time.time_ns() // 1000
        event = self.traffic.post(now_us, matching=True)
        event["commit"]["record"]["createdAt"] = instant(now_us - 10_000)
        self.asked.put(event)
        return f"at://{event['did']}/app.bsky.feed.post/{event['commit']['rkey']}", self.traffic.variant

    def _serve(self, connection) -> None:
        from websockets.exceptions import ConnectionClosed

        self.connected.set()
        next_at = time.monotonic()
        try:
            while not self.closing.is_set():
                try:
                    event = self.asked.get_nowait()
                except queue.Empty:
                    now = time.monotonic()
                    if now < next_at:
                        time.sleep(min(next_at - now, 0.005))
                        continue
                    next_at += self.gap
                    event = self.traffic.background(time.time_ns() // 1000)
                    connection.send(json.dumps(event, separators=(",", ":")))
                    continue
                event["time_us"] = time.time_ns() // 1000
                uri = f"at://{event['did']}/app.bsky.feed.post/{event['commit']['rkey']}"
                text = json.dumps(event, separators=(",", ":"))
                self.sent_at[uri] = time.time()
                connection.send(text)
        except ConnectionClosed:
            pass

    def __enter__(self) -> LiveJetstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.server.shutdown()


def live_count(url: str) -> int:
    """The posts the Live page counts now: its posts-per-minute chart over the last two hours."""
    from engagement.analysis import live
    from engagement.storage import db, flags

    with db.reading(url) as session:
        now = flags.now(session)
        return int(live.per_minute(session, now - timedelta(hours=2), now)["posts"].sum())


def wait_for(condition, timeout: float, every: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def latency(url: str, *, samples: int, rate: float, seed: int) -> dict[str, Any]:
    """Seconds from a matching post's frame being sent to the Live page's query counting it, for
    ``samples`` posts sent at random moments into ``python -m ingest bsky-stream``."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from engagement.storage import db
    from tests.bskysim import BlueskySimulator

    pause = random.Random(seed)
    traffic = Traffic(seed + 1, hashtag(), echoes=False)  # one post counted at a time, nothing else
    log = tempfile.NamedTemporaryFile(prefix="bench-bsky-stream-", suffix=".log", delete=False)  # noqa: SIM115
    # The worker hydrates each commit through the AppView: a local one (tests/bskysim.py, holding
    # none of these posts: each call is a round trip with an empty answer), never the network's.
    with BlueskySimulator() as appview, LiveJetstream(traffic, rate) as server:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": url,
            "JETSTREAM_URL": server.url,
            "BLUESKY_APPVIEW_URL": appview.base_url,
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "ingest", "bsky-stream"], cwd=ROOT, env=env, stdout=log, stderr=log
        )

        def ready() -> bool:
            try:
                live_count(url)
            except (OperationalError, ProgrammingError):  # before the worker has made the schema
                db.dispose_engines()
                return False
            return server.connected.is_set()

        try:
            if not wait_for(ready, 120):
                raise SystemExit(f"bsky-stream did not connect; its log: {log.name}")
            seconds: list[float] = []
            missed = 0
            load = os.getloadavg()
            missed_variants: Counter[str] = Counter()
            for _ in range(samples):
                before = live_count(url)
                uri, variant = server.send()
                if wait_for(lambda before=before: live_count(url) > before, 30, every=0.01):
                    seconds.append(time.time() - server.sent_at[uri])
                else:
                    missed += 1
                    missed_variants[variant] += 1
                time.sleep(pause.uniform(0.2, 2.0))  # a new phase against the worker's one-second batches
        finally:
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(60)
            db.dispose_engines()
        hydrations = appview.served("app.bsky.feed.getPosts")
    if code == 0:
        Path(log.name).unlink()
    else:
        print(f"bsky-stream exited {code}; its log: {log.name}", flush=True)
    seconds.sort()
    return {
        "samples": len(seconds),
        "missed": missed,
        "missed_variants": dict(missed_variants),
        "median_s": seconds[len(seconds) // 2] if seconds else None,
        "p95_s": seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))] if seconds else None,
        "max_s": seconds[-1] if seconds else None,
        "rate": rate,
        "exit": code,
        "hydrations": hydrations,
        "load": [round(x, 2) for x in (*load, *os.getloadavg())],
    }


def refresh_seconds() -> float:
    """The Live page's refresh interval, read from the page (``REFRESH = "5s"``)."""
    for line in (ROOT / "views" / "live.py").read_text().splitlines():
        if line.startswith("REFRESH ="):
            return float(line.split("=", 1)[1].strip().strip("\"'").removesuffix("s"))
    raise SystemExit("views/live.py has no REFRESH")


def run(events: int, seed: int, samples: int, rate: float, server=None) -> dict[str, Any]:
    """Every figure of this benchmark, on SQLite and, given a tests.postgres server, PostgreSQL."""
    facts: dict[str, Any] = {"events": events, "seed": seed, "refresh_s": refresh_seconds(), "throughput": {}}
    started = time.perf_counter()
    path, facts["tally"] = capture(events, seed)
    print(f"capture: {path.relative_to(ROOT)} ({time.perf_counter() - started:.0f} s)", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-bsky-", dir=os.environ.get("BENCH_TMP")) as folder:
        targets = {"sqlite": lambda name: f"sqlite:///{Path(folder) / name}.db"}
        if server is not None:
            targets["postgresql"] = lambda name: server.empty_database()
        for dialect, new in targets.items():
            print(f"throughput: {dialect} …", flush=True)
            facts["throughput"][dialect] = replay(path, new("replay"))
            print(f"latency: {dialect} …", flush=True)
            facts.setdefault("latency", {})[dialect] = latency(new("live"), samples=samples, rate=rate, seed=seed)
    return facts


def section(facts: dict[str, Any]) -> str:
    """The benchmark's section of bench/results.md."""
    from bench.pages import commit_and_machine

    tally, events = facts["tally"], facts["events"]
    matching = sum(v for k, v in tally.items() if k.startswith("matching "))
    lines = [
        f"## Bluesky stream: {events:,} Jetstream events through bsky-stream's consumer",
        "",
        commit_and_machine(),
        "",
        f"`python -m bench.bluesky_stream --events {events} --seed {facts['seed']}`: a seeded capture in the "
        f"recorded v1 shapes ({tally.get('post', 0):,} posts, {tally.get('repost', 0):,} reposts, "
        f"{tally.get('delete', 0):,} deletes, {tally.get('identity', 0):,} identity and "
        f"{tally.get('account', 0):,} account events, {tally.get('malformed', 0)} truncated frames; {matching:,} "
        f"posts with the event's hashtag: "
        + ", ".join(f"{tally.get(f'matching {v}', 0):,} {v}" for v in VARIANTS)
        + f"; {tally.get('repost of matching', 0):,} reposts and {tally.get('delete of matching', 0):,} deletes "
        "of them) replayed at full speed through `read_frame` and `commit_batch`, one thread. "
        "Target: 5,000 events/s.",
        "",
        "| database | events/s (wall) | events/s (CPU) | batches/s | batches | read_frame s | commit_batch s "
        "| kept | deleted | rejected | load (1, 5, 15 min) before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for dialect, r in facts["throughput"].items():
        counts = r["counts"]
        load = r["load"]
        lines.append(
            f"| {dialect} | {r['events_per_s']:,.0f} | {r['events_per_cpu_s']:,.0f} | {r['batches_per_s']:,.1f} | "
            f"{r['batches']:,} | {r['reading_s']:,.1f} | {r['committing_s']:,.1f} | {counts['kept']:,} | "
            f"{counts['deleted']:,} | {counts['rejected']:,} | {load[0]}, {load[1]}, {load[2]} → "
            f"{load[3]}, {load[4]}, {load[5]} |"
        )
    lines += [
        "",
        "Resident memory of the consumer (MB) at the start and after every 100,000 events (SQLite: the "
        "database file's size in brackets; the writer's page cache, up to 64 MiB, holds what it wrote):",
        "",
    ]
    for dialect, r in facts["throughput"].items():
        series = r["memory_mb"]
        lines.append(
            f"- {dialect}: "
            + " → ".join(
                f"{sample[1]}" + (f" ({sample[2]})" if sample[2:] and sample[2] is not None else "")
                for sample in series
            )
        )
    refresh = facts["refresh_s"]
    lines += [
        "",
        f"Latency: a local Jetstream sending {next(iter(facts['latency'].values()))['rate']:g} events/s into "
        "`python -m ingest bsky-stream` (a process, hydrating each commit through a local AppView, "
        "tests/bskysim.py); a post with the hashtag sent at a random moment, then the "
        "Live page's query (`live.per_minute`) run every 10 ms until it counts it. The page itself refreshes "
        f"every {refresh:g} s: a post is on it at most that much later. Target: {refresh + 1:g} s from arrival "
        "to the page.",
        "",
        "| database | posts | median s | p95 s | max s | max + refresh s | missed | getPosts calls "
        "| load before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for dialect, r in facts["latency"].items():
        load = r["load"]
        lines.append(
            f"| {dialect} | {r['samples']} | {r['median_s']:.2f} | {r['p95_s']:.2f} | {r['max_s']:.2f} | "
            f"{r['max_s'] + refresh:.2f} | {r['missed']}"
            + (
                f" ({', '.join(f'{n} {v}' for v, n in r['missed_variants'].items())})"
                if r.get("missed_variants")
                else ""
            )
            + f" | {r.get('hydrations', '')} | {load[0]}, {load[1]}, {load[2]} → "
            f"{load[3]}, {load[4]}, {load[5]} |"
        )
    lines += [
        "",
        "Other work was running on the same two cores (the load averages beside each row): the figures are "
        "lower bounds of what the code does on a quiet machine.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bluesky_stream", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--samples", type=int, default=30, help="matching posts timed end to end")
    parser.add_argument("--rate", type=float, default=EVENTS_PER_SECOND, help="the latency run's events a second")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print the figures only; leave bench/results.md")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    server = None
    if not args.no_postgres:
        from tests import postgres

        server = postgres.start()
    try:
        facts = run(args.events, args.seed, args.samples, args.rate, server)
    finally:
        if server is not None:
            server.stop()
    text = section(facts)
    print(text)
    if not args.no_write:
        from bench.pages import write_section

        write_section(text)


if __name__ == "__main__":
    main()
