"""The worker as the tests run it: ``python -m ingest`` as a process, its end, what the database holds, the X API client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from engagement.analysis import analytics
from engagement.collection.x.client import make_client
from engagement.storage import db
from engagement.storage.models import Author, IngestCheckpoint, IngestRun, Post

from ..xsim import TOKEN
from . import ROOT

# A worker process gets a fresh environment: without this, bsky-stream would hydrate against the
# public AppView. A test that hydrates passes BLUESKY_APPVIEW_URL (the local XRPC simulator).
NO_NETWORK = {"BLUESKY_APPVIEW_URL": "off"}


def worker(*args, url, sim=None, token=TOKEN, start_new_session=False, stderr=subprocess.PIPE, **env):
    """The worker as a process; ``stderr`` may be a file for a run that is watched, not waited for (a
    pipe nobody reads fills at 64 KiB and stops the worker mid-import)."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": url,
        "X_BEARER_TOKEN": token,
        "X_API_TIMEOUT": "5",
        **NO_NETWORK,
        **env,
    }
    if sim is not None:
        environment["X_API_BASE_URL"] = sim.base_url
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        start_new_session=start_new_session,
    )


def finish(process, timeout=180):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def snapshot(url):
    """Everything a person could see, without row ids and bookkeeping times."""
    with db.reading(url) as session:
        posts = session.exec(
            select(
                Post.platform_id,
                Post.current_id,
                Post.text,
                Post.kind,
                Post.collected,
                Post.session_id,
                Post.likes,
                Post.retweets,
                Post.hashtags,
                Post.created_at,
                Author.platform_user_id,
                Author.group_key,
            )
            .outerjoin(Author, Author.id == Post.author_id)
            .order_by(Post.platform_id)
        ).all()
        authors = session.exec(
            select(Author.platform_user_id, Author.handle, Author.group_key, Author.group_source).order_by(
                Author.platform_user_id
            )
        ).all()
        # The Analyse figures come from the rollups the worker counts in the same transactions.
        figures = (
            analytics.totals(session),
            analytics.by_session(session).to_dict("records"),
            analytics.by_group(session).to_dict("records"),
            analytics.volume(session).to_dict("records"),
            analytics.hashtags(session, [], limit=100).to_dict("records"),
        )
    db.dispose_engines()
    return posts, authors, figures


def ingest(*args, url, cwd=ROOT, **env):
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": url, **NO_NETWORK, **env}
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=300
    )


def client_for(sim, token=TOKEN, timeout=30.0):
    from engagement.collection.x.transport import route

    client = make_client(token, sim.base_url)
    route(client.session, sim.base_url, timeout=(5, timeout))
    return client


def collected(url):
    with db.reading(url) as session:
        return session.scalar(select(func.count()).select_from(Post).where(Post.collected.is_(True)))


def collected_ids(url) -> set[str]:
    """The platform ids of the collected posts."""
    with db.reading(url) as session:
        ids = set(session.exec(select(Post.platform_id).where(Post.collected.is_(True))).all())
    db.dispose_engines()
    return ids


def checkpoints(url, prefix: str = "") -> dict[str, dict]:
    """The X resume points (JSON) by source, of the sources starting with ``prefix``; {} before the
    worker has created the database."""
    try:
        with db.reading(url) as session:
            rows = session.exec(select(IngestCheckpoint).where(IngestCheckpoint.source.startswith(prefix))).all()
            return {row.source: json.loads(row.position) for row in rows}
    except OperationalError:  # no database or no tables yet
        return {}
    finally:
        db.dispose_engines()


def last_run(url, source: str):
    """The latest IngestRun of ``source``."""
    with db.reading(url) as session:
        run = session.exec(select(IngestRun).where(IngestRun.source == source).order_by(IngestRun.id.desc())).first()
    db.dispose_engines()
    return run


def wait_for_checkpoint(url, source: str, time_us: int, process, timeout: float = 60.0) -> dict:
    """Poll the resume point of ``source`` until its ``time_us`` reaches ``time_us`` (a bounded wait:
    ``timeout`` is far above the second a batch takes); the worker must stay up meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        state = checkpoints(url, source).get(source, {})
        if state.get("time_us", -1) >= time_us:
            return state
        assert process.poll() is None, f"the worker ended ({process.returncode}) before the resume point moved"
        assert time.monotonic() < deadline, f"{source}: resume point {state} never reached {time_us}"
        time.sleep(0.1)  # the polling interval of a bounded wait


def bluesky_posts(url) -> dict[str, str]:
    """The stored Bluesky posts: their kind by URI."""
    with db.reading(url) as session:
        rows = session.exec(select(Post.platform_id, Post.kind).where(Post.platform == "bluesky")).all()
    db.dispose_engines()
    return {uri: str(kind) for uri, kind in rows}
