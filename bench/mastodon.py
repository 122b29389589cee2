"""Mastodon: statuses per second through conversion and storage on one core, and the requests a
poll of many instances makes in any 5 minutes.

    python -m bench.mastodon [--statuses 50000] [--instances 10] [--minutes 10] [--no-write]

1. Throughput: the demo's Mastodon part (``engagement.demo``, two instances' hashtag timelines as
   recorded responses, in Mastodon 4.4's shapes) made big, then each page of 40 statuses read as
   ``mastodon-poll`` reads one: ``normalise_page`` alone (conversion), then ``poll.store_page``
   (conversion, the store's one row per status ``uri``, the page's commit) into a new SQLite file.
   One thread: the figures are one core's, wall and CPU.
2. Rate: ``poll_pass`` over ``--instances`` instances of tests/mastosim.py (the real Mastodon.py
   client, over HTTP) and 4 hashtags (the path's and three in ``any[]``: one request a page), a pass
   every 30 s of simulated time for ``--minutes``, at a quiet pace of posts and at a peak; every
   request's simulated moment is noted and the most any instance was sent in any 5 minutes printed.
   Every fifth post replies to the one before it on its instance: a parent below the page in hand
   costs one ``GET /api/v1/statuses/:id`` (threads.py), counted with the rest.
   Mastodon allows 300: ``client.Caller`` keeps under it whatever a pass would need (the rescan of
   the last hour reads every page of it again), so at the peak the passes slow instead.

The simulated clock moves by the interval between passes and by every wait the poll asks for (its
own pacing): nothing sleeps. The simulator's own limit is lifted: it counts in real seconds, and a
simulated half hour takes a real minute or two.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from bisect import bisect_left
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WINDOW = 300.0  # Mastodon's rate-limit window: 300 requests in 5 minutes
INTERVAL = 30.0  # mastodon-poll's default interval between passes
TAGS = ("cthb18", "alliance18", "antitrafficking", "endslavery")
# Posts written on each instance a minute: a quiet hour of the event, and its opening burst at a
# large instance (the rescan reads the last hour of them on every pass).
PACES = {"quiet": 2.0, "peak": 30.0}


# --- 1. throughput


def demo_pages(statuses: int) -> list[dict]:
    """The demo's Mastodon lines, planned large enough for about ``statuses`` statuses served."""
    from engagement.demo import DemoCollection

    posts = max(100, int(statuses / 1.45))  # each post is served by 1.45 instances on average
    collection = DemoCollection(posts + 1, 18, bluesky_share=0.0, mastodon_share=posts / (posts + 1))
    return list(collection.mastodon_lines())


def throughput(statuses: int) -> dict[str, Any]:
    from engagement.collection.mastodon import poll
    from engagement.collection.mastodon.normalise import normalise_page
    from engagement.rules.sync import sync_event
    from engagement.storage import db

    lines = demo_pages(statuses)
    texts = [json.dumps(line["body"]) for line in lines]  # what the client reads off the wire
    count = sum(len(line["body"]) for line in lines)
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        normalise_page(json.loads(text))
    converted = (time.perf_counter() - wall, time.process_time() - cpu)

    folder = Path(tempfile.mkdtemp(prefix="bench-mastodon-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    with db.writing(url) as session:
        sync_event(session)
    result = poll.PollResult(instances=2)
    hosts = sorted({line["uri"].split("/")[2] for line in lines})
    instances = {host: poll.Instance(f"https://{host}", host, domain=host) for host in hosts}
    wall, cpu = time.perf_counter(), time.process_time()
    for line, text in zip(lines, texts, strict=True):
        host = line["uri"].split("/")[2]
        poll.store_page(
            json.loads(text),
            instance=instances[host],
            tags=TAGS[:2],
            max_id=None,
            origins=set(hosts),
            url=url,
            states={},
            result=result,
        )
    stored = (time.perf_counter() - wall, time.process_time() - cpu)
    db.dispose_engines()
    size = (folder / "bench.db").stat().st_size
    return {
        "statuses": count,
        "pages": len(lines),
        "posts": result.store.posts_new,
        "duplicates": result.store.duplicates,
        "converted": converted,
        "stored": stored,
        "db_mb": size / 2**20,
    }


# --- 2. requests per 5 minutes


class Clock:
    """Simulated seconds: moved by the poll's waits and the interval between passes, never slept."""

    def __init__(self, start: float):
        self.now = start
        self.waited = 0.0

    def time(self) -> float:
        return self.now

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def __call__(self) -> bool:  # a Stopper that never asks to stop
        return False

    def wait(self, seconds: float) -> None:
        """A wait the poll asks for (its pacing, a reset, a backoff)."""
        self.now += max(0.0, seconds)
        self.waited += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        """The time between passes."""
        self.now += max(0.0, seconds)


def busiest(moments: list[float], window: float = WINDOW) -> int:
    """The most requests in any ``window`` seconds."""
    moments = sorted(moments)
    return max(
        (index + 1 - bisect_left(moments, at - window + 1e-9, 0, index + 1) for index, at in enumerate(moments)),
        default=0,
    )


def fixed_windows(moments: list[float], start: float, span: float) -> list[int]:
    """Requests in each 5 minutes from the start, one after the other (as Mastodon counts them)."""
    counts = [0] * max(1, math.ceil(span / WINDOW))
    for at in moments:
        counts[min(len(counts) - 1, int((at - start) // WINDOW))] += 1
    return counts


def rate(instances: int, minutes: float, pace: float) -> dict[str, Any]:
    from engagement.collection.mastodon.client import Caller, make_client
    from engagement.collection.mastodon.poll import Instance, poll_pass
    from engagement.rules.sync import sync_event
    from engagement.storage import db
    from tests.mastosim import MastodonSimulator

    names = [f"instance{n:02d}" for n in range(instances)]
    clock = Clock(time.time() - 3600)
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-mastodon-rate-')) / 'rate.db'}"
    with db.writing(url) as session:
        sync_event(session)
    sent: dict[str, list[float]] = defaultdict(list)
    passes = pages = fetched = 0
    with MastodonSimulator(names, limit=10**9) as sim:
        callers = []
        for name in names:
            caller = Caller(make_client(sim.base_url(name)), sim.key(name), stop=clock, now=clock.time)
            request = caller._request

            def noted(path, params, request=request, name=name, caller=caller):
                try:
                    return request(path, params)
                finally:  # the moment it went out, after any wait its pacing asked for
                    sent[name].append(caller.sent[-1])

            caller._request = noted  # type: ignore[method-assign]
            callers.append((Instance(sim.base_url(name), sim.key(name)), caller))
        written, start, end = 0.0, clock.now, clock.now + minutes * 60
        newest: dict[str, str] = {}  # each instance's last post, which every fifth post replies to
        # The hour before the first pass already has its posts: the first rescan reads them all.
        last = start - 3600
        while clock.now < end:
            due = (clock.now - last) / 60 * pace
            for name in names:
                for n in range(int(written + due) - int(written)):
                    created = datetime.fromtimestamp(last + (clock.now - last) * (n + 0.5) / max(1, due), UTC)
                    tag = TAGS[n % len(TAGS)]
                    parent = newest.get(name) if n % 5 == 4 else None
                    newest[name] = sim.post(
                        name,
                        f"Bench post #{tag}",
                        tags=[tag],
                        created_at=created,
                        username=f"u{n % 50}",
                        in_reply_to=parent,
                    )
            written += due
            last = clock.now
            began = clock.now
            result = poll_pass(callers, [TAGS], url=url, stop=clock, rescan=timedelta(minutes=60), now=clock.moment)
            passes, pages, fetched = passes + 1, pages + result.pages, fetched + result.fetched
            clock.advance(
                max(0.0, INTERVAL - (clock.now - began))
            )  # the next pass starts an interval after this one's start
    db.dispose_engines()
    span = max(clock.now - start, 1.0)
    return {
        "instances": instances,
        "pace": pace,
        "minutes": minutes,
        "passes": passes,
        "pages": pages,
        "fetched": fetched,
        "busiest": max(busiest(moments) for moments in sent.values()),
        "windows": {name: fixed_windows(moments, start, span) for name, moments in sent.items()},
        "per_instance": {name: busiest(moments) for name, moments in sent.items()},
        "waited": clock.waited,
    }


# --- results


def section(facts: dict[str, Any]) -> str:
    """The benchmark's section of bench/results.md."""
    from bench.pages import commit_and_machine

    t = facts["throughput"]
    converted, stored = t["converted"], t["stored"]
    lines = [
        f"## Mastodon: {t['statuses']:,} statuses converted and stored; requests per 5 minutes of a poll",
        "",
        commit_and_machine(),
        "",
        f"`python -m bench.mastodon --statuses {facts['args'].statuses} --instances {facts['args'].instances} "
        f"--minutes {facts['args'].minutes:g}`: the demo's two instances' hashtag timelines made large "
        f"({t['pages']:,} pages of up to 40 statuses, {t['posts']:,} posts of which {t['duplicates']:,} copies were "
        "seen on both instances), each page read as `mastodon-poll` reads one, one thread.",
        "",
        "| step | statuses/s (wall) | statuses/s (CPU) | seconds (wall) |",
        "|---|---:|---:|---:|",
        f"| conversion (`json.loads` + `normalise_page`) | {t['statuses'] / converted[0]:,.0f} | "
        f"{t['statuses'] / max(converted[1], 1e-9):,.0f} | {converted[0]:,.1f} |",
        f"| conversion and storage (`poll.store_page`, a commit a page, SQLite) | {t['statuses'] / stored[0]:,.0f} | "
        f"{t['statuses'] / max(stored[1], 1e-9):,.0f} | {stored[0]:,.1f} |",
        "",
        f"The database file: {t['db_mb']:,.1f} MB.",
        "",
        f"Rate: `poll_pass` over {facts['args'].instances} simulated instances (tests/mastosim.py, the real "
        "Mastodon.py client over HTTP), 4 hashtags in one request a page, a pass every 30 s of simulated time, "
        "the rescan reading the last hour again each pass; every fifth post replies to the instance's post before "
        "it (a parent below the page in hand is asked for once: `GET /api/v1/statuses/:id`, counted here). "
        "Mastodon allows 300 requests in 5 minutes.",
        "",
        "| posts a minute on each instance | simulated minutes | passes | pages | parents fetched "
        "| busiest 5 minutes, any instance | each 5 minutes in turn, the first instance "
        "| seconds the poll waited for its budget |",
        "|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in facts["rates"]:
        lines.append(
            f"| {r['pace']:g} | {r['minutes']:g} | {r['passes']} | {r['pages']:,} | {r['fetched']:,} | {r['busiest']} | "
            f"{', '.join(str(n) for n in next(iter(r['windows'].values())))} | {r['waited']:,.0f} |"
        )
    lines += [
        "",
        "At the peak the rescan of the last hour needs more pages than 300 requests in 5 minutes allow: "
        "the passes stretch (fewer of them, each waiting for its budget) and no instance is sent more "
        "than its 300.",
        "",
        "Other work was running on the same two cores (the load average above): the figures are lower "
        "bounds of what the code does on a quiet machine.",
    ]
    return "\n".join(lines)


def run(statuses: int, instances: int, minutes: float) -> dict[str, Any]:
    """Both measurements, as ``section`` reads them (``python -m bench`` calls this)."""
    facts: dict[str, Any] = {"args": argparse.Namespace(statuses=statuses, instances=instances, minutes=minutes)}
    print("Mastodon throughput …", flush=True)
    facts["throughput"] = throughput(statuses)
    facts["rates"] = []
    for name, pace in PACES.items():
        print(f"Mastodon poll, {name} ({pace:g} posts a minute on each instance) …", flush=True)
        result = rate(instances, minutes, pace)
        for instance, most in sorted(result["per_instance"].items()):
            windows = ", ".join(str(n) for n in result["windows"][instance])
            print(f"  {instance}: at most {most} requests in any 5 minutes; each 5 minutes in turn: {windows}")
        facts["rates"].append(result)
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mastodon", description=__doc__.split("\n\n")[0])
    parser.add_argument("--statuses", type=int, default=50_000, help="statuses converted and stored")
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=10.0, help="simulated minutes of polling, at each pace")
    parser.add_argument("--no-write", action="store_true", help="print the figures only; leave bench/results.md")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-mastodon-')) / 'x.db'}")
    text = section(run(args.statuses, args.instances, args.minutes))
    print(text)
    if not args.no_write:
        from bench.pages import write_section

        write_section(text)
        print("\nwritten to bench/results.md")


if __name__ == "__main__":
    main()
