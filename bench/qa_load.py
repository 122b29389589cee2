"""Session Q&A under load, on SQLite, while the worker imports.

    python -m bench.qa_load [writes|sessions|all] [--participants 200] [--seconds 30] [--browsers 40]

Run it as a module from the repository's root: it imports the tests' app server (``tests.helpers``),
which ``python -m`` finds on the path it starts from.

writes: 200 participants (threads spread over 4 processes, as app processes would hold them) submit
questions and upvote, first as fast as the database lets them (capacity), then each every 5 s on
average (a busy hall: latency as people feel it); 5 moderators approve, put on screen and
answer, and ``python -m ingest import-jsonl`` imports a demo collection at the same time. Every
submission and vote a participant was told succeeded is then looked for in the database: lost
ones and errors are counted and printed, with submissions/s, votes/s and p95 latencies. The rate
limits are raised for the run (they would otherwise be what is measured).

sessions: one app process (``streamlit run``) with N participant browser sessions open on /ask
(Debian's Chromium through Playwright); prints the process's memory per session, its CPU while
the sessions sit on the page (each refreshes its list every 10 s), and what that means for the
sessions one process can serve.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HIGH_LIMITS = {
    "QA_QUESTIONS_PER_MINUTE": "100000",
    "QA_VOTES_PER_MINUTE": "100000",
    "QA_SESSION_QUESTIONS_PER_MINUTE": "1000000",
    "QA_SESSION_VOTES_PER_MINUTE": "1000000",
}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values, default=0.0)


def participant_process(
    url: str, first: int, count: int, seconds: float, session_ids: list[int], queue, pace: float = 0.0
) -> None:
    """``count`` participants as threads of one process; reports what each was told."""
    os.environ.update(HIGH_LIMITS, DATABASE_URL=url)
    from engagement.qa import asking, blocklist
    from engagement.qa.limits import Limits
    from engagement.storage import db

    limits, words = Limits.from_environment(), blocklist.load()
    results = {"asked": [], "voted": [], "ask_latency": [], "vote_latency": [], "errors": [], "refused": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def participant(number: int) -> None:
        rng = random.Random(number)
        me = f"bench-participant-{number}"
        session_id = session_ids[number % len(session_ids)]
        voted: set[int] = set()
        while time.monotonic() < deadline:
            if pace:
                time.sleep(rng.expovariate(1 / pace))
            started = time.perf_counter()
            try:
                if rng.random() < 0.25 or not voted and rng.random() < 0.5:
                    with db.writing(url) as session:
                        asked = asking.submit(
                            session,
                            session_id=session_id,
                            participant_hash=me,
                            limits=limits,
                            blocklist=words,
                            text=f"Question {rng.random():.6f} from {me}?",
                        )
                    with lock:
                        results["asked"].append(asked.id)
                        results["ask_latency"].append(time.perf_counter() - started)
                else:
                    with db.reading(url) as session:
                        shown = [
                            q.id
                            for q in asking.published(session, session_id, me)
                            if not q.voted and not q.answered and q.id not in voted
                        ]
                    if not shown:
                        time.sleep(0.05)
                        continue
                    choice = rng.choice(shown)
                    started = time.perf_counter()
                    with db.writing(url) as session:
                        asking.vote(session, question_id=choice, participant_hash=me, limits=limits)
                    voted.add(choice)
                    with lock:
                        results["voted"].append((choice, me))
                        results["vote_latency"].append(time.perf_counter() - started)
            except asking.VoteRefused:
                with lock:  # the question left the published list in between (answered, merged): not an error
                    results["refused"] += 1
            except Exception as error:  # noqa: BLE001 (any error is what this benchmark looks for)
                with lock:
                    results["errors"].append(repr(error)[:200])

    threads = [threading.Thread(target=participant, args=(first + n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def moderator_process(url: str, moderators: int, seconds: float, session_ids: list[int], queue) -> None:
    os.environ["DATABASE_URL"] = url
    from engagement.qa import listing, moderation
    from engagement.qa.states import IllegalTransition
    from engagement.storage import db

    results = {"actions": 0, "conflicts": 0, "latency": [], "errors": []}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def moderator(number: int) -> None:
        rng = random.Random(1000 + number)
        name = f"Moderator {number}"
        while time.monotonic() < deadline:
            session_id = rng.choice(session_ids)
            try:
                with db.reading(url) as session:
                    incoming = listing.queue(session, session_id, "incoming", limit=20)
                    approved = [q.id for q in moderation.chair_order(session, session_id)][:20]
                if incoming:
                    question, action = rng.choice(incoming).id, "approve"
                elif approved:
                    question, action = rng.choice(approved), rng.choice(["show", "star", "answer"])
                else:
                    time.sleep(0.05)
                    continue
                started = time.perf_counter()
                with db.writing(url) as session:
                    moderation.act(session, question, action, name)
                with lock:
                    results["actions"] += 1
                    results["latency"].append(time.perf_counter() - started)
            except IllegalTransition:
                with lock:  # another moderator got there first: the UI shows this as a notice
                    results["conflicts"] += 1
            except Exception as error:  # noqa: BLE001
                with lock:
                    results["errors"].append(repr(error)[:200])
            time.sleep(0.2)  # people, not scripts: a few actions a second each

    threads = [threading.Thread(target=moderator, args=(n,)) for n in range(moderators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def writes(
    participants: int,
    seconds: float,
    processes: int = 4,
    moderators: int = 5,
    posts: int = 60_000,
    pace: float = 0.0,
    url: str | None = None,
) -> dict:
    """Run the load once; print the figures and return them. ``url``: an empty database to use (default: a
    new SQLite file)."""
    from sqlalchemy import func, select

    from engagement.rules.sync import sync_event
    from engagement.storage import db
    from engagement.storage.models import AgendaSession, Question, Vote

    folder = Path(tempfile.mkdtemp(prefix="qa-load-"))
    url = url or f"sqlite:///{folder / 'load.db'}"
    with db.writing(url) as session:
        sync_event(session)
        session_ids = list(
            session.scalars(
                select(AgendaSession.id).where(AgendaSession.kind != "break").order_by(AgendaSession.starts_at).limit(4)
            )
        )
    db.dispose_engines()
    collection = folder / "posts.jsonl"
    subprocess.run(
        [sys.executable, "-m", "ingest", "demo", "--posts", str(posts), "--out", str(collection)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "DATABASE_URL": url},
    )

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = subprocess.Popen(
        [sys.executable, "-m", "ingest", "import-jsonl", "--no-progress", str(collection)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    share = participants // processes
    workers = [
        context.Process(
            target=participant_process,
            args=(
                url,
                n * share,
                share if n < processes - 1 else participants - n * share,
                seconds,
                session_ids,
                queue,
                pace,
            ),
        )
        for n in range(processes)
    ]
    workers.append(context.Process(target=moderator_process, args=(url, moderators, seconds, session_ids, queue)))
    for process in workers:
        process.start()
    reports = [queue.get() for _ in workers]
    for process in workers:
        process.join()
    elapsed = time.monotonic() - started
    out, err = worker.communicate()
    import_seconds = time.monotonic() - started

    people = [r for r in reports if "asked" in r]
    mods = next(r for r in reports if "actions" in r)
    asked = [i for r in people for i in r["asked"]]
    voted = [v for r in people for v in r["voted"]]
    errors = [e for r in reports for e in r["errors"]]
    with db.reading(url) as session:
        stored_questions = set(session.scalars(select(Question.id).where(Question.participant_hash.like("bench-%"))))
        stored_votes = set(session.execute(select(Vote.question_id, Vote.participant_hash)).all())
        vote_total = session.scalar(select(func.sum(Question.votes))) or 0
    lost_questions = len(set(asked) - stored_questions)
    lost_votes = len(set(voted) - {tuple(v) for v in stored_votes})
    how = f"each acting every {pace:g} s on average" if pace else "each acting as fast as it is served"
    print(
        f"Q&A write load: {participants} participants ({how}) in {processes} processes, {moderators} moderators, "
        f"{seconds:.0f} s, while import-jsonl of {posts:,} posts ran (exit {worker.returncode}, "
        f"{import_seconds:.0f} s)"
    )
    rows = [
        ("submissions", len(asked), len(asked) / elapsed, p95([x for r in people for x in r["ask_latency"]])),
        ("votes", len(voted), len(voted) / elapsed, p95([x for r in people for x in r["vote_latency"]])),
        ("moderator actions", mods["actions"], mods["actions"] / elapsed, p95(mods["latency"])),
    ]
    print(f"  {'':<18} {'count':>8} {'per s':>8} {'p95 ms':>8}")
    for name, count, rate, latency in rows:
        print(f"  {name:<18} {count:>8,} {rate:>8.1f} {latency * 1000:>8.0f}")
    print(
        f"  lost: {lost_questions} submissions, {lost_votes} votes; vote rows {len(stored_votes):,}, "
        f"vote counters {vote_total:,}"
    )
    print(
        f"  errors shown to people: {len(errors)}; moderator conflicts (another moderator first): "
        f"{mods['conflicts']}; votes on questions that left the list meanwhile: "
        f"{sum(r['refused'] for r in people)}"
    )
    for error in sorted(set(errors))[:5]:
        print(f"    {error}")
    if worker.returncode != 0:
        print(f"  import-jsonl failed: {err[-500:]}")
    return {
        "participants": participants,
        "pace": pace,
        "seconds": seconds,
        "posts_imported": posts,
        "import_exit": worker.returncode,
        "lost_questions": lost_questions,
        "lost_votes": lost_votes,
        "errors": len(errors),
        "conflicts": mods["conflicts"],
        **{f"{name}_per_s": round(rate, 1) for name, _, rate, _ in rows},
        **{f"{name}_p95_ms": round(latency * 1000) for name, _, _, latency in rows},
    }


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sessions(browsers: int, budget_mib: int = 4096) -> dict:
    from datetime import datetime

    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    from engagement.rules.sync import sync_event
    from engagement.storage import db, flags
    from engagement.storage.models import AgendaSession, Question
    from tests.helpers.browser import Watched, serve

    folder = Path(tempfile.mkdtemp(prefix="qa-sessions-"))
    url = f"sqlite:///{folder / 'sessions.db'}"
    with db.writing(url) as session:
        sync_event(session)
        flags.set_replay_clock(session, datetime(2018, 4, 23, 9, 30, tzinfo=UTC))
        panel = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-panel-1"))
        # What a participant's page holds mid-session: thirty published questions to read and vote on.
        session.add_all(
            [
                Question(
                    session_id=panel,
                    status="approved",
                    votes=n,
                    text=f"Published question number {n}: how do States fund shelters for victims?",
                )
                for n in range(30)
            ]
        )
    db.dispose_engines()
    with sync_playwright() as playwright, serve(url) as base:
        pid = int(
            subprocess.run(
                ["pgrep", "-n", "-f", "streamlit run dashboard.py"], capture_output=True, text=True
            ).stdout.split()[0]
        )
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        first = Watched(chromium)
        first.open(f"{base}/ask")  # warm the process: imports, caches
        baseline = rss_kib(pid)
        opened = [first]
        started = time.perf_counter()
        for _ in range(browsers - 1):
            watched = Watched(chromium)
            watched.open(f"{base}/ask")
            opened.append(watched)
        open_seconds = time.perf_counter() - started
        time.sleep(5)
        loaded = rss_kib(pid)
        cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
        time.sleep(30)
        cpu_share = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
        failed = sum(watched.count("stException") for watched in opened)
        for watched in opened:
            watched.close()
        chromium.close()
    per_session = max(loaded - baseline, 1) / max(browsers - 1, 1) / 1024
    print(f"Participant sessions on one app process ({browsers} Chromium pages on /ask, 30 questions shown):")
    print(
        f"  process memory {baseline / 1024:.0f} MiB with one session, {loaded / 1024:.0f} MiB with {browsers}: "
        f"{per_session:.2f} MiB a session"
    )
    print(f"  pages showing an error: {failed}")
    print(f"  opening a session took {open_seconds / max(browsers - 1, 1) * 1000:.0f} ms each (browser included)")
    print(
        f"  idle sessions (the question list refreshes every 10 s) keep {cpu_share:.1%} of a core busy: "
        f"{cpu_share / browsers:.3%} a session"
    )
    by_memory = int((budget_mib - baseline / 1024) / per_session)
    by_cpu = int(0.7 / (cpu_share / browsers)) if cpu_share > 0 else by_memory
    print(
        f"  one process serves about {min(by_memory, by_cpu):,} participant sessions "
        f"({by_memory:,} by memory within {budget_mib} MiB, {by_cpu:,} by CPU at 70% of one core)"
    )
    return {
        "browsers": browsers,
        "mib_per_session": round(per_session, 2),
        "cpu_per_session": cpu_share / browsers,
        "baseline_mib": round(baseline / 1024),
        "errors": failed,
        "sessions_per_process": min(by_memory, by_cpu),
        "by_memory": by_memory,
        "by_cpu": by_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", choices=["writes", "sessions", "all"], default="all")
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--browsers", type=int, default=40)
    parser.add_argument("--posts", type=int, default=60_000, help="posts the worker imports meanwhile")
    parser.add_argument(
        "--pace",
        type=float,
        action="append",
        help="mean seconds between a participant's actions; 0 = flat out (default: 0, then 5)",
    )
    args = parser.parse_args()
    if args.what in ("writes", "all"):
        for pace in args.pace or [0.0, 5.0]:
            writes(args.participants, args.seconds, posts=args.posts, pace=pace)
    if args.what in ("sessions", "all"):
        sessions(args.browsers)


if __name__ == "__main__":
    main()
