"""Import a large twarc2 collection three ways and print the figures side by side.

    python bench/import_compare.py [POSTS]        (default 1,000,000)

1. ours: ``python -m ingest import-jsonl FILE`` into a new SQLite file (normalised, attributed,
   classified, indexed, idempotent);
2. twarc-csv, the research community's JSONL -> CSV converter (``twarc2 csv``), installed into a
   venv of its own under bench/.venv-twarc (its last release needs pandas < 3);
3. a floor: bare ``json.loads`` of each line + ``sqlite3.executemany`` of (id, JSON) into one table.

Each runs as a separate process; peak memory is that process's maximum resident set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TWARC_VENV = ROOT / "bench" / ".venv-twarc"
TWARC_PACKAGES = ["twarc-csv==0.7.2", "pandas==2.2.3"]
# twarc-csv 0.7.2 predates long posts: it must be told about the note_tweet columns.
NOTE_COLUMNS = "note_tweet.entities.hashtags,note_tweet.entities.mentions,note_tweet.text"

FLOOR = """
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[2])
con.execute("PRAGMA journal_mode=WAL")
con.execute("CREATE TABLE post (id TEXT, json TEXT)")
rows = []
with open(sys.argv[1], "rb") as handle:
    for line in handle:
        for tweet in json.loads(line)["data"]:
            rows.append((tweet["id"], json.dumps(tweet)))
        if len(rows) >= 5000:
            con.executemany("INSERT INTO post VALUES (?, ?)", rows)
            con.commit()
            rows = []
con.executemany("INSERT INTO post VALUES (?, ?)", rows)
con.commit()
"""

MEASURE = """
import os, subprocess, sys, time

def tree_rss_kib(root):
    # Resident memory of a process and all its descendants (the importer parses in a child process
    # of its own: the figure is what the machine must hold, not the largest single process).
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total

process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
peak = 0
while process.poll() is None:
    peak = max(peak, tree_rss_kib(process.pid))
    time.sleep(0.05)
print(process.returncode, peak)
"""


def measure(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Seconds and peak resident MB of one command and every process it starts, run apart."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    elapsed = time.perf_counter() - started
    code, peak_kib = result.stdout.split()
    if code != "0":
        raise SystemExit(f"{command[:3]} failed ({code}): {result.stderr[-2000:]}")
    return elapsed, int(peak_kib) / 1024


def twarc_venv() -> Path:
    twarc2 = TWARC_VENV / "bin" / "twarc2"
    if not twarc2.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TWARC_VENV)], check=True)
        subprocess.run([str(TWARC_VENV / "bin" / "pip"), "install", "--quiet", *TWARC_PACKAGES], check=True)
    return twarc2


def main() -> None:
    posts = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    twarc2 = twarc_venv()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as folder:
        folder = Path(folder)
        collection = folder / "collection.jsonl"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "ingest", "demo", "--posts", str(posts), "--out", str(collection)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        generated = time.perf_counter() - started
        size = collection.stat().st_size
        results = {
            "ours: python -m ingest import-jsonl": measure(
                [sys.executable, "-m", "ingest", "import-jsonl", "--no-progress", str(collection)],
                {"DATABASE_URL": f"sqlite:///{folder / 'ours.db'}"},
            ),
            "twarc-csv 0.7.2: twarc2 csv": measure(
                [
                    str(twarc2),
                    "--bearer-token",
                    "unused",
                    "csv",
                    "--hide-progress",
                    "--hide-stats",
                    "--extra-input-columns",
                    NOTE_COLUMNS,
                    str(collection),
                    str(folder / "twarc.csv"),
                ]
            ),
            "floor: json.loads + sqlite3.executemany": measure(
                [sys.executable, "-c", FLOOR, str(collection), str(folder / "floor.db")]
            ),
        }
    print(f"collection: {posts:,} posts, {size / 1e9:.2f} GB of twarc2 JSONL (generated in {generated:.0f} s)")
    print(f"machine: {os.cpu_count()} cores")
    print(f"{'':42} {'seconds':>9} {'posts/s':>10} {'peak MB':>9}")
    for name, (seconds, peak) in results.items():
        print(f"{name:42} {seconds:9.1f} {posts / seconds:10,.0f} {peak:9.0f}")
    print(
        json.dumps(
            {
                name: {"seconds": round(s, 1), "posts_per_second": round(posts / s), "peak_mb": round(p)}
                for name, (s, p) in results.items()
            }
        )
    )


if __name__ == "__main__":
    main()
