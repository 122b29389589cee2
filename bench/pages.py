"""Server-side run time of every page, cold and warm, at several collection sizes, and peak memory.

    python bench/pages.py [SIZES…]          (default 10000 100000 1000000)
    python bench/pages.py --url URL         (one database; prints JSON)

For each size: a demo database is built once under bench/out/ (kept for later runs; on PostgreSQL,
loaded and then vacuumed, as after any bulk load), then each
page runs in AppTest as an organiser: "cold" is the first run in a fresh process state (caches
cleared), "warm" the run right after it. Peak memory is this process's maximum resident set.
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def build(posts: int, url: str | None = None) -> str:
    """A demo database of ``posts`` posts: kept under bench/out/ for SQLite, or loaded into ``url``."""
    path = OUT / f"pages-{posts}.db"
    if url is None:
        url = f"sqlite:///{path}"
        if path.exists():
            return url
    OUT.mkdir(parents=True, exist_ok=True)
    collection = OUT / f"pages-{posts}.jsonl"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "ingest", "demo", "--posts", str(posts), "--out", str(collection)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=env,
    )
    subprocess.run(
        [sys.executable, "-m", "ingest", "import-jsonl", "--no-progress", str(collection)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=env,
    )
    subprocess.run(
        [sys.executable, "-m", "ingest", "import-questions", str(collection.with_name(f"pages-{posts}.questions.csv"))],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=env,
    )
    collection.unlink()
    if not url.startswith("sqlite"):
        settle(url)
    return url


def settle(url: str) -> None:
    """VACUUM (ANALYZE) a PostgreSQL database just loaded, as after any bulk load (docs/deploy.md):
    otherwise autovacuum does it while the pages are measured, on the same two cores."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()


def measure(url: str) -> list[tuple[str, float, float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from engagement.storage import db
    from engagement.ui.menu import PAGES

    os.environ["DATABASE_URL"] = url
    db.dispose_engines()
    results = []
    for page in PAGES:
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
        at.session_state["role"] = "organiser"
        at.run()
        started = time.perf_counter()
        at.switch_page(page.path).run()
        cold = time.perf_counter() - started
        if at.exception:
            raise SystemExit(f"{page.path}: {at.exception[0].value}")
        started = time.perf_counter()
        at.run()
        warm = time.perf_counter() - started
        results.append((page.url_path, cold, warm))
    return results


def measure_in_process(url: str) -> dict:
    """Measure in a process of its own (so the peak memory is this database's), as JSON."""
    import json

    result = subprocess.run(
        [sys.executable, str(Path(__file__)), "--url", url], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    if sys.argv[1:2] == ["--url"]:
        import json

        pages = measure(sys.argv[2])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"pages": pages, "peak_mb": round(peak)}))
        return
    sizes = [int(s) for s in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    table = {}
    for size in sizes:
        started = time.perf_counter()
        url = build(size)
        print(f"{size:,} posts: database ready in {time.perf_counter() - started:.0f} s", flush=True)
        table[size] = measure(url)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    header = "".join(f"{f'{size:,} cold':>14}{f'{size:,} warm':>14}" for size in sizes)
    print(f"{'page':16}{header}   (seconds)")
    for index, (path, _, _) in enumerate(table[sizes[0]]):
        cells = "".join(f"{table[s][index][1]:14.2f}{table[s][index][2]:14.2f}" for s in sizes)
        print(f"{path:16}{cells}")
    print(f"peak memory of the app process (RSS): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
