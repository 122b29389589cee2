"""Reclassifying every author and reattributing every post of a large database while participants
ask questions: `python bench/maintenance.py [DATABASE]` (default: a copy of bench/out/pages-1000000.db,
which `python bench/pages.py 1000000` builds).

Each job changes as much as it can: the directory names every author (all change group), the agenda
moves by twenty minutes (a large share of the posts change session). It runs as ``ingest
reclassify`` and ``ingest config`` run it, in short steps (``db.in_steps``), while another process
writes a question every 0.2 s as the app does for a participant. Prints each job's time and the
question writes' latency and errors.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select

from engagement.rules.attribution import reattribute_in_steps
from engagement.rules.classification import reclassify_in_steps
from engagement.rules.event import load_event
from engagement.storage import db
from engagement.storage.models import AgendaSession, Author, DirectoryEntry

ROOT = Path(__file__).resolve().parent.parent

ASKER = """
import sys, threading, time
from sqlalchemy import select
from engagement.storage import db
from engagement.storage.models import AgendaSession, Question
url = sys.argv[1]
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()  # until its input closes
with db.reading(url) as session:
    first = session.scalar(select(AgendaSession.id).order_by(AgendaSession.id).limit(1))
latencies, errors = [], 0
while not done.wait(0.2):
    started = time.perf_counter()
    try:
        with db.writing(url) as session:
            session.add(Question(session_id=first, text="asked while the job runs"))
        latencies.append(time.perf_counter() - started)
    except Exception:
        errors += 1
latencies.sort()
print(len(latencies), errors, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95)], latencies[-1])
"""


def while_asking(url: str, job) -> tuple[float, int, str]:
    """Run ``job()`` while another process asks questions; its seconds and result, and the asker's figures."""
    asker = subprocess.Popen(
        [sys.executable, "-c", ASKER, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    started = time.perf_counter()
    result = job()
    elapsed = time.perf_counter() - started
    output, _ = asker.communicate("", timeout=120)  # closing its input ends it
    writes, errors, median, p95, longest = output.split()
    return (
        elapsed,
        result,
        (
            f"{int(writes):,} question writes meanwhile, {errors} failed; median "
            f"{float(median):.2f} s, p95 {float(p95):.2f} s, longest {float(longest):.2f} s"
        ),
    )


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "out" / "pages-1000000.db"
    if not source.exists():
        raise SystemExit(f"{source} is missing: python bench/pages.py 1000000 builds it")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "maintenance.db"
        shutil.copy(source, copy)
        url = f"sqlite:///{copy}"
        with db.writing(url) as session:
            handles = [h for h in session.scalars(select(Author.handle)) if h]
            session.execute(delete(DirectoryEntry))
            session.add_all(DirectoryEntry(handle=h.lower(), organisation="", group_key="osce") for h in handles)
        seconds, changed, asking = while_asking(url, lambda: reclassify_in_steps(url))
        print(f"reclassify   {changed:,} authors changed group in {seconds:.1f} s; {asking}")
        with db.writing(url) as session:
            for item in session.scalars(select(AgendaSession)):
                item.starts_at += timedelta(minutes=20)
                item.ends_at += timedelta(minutes=20)
        seconds, moved, asking = while_asking(url, lambda: reattribute_in_steps(load_event().grace, url))
        print(f"reattribute  {moved:,} posts changed session in {seconds:.1f} s; {asking}")
        db.dispose_engines()


if __name__ == "__main__":
    main()
