"""The per-network figures are the same on SQLite and PostgreSQL: the Live view's breakdown and
filter, posts by network, a one-network report's headline, each source's state."""

from __future__ import annotations

import pandas as pd
import pytest

from engagement.analysis import analytics, live, queries
from engagement.collection.jsonl import import_files
from engagement.demo import write_collection
from engagement.report import content
from engagement.storage import db
from engagement.storage.status import sources

BLUESKY = ("bluesky",)


@pytest.fixture(scope="module")
def both(tmp_path_factory, postgres_server):
    folder = tmp_path_factory.mktemp("network-dialects")
    posts, _ = write_collection(folder / "demo.jsonl", posts=1200, seed=11)
    from .helpers import prepare_event

    urls = {"sqlite": f"sqlite:///{folder / 'same.db'}", "postgresql": postgres_server.database(prepare=prepare_event)}
    prepare_event(urls["sqlite"])
    for url in urls.values():
        assert import_files([posts], url=url, progress=False).rejected == 0
    yield urls
    db.dispose_engines()
    postgres_server.drop(urls["postgresql"])


def _canonical(value):
    """A frame in one order with one number type and UTC times (as tests/test_dialects.py compares)."""
    if isinstance(value, pd.DataFrame):
        frame = value.copy()
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                frame[column] = pd.to_datetime(frame[column], utc=True)
        frame = frame.astype({c: "float64" for c in frame.select_dtypes("number").columns})
        return frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return value


def _busiest_session(s) -> int:
    frame = analytics.by_session(s)
    return int(frame.loc[frame["id"] != analytics.BETWEEN].sort_values("posts").iloc[-1]["id"])


def _span(s):
    options = analytics.filter_options(s)
    return options["first"], options["last"]


AGGREGATES = {
    "by_network": lambda s: analytics.by_network(s),
    "session_by_network": lambda s: live.session_by_network(s, _busiest_session(s), _span(s)[1]),
    "session_figures_bluesky": lambda s: live.session_figures(s, _busiest_session(s), _span(s)[1], BLUESKY),
    "per_minute_bluesky": lambda s: live.per_minute(s, *_span(s), BLUESKY),
    "newest_bluesky": lambda s: queries.newest_posts(s, 30, networks=BLUESKY).drop(columns=["time"]),
    "headline_bluesky": lambda s: content.headline(s, analytics.Filters(networks=BLUESKY), "Europe/Vienna"),
    "contributors_bluesky": lambda s: analytics.top_contributors(s, analytics.Filters(networks=BLUESKY), limit=100),
    "sources": lambda s: [
        # Each database had its own import run: their times differ, nothing else.
        {k: v for k, v in row.items() if not k.endswith(("_at", "_s"))}
        for row in sources(s)
    ],
}


@pytest.mark.parametrize("name", list(AGGREGATES))
def test_a_per_network_figure_is_the_same_on_both_databases(both, name):
    results = {}
    for dialect, url in both.items():
        with db.reading(url) as session:
            results[dialect] = _canonical(AGGREGATES[name](session))
    if isinstance(results["sqlite"], pd.DataFrame):
        assert not results["sqlite"].empty
        pd.testing.assert_frame_equal(results["sqlite"], results["postgresql"], check_dtype=False)
    else:
        assert results["sqlite"] == results["postgresql"]
    if name == "by_network":
        assert set(results["sqlite"]["network"]) == {"x", "bluesky", "mastodon"}
