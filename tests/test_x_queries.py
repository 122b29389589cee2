"""The organiser's own channel on X: the query covers the hashtags, mentions of the organiser's
accounts, replies to them and their own posts; split past X_QUERY_LIMIT, each part with its own
resume point — through the real worker and tweepy against the simulator, which evaluates the query.
"""

from __future__ import annotations

import json
import random
import signal
import time
from datetime import date

import pytest
from sqlalchemy import select

from engagement.collection.x import retry
from engagement.collection.x.collect import poll_recent
from engagement.collection.x.retry import FatalAPIError, NeverStop
from engagement.collection.x.stream import EventStream
from engagement.rules.event import EventConfig, EventConfigError, load_event
from engagement.storage import db, runs
from engagement.storage.models import Post

from .helpers.worker import checkpoints, client_for, collected_ids, finish, last_run, snapshot, worker
from .xsim import Simulator, parse_query

BOUND = 120.0  # seconds: a deadline for steps of 0.1-10 s, so that only a stuck worker reaches it
ORGANISER, SECOND = "osce_cthb", "osce_odihr"
# Two hashtags and two accounts: at X_QUERY_LIMIT=64 they make three queries (the smallest limit
# the worker takes), "#cthb18 OR #alliance18" and one per account (each account's terms stay together).
SPLIT = {"EVENT_HASHTAGS": "#cthb18 #alliance18", "EVENT_ACCOUNTS": f"{ORGANISER} {SECOND}", "X_QUERY_LIMIT": "64"}
SPLIT_QUERIES = [
    "#cthb18 OR #alliance18",
    f"@{ORGANISER} OR to:{ORGANISER} OR from:{ORGANISER}",
    f"@{SECOND} OR to:{SECOND} OR from:{SECOND}",
]


@pytest.fixture(autouse=True)
def shipped_settings(monkeypatch):
    """The event's settings as the test gives them, whatever a developer has exported."""
    for name in ("EVENT_ACCOUNTS", "EVENT_HASHTAGS", "X_QUERY_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(retry, "BASE_DELAY", 0.05)
    monkeypatch.setattr(retry, "MAX_DELAY", 0.2)


# -- the world the simulator serves -------------------------------------------------------------


class World:
    """Posts in X's shapes, by why the event should (or should not) collect them, with increasing
    ids in a shuffled order, so that each kind is spread over every page of a search."""

    def __init__(self, sim: Simulator, seed: int = 28):
        self.sim, self.rng = sim, random.Random(seed)
        self.next_id = 1_000_000_000_000_000_000
        self.kinds: dict[str, list[str]] = {}
        self.users = {name: self._user(name) for name in (ORGANISER, SECOND, "someone_else")}
        self.participants = [self._user(f"participant_{n}") for n in range(12)]
        self.organiser_posts: list[str] = []

    def _user(self, username: str) -> str:
        user_id = str(5_000_000 + len(self.sim.users))
        self.sim.users[user_id] = {
            "id": user_id,
            "username": username,
            "name": username.replace("_", " ").title(),
            "description": "",
            "public_metrics": {"followers_count": 10, "following_count": 10, "tweet_count": 10, "listed_count": 0},
            "verified": False,
            "created_at": "2015-01-01T00:00:00.000Z",
        }
        return user_id

    def post(self, kind: str, *, author: str, text: str, hashtags=(), mentions=(), reply_to=None, searchable=True):
        self.next_id += self.rng.randint(1, 5000)
        post_id = str(self.next_id)
        seconds = 7 * sum(len(ids) for ids in self.kinds.values())  # from 08:00 UTC on day 1, in id order
        tweet = {
            "id": post_id,
            "author_id": author,
            "created_at": f"2018-04-23T{8 + seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000Z",
            "lang": "en",
            "text": text,
            "entities": {
                "hashtags": [{"start": 0, "end": len(tag) + 1, "tag": tag} for tag in hashtags],
                "mentions": [{"start": 0, "end": len(name) + 1, "username": name} for name in mentions],
            },
            "conversation_id": post_id,
            "edit_history_tweet_ids": [post_id],
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0},
        }
        if reply_to:
            replied_user, replied_post = reply_to
            tweet.update(
                in_reply_to_user_id=replied_user,
                referenced_tweets=[{"type": "replied_to", "id": replied_post}],
                conversation_id=replied_post,
            )
        with self.sim.lock:
            (self.sim.posts if searchable else self.sim.context)[post_id] = tweet
        self.kinds.setdefault(kind, []).append(post_id)
        return post_id

    def participant(self) -> str:
        return self.rng.choice(self.participants)

    def fill(self, *, hashtag=40, mention=30, reply=20, own=15, unrelated=40, second=0, overlap=0) -> World:
        """Add posts of each kind, interleaved. A reply to the organiser leaves its @-prefix out of
        the text and the mentions (as replies in a thread may), so only ``to:`` finds it."""
        plan = (
            ["hashtag"] * hashtag
            + ["mention"] * mention
            + ["reply"] * reply
            + ["own"] * own
            + ["unrelated"] * unrelated
            + ["second"] * second
            + ["overlap"] * overlap
        )
        self.rng.shuffle(plan)
        organiser, other = self.users[ORGANISER], self.users["someone_else"]
        if reply and not self.organiser_posts:
            self.organiser_posts.append(self.post("own", author=organiser, text="Welcome to Alliance 18"))
        for kind in plan:
            if kind == "hashtag":
                self.post(kind, author=self.participant(), text="Opening now #CTHB18", hashtags=["CTHB18"])
            elif kind == "mention":
                self.post(kind, author=self.participant(), text=f"@{ORGANISER} thank you", mentions=[ORGANISER])
            elif kind == "reply":
                target = self.rng.choice(self.organiser_posts)
                self.post(kind, author=self.participant(), text="Agreed, well said", reply_to=(organiser, target))
            elif kind == "own":
                self.organiser_posts.append(self.post(kind, author=organiser, text="Panel 1 starts in the Neuer Saal"))
            elif kind == "second":  # the second account's channel, for the split queries
                self.post(kind, author=self.participant(), text=f"@{SECOND} the report?", mentions=[SECOND])
            elif kind == "overlap":  # found by two of the split queries
                self.post(
                    kind,
                    author=self.participant(),
                    text=f"#alliance18 with @{ORGANISER}",
                    hashtags=["alliance18"],
                    mentions=[ORGANISER],
                )
            else:  # another hashtag, another account mentioned, a reply to another, another's post
                choice = self.rng.randrange(4)
                if choice == 0:
                    self.post(kind, author=self.participant(), text="Elsewhere #other", hashtags=["other"])
                elif choice == 1:
                    self.post(kind, author=self.participant(), text="@someone_else hi", mentions=["someone_else"])
                elif choice == 2:
                    self.post(kind, author=self.participant(), text="Yes", reply_to=(other, self.post_by(other)))
                else:
                    self.post(kind, author=other, text="Lunch is served")
        return self

    def post_by(self, author: str) -> str:
        """A post of ``author`` that only context holds (a reply's target outside the event)."""
        self.next_id += 1
        post_id = str(self.next_id)
        self.sim.context[post_id] = {
            "id": post_id,
            "author_id": author,
            "created_at": "2018-04-23T07:00:00.000Z",
            "text": "Good morning",
            "edit_history_tweet_ids": [post_id],
        }
        return post_id

    def ids(self, *kinds: str) -> set[str]:
        return {post_id for kind in kinds for post_id in self.kinds.get(kind, [])}


EVENT_KINDS = ("hashtag", "mention", "reply", "own")


def matching(sim: Simulator, query: str) -> set[str]:
    terms = parse_query(query)
    return {post_id for post_id, tweet in sim.posts.items() if sim.matches(tweet, terms)}


def poll_once(url, sim, **env):
    code, out, err = finish(worker("x-poll", "--once", url=url, sim=sim, **env))
    assert code == 0, err
    return err


def until(condition, process=None, what="the condition") -> None:
    """A bounded wait for something the worker does (a commit, a connection)."""
    deadline = time.monotonic() + BOUND
    while not condition():
        assert process is None or process.poll() is None, f"the worker ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {BOUND:.0f} s"
        time.sleep(0.05)  # the polling interval of a bounded wait


# -- (a) building and splitting the query ------------------------------------------------------


def event(hashtags, accounts) -> EventConfig:
    return EventConfig(
        name="Test",
        hashtags=hashtags,
        time_zone="Europe/Vienna",
        start_date=date(2018, 4, 23),
        end_date=date(2018, 4, 24),
        languages=["en"],
        accounts=accounts,
    )


def test_the_query_covers_hashtags_mentions_replies_and_own_posts(event_dir, monkeypatch):
    monkeypatch.setenv("EVENT_DATA_DIR", str(event_dir))
    shipped = load_event()
    assert shipped.x_queries() == ["#cthb18 OR @osce_cthb OR to:osce_cthb OR from:osce_cthb"]
    assert shipped.query() == shipped.x_queries()[0]
    # EVENT_ACCOUNTS replaces the file's accounts; only X handles go into the X query.
    monkeypatch.setenv("EVENT_ACCOUNTS", "@OSCE_odihr, osce.bsky.social osce@mastodon.social")
    assert load_event().x_queries() == ["#cthb18 OR @osce_odihr OR to:osce_odihr OR from:osce_odihr"]
    monkeypatch.setenv("X_QUERY_LIMIT", "64")
    monkeypatch.setenv("EVENT_ACCOUNTS", f"{ORGANISER} {SECOND}")
    monkeypatch.setenv("EVENT_HASHTAGS", "#cthb18 #alliance18")
    assert load_event().x_queries() == SPLIT_QUERIES


@pytest.mark.parametrize("limit", [48, 64, 100, 512])
def test_split_queries_keep_each_account_whole_within_the_limit(limit):
    hashtags = [f"#tag{n:02d}" for n in range(25)]
    accounts = [f"account_{n:02d}" for n in range(12)]
    config = event(hashtags, accounts)
    queries = config.x_queries(limit)
    assert len(queries) > 1 and all(len(query) <= limit for query in queries)
    in_queries = [query.split(" OR ") for query in queries]
    for account in accounts:
        together = [f"@{account}", f"to:{account}", f"from:{account}"]
        assert sum(all(term in terms for term in together) for terms in in_queries) == 1, account
    every = [term for group in config.x_terms() for term in group]
    assert sorted(term for terms in in_queries for term in terms) == sorted(every)
    assert len(every) == len(set(every)) == 25 + 3 * 12
    # Packed greedily: no two neighbouring queries would fit in one.
    assert all(len(a) + len(" OR ") + len(b) > limit for a, b in zip(queries, queries[1:], strict=False))
    # The simulator (X) takes each of them.
    assert all(parse_query(query, limit) for query in queries)


def test_a_term_past_the_limit_is_a_clear_error():
    long_tag = "#" + "x" * 70
    with pytest.raises(EventConfigError, match=r"search terms '#x+' alone pass the query limit of 64 characters"):
        event(["#cthb18", long_tag], []).x_queries(64)
    # An account's three terms stay together: 15 characters make 62, past a limit of 50.
    with pytest.raises(EventConfigError, match="alone pass the query limit of 50"):
        event(["#cthb18"], ["abcdefghijklmno"]).x_queries(50)


def test_x_query_limit_is_read_and_checked(monkeypatch):
    config = event([f"#tag{n:02d}" for n in range(40)], [])
    assert len(config.x_queries()) == 1  # 40 × 6 + 39 × 4 = 396 characters, under the default 512
    monkeypatch.setenv("X_QUERY_LIMIT", "100")
    assert len(config.x_queries()) == 4
    monkeypatch.setenv("X_QUERY_LIMIT", "10")
    with pytest.raises(ValueError, match="X_QUERY_LIMIT=10 is too short"):
        config.x_queries()


# -- the simulator evaluates the query ----------------------------------------------------------


def test_the_simulator_serves_only_what_the_query_matches(db_url):
    with Simulator() as sim:
        world = World(sim).fill()
        expected = world.ids(*EVENT_KINDS)
        full = "#cthb18 OR @osce_cthb OR to:osce_cthb OR from:osce_cthb"
        assert matching(sim, full) == expected and not matching(sim, full) & world.ids("unrelated")
        assert matching(sim, "#cthb18") == world.ids("hashtag")
        assert matching(sim, "@OSCE_CTHB") == world.ids("mention")
        assert matching(sim, "to:osce_cthb") == world.ids("reply")
        assert matching(sim, "from:osce_cthb") == world.ids("own")
        assert matching(sim, "(#cthb18 OR (@osce_cthb OR to:osce_cthb)) OR from:osce_cthb") == expected
        assert matching(sim, "(#cthb18 OR @osce_cthb OR to:osce_cthb OR from:osce_cthb)") == expected
        result = poll_recent(client_for(sim), query=full, url=db_url, stop=NeverStop())
        assert result.store.posts_new == len(expected) and collected_ids(db_url) == expected


@pytest.mark.parametrize(
    "query, said",
    [
        ("#cthb18 #alliance18", "terms must be joined with OR"),
        ("#cthb18 OR", "expected #tag, @user, to:user or from:user"),
        ("(#cthb18 OR @osce_cthb", "missing ')'"),
        ("#cthb18 OR " + " OR ".join(f"#tag{n:03d}" for n in range(60)), "must be 512 characters or less"),
    ],
)
def test_a_query_the_api_refuses_stops_with_what_to_check(db_url, query, said):
    with Simulator() as sim:
        World(sim).fill()
        with pytest.raises(FatalAPIError, match="HTTP 400") as refused:
            poll_recent(client_for(sim), query=query, url=db_url, stop=NeverStop())
        assert said in str(refused.value) and "EVENT_ACCOUNTS" in str(refused.value)
        assert sim.served == 0 and len(sim.search_requests()) == 1


def test_a_worker_whose_limit_is_past_the_plans_is_refused(db_url):
    """X_QUERY_LIMIT set above the plan's limit: X (here the simulator, at 64) refuses the query."""
    with Simulator(query_limit=64) as sim:
        World(sim).fill()
        env = {**SPLIT, "X_QUERY_LIMIT": "512"}
        code, _, err = finish(worker("x-poll", "--once", url=db_url, sim=sim, **env))
    assert code == 1 and "HTTP 400" in err and "64 characters or less" in err
    assert collected_ids(db_url) == set()


# -- (b) the organiser's channel is collected ---------------------------------------------------


def test_the_full_query_collects_the_organisers_channel_and_the_hashtag_alone_does_not(tmp_path, event_dir):
    toml = event_dir / "event.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('accounts = ["osce_cthb"]', "accounts = []"))
    with Simulator() as sim:
        world = World(sim).fill()
        alone, full = f"sqlite:///{tmp_path / 'alone.db'}", f"sqlite:///{tmp_path / 'full.db'}"
        poll_once(alone, sim, EVENT_DATA_DIR=str(event_dir))
        alone_queries = [r["query"] for r in sim.search_requests()]
        before = len(sim.search_requests())
        poll_once(full, sim, EVENT_DATA_DIR=str(event_dir), EVENT_ACCOUNTS=ORGANISER)
        full_queries = [r["query"] for r in sim.search_requests()[before:]]
    assert alone_queries == ["#cthb18"]  # 40 posts: one page
    assert full_queries == ["#cthb18 OR @osce_cthb OR to:osce_cthb OR from:osce_cthb"] * 2  # 106: two pages
    assert collected_ids(alone) == world.ids("hashtag")
    expected = world.ids(*EVENT_KINDS)
    assert collected_ids(full) == expected and not collected_ids(full) & world.ids("unrelated")
    assert len(collected_ids(alone)) == 40 < len(expected) == 40 + 30 + 20 + 16
    run = last_run(full, "x-poll")
    assert run.status == "ok" and run.counts["posts_new"] == len(expected) and run.counts["duplicates"] == 0
    # Each post records why it was collected: the replies carry no @ and no hashtag, only the
    # organiser's id in in_reply_to_user_id.
    with db.reading(full) as session:
        reasons = dict(session.execute(select(Post.platform_id, Post.reason).where(Post.collected)).all())
    assert reasons == {post_id: kind for kind in EVENT_KINDS for post_id in world.ids(kind)}


# -- (c) split queries: the union once, a resume point each ---------------------------------


def test_split_queries_collect_the_union_once_with_a_resume_point_each(db_url):
    with Simulator() as sim:
        world = World(sim).fill(second=25, overlap=15)
        per_query = [matching(sim, query) for query in SPLIT_QUERIES]
        union = set().union(*per_query)
        err = poll_once(db_url, sim, **SPLIT)
        asked = [r["query"] for r in sim.search_requests()]
    assert asked == SPLIT_QUERIES  # one page each (under 100 posts)
    assert union == world.ids(*EVENT_KINDS, "second", "overlap") and collected_ids(db_url) == union
    overlaps = sum(len(found) for found in per_query) - len(union)
    assert overlaps == 15  # each overlapping post is found by the hashtag query and the organiser's
    run = last_run(db_url, "x-poll")
    assert run.counts["queries"] == 3 and run.counts["pages"] == 3
    assert run.counts["posts_new"] == len(union) and run.counts["duplicates"] == overlaps
    posts, _, _ = snapshot(db_url)
    assert len(posts) == len({post.platform_id for post in posts})
    resume = checkpoints(db_url, "x-poll")
    assert sorted(resume) == ["x-poll:1", "x-poll:2", "x-poll:3"]
    for number, query in enumerate(SPLIT_QUERIES, 1):
        state = resume[f"x-poll:{number}"]
        assert state == {"query": query, "since_id": max(per_query[number - 1], key=int)}
    assert "X query 3 of 3" in err


def test_backfill_walks_each_split_query_under_its_own_resume_point(db_url):
    window = ("--since", "2018-04-23T00:00", "--until", "2018-04-24T00:00")
    with Simulator() as sim:
        world = World(sim).fill(second=10, overlap=5)
        code, out, err = finish(worker("x-backfill", *window, url=db_url, sim=sim, **SPLIT))
        assert code == 0, err
        asked = [(r["query"], r["start_time"]) for r in sim.search_requests()]
        code, _, again = finish(worker("x-backfill", *window, url=db_url, sim=sim, **SPLIT))
        assert code == 0, again
        assert len(sim.search_requests()) == 3  # a finished window is not fetched again, query by query
    assert [query for query, _ in asked] == SPLIT_QUERIES and asked[0][1].startswith("2018-04-22T22:00")
    assert collected_ids(db_url) == world.ids(*EVENT_KINDS, "second", "overlap")
    resume = checkpoints(db_url, "x-backfill:")
    assert sorted(source.rsplit(":", 1)[1] for source in resume) == ["1", "2", "3"]
    assert [resume[source]["query"] for source in sorted(resume)] == SPLIT_QUERIES
    assert again.count("already complete") == 3
    assert "queries" in out and last_run(db_url, "x-backfill").counts["queries"] == 3


# -- (d) a poll cut short between and within queries resumes each from its own point --------


def test_a_poll_killed_in_the_second_query_resumes_each_query_without_gap_or_repeat(db_url, tmp_path):
    with Simulator() as sim:
        # The organiser's query needs several pages of 100: 150 mentions, 60 replies, 40 own posts.
        world = World(sim).fill(hashtag=150, mention=150, reply=60, own=40, second=30, overlap=20)
        first_pages = -(-len(matching(sim, SPLIT_QUERIES[0])) // 100)
        assert first_pages == 2 and len(matching(sim, SPLIT_QUERIES[1])) > 200
        sim.page_delay = 0.05
        base = sim.served
        # The whole first query and the second's first page go through; the second page waits.
        sim.hold_after(first_pages + 1)
        process = worker("x-poll", "--once", url=db_url, sim=sim, **SPLIT)
        try:
            assert sim.wait(lambda: sim.served >= base + first_pages + 1 or process.poll() is not None, BOUND)
            until(
                lambda: "pass" in checkpoints(db_url, "x-poll:2").get("x-poll:2", {}), process, "second query's commit"
            )
            process.kill()
            process.wait()
        finally:
            if process.poll() is None:
                process.kill()
            sim.release(serve=False)  # the request held for the killed worker is dropped, not served
            sim.page_delay = 0.0
        cut = checkpoints(db_url, "x-poll")
        assert sorted(cut) == ["x-poll:1", "x-poll:2"]  # the third query had not begun
        assert cut["x-poll:1"].keys() == {"query", "since_id"} and cut["x-poll:2"].keys() == {"query", "pass"}
        assert len(collected_ids(db_url)) == len(matching(sim, SPLIT_QUERIES[0]) | set(sim.served_posts[-1][1]))

        # The event goes on: new posts for the first two queries arrive before the next start.
        world.fill(hashtag=10, mention=10, reply=0, own=0, unrelated=5)
        resumed_from = len(sim.search_requests())
        poll_once(db_url, sim, **SPLIT)
        resumed = sim.search_requests()[resumed_from]
        assert resumed["query"] == SPLIT_QUERIES[0] and resumed["since_id"] == cut["x-poll:1"]["since_id"]
        second = next(r for r in sim.search_requests()[resumed_from:] if r["query"] == SPLIT_QUERIES[1])
        assert second["until_id"] == cut["x-poll:2"]["pass"]["until_id"] and "since_id" not in second
        third = next(r for r in sim.search_requests()[resumed_from:] if r["query"] == SPLIT_QUERIES[2])
        assert "since_id" not in third and "until_id" not in third
        # The resumed pass ends where it began; the next interval takes the second query's new posts.
        poll_once(db_url, sim, **SPLIT)
        served = list(sim.served_posts)

        reference = f"sqlite:///{tmp_path / 'reference.db'}"
        poll_once(reference, sim, **SPLIT)

    expected = world.ids(*EVENT_KINDS, "second", "overlap")
    assert collected_ids(db_url) == expected
    for query in SPLIT_QUERIES:
        fetched = [post_id for asked, ids in served if asked == query for post_id in ids]
        assert len(fetched) == len(set(fetched)), f"{query}: a post fetched twice"
        assert set(fetched) == matching(sim, query), f"{query}: a gap"
    assert snapshot(db_url) == snapshot(reference)


# -- (e) a changed query starts afresh ----------------------------------------------------------


def test_a_changed_query_does_not_reuse_the_old_resume_point(tmp_path, event_dir):
    toml = event_dir / "event.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('accounts = ["osce_cthb"]', "accounts = []"))
    url = f"sqlite:///{tmp_path / 'changed.db'}"
    with Simulator() as sim:
        world = World(sim).fill()
        poll_once(url, sim, EVENT_DATA_DIR=str(event_dir))
        hashtag_since = checkpoints(url)["x-poll"]["since_id"]
        # Most of the organiser's channel is older than the hashtag query's resume point: used for
        # the new query, it would miss them.
        assert sum(int(i) < int(hashtag_since) for i in world.ids("mention", "reply", "own")) > 30
        before = len(sim.search_requests())
        err = poll_once(url, sim, EVENT_DATA_DIR=str(event_dir), EVENT_ACCOUNTS=ORGANISER)
        asked = sim.search_requests()[before:]
    full = "#cthb18 OR @osce_cthb OR to:osce_cthb OR from:osce_cthb"
    assert {r["query"] for r in asked} == {full} and not any("since_id" in r for r in asked)
    assert "x-poll: the resume point was written for '#cthb18', not" in err and "afresh" in err
    assert collected_ids(url) == world.ids(*EVENT_KINDS)
    run = last_run(url, "x-poll")
    assert run.counts["posts_new"] == len(world.ids("mention", "reply", "own"))
    assert run.counts["duplicates"] == len(world.ids("hashtag"))
    assert checkpoints(url)["x-poll"]["query"] == full


def test_a_resume_point_that_records_no_query_is_not_used(db_url):
    """One written before resume points named their query."""
    with Simulator() as sim:
        world = World(sim).fill()
        with db.writing(db_url) as session:
            runs.save_checkpoint(session, "x-poll", json.dumps({"since_id": max(sim.posts, key=int)}))
        err = poll_once(db_url, sim)
        assert "since_id" not in sim.search_requests()[0]
    assert "written for a query it did not record" in err
    assert collected_ids(db_url) == world.ids(*EVENT_KINDS)


# -- (f) the filtered stream: one rule per query, one feed for all ------------------------------


def test_the_streams_rules_are_the_queries_and_a_message_moves_every_querys_since_id(db_url):
    with Simulator() as sim:
        world = World(sim).fill(second=10, overlap=5)
        sim.rules.append({"id": "7", "value": "#cthb18", "tag": "event-hashtags"})  # before this change
        process = worker("x-stream", url=db_url, sim=sim, **SPLIT)
        try:
            sources = [f"x-stream:{n}" for n in (1, 2, 3)]
            until(lambda: sorted(checkpoints(db_url, "x-stream")) == sources, process, "the gap fill of each query")
            assert [(r["value"], r["tag"]) for r in sim.rules] == [
                (query, f"event-{n}") for n, query in enumerate(SPLIT_QUERIES, 1)
            ]
            filled = collected_ids(db_url)
            assert filled == world.ids(*EVENT_KINDS, "second", "overlap")
            # Three posts the stream sends before search finds them: one for the first rule only, one
            # no rule matches, one for the first and third rules.
            users = world.users
            first = world.post(
                "live", author=world.participant(), text="#alliance18", hashtags=["alliance18"], searchable=False
            )
            unrelated = world.post("live", author=users["someone_else"], text="Coffee", searchable=False)
            both = world.post(
                "live",
                author=world.participant(),
                text=f"#cthb18 @{SECOND}",
                hashtags=["cthb18"],
                mentions=[SECOND],
                searchable=False,
            )
            sim.push_stream(first)
            until(
                lambda: {s["since_id"] for s in checkpoints(db_url, "x-stream").values()} == {first},
                process,
                "the first message",
            )
            sim.push_stream(unrelated, both)
            until(
                lambda: {s["since_id"] for s in checkpoints(db_url, "x-stream").values()} == {both},
                process,
                "the third message",
            )
            process.send_signal(signal.SIGTERM)
            code, _, err = finish(process, timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        assert code == 0, err
        sent = {
            message["data"]["id"]: [rule["tag"] for rule in message["matching_rules"]] for message in sim.stream_sent
        }
    assert sent == {first: ["event-1"], both: ["event-1", "event-3"]}
    assert collected_ids(db_url) == filled | {first, both}
    states = checkpoints(db_url, "x-stream")
    assert [states[f"x-stream:{n}"]["query"] for n in (1, 2, 3)] == SPLIT_QUERIES


def test_a_stream_message_leaves_a_pending_gap_fill_where_it_is(db_url):
    """A query whose gap fill was cut short still has older posts to fetch below its until_id: a
    message must not move its since_id past them."""
    pending = {"query": SPLIT_QUERIES[1], "since_id": "100", "pass": {"newest_id": "900", "until_id": "500"}}
    with db.writing(db_url) as session:
        runs.save_checkpoint(session, "x-stream:1", json.dumps({"query": SPLIT_QUERIES[0], "since_id": "100"}))
        runs.save_checkpoint(session, "x-stream:2", json.dumps(pending))
    with Simulator() as sim:
        world = World(sim)
        post_id = world.post("live", author=world.participant(), text="#cthb18", hashtags=["cthb18"])
        message = {"data": sim.posts[post_id], "includes": {"users": list(sim.users.values())}}
        stream = EventStream(
            queries=SPLIT_QUERIES,
            client=client_for(sim),
            url=db_url,
            stop=NeverStop(),
            base_url=sim.base_url,
            token="t",
        )
        stream.on_data(json.dumps(message).encode())
    states = checkpoints(db_url, "x-stream")
    assert states["x-stream:1"] == {"query": SPLIT_QUERIES[0], "since_id": post_id}
    assert states["x-stream:2"] == pending
    assert states["x-stream:3"] == {"query": SPLIT_QUERIES[2], "since_id": post_id}
    assert collected_ids(db_url) == {post_id}
