"""Command line of the ingest worker. Each command is a thin layer over ``engagement``.

Exit status: 0 done; 1 failed (the message says why); 2 bad usage; 3 done, but some records were
rejected (they are kept in the database with their reasons: ``status`` lists them).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime, timedelta
from pathlib import Path

from engagement import settings
from engagement.rules.event import EventConfigError, load_event
from engagement.storage import db
from engagement.storage.migrate import current_revision, upgrade

from .stopping import StopFlag

log = logging.getLogger("ingest")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTED = 0, 1, 2, 3


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return settings.redact(super().format(record))


def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)
    # tweepy's debug log prints request headers, the bearer token among them: never below INFO.
    logging.getLogger("tweepy").setLevel(logging.INFO)
    logging.getLogger("urllib3").setLevel(logging.INFO if verbose else logging.WARNING)


def prepare(url: str | None = None) -> None:
    """Migrate, and load the event files into a database that has no agenda yet."""
    from engagement.rules.sync import ensure_event

    db.get_engine(url)
    with db.writing(url) as session:
        if ensure_event(session):
            log.info("event files loaded into the database")


def print_summary(title: str, counts: dict) -> None:
    width = max(len(k) for k in counts)
    print(title)
    for key, value in counts.items():
        print(f"  {key.replace('_', ' '):<{width}}  {value}")


def cmd_demo(args) -> int:
    from engagement.demo import DemoCollection, write_collection

    out = Path(args.out) if args.out else (settings.data_dir() / "demo.jsonl" if args.load else None)
    if out is None:
        raise UsageError("give --out FILE.jsonl, or --load to import the collection")
    collection = DemoCollection(args.posts, args.seed)
    posts_file, questions_file = write_collection(out, collection=collection)
    print(
        f"wrote {args.posts} posts to {posts_file} and {sum(1 for _ in collection.questions())} questions to {questions_file}"
    )
    if not args.load:
        return EXIT_OK
    prepare()
    from engagement.collection.jsonl import import_files
    from engagement.collection.questions import import_questions

    posts = import_files([posts_file], progress=args.progress)
    questions = import_questions(questions_file, origin="demo")
    print_summary("demo posts", posts.as_dict())
    print_summary("demo questions", questions.as_dict())
    return EXIT_REJECTED if posts.rejected or questions.rejected else EXIT_OK


def cmd_import_jsonl(args) -> int:
    from engagement.collection.jsonl import import_files

    prepare()
    for name in args.files:
        if not Path(name).is_file():
            raise UsageError(f"{name}: no such file")
    stop = StopFlag().install()
    summary = import_files(
        [Path(f) for f in args.files], progress=args.progress, batch_posts=args.batch_posts, should_stop=stop
    )
    print_summary("import-jsonl" + (" (stopped early; run again to resume)" if stop() else ""), summary.as_dict())
    return EXIT_REJECTED if summary.rejected else EXIT_OK


def cmd_import_questions(args) -> int:
    from engagement.collection.questions import RowError, import_questions

    prepare()
    if not Path(args.file).is_file():
        raise UsageError(f"{args.file}: no such file")
    try:
        summary = import_questions(Path(args.file), session_key=args.session)
    except RowError as error:
        raise UsageError(str(error)) from None
    print_summary("import-questions", summary.as_dict())
    return EXIT_REJECTED if summary.rejected else EXIT_OK


def parse_local_time(text: str) -> datetime:
    from engagement.timeutil import to_utc

    try:
        return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")), load_event().time_zone)
    except ValueError:
        raise UsageError(f"{text!r} is not an ISO 8601 date and time") from None


def cmd_replay(args) -> int:
    from engagement.collection.replay import replay

    prepare()
    stop = StopFlag().install()
    counts = replay(
        Path(args.file),
        speed=args.speed,
        start=parse_local_time(args.start) if args.start else None,
        skip_gaps=timedelta(minutes=args.skip_gaps) if args.skip_gaps else None,
        questions=Path(args.questions) if args.questions else None,
        should_stop=stop,
        sleep=stop.wait,
    )
    print_summary("replay" + (" (stopped)" if stop() else ""), counts.as_dict())
    return EXIT_OK


def _event_queries() -> list[str]:
    """The event's X queries: hashtags and the organiser's accounts, split past ``X_QUERY_LIMIT``."""
    queries = load_event().x_queries()
    for number, query in enumerate(queries, 1):
        log.info("X query %d of %d: %s", number, len(queries), query)
    return queries


def cmd_x_poll(args) -> int:
    from engagement.collection.x.client import make_client
    from engagement.collection.x.collect import poll_queries, record_run
    from engagement.collection.x.retry import GaveUp

    prepare()
    stop = StopFlag().install()
    client, queries, url = make_client(), _event_queries(), settings.database_url()
    log.info(
        "x-poll: recent search for %d quer%s%s",
        len(queries),
        "y" if len(queries) == 1 else "ies",
        "" if args.once else f", every {args.interval:g} s",
    )
    rejected = False
    while not stop():
        try:
            result = record_run(
                url, "x-poll", "x-poll", lambda: poll_queries(client, queries=queries, url=url, stop=stop)
            )
        except GaveUp as error:
            if args.once:
                raise
            log.error("%s; trying again at the next interval", error)
        else:
            rejected = rejected or result.rejected > 0
            log.info(
                "x-poll: %d page(s), %d new, %d updated, %d rejected",
                result.pages,
                result.store.posts_new,
                result.store.posts_updated,
                result.rejected,
            )
            if args.once:
                break
        stop.wait(args.interval)
    return EXIT_REJECTED if rejected else EXIT_OK


def cmd_x_stream(args) -> int:
    from engagement.collection.x.client import make_client
    from engagement.collection.x.collect import record_run
    from engagement.collection.x.stream import run_stream

    prepare()
    stop = StopFlag().install()
    client, queries, url = make_client(), _event_queries(), settings.database_url()
    result = record_run(
        url,
        "x-stream",
        "x-stream",
        lambda: run_stream(queries=queries, client=client, url=url, stop=stop, base_url=settings.x_api_base_url()),
    )
    return EXIT_REJECTED if result.rejected else EXIT_OK


def cmd_x_backfill(args) -> int:
    from engagement.collection.x.client import make_client
    from engagement.collection.x.collect import backfill_queries, record_run

    prepare()
    since, until = parse_local_time(args.since), parse_local_time(args.until)
    if until <= since:
        raise UsageError("--until must be after --since")
    stop = StopFlag().install()
    client, queries, url = make_client(), _event_queries(), settings.database_url()
    result = record_run(
        url,
        "x-backfill",
        f"x-backfill --since {args.since} --until {args.until}",
        lambda: backfill_queries(client, queries=queries, since=since, until=until, url=url, stop=stop),
    )
    print_summary("x-backfill" + ("" if result.complete else " (stopped; run again to resume)"), result.counts())
    return EXIT_REJECTED if result.rejected else EXIT_OK


def cmd_bsky_stream(args) -> int:
    from engagement.collection.bluesky.jetstream import record_stream_run, run_stream, shown

    prepare()
    stop = StopFlag().install()
    url, urls, stall = settings.database_url(), settings.jetstream_urls(), settings.jetstream_stall_seconds()
    appview = settings.bluesky_appview_url()
    log.info(
        "bsky-stream: Jetstream at %s; reconnecting after %g s without a frame", ", ".join(map(shown, urls)), stall
    )
    result = record_stream_run(
        url,
        "bsky-stream",
        lambda: run_stream(urls=urls, url=url, stop=stop, wait=stop.wait, stall_seconds=stall, appview=appview),
    )
    print_summary("bsky-stream (stopped)", result.counts())
    return EXIT_REJECTED if result.rejected else EXIT_OK


def cmd_bsky_search(args) -> int:
    from engagement.collection.bluesky.search import event_queries, record_search, search_window
    from engagement.collection.bluesky.xrpc import sign_in
    from engagement.collection.x.retry import GaveUp

    prepare()
    since, until = parse_local_time(args.since), parse_local_time(args.until)
    if until <= since:
        raise UsageError("--until must be after --since")
    stop = StopFlag().install()
    url, queries = settings.database_url(), event_queries(load_event())
    log.info(
        "bsky-search: %d quer%s through %s",
        len(queries),
        "y" if len(queries) == 1 else "ies",
        settings.bluesky_api_base_url(),
    )
    callers: list = []  # signed in once, inside the first run: a refused sign-in is that run's failure

    def run():
        if not callers:
            callers.append(sign_in(url, stop=stop))
        return search_window(callers[0], queries=queries, since=since, until=until, url=url, stop=stop)

    command = f"bsky-search --since {args.since} --until {args.until}"
    rejected = False
    while not stop():
        try:
            result = record_search(url, command, run)
        except GaveUp as error:
            if args.interval is None:
                raise
            log.error("%s; trying again at the next interval", error)
            stop.wait(args.interval)
            continue
        rejected = rejected or result.rejected > 0
        print_summary("bsky-search" + ("" if result.complete else " (stopped; run again to resume)"), result.counts())
        if args.interval is None:
            break
        stop.wait(args.interval)
    return EXIT_REJECTED if rejected else EXIT_OK


def cmd_mastodon_poll(args) -> int:
    from engagement.collection.mastodon.poll import (
        CACHE_SECONDS,
        configured_instances,
        make_callers,
        poll_pass,
        record_poll,
        tag_groups,
    )

    prepare()
    window = None
    if args.since or args.until:
        if not (args.since and args.until):
            raise UsageError("--since and --until go together: the window to backfill")
        window = (parse_local_time(args.since), parse_local_time(args.until))
        if window[1] <= window[0]:
            raise UsageError("--until must be after --since")
    interval = args.interval
    if interval < CACHE_SECONDS:
        log.warning("mastodon-poll: --interval %g s is under the 15 s anonymous answers are cached for", interval)
        interval = CACHE_SECONDS
    stop = StopFlag().install()
    url, groups, instances = settings.database_url(), tag_groups(load_event().hashtags), configured_instances()
    rescan = timedelta(minutes=settings.mastodon_rescan_minutes())
    callers = make_callers(instances, stop=stop)
    log.info(
        "mastodon-poll: %d hashtag(s) on %d instance(s): %s%s",
        sum(len(g) for g in groups),
        len(instances),
        ", ".join(i.key + (" (with its token)" if i.token else "") for i in instances),
        f"; the window {args.since} to {args.until}" if window else f"; each pass reads back {rescan}",
    )
    command = "mastodon-poll" + (f" --since {args.since} --until {args.until}" if window else "")
    rejected = False
    while not stop():
        result = record_poll(
            url, command, lambda: poll_pass(callers, groups, url=url, stop=stop, rescan=rescan, window=window)
        )
        rejected = rejected or result.rejected > 0
        print_summary("mastodon-poll" + ("" if result.complete else " (stopped; run again to resume)"), result.counts())
        if args.once or window is not None:
            break
        stop.wait(interval)
    return EXIT_REJECTED if rejected else EXIT_OK


def cmd_bsky_hydrate(args) -> int:
    from engagement.collection.bluesky.hydrate import hydrate_pass, record_hydrate

    prepare()
    appview = settings.bluesky_appview_url()
    if appview is None:
        raise UsageError("BLUESKY_APPVIEW_URL is off: set it to an AppView (default https://public.api.bsky.app)")
    stop = StopFlag().install()
    url = settings.database_url()
    result = record_hydrate(url, "bsky-hydrate", lambda: hydrate_pass(url, appview, stop))
    print_summary("bsky-hydrate" + ("" if result.complete else " (stopped; run again to go on)"), result.counts())
    return EXIT_REJECTED if result.rejected else EXIT_OK


def cmd_status(args) -> int:
    from engagement.storage.status import database_status

    db.get_engine()
    with db.reading() as session:
        status = database_status(session)
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
        return EXIT_OK
    print_summary("database", {k: v for k, v in status.items() if not isinstance(v, dict)})
    for platform, posts in status["posts_by_platform"].items():
        print(f"  posts on {platform}: {posts:,}")
    for source, position in status["checkpoints"].items():
        print(f"  checkpoint {source}: {position}")
    for source, run in status["last_runs"].items():
        print(f"  last {source}: {run['status']} at {run['started_at']} {json.dumps(run['counts'])}")
    return EXIT_OK


def cmd_reclassify(args) -> int:
    from engagement.rules.classification import reclassify_in_steps

    prepare()
    changed = reclassify_in_steps()
    print(f"reclassified: {changed} author(s) changed group")
    return EXIT_OK


def cmd_config(args) -> int:
    from engagement.rules import admin

    db.get_engine()
    result = admin.load_event_files()
    for warning in result.warnings:
        log.warning(warning)
    print_summary("event files loaded", {k: v for k, v in result.__dict__.items() if k != "warnings"})
    return EXIT_OK


def cmd_agenda_import(args) -> int:
    from engagement.programme.importing import import_programme
    from engagement.programme.model import ProgrammeError

    db.get_engine()  # migrated; the event files may not exist yet: this may write them
    try:
        result = import_programme(
            args.sources, fmt=args.format, zone_name=args.timezone, url=settings.database_url(), dry_run=args.dry_run
        )
    except ProgrammeError as error:
        print(settings.redact(f"error: {error}"), file=sys.stderr)
        return EXIT_FAILED
    for line in result.changes.lines():
        print(line)
    title = "agenda-import (dry run: nothing written)" if args.dry_run else "agenda-import"
    if not result.changes.any:
        title += ": the agenda already matches"
    print_summary(title, {"sessions": result.sessions, **result.changes.counts()})
    if result.loaded is not None:
        for warning in result.loaded.warnings:
            log.warning(warning)
    return EXIT_OK


def cmd_registrations_import(args) -> int:
    from engagement.programme.registrations import RegistrationsError, import_registrations

    try:
        result = import_registrations(
            Path(args.file),
            group_column=args.group_column,
            maps=args.map or (),
            count=args.count,
            state_column=args.state_column,
            checked_in_column=args.checked_in_column,
            save_mapping=args.save_mapping,
            dry_run=args.dry_run,
        )
    except RegistrationsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    for value, rows in result.unmapped.most_common():
        # The group column's values only: nothing personal is read, so nothing personal is printed.
        log.warning(
            "registrations-import: %d row(s) with %r map to no group: left out (--map VALUE=GROUP)", rows, value
        )
    title = "registrations-import (dry run: nothing written)" if args.dry_run else "registrations-import"
    print_summary(
        title,
        {
            **{f"{args.count}: {key}": n for key, n in sorted(result.counts.items())},
            "rows read": result.rows,
            "rows not counted (state or check-in)": result.not_counted,
            "rows left out (no group)": sum(result.unmapped.values()),
        },
    )
    return EXIT_REJECTED if result.unmapped else EXIT_OK


def cmd_db(args) -> int:
    url = settings.database_url()
    before = current_revision(url) if args.action == "upgrade" else None
    if args.action == "upgrade":
        upgrade(url)
        print(f"database schema: {before or 'empty'} -> {current_revision(url)}")
    elif args.action == "recount":
        from engagement.analysis import rollups

        with db.writing(url) as session:
            posts = rollups.recount(session)
        print(f"rollups recounted from {posts:,} posts")
    else:
        print(f"database schema: {current_revision(url) or 'empty'}")
    return EXIT_OK


def cmd_report(args) -> int:
    from engagement import i18n, report
    from engagement.report.voice import RegistrationsError

    try:
        f = report.for_networks(args.network)
    except report.UnknownNetwork as error:
        raise UsageError(str(error)) from None
    if args.language is not None and args.language not in i18n.LANGUAGES:
        raise UsageError(f"no report in {args.language!r}: choose one of {', '.join(i18n.LANGUAGES)}")
    prepare()
    event = load_event()
    try:
        with db.reading_together(count=report.THREADS) as db_sessions:
            content = report.build(
                db_sessions,
                event,
                f,
                names=args.names,
                registrations=args.registrations,
                questions_in_pdf=args.questions_in_pdf,
                language=args.language,
            )
    except RegistrationsError as error:
        raise UsageError(str(error)) from None
    written = report.write(content, Path(args.out), pdf=not args.no_pdf)
    print(f"post-event summary written to {Path(args.out).resolve()}")
    print(f"  {written.html.name}   self-contained, opens offline, prints well")
    print(f"  {written.xlsx.name}   {len(content.tables) + 3} sheets (README, Findings and Caveats first)")
    print(f"  csv/          {len(written.csvs)} tables")
    if written.pdf:
        print(f"  {written.pdf.name}")
    elif not args.no_pdf:
        print(f"  no PDF: {written.pdf_problem}")
    return EXIT_OK


def cmd_backup(args) -> int:
    from engagement.storage.backup import BackupError, backup

    try:
        copied = backup(Path(args.to))
    except BackupError as error:
        raise UsageError(str(error)) from None
    print_summary("backup written", copied)
    return EXIT_OK


def cmd_purge_questions(args) -> int:
    from engagement.qa import privacy
    from engagement.timeutil import utcnow

    days = args.older_than if args.older_than is not None else privacy.retention_days()
    if days < 0:
        raise UsageError("--older-than takes a number of days, 0 or more")
    prepare()
    with db.writing() as session:
        result = privacy.purge(session, older_than=utcnow() - timedelta(days=days))
    print_summary(f"questions asked more than {days} day(s) ago", result)
    return EXIT_OK


def positive(text: str) -> int:
    """An argument that counts something: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="write the synthetic demo collection (and --load it)")
    demo.add_argument("--posts", type=int, default=3000, help="collected posts to generate (default 3000)")
    demo.add_argument("--seed", type=int, default=18, help="the same seed gives the same bytes (default 18)")
    demo.add_argument("--out", help="JSONL file to write; questions go beside it as NAME.questions.csv")
    demo.add_argument("--load", action="store_true", help="import the collection into DATABASE_URL")
    demo.add_argument("--progress", action="store_true", default=None, help="show a progress bar")
    demo.set_defaults(run=cmd_demo)

    jsonl = commands.add_parser(
        "import",
        aliases=["import-jsonl"],
        help="import files of posts, the format told per line: twarc2 JSONL, Bluesky AppView pages or "
        "PostViews, Jetstream captures; JSON arrays too; .gz too",
    )
    jsonl.add_argument("files", nargs="+", metavar="FILE")
    jsonl.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar (default: on a terminal)"
    )
    jsonl.add_argument(
        "--batch-posts",
        type=positive,
        metavar="N",
        help="posts per transaction, every one (default: 5,000, then sized by the pace up to 20,000)",
    )
    jsonl.set_defaults(run=cmd_import_jsonl)

    questions = commands.add_parser("import-questions", help="import session questions from CSV")
    questions.add_argument("file", metavar="FILE")
    questions.add_argument("--session", metavar="KEY", help="the session of an export that names none (Slido)")
    questions.set_defaults(run=cmd_import_questions)

    replay = commands.add_parser("replay", help="feed a collection in simulated real time (demo live view)")
    replay.add_argument("file", metavar="FILE")
    replay.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (default 60)")
    replay.add_argument(
        "--from",
        dest="start",
        metavar="TIME",
        help="start the clock here (event time zone); earlier posts go in at once",
    )
    replay.add_argument("--questions", metavar="CSV", help="also feed these questions by their created_at")
    replay.add_argument(
        "--skip-gaps", type=float, metavar="MINUTES", help="jump the clock over quiet spells longer than this"
    )
    replay.set_defaults(run=cmd_replay)

    poll = commands.add_parser("x-poll", help="X recent search for the event hashtags, resumable")
    poll.add_argument("--once", action="store_true", help="one pass through every page, then exit")
    poll.add_argument("--interval", type=float, default=30.0, help="seconds between passes (default 30)")
    poll.set_defaults(run=cmd_x_poll)

    stream = commands.add_parser("x-stream", help="X filtered stream; fills gaps with recent search on reconnect")
    stream.set_defaults(run=cmd_x_stream)

    back = commands.add_parser("x-backfill", help="X full-archive search over a time window, paced")
    back.add_argument("--since", required=True, metavar="ISO", help="start (event time zone unless an offset is given)")
    back.add_argument("--until", required=True, metavar="ISO", help="end")
    back.set_defaults(run=cmd_x_backfill)

    bsky = commands.add_parser(
        "bsky-stream", help="Bluesky live from Jetstream: the event's hashtags and accounts, resumable"
    )
    bsky.set_defaults(run=cmd_bsky_stream)

    search = commands.add_parser(
        "bsky-search", help="Bluesky searchPosts over a time window: backfill, resumable; --interval to reconcile"
    )
    search.add_argument(
        "--since", required=True, metavar="ISO", help="start (event time zone unless an offset is given)"
    )
    search.add_argument("--until", required=True, metavar="ISO", help="end (exclusive)")
    search.add_argument("--interval", type=float, metavar="S", help="walk the window again every S seconds")
    search.set_defaults(run=cmd_bsky_search)

    hydrate = commands.add_parser(
        "bsky-hydrate", help="fill in counts, handles and bios of Bluesky posts stored from Jetstream (one pass)"
    )
    hydrate.set_defaults(run=cmd_bsky_hydrate)

    mastodon = commands.add_parser(
        "mastodon-poll", help="Mastodon hashtag timelines of MASTODON_INSTANCES, one row per post; resumable"
    )
    mastodon.add_argument("--once", action="store_true", help="one pass over every instance, then exit")
    mastodon.add_argument("--interval", type=float, default=30.0, help="seconds between passes (default 30, min 15)")
    mastodon.add_argument("--since", metavar="ISO", help="backfill a window from here (event time zone)")
    mastodon.add_argument("--until", metavar="ISO", help="the window's end (exclusive)")
    mastodon.set_defaults(run=cmd_mastodon_poll)

    status = commands.add_parser("status", help="what the database holds")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=cmd_status)

    reclassify = commands.add_parser("reclassify", help="apply the directory, rules and overrides to every author")
    reclassify.set_defaults(run=cmd_reclassify)

    programme = commands.add_parser(
        "agenda-import", help="the agenda from frab/pretalx JSON or XML, an Indico timetable or iCal (files or URLs)"
    )
    programme.add_argument("sources", nargs="+", metavar="FILE|URL")
    programme.add_argument("--format", default="auto", choices=("auto", "frab-json", "frab-xml", "indico", "ics"))
    programme.add_argument("--timezone", help="the zone of times the file gives without an offset (IANA name)")
    programme.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    programme.set_defaults(run=cmd_agenda_import)

    registrations = commands.add_parser(
        "registrations-import", help="people per stakeholder group from a registrations CSV or XLSX (only counts kept)"
    )
    registrations.add_argument("file", metavar="FILE")
    registrations.add_argument("--group-column", required=True, metavar="NAME", help="the column holding the group")
    registrations.add_argument(
        "--map",
        action="append",
        metavar="VALUE=GROUP",
        help="a value of that column and the group key or label it means",
    )
    registrations.add_argument("--count", choices=("registered", "attended"), default="registered")
    registrations.add_argument("--state-column", metavar="NAME", help="the row's state (default: found by its name)")
    registrations.add_argument("--checked-in-column", metavar="NAME", help="the check-in column, for --count attended")
    registrations.add_argument(
        "--save-mapping", action="store_true", help="keep the --map values in registration_mapping.csv"
    )
    registrations.add_argument("--dry-run", action="store_true", help="count and say, write nothing")
    registrations.set_defaults(run=cmd_registrations_import)

    config = commands.add_parser("config", help="load data/event.toml, agenda and stakeholder files into the database")
    config.set_defaults(run=cmd_config)

    summary = commands.add_parser("report", help="write the post-event summary: HTML, XLSX, CSV and PDF")
    summary.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if needed)")
    summary.add_argument(
        "--names", action="store_true", help="include participants' names and affiliations (left out by default)"
    )
    summary.add_argument(
        "--registrations",
        metavar="CSV",
        help="registered participants per group (default: data/registrations.csv if present)",
    )
    summary.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    summary.add_argument(
        "--language",
        metavar="LANG",
        help="the report's language, a code such as fr or ru (default: the event's first language)",
    )
    summary.add_argument(
        "--questions-in-pdf",
        action="store_true",
        help="add every published question to the HTML and PDF as an appendix (the XLSX and CSV always have them)",
    )
    summary.add_argument(
        "--network",
        action="append",
        metavar="NETWORK",
        help="only this network's posts: x, bluesky, mastodon (repeat, or separate with commas)",
    )
    summary.set_defaults(run=cmd_report)

    copy = commands.add_parser("backup", help="copy the live SQLite database safely (the app and worker keep running)")
    copy.add_argument("to", metavar="FILE", help="where to write the copy")
    copy.set_defaults(run=cmd_backup)

    purge = commands.add_parser("purge-questions", help="erase participants' personal data after the retention period")
    purge.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="questions asked more than DAYS ago (default QA_RETENTION_DAYS, else 90)",
    )
    purge.set_defaults(run=cmd_purge_questions)

    database = commands.add_parser("db", help="schema migrations; recount: the Analyse rollups anew from the posts")
    database.add_argument("action", choices=["upgrade", "current", "recount"])
    database.set_defaults(run=cmd_db)
    return parser


def _api_outcome(error: Exception) -> str | None:
    """ "stopped" for the API clients' Stopped, "failed" for their errors a person must act on, else
    None. Their modules (tweepy and requests: 0.16 s of every command's start) are imported only by
    the commands that call an API, so an error of theirs can come only from those."""
    retry, client = sys.modules.get("engagement.collection.x.retry"), sys.modules.get("engagement.collection.x.client")
    if retry is not None and isinstance(error, retry.Stopped):
        return "stopped"
    if retry is not None and isinstance(error, (retry.FatalAPIError, retry.GaveUp)):
        return "failed"
    if client is not None and isinstance(error, client.MissingToken):
        return "failed"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return args.run(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except EventConfigError as error:
        print(f"error in the event files: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return EXIT_OK
    except Exception as error:  # the last line of defence: say what failed, without secrets
        api = _api_outcome(error)
        if api == "stopped":
            return EXIT_OK
        if api == "failed":
            print(settings.redact(f"error: {error}"), file=sys.stderr)
            return EXIT_FAILED
        log.debug("failure", exc_info=True)
        print(settings.redact(f"error: {type(error).__name__}: {error}"), file=sys.stderr)
        return EXIT_FAILED
