"""Every benchmark in one run, SQLite and PostgreSQL side by side, written to bench/results.md.

    python -m bench [--sizes 10000 100000 1000000] [--import-posts 1000000] [--curve-sizes 10000 50000 …]
                    [--no-postgres] [--quick]

Run it as a module from the repository's root: it imports ``bench.*`` and the tests' throwaway
PostgreSQL server (``tests.postgres``), which ``python -m`` finds on the path it starts from.

1. import: the demo collection imported by ``python -m ingest import-jsonl`` into SQLite and into
   PostgreSQL, beside ``twarc2 csv`` and a bare floor (bench/import_compare.py);
2. pages: every page cold and warm, and the app process's peak memory, at each size (bench/pages.py);
3. Q&A: 200 participants and 5 moderators while the worker imports, flat out and at a hall's pace
   (bench/qa_load.py writes);
4. participant sessions one app process serves (bench/qa_load.py sessions; SQLite: the figure is
   the app process's, whatever the database);
5. the Analyse pages and the summary with the Networks filter set (one network, then both) at the
   largest size (bench/pages.py --networks);
6. Bluesky's stream consumer: a million Jetstream events filtered, batches, memory, and the seconds
   from a matching event to the Live page (bench/bluesky_stream.py);
7. Mastodon: statuses/s through conversion and storage on one core, and a poll of 10 simulated
   instances × 4 hashtags, requests per 5 minutes per instance (bench/mastodon.py);
8. the hall's screens: 20 walls and 20 projector views on one app process for ``--screens-minutes``
   while the demo replays (Chromium's recorded frames replayed, 2 + 2 Chromium pages as the control),
   CPU and memory per view (bench/screens.py);
9. the import curve: ours (SQLite, PostgreSQL) beside twarc-csv at ``--curve-sizes`` posts,
   alternating, medians of 3 where a run is under a minute (bench/import_curve.py).

PostgreSQL is a throwaway local cluster (tests/postgres.py), or ``TEST_POSTGRES_URL``.
``--quick``: sizes 10k and 100k, 100k posts imported, 10 s of Q&A load, 10 browsers, 100k
Jetstream events, 10k Mastodon statuses, 5 simulated minutes of polling and 2 minutes of screens.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import bluesky_stream, import_compare, import_curve, mastodon, pages, qa_load, screens
from bench.pages import machine, postgres_version

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "bench" / "results.md"


def new_database(server, dialect: str, name: str) -> str:
    if dialect == "postgresql":
        return server.empty_database()
    return f"sqlite:///{Path(tempfile.mkdtemp(prefix=f'bench-{name}-')) / 'bench.db'}"


def run_imports(posts: int, dialects: list[str], server, folder: Path) -> tuple[dict, dict[str, str]]:
    """The figures, and the databases each dialect's import filled (PostgreSQL's is reused for the pages)."""
    twarc2 = import_compare.twarc_venv()
    results, filled = {}, {}
    collection = folder / "collection.jsonl"
    subprocess.run(
        [sys.executable, "-m", "ingest", "demo", "--posts", str(posts), "--out", str(collection)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    for dialect in dialects:
        filled[dialect] = url = new_database(server, dialect, "import")
        results[f"ours, {dialect}"] = import_compare.measure(
            [sys.executable, "-m", "ingest", "import-jsonl", "--no-progress", str(collection)], {"DATABASE_URL": url}
        )
    results["twarc-csv 0.7.2 (JSONL → CSV only)"] = import_compare.measure(
        [
            str(twarc2),
            "--bearer-token",
            "unused",
            "csv",
            "--hide-progress",
            "--hide-stats",
            "--extra-input-columns",
            import_compare.NOTE_COLUMNS,
            str(collection),
            str(folder / "twarc.csv"),
        ]
    )
    results["floor: json.loads + sqlite3.executemany"] = import_compare.measure(
        [sys.executable, "-c", import_compare.FLOOR, str(collection), str(folder / "floor.db")]
    )
    for url in filled.values():  # with its questions, the import is a page database too
        subprocess.run(
            [sys.executable, "-m", "ingest", "import-questions", str(folder / "collection.questions.csv")],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={**os.environ, "DATABASE_URL": url},
        )
    return results, filled


def write_results(args, facts: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"`python -m bench {' '.join(sys.argv[1:])}`, {datetime.date.today():%d %B %Y}.",
        "",
        f"Machine: {facts['machine']}. PostgreSQL: {facts.get('postgres', 'not run')} "
        "(a local cluster, fsync off: a benchmark of this code, not of a disk).",
        "",
    ]
    posts = facts["import_posts"]
    lines += [
        f"## Import: {posts:,} posts of twarc2 JSONL",
        "",
        "| importer | seconds | posts/s | peak memory (MB) |",
        "|---|---:|---:|---:|",
    ]
    for name, (seconds, peak) in facts["imports"].items():
        lines.append(f"| {name} | {seconds:,.1f} | {posts / seconds:,.0f} | {peak:,.0f} |")
    lines += ["", "## Pages: server-side run time (seconds), cold (caches cleared) and warm", ""]
    sizes, dialects = facts["sizes"], facts["dialects"]
    header = "| page | " + " | ".join(f"{d} {s:,} cold | {d} {s:,} warm" for s in sizes for d in dialects) + " |"
    lines += [header, "|---|" + "---:|" * (2 * len(sizes) * len(dialects))]
    names = [page for page, _, _ in facts["pages"][(dialects[0], sizes[0])]["pages"]]
    for index, page in enumerate(names):
        cells = []
        for size in sizes:
            for dialect in dialects:
                _, cold, warm = facts["pages"][(dialect, size)]["pages"][index]
                cells += [f"{cold:.2f}", f"{warm:.2f}"]
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    lines.append(
        "| **peak memory (MB)** | "
        + " | ".join(f"{facts['pages'][(d, s)]['peak_mb']:,} | " for s in sizes for d in dialects).rstrip(" |")
        + " |"
    )
    if len(sizes) >= 2:
        small, large = sizes[-2], sizes[-1]
        lines += [
            "",
            f"### Growth from {small:,} to {large:,} posts ({large // small}× the data)",
            "",
            "| | " + " | ".join(dialects) + " |",
            "|---|" + "---:|" * len(dialects),
        ]
        for label, pick in (
            ("slowest cold page", lambda r: max(c for _, c, _ in r["pages"])),
            ("slowest warm page", lambda r: max(w for _, _, w in r["pages"])),
            ("peak memory", lambda r: r["peak_mb"]),
        ):
            cells = [
                f"{pick(facts['pages'][(d, large)]) / max(pick(facts['pages'][(d, small)]), 1e-9):.1f}×"
                for d in dialects
            ]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Q&A under load, while the worker imports",
        "",
        "| database | pace | submissions/s | votes/s | moderator actions/s | p95 submit (ms) | p95 vote (ms) "
        "| lost | errors shown |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (dialect, pace), r in facts["qa"].items():
        how = "flat out" if not pace else f"every {pace:g} s each"
        lines.append(
            f"| {dialect} | {r['participants']} participants, {how} | {r['submissions_per_s']} | "
            f"{r['votes_per_s']} | {r['moderator actions_per_s']} | {r['submissions_p95_ms']} | "
            f"{r['votes_p95_ms']} | {r['lost_questions'] + r['lost_votes']} | {r['errors']} |"
        )
    s = facts["sessions"]
    lines += [
        "",
        "## Participant sessions per app process",
        "",
        f"{s['browsers']} Chromium pages on /ask (30 questions shown, refreshing every 10 s): "
        f"{s['mib_per_session']} MiB and {s['cpu_per_session']:.2%} of a core a session, "
        f"{s['errors']} pages with an error. One app process serves about **{s['sessions_per_process']:,}** "
        f"participant sessions ({s['by_memory']:,} by memory within 4 GiB, {s['by_cpu']:,} by CPU at 70 % "
        "of one core).",
        "",
    ]
    lines += [
        pages.network_section(facts["networks"]),
        bluesky_stream.section(facts["bluesky"]),
        mastodon.section(facts["mastodon"]),
        screens.section(facts["screens"]),
        import_curve.section(facts["curve"]),
    ]
    text = "\n".join(lines)
    RESULTS.write_text(text, encoding="utf-8")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--import-posts", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--browsers", type=int, default=40)
    parser.add_argument("--stream-events", type=int, default=1_000_000, help="Jetstream events replayed")
    parser.add_argument("--mastodon-statuses", type=int, default=50_000, help="Mastodon statuses stored")
    parser.add_argument("--mastodon-minutes", type=float, default=10.0, help="simulated minutes of polling")
    parser.add_argument("--screens-minutes", type=float, default=10.0, help="minutes every screen stays open")
    parser.add_argument(
        "--curve-sizes", type=int, nargs="+", default=import_curve.SIZES, help="the import curve's sizes (a subset)"
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.import_posts, args.seconds, args.browsers = [10_000, 100_000], 100_000, 10, 10
        args.stream_events = 100_000
        args.mastodon_statuses, args.mastodon_minutes = 10_000, 5.0
        args.curve_sizes = [10_000, 50_000]
        args.screens_minutes = 2.0
    import logging

    logging.basicConfig(level=logging.ERROR)
    facts: dict = {"machine": machine(), "sizes": args.sizes, "import_posts": args.import_posts}
    server = None
    dialects = ["sqlite"]
    if not args.no_postgres:
        from tests import postgres

        server = postgres.start()
        facts["postgres"] = postgres_version(server.admin_url)
        dialects.append("postgresql")
    facts["dialects"] = dialects
    try:
        print("import …", flush=True)
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as folder:
            facts["imports"], imported = run_imports(args.import_posts, dialects, server, Path(folder))
        facts["pages"] = {}
        for dialect in dialects:
            for size in args.sizes:
                print(f"pages: {dialect}, {size:,} posts …", flush=True)
                if dialect == "sqlite":
                    url = pages.build(size)
                elif size == args.import_posts:
                    url = imported[dialect]  # the same demo collection, already in
                else:
                    assert server is not None  # PostgreSQL is in dialects only with its server
                    url = pages.build(size, server.empty_database())
                facts["pages"][(dialect, size)] = pages.measure_in_process(url)
                if size == max(args.sizes):
                    print(f"pages with the Networks filter: {dialect}, {size:,} posts …", flush=True)
                    networks = facts.setdefault("networks", {"posts": size, "pages": {}, "load": {}})
                    before = os.getloadavg()
                    networks["pages"][dialect] = pages.measure_networks_in_process(url)
                    networks["load"][dialect] = (*before, *os.getloadavg())
                    if dialect == "sqlite":
                        networks["shares"] = pages.network_shares(url)
                    else:
                        networks["postgres"] = facts["postgres"]
        facts["qa"] = {}
        for dialect in dialects:
            for pace in (0.0, 5.0):
                print(f"Q&A load: {dialect}, pace {pace:g} …", flush=True)
                facts["qa"][(dialect, pace)] = qa_load.writes(
                    200, args.seconds, pace=pace, url=new_database(server, dialect, "qa")
                )
        print("participant sessions …", flush=True)
        facts["sessions"] = qa_load.sessions(args.browsers)
        print("Bluesky stream …", flush=True)
        facts["bluesky"] = bluesky_stream.run(args.stream_events, 20, 30, bluesky_stream.EVENTS_PER_SECOND, server)
        facts["mastodon"] = mastodon.run(args.mastodon_statuses, 10, args.mastodon_minutes)
        print("the hall's screens …", flush=True)
        facts["screens"] = screens.run(args.screens_minutes, 20, 20, 20.0)
        print("import curve …", flush=True)
        facts["curve"] = import_curve.run(args.curve_sizes, server)
    finally:
        if server is not None:
            server.stop()
    print(write_results(args, facts))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
