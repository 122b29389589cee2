"""The same collection imported into SQLite and into PostgreSQL gives the same figures, aggregate by aggregate."""

from __future__ import annotations

import pandas as pd
import pytest

from engagement.analysis import analytics, live
from engagement.collection.jsonl import import_files
from engagement.collection.questions import import_questions
from engagement.demo import write_collection
from engagement.qa import listing
from engagement.report import content
from engagement.rules.event import load_event
from engagement.storage import db


@pytest.fixture(scope="module")
def both(tmp_path_factory, postgres_server):
    folder = tmp_path_factory.mktemp("dialects")
    posts, questions = write_collection(folder / "demo.jsonl", posts=1500, seed=7)
    from .helpers import prepare_event

    urls = {"sqlite": f"sqlite:///{folder / 'same.db'}", "postgresql": postgres_server.database(prepare=prepare_event)}
    prepare_event(urls["sqlite"])
    for url in urls.values():
        assert import_files([posts], url=url, progress=False).rejected == 0
        import_questions(questions, url=url, origin="demo")
    yield urls
    db.dispose_engines()
    postgres_server.drop(urls["postgresql"])


def _canonical(value):
    if isinstance(value, pd.DataFrame):
        frame = value.copy()
        for column in frame.columns:
            if (
                isinstance(frame[column].dtype, pd.DatetimeTZDtype)
                or frame[column].map(lambda v: hasattr(v, "tzinfo")).any()
            ):
                frame[column] = pd.to_datetime(frame[column], utc=True)
        frame = frame.astype({c: "float64" for c in frame.select_dtypes("number").columns})
        return frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return value


def _span(session):
    options = analytics.filter_options(session)
    return options["first"], options["last"]


AGGREGATES = {
    "totals": lambda s: analytics.totals(s),
    "by_session": lambda s: analytics.by_session(s).drop(columns=["id"]),
    "by_group": lambda s: analytics.by_group(s),
    "session_by_group": lambda s: analytics.session_by_group(s),
    "volume": lambda s: analytics.volume(s, minutes=15),
    "top_contributors": lambda s: analytics.top_contributors(s, limit=200),
    "most_mentioned": lambda s: analytics.most_mentioned(s, limit=200),
    "languages": lambda s: analytics.languages(s),
    "hashtags": lambda s: analytics.hashtags(s, load_event().hashtags, limit=200),
    "reach": lambda s: analytics.reach(s),
    "conversations": lambda s: analytics.conversations(s),
    "coverage": lambda s: analytics.coverage(s),
    "filtered": lambda s: analytics.by_group(s, analytics.Filters(kinds=("reply", "quote"), languages=("en",))),
    "per_minute": lambda s: live.per_minute(s, *_span(s)),
    "heard": lambda s: listing.heard(s),
    "qa_by_session": lambda s: content.qa_by_session(s, analytics.ALL),
    "headline": lambda s: content.headline(s, analytics.ALL, "Europe/Vienna"),
}


@pytest.mark.parametrize("name", list(AGGREGATES))
def test_an_aggregate_is_the_same_on_both_databases(both, name):
    results = {}
    for dialect, url in both.items():
        with db.reading(url) as session:
            results[dialect] = _canonical(AGGREGATES[name](session))
    if isinstance(results["sqlite"], pd.DataFrame):
        assert not results["sqlite"].empty or name in ("filtered",)
        pd.testing.assert_frame_equal(results["sqlite"], results["postgresql"], check_dtype=False)
    else:
        assert results["sqlite"] == results["postgresql"]
