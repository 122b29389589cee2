"""Server-side run time of every page, cold and warm, at several collection sizes, and peak memory;
and the Analyse pages and the summary with the Networks filter set.

    python bench/pages.py [SIZES…]          (default 10000 100000 1000000)
    python bench/pages.py --url URL         (one database; prints JSON)
    python -m bench.pages --profile URL views/PAGE.py [NETWORK…]
                                            (where one cold run's time goes: its slowest statements
                                            and their plans)
    python -m bench.pages --networks [--posts 1000000] [--no-postgres] [--no-write] [--reuse]
                                            (the Networks filter: X, Bluesky, both, on SQLite and
                                            PostgreSQL; the section of bench/results.md)

For each size: a demo database is built once under bench/out/ (kept for later runs; on PostgreSQL,
loaded and then vacuumed, as after any bulk load), then each
page runs in AppTest as an organiser: "cold" is the first run in a fresh process state (caches
cleared), "warm" the run right after it. Peak memory is this process's maximum resident set.

With ``--networks`` the demo database (its posts about 27 % Bluesky's, the rest X's) is built once
and kept: SQLite's under bench/out/, PostgreSQL's as a dump there (bench/out/pages-N.pgdump,
restored into a throwaway cluster, then vacuumed), and each Analyse page and the summary runs with
the Networks filter set to one network, then both, as a person picks them in the sidebar.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.md"
# The Networks filter as a person sets it: nothing (every network), one network, then both.
NETWORK_FILTERS: dict[str, tuple[str, ...]] = {
    "every network (no filter)": (),
    "X": ("x",),
    "Bluesky": ("bluesky",),
    "X and Bluesky": ("x", "bluesky"),
}
COLD_TARGET, WARM_TARGET = 1.0, 0.2
# Runs of each filtered page, cold then warm, whose medians the Networks section gives: on this shared
# machine one run's figures varied by a third from one minute to the next (the summary cold on
# PostgreSQL 0.69–1.18 s in eight runs of the same code, its app CPU 0.28–0.49 s).
REPEATS = 3


def build(posts: int, url: str | None = None) -> str:
    """A demo database of ``posts`` posts: kept under bench/out/ for SQLite, or loaded into ``url``."""
    path = OUT / f"pages-{posts}.db"
    if url is None:
        url = f"sqlite:///{path}"
        if path.exists():
            up_to_date(url)
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


def up_to_date(url: str) -> bool:
    """Bring a kept database to the current schema before anything is measured on it (the app would
    do it in the first page's cold run: revision 0017 recounts every rollup, 2–4 minutes at a million
    posts); True if it was behind."""
    from engagement.storage.migrate import current_revision, head_revision, upgrade

    if current_revision(url) == head_revision():
        return False
    started = time.perf_counter()
    upgrade(url)
    print(
        f"{url.split('/')[-1]}: schema upgraded to {head_revision()} in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return True


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


def filtered_pages() -> list:
    """The pages the Networks filter is on: the Analyse pages and the post-event summary."""
    from engagement.ui.menu import PAGES

    return [page for page in PAGES if page.section in ("Analyse", "Report")]


def server_cpu(url: str):
    """A function giving the CPU seconds (user + system) the PostgreSQL server's processes have spent
    so far, children of its postmaster, read from /proc; None for SQLite (its work is in this
    process) or where /proc is not there. A backend that ends between two readings takes its seconds
    with it: the app's pooled connections stay open during a page."""
    if url.startswith("sqlite") or not Path("/proc/self/stat").exists():
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        data = connection.execute(text("SHOW data_directory")).scalar()
    engine.dispose()
    postmaster = int((Path(str(data)) / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")

    def seconds() -> float:
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(fields[1]) == postmaster:  # ppid; then utime and stime are fields 14 and 15 of stat
                total += int(fields[11]) + int(fields[12])
        return total / tick

    return seconds


def measure_networks(url: str) -> list[tuple]:
    """(filter, page, cold, warm, cold CPU, warm CPU, server cold CPU, server warm CPU) for each of
    ``NETWORK_FILTERS`` and each filtered page: seconds of the clock, of this process's CPU (SQLite's
    work is in this process; on a machine shared with other work the clock also counts the waits for
    a core), and of the PostgreSQL server's processes (None on SQLite); each figure the median of its
    own ``REPEATS`` values (the clock's and the CPU's medians may come from different runs)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from engagement.storage import db

    os.environ["DATABASE_URL"] = url
    db.dispose_engines()
    server = server_cpu(url)
    results = []
    # One run first, not measured: the process imports the pages' modules (Altair, pandas' plotting)
    # once, which is no page's own cost; every measured run then starts with the caches cleared.
    warm_up = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    warm_up.session_state["role"] = "organiser"
    warm_up.run()
    warm_up.switch_page(filtered_pages()[0].path).run()
    for label, networks in NETWORK_FILTERS.items():
        for page in filtered_pages():
            runs = [_run_filtered(AppTest, st, page, label, networks, server) for _ in range(REPEATS)]
            results.append((label, page.url_path, *(_median(column) for column in zip(*runs, strict=True))))
    return results


def _median(figures: tuple) -> float | None:
    return None if figures[0] is None else statistics.median(figures)


def _run_filtered(AppTest, st, page, label: str, networks: tuple[str, ...], server) -> tuple[float, ...]:
    """One cold run of ``page`` with the caches cleared, then a warm one: (cold, warm, cold CPU, warm
    CPU, server cold CPU, server warm CPU), the server's None on SQLite."""
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    at.session_state["role"] = "organiser"
    at.run()
    if networks:
        at.session_state["filter-networks"] = list(networks)  # as if picked in the sidebar
    served = server() if server else 0.0
    started, cpu = time.perf_counter(), time.process_time()
    at.switch_page(page.path).run()
    cold, cold_cpu = time.perf_counter() - started, time.process_time() - cpu
    cold_server = server() - served if server else None
    if at.exception:
        raise SystemExit(f"{page.path} ({label}): {at.exception[0].value}")
    chosen = at.multiselect(key="filter-networks").value
    if list(chosen) != list(networks):
        raise SystemExit(f"{page.path}: the Networks filter is {chosen}, not {list(networks)}")
    served = server() if server else 0.0
    started, cpu = time.perf_counter(), time.process_time()
    at.run()
    warm, warm_cpu = time.perf_counter() - started, time.process_time() - cpu
    warm_server = server() - served if server else None
    return cold, warm, cold_cpu, warm_cpu, cold_server, warm_server


def profile(url: str, page_path: str, networks: tuple[str, ...]) -> list[tuple[float, str, str]]:
    """The statements one cold run of a page sends, slowest first: (seconds, SQL, its plan). The plan
    is SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of a second run."""
    import streamlit as st
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from streamlit.testing.v1 import AppTest

    from engagement.storage import db

    os.environ["DATABASE_URL"] = url
    db.dispose_engines()
    warm_up = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    warm_up.session_state["role"] = "organiser"
    warm_up.run()
    sent: list[tuple[float, str, Any]] = []

    # Each statement's start kept on its connection: the summary's threads each send theirs on their
    # own, and one list for all paired one thread's start with another's end.
    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench-started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((time.perf_counter() - conn.info.pop("bench-started"), statement, parameters))

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    at.session_state["role"] = "organiser"
    at.run()
    if networks:
        at.session_state["filter-networks"] = list(networks)
    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    cpu = time.process_time()
    try:
        at.switch_page(page_path).run()
    finally:
        cpu = time.process_time() - cpu
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)
    print(
        f"{page_path}: {len(sent)} statements, {sum(item[0] for item in sent):.3f} s in them, "
        f"{cpu:.3f} s of this process's CPU in the cold run",
        flush=True,
    )
    sent.sort(key=lambda item: -item[0])
    results = []
    engine = db.get_engine(url)
    explain = "EXPLAIN QUERY PLAN " if db.is_sqlite(url) else "EXPLAIN (ANALYZE, BUFFERS) "
    for seconds, statement, parameters in sent[:15]:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(explain + statement, parameters).all()
        plan = "\n".join(" | ".join(str(cell) for cell in row) for row in rows)
        results.append((seconds, statement, plan))
    return results


def measure_networks_in_process(url: str) -> list[tuple]:
    """``measure_networks`` in a process of its own: a fresh process state for every database."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.pages", "--networks-url", url], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"pages --networks-url failed:\n{result.stderr[-4000:]}")
    return [tuple(row) for row in json.loads(result.stdout.strip().splitlines()[-1])]


def pg_binary(name: str) -> str:
    from tests import postgres

    binaries = postgres._binaries()
    if binaries is None:
        raise SystemExit("PostgreSQL is not installed here (Debian: apt-get install postgresql)")
    return str(binaries / name)


def libpq(url: str) -> str:
    """A SQLAlchemy URL as pg_dump and pg_restore take it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_database(posts: int, server) -> str:
    """A PostgreSQL database of the demo's ``posts`` posts on ``server``: restored from the dump kept
    under bench/out/ (brought to the current schema, and then dumped again), or built (and dumped there
    for the next run), then vacuumed."""
    dump = OUT / f"pages-{posts}.pgdump"
    url = server.empty_database()
    if dump.exists():
        subprocess.run([pg_binary("pg_restore"), "--no-owner", "-d", libpq(url), str(dump)], check=True)
        # Statistics first, as a deployed database has them: planned without, revision 0017's recount
        # of the links had run for 35 minutes when it was stopped.
        settle(url)
        if not up_to_date(url):
            return url
        settle(url)
    else:
        build(posts, url)
    partial = dump.with_suffix(".partial")
    subprocess.run([pg_binary("pg_dump"), "-Fc", "-f", str(partial), libpq(url)], check=True)
    partial.rename(dump)
    return url


def network_figures(posts: int, postgres: bool, reuse: bool = False) -> dict[str, Any]:
    """The Networks filter's figures on SQLite and (``postgres``) PostgreSQL at ``posts`` posts. Each
    database's are kept in bench/out/networks-POSTS-DIALECT.json; ``reuse``: take those kept instead of
    measuring again (on a loaded machine one database's run can take a quarter of an hour)."""
    facts: dict[str, Any] = {"posts": posts, "pages": {}, "load": {}}

    def measured(dialect: str, url: str) -> None:
        kept = OUT / f"networks-{posts}-{dialect}.json"
        if reuse and kept.exists():
            facts["pages"][dialect], facts["load"][dialect] = json.loads(kept.read_text())
            return
        before = os.getloadavg()
        facts["pages"][dialect] = measure_networks_in_process(url)
        facts["load"][dialect] = (*before, *os.getloadavg())
        kept.write_text(json.dumps([facts["pages"][dialect], facts["load"][dialect]]))

    started = time.perf_counter()
    url = build(posts)
    print(f"sqlite: {posts:,} posts ready in {time.perf_counter() - started:.0f} s", flush=True)
    facts["shares"] = network_shares(url)
    measured("sqlite", url)
    if postgres:
        from tests import postgres as pg

        server = pg.start()
        try:
            facts["postgres"] = postgres_version(server.admin_url)
            if reuse and (OUT / f"networks-{posts}-postgresql.json").exists():
                measured("postgresql", "")
                return facts
            started = time.perf_counter()
            pg_url = postgres_database(posts, server)
            print(f"postgresql: {posts:,} posts ready in {time.perf_counter() - started:.0f} s", flush=True)
            measured("postgresql", pg_url)
        finally:
            server.stop()
    return facts


def network_shares(url: str) -> dict[str, int]:
    """Collected posts per network in the database."""
    from engagement.analysis import analytics
    from engagement.storage import db

    with db.reading(url) as session:
        frame = analytics.by_network(session)
    db.dispose_engines()
    return {str(row.network): int(row.posts) for row in frame.itertuples()}


def network_section(facts: dict[str, Any]) -> str:
    """The Networks filter's section of bench/results.md."""
    dialects = list(facts["pages"])
    shares = facts["shares"]
    total = sum(shares.values()) or 1
    split = ", ".join(f"{network} {posts:,} ({posts / total:.0%})" for network, posts in shares.items())
    lines = [
        f"## Pages with the Networks filter: {facts['posts']:,} demo posts, " + " and ".join(dialects),
        "",
        commit_and_machine(),
        "",
        f"`python -m bench.pages --networks --posts {facts['posts']}`. Collected posts by network: {split}. "
        + (
            f"PostgreSQL {facts['postgres']}: a local cluster, fsync off, restored from a dump and vacuumed. "
            if "postgres" in facts
            else ""
        )
        + "Each page in AppTest as an organiser: cold is its first run with the caches cleared, "
        f"warm the run right after it (seconds), each the median of {REPEATS} such pairs. Targets: {COLD_TARGET:g} s cold, {WARM_TARGET:g} s warm; "
        "**bold** misses one. CPU: the seconds of the app process's CPU in the same runs (SQLite's queries "
        "run in it), and on PostgreSQL the server's processes' CPU beside it (from /proc, the backends "
        "the app's pool holds); the app's CPU is **bold** where "
        "its seconds and the server's together miss the target.",
        "",
    ]
    server = {d: any(len(row) > 6 and row[6] is not None for row in facts["pages"][d]) for d in dialects}
    headings = []
    for d in dialects:
        headings += [f"{d} cold", f"{d} warm", f"{d} cold CPU", f"{d} warm CPU"]
        headings += [f"{d} server cold CPU", f"{d} server warm CPU"] if server[d] else []
    lines += ["| filter | page | " + " | ".join(headings) + " |", "|---|---|" + "---:|" * len(headings)]

    def cell(seconds: float, target: float) -> str:
        return f"**{seconds:.2f}**" if seconds > target else f"{seconds:.2f}"

    rows: dict[tuple[str, str], list[str]] = {}
    for dialect in dialects:
        for row in facts["pages"][dialect]:
            label, page, cold, warm, cold_cpu, warm_cpu = row[:6]
            cold_server, warm_server = (row[6] or 0.0, row[7] or 0.0) if len(row) > 6 else (0.0, 0.0)
            cells = rows.setdefault((label, page), [])
            cells += [
                cell(cold, COLD_TARGET),
                cell(warm, WARM_TARGET),
                cell(cold_cpu, COLD_TARGET - cold_server),
                cell(warm_cpu, WARM_TARGET - warm_server),
            ]
            if server[dialect]:
                cells += [f"{cold_server:.2f}", f"{warm_server:.2f}"]
    for (label, page), cells in rows.items():
        lines.append(f"| {label} | {page} | " + " | ".join(cells) + " |")
    lines += ["", "Load averages (1, 5, 15 min) before → after each database's pages:", ""]
    for dialect, load in facts["load"].items():
        lines.append(
            f"- {dialect}: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} → {load[3]:.2f}, {load[4]:.2f}, {load[5]:.2f}"
        )
    lines += [
        "",
        "Every rollup is keyed by network and reason since revision 0017, so a filtered page reads the "
        "rollups as an unfiltered one does. Revision 0019 adds the author rollup without kind and language, "
        "the author first in its key (270,562 rows against 526,647): every per-author figure reads it unless "
        "a kind or language is chosen. The figures several sections show (posts per group, per session and "
        "group) are read once a render, by one thread while another waits for them, and the summary's top "
        "posts of public accounts come through the author index (filtered to X: 1.56 → 0.19 s of CPU). "
        "Revision 0020's partial index gives the most reposted posts in order (Sessions: the query 0.30–0.37 "
        "→ 0.01 s on SQLite). Revision 0022 adds the author and link rollups without time (114,799 rows "
        "against 275,321; 23,860 against 441,831), the links kept by triggers on the finer rollup's rows: the summary "
        "and any page with no time, kind or language chosen read their per-author figures and conversations "
        "from them. Charts are built in one go (traces and layout at once), the session bands in "
        "one update, and the summary's charts are cached as JSON, each built once a process.",
        "",
        "**By the clock** (the medians, what a person waits for): " + misses(facts, by_cpu=False) + ". "
        "**By CPU seconds**, cold, the app's and (PostgreSQL) the server's added up (more than the clock "
        "where the summary's two threads and the server work at once; less where the clock waited for a "
        "core): " + misses(facts) + ".",
    ]
    lines += [
        "",
        "Other work was running on the same two cores while these were measured (the load averages above).",
        "",
    ]
    return "\n".join(lines)


def misses(facts: dict[str, Any], by_cpu: bool = True) -> str:
    """Which pages miss a target, per database: by the clock, or (``by_cpu``) by CPU seconds, the app's
    and the server's together."""
    said = []
    for dialect, pages in facts["pages"].items():
        cold, warm = [], []
        for row in pages:
            label, page = row[0], row[1]
            server = (row[6] or 0.0, row[7] or 0.0) if len(row) > 6 else (0.0, 0.0)
            seconds = (row[4] + server[0], row[5] + server[1]) if by_cpu else (row[2], row[3])
            if seconds[0] > COLD_TARGET:
                cold.append(f"{page} ({label}) {seconds[0]:.2f} s")
            if seconds[1] > WARM_TARGET:
                warm.append(f"{page} ({label}) {seconds[1]:.2f} s")
        said.append(
            f"on {dialect}, "
            + (
                f"cold over {COLD_TARGET:g} s: " + "; ".join(cold)
                if cold
                else f"every page within {COLD_TARGET:g} s cold"
            )
            + ", "
            + (
                f"warm over {WARM_TARGET:g} s: " + "; ".join(warm)
                if warm
                else f"every page within {WARM_TARGET:g} s warm"
            )
        )
    return "; ".join(said)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory = next(
        (
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def postgres_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar()).split()[0]
    finally:
        engine.dispose()


def commit_and_machine() -> str:
    """When, at which commit, on what machine, under what load: the line under a section's heading."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    dirty = (
        " (the working tree had other changes in progress)"
        if git("status", "--porcelain", "--untracked-files=no")
        else ""
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    now = datetime.datetime.now(datetime.UTC)
    return (
        f"Run {now:%d %B %Y %H:%M} UTC at commit `{git('rev-parse', '--short', 'HEAD')}`{dirty}. "
        f"Machine: {machine()}. Load average (1, 5, 15 min) when written: {load}."
    )


def section_key(heading: str) -> str:
    """A section's name without its figures: ``## Bluesky stream: 1,000,000 …`` → ``## Bluesky stream``."""
    return heading.split(":", 1)[0].strip()


def write_section(text: str, path: Path = RESULTS) -> None:
    """Put a section (``## …`` and what follows) into bench/results.md: in place of the section of the
    same name, or at the end; the other sections are kept as they are."""
    key = section_key(text.splitlines()[0])
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    sections: list[list[str]] = [[]]
    for line in old.splitlines():
        if line.startswith("## "):
            sections.append([])
        sections[-1].append(line)
    kept = ["\n".join(s).rstrip("\n") for s in sections if not (s and section_key(s[0]) == key)]
    position = next((i for i, s in enumerate(sections) if s and section_key(s[0]) == key), len(sections))
    kept.insert(min(position, len(kept)), text.rstrip("\n"))
    path.write_text("\n\n".join(part for part in kept if part) + "\n", encoding="utf-8")


def measure_in_process(url: str) -> dict:
    """Measure in a process of its own (so the peak memory is this database's), as JSON."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.pages", "--url", url], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    if sys.argv[1:2] == ["--profile"]:  # --profile URL PAGE [NETWORK…]: where a page's time goes
        for seconds, statement, plan in profile(sys.argv[2], sys.argv[3], tuple(sys.argv[4:])):
            print(f"--- {seconds:.3f} s\n{statement}\n--- plan:\n{plan}\n")
        return
    if sys.argv[1:2] == ["--networks-url"]:
        print(json.dumps(measure_networks(sys.argv[2])))
        return
    if sys.argv[1:2] == ["--networks"]:
        # The throwaway PostgreSQL server is the tests' (tests/postgres.py): importable from the root.
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        parser = argparse.ArgumentParser(prog="python -m bench.pages --networks")
        parser.add_argument("--networks", action="store_true")
        parser.add_argument("--posts", type=int, default=1_000_000)
        parser.add_argument("--no-postgres", action="store_true")
        parser.add_argument("--no-write", action="store_true", help="print the figures only")
        parser.add_argument("--reuse", action="store_true", help="a database's figures kept in bench/out, if any")
        args = parser.parse_args()
        text = network_section(network_figures(args.posts, postgres=not args.no_postgres, reuse=args.reuse))
        print(text)
        if not args.no_write:
            write_section(text)
        return
    if sys.argv[1:2] == ["--url"]:
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
