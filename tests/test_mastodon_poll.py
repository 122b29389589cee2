"""``mastodon-poll``: hashtag timelines of several instances through the real Mastodon.py client and
tests/mastosim.py.

One row per post across instances, counts from the origin (else the highest seen), late-federated
posts caught by the rescan, paging by ``max_id``, the rate limit, retried faults, instances that
refuse anonymous readers, a backfill window, a pass cut short, one malformed status kept aside, and
the command: its token never shown, SIGTERM.
"""

import json
import logging
import signal
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from engagement import settings
from engagement.collection.mastodon import poll
from engagement.collection.mastodon.client import Policy
from engagement.collection.mastodon.poll import Instance, make_callers, poll_pass, snowflake
from engagement.collection.x.retry import NeverStop
from engagement.storage import db
from engagement.storage.models import Author, IngestCheckpoint, IngestRun, Post, RejectedRecord

from .helpers.worker import finish, ingest, worker
from .mastosim import MastodonSimulator

pytestmark = pytest.mark.both_databases

TAGS = [("cthb18", "alliance18")]
QUICK = Policy(attempts=4, base=0.01, cap=0.05)
RESCAN = timedelta(minutes=60)
TOKEN = "sim-mastodon-token-0123456789abcdef"


def ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def instances(sim, *names, tokens=None) -> list[Instance]:
    tokens = tokens or {}
    return [Instance(sim.base_url(n), sim.key(n), tokens.get(n)) for n in names]


def run_pass(url, sim, *names, tokens=None, stop=None, policy=QUICK, window=None, tags=TAGS):
    stop = stop or NeverStop()
    callers = make_callers(instances(sim, *names, tokens=tokens), stop=stop, policy=policy)
    return poll_pass(callers, tags, url=url, stop=stop, rescan=RESCAN, window=window)


def rows(url):
    """What a person could see of the stored Mastodon posts, by uri."""
    with db.reading(url) as session:
        found = session.exec(
            select(
                Post.platform_id,
                Post.text,
                Post.content_warning,
                Post.likes,
                Post.retweets,
                Post.replies,
                Author.platform_user_id,
                Author.handle,
            )
            .outerjoin(Author, Author.id == Post.author_id)
            .where(Post.platform == "mastodon")
            .order_by(Post.platform_id)
        ).all()
    db.dispose_engines()
    return [tuple(row) for row in found]


def counts_of(url, uri) -> tuple[int, int, int]:
    """(likes, reposts, replies) as stored."""
    with db.reading(url) as session:
        post = session.exec(select(Post).where(Post.platform_id == uri)).one()
        return post.likes, post.retweets, post.replies


def count_posts(url) -> int:
    with db.reading(url) as session:
        return session.scalar(select(func.count()).select_from(Post).where(Post.platform == "mastodon"))


def timeline_calls(sim, instance=None):
    return [c for c in sim.calls(instance, "/timelines/tag/") if c.status == 200]


class StopAfter:
    """Asks to stop once ``pages`` pages are committed (a SIGTERM between two pages)."""

    def __init__(self, monkeypatch, pages: int):
        self.pages, self.stored = pages, 0
        real = poll.store_page

        def counting(*args, **kwargs):
            real(*args, **kwargs)
            self.stored += 1

        monkeypatch.setattr(poll, "store_page", counting)

    def __call__(self):
        return self.stored >= self.pages

    def wait(self, seconds):
        pass


@pytest.fixture
def sim():
    with MastodonSimulator(["alpha", "beta", "gamma"]) as simulator:
        yield simulator


def fill(sim, count=30, start=50.0):
    """``count`` posts written on alpha over the last ``start`` minutes, every one also on beta,
    every third on gamma; a post on beta carrying the other hashtag; one on gamma with neither."""
    uris = []
    for index in range(count):
        on = ["beta"] + (["gamma"] if index % 3 == 0 else [])
        uris.append(
            sim.post(
                "alpha",
                f"Post {index} from the conference #cthb18",
                tags=["cthb18"],
                on=on,
                created_at=ago(start - index * start / count),
                username=f"author{index % 4}",
            )
        )
    uris.append(sim.post("beta", "Second day #Alliance18", tags=["Alliance18"], created_at=ago(10), username="bea"))
    sim.post("gamma", "Nothing of the event #lunch", tags=["lunch"], created_at=ago(5), username="gus")
    return uris


# --- one row per post --------------------------------------------------------------------------


def test_two_instances_with_overlapping_posts_give_one_row_per_uri(db_url, sim):
    uris = fill(sim)
    result = run_pass(db_url, sim, "alpha", "beta", "gamma")
    assert result.complete and result.read == 3 and result.rejected == 0
    stored = rows(db_url)
    assert [row[0] for row in stored] == sorted(uris)  # every post once, the #lunch one not at all
    # The same post has an id of its own on each instance: it is the uri that makes it one.
    assert sim.id_on(uris[0], "alpha") != sim.id_on(uris[0], "beta") != sim.id_on(uris[0], "gamma")
    # Authors are keyed by their account uri, whatever acct form an instance gives them.
    with db.reading(db_url) as session:
        authors = session.exec(
            select(Author.platform_user_id, Author.handle).where(Author.platform == "mastodon")
        ).all()
    assert sorted(authors) == sorted(
        [(f"https://alpha.example/users/author{n}", f"author{n}@alpha.example") for n in range(4)]
        + [("https://beta.example/users/bea", "bea@beta.example")]
    )
    assert result.store.posts_new == len(uris) and result.store.duplicates > 0
    # Every request names both hashtags: the path's, and the other in any[].
    assert {tuple(c.params.get("any[]", [])) for c in timeline_calls(sim)} == {("alliance18",)}


def test_counts_come_from_the_origin_and_else_the_highest_seen_never_lowered(db_url, sim):
    uri = sim.post("alpha", "Counted #cthb18", tags=["cthb18"], on=["beta", "gamma"], created_at=ago(20))
    sim.set_counts(uri, "alpha", replies=3, reblogs=7, favourites=20)  # the origin's: the real ones
    sim.set_counts(uri, "beta", replies=1, reblogs=9, favourites=25)  # a copy's, higher for once
    sim.set_counts(uri, "gamma", replies=0, reblogs=1, favourites=2)
    # Beta is read after alpha, and gamma last: neither changes what the origin said.
    run_pass(db_url, sim, "alpha", "beta", "gamma")
    assert counts_of(db_url, uri) == (20, 7, 3)
    # And read first, a copy is replaced by the origin's counts.
    run_pass(db_url, sim, "gamma", "beta", "alpha")
    assert counts_of(db_url, uri) == (20, 7, 3)


def test_without_its_origin_a_post_keeps_the_highest_counts_any_instance_gave(db_url, sim):
    uri = sim.post("alpha", "Counted #cthb18", tags=["cthb18"], on=["beta", "gamma"], created_at=ago(20))
    sim.set_counts(uri, "beta", replies=2, reblogs=4, favourites=12)
    sim.set_counts(uri, "gamma", replies=1, reblogs=5, favourites=3)
    run_pass(db_url, sim, "beta", "gamma")  # alpha, the origin, is not among those read
    assert counts_of(db_url, uri) == (12, 5, 2)
    run_pass(db_url, sim, "gamma")  # the smaller instance read again later: nothing is lowered
    assert counts_of(db_url, uri) == (12, 5, 2)
    sim.set_counts(uri, "gamma", replies=1, reblogs=6, favourites=30)
    run_pass(db_url, sim, "gamma")
    assert counts_of(db_url, uri) == (30, 6, 2)


def test_an_edit_keeps_the_newest_text_and_the_warning_is_kept_beside_it(db_url, sim):
    uri = sim.post(
        "alpha",
        "First words #cthb18",
        tags=["cthb18"],
        on=["beta"],
        created_at=ago(30),
        spoiler_text="Trafficking, abuse",
    )
    run_pass(db_url, sim, "alpha", "beta")
    sim.edit(uri, "Corrected words #cthb18", edited_at=ago(1))
    run_pass(db_url, sim, "beta")
    [(stored_uri, text, warning, *_)] = rows(db_url)
    assert stored_uri == uri and text.startswith("Corrected words") and warning == "Trafficking, abuse"
    assert "Trafficking" not in text


# --- reading each instance's timeline ------------------------------------------------------------


def test_late_federated_posts_with_back_dated_ids_are_caught_by_the_rescan(db_url, sim):
    fill(sim, count=10, start=30)
    assert run_pass(db_url, sim, "beta").complete
    before = count_posts(db_url)
    with db.reading(db_url) as session:
        point = json.loads(
            session.get(IngestCheckpoint, poll.group_source(instances(sim, "beta")[0], TAGS[0])).position
        )
    # Written on gamma 20 minutes ago, it reaches beta only now: its id there is dated back below
    # the newest id beta had given, so a reader going on from there (since_id) would never see it.
    late = sim.post("gamma", "Late from afar #cthb18", tags=["cthb18"], created_at=ago(20), username="far")
    assert int(sim.federate(late, "beta")) < int(point["newest"]["id"])
    assert run_pass(db_url, sim, "beta").complete
    assert count_posts(db_url) == before + 1 and late in {row[0] for row in rows(db_url)}
    # The pass read back to the rescan's floor, not further: its last page reached below it.
    last = timeline_calls(sim, "beta")[-1]
    assert int(last.params["max_id"][0]) > snowflake(ago(61))


def test_pages_are_asked_for_by_max_id_never_by_the_link_header(db_url, sim):
    fill(sim, count=95, start=55)
    assert run_pass(db_url, sim, "alpha").complete
    calls = timeline_calls(sim, "alpha")
    assert len(calls) == 4  # 40 + 40 + 15, and the empty page that ends the walk
    assert "max_id" not in calls[0].params and all(c.params["limit"] == ["40"] for c in calls)
    ids = [c.params.get("max_id", [None])[0] for c in calls[1:]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 3
    # Each max_id is the last (oldest) id of the page before; the Link header drops any[]: the
    # requests built from max_id keep it.
    assert all(c.params.get("any[]") == ["alliance18"] for c in calls)
    assert count_posts(db_url) == 95


def test_the_rate_limit_headers_are_honoured(db_url):
    with MastodonSimulator(["alpha", "beta", "gamma"], limit=4, window=1.0) as sim:
        fill(sim, count=200, start=55)  # five pages and the probe: more than one window allows
        assert run_pass(db_url, sim, "alpha", policy=Policy(attempts=2, base=0.01, cap=0.05)).complete
        assert sim.refused(429) == 0 and sim.busiest_window("alpha") <= 4
        assert len(sim.calls("alpha")) >= 6 and count_posts(db_url) == 200


def test_our_own_count_keeps_within_the_limit_whatever_the_server_allows(db_url, sim):
    fill(sim, count=120, start=55)  # the probe and four pages; the server would allow 300
    assert run_pass(db_url, sim, "alpha", policy=Policy(max_requests=3, window=0.5)).complete
    moments = [c.at for c in sim.calls("alpha")]
    assert len(moments) == 5 and all(
        later - earlier >= 0.5 for earlier, later in zip(moments, moments[3:], strict=False)
    )


def test_a_429_waits_for_its_reset_and_faults_are_retried(db_url, sim):
    fill(sim)
    sim.fail("429", instance="alpha", path="/timelines/", reset_in=0.3)
    for kind in ("500", "502", "503", "drop", "truncate", "short"):
        sim.fail(kind, instance="beta", path="/timelines/")
    result = run_pass(db_url, sim, "alpha", "beta", policy=Policy(attempts=8, base=0.01, cap=0.05))
    assert result.complete and result.read == 2 and result.failed == 0
    assert count_posts(db_url) == 31
    refused = [c for c in sim.calls("alpha") if c.status == 429]
    answered = [c for c in sim.calls("alpha", "/timelines/") if c.status == 200]
    assert len(refused) == 1 and answered[0].at - refused[0].at >= 0.3  # asked again only after the reset


def test_an_instance_failing_past_the_retries_is_skipped_and_the_others_read(db_url, sim, caplog):
    fill(sim)
    sim.fail("500", times=10, instance="alpha", path="/timelines/")
    with caplog.at_level(logging.INFO, logger="ingest.mastodon"):
        result = run_pass(db_url, sim, "alpha", "beta")
    assert result.complete and result.failed == 1 and result.read == 1 and count_posts(db_url) == 31
    assert any("alpha" in r.getMessage() and "4 failures in a row" in r.getMessage() for r in caplog.records)


# --- instances that refuse anonymous readers ------------------------------------------------------


@pytest.mark.parametrize("refusal", ["authenticated", "closed", "disabled"])
def test_an_instance_refusing_anonymous_readers_is_skipped_with_one_message_a_pass(db_url, sim, caplog, refusal):
    fill(sim)
    sim.access("beta", refusal)
    with caplog.at_level(logging.INFO, logger="ingest.mastodon"):
        first = run_pass(db_url, sim, "alpha", "beta")
        second = run_pass(db_url, sim, "alpha", "beta")
    assert first.skipped == second.skipped == 1 and first.read == 1
    said = [r.getMessage() for r in caplog.records if sim.key("beta") in r.getMessage()]
    assert len(said) == 2  # once in each pass
    assert ("MASTODON_TOKENS" in said[0]) == (refusal != "disabled")
    assert timeline_calls(sim, "beta") == []
    assert {row[0] for row in rows(db_url)} == {u for u in sim.toots if u.startswith("https://alpha.example/")}


def test_an_instance_showing_anonymous_readers_only_its_own_posts_is_read_and_said_so(db_url, sim, caplog):
    fill(sim)
    sim.access("beta", "authenticated", local="public")
    with caplog.at_level(logging.INFO, logger="ingest.mastodon"):
        result = run_pass(db_url, sim, "beta")
    assert result.complete and result.read == 1 and result.skipped == 0
    # Only bea's post is beta's own: the 30 that federated there from alpha stay hidden without a token.
    assert [row[0] for row in rows(db_url)] == [u for u in sim.toots if u.startswith("https://beta.example/")]
    said = [r.getMessage() for r in caplog.records if sim.key("beta") in r.getMessage()]
    assert len(said) == 1 and "only its local posts" in said[0] and "MASTODON_TOKENS" in said[0]


@pytest.mark.parametrize("refusal", ["authenticated", "closed"])
def test_with_its_token_an_instance_is_read_and_the_token_never_shown(db_url, sim, caplog, monkeypatch, refusal):
    fill(sim)
    sim.access("beta", refusal)
    sim.grant("beta", TOKEN)
    monkeypatch.setenv("MASTODON_INSTANCES", f"{sim.base_url('alpha')},{sim.base_url('beta')}")
    monkeypatch.setenv("MASTODON_TOKENS", f"{sim.key('beta')}={TOKEN}")
    configured = poll.configured_instances()
    assert [i.token for i in configured] == [None, TOKEN]
    with caplog.at_level(logging.DEBUG):
        callers = make_callers(configured, stop=NeverStop(), policy=QUICK)
        result = poll_pass(callers, TAGS, url=db_url, stop=NeverStop(), rescan=RESCAN)
    assert result.complete and result.read == 2 and result.skipped == 0
    assert "https://beta.example/users/bea/statuses/" in " ".join(row[0] for row in rows(db_url))
    assert {c.token for c in sim.calls("beta")} == {TOKEN} and {c.token for c in sim.calls("alpha")} == {None}
    assert TOKEN not in caplog.text
    assert TOKEN not in settings.redact(f"a message naming {TOKEN}")


def test_a_refused_token_is_said_and_never_shown(db_url, sim, caplog):
    fill(sim)
    sim.access("beta", "authenticated")
    with caplog.at_level(logging.DEBUG):
        result = run_pass(db_url, sim, "alpha", "beta", tokens={"beta": "not-the-right-token-xyz"})
    assert result.skipped == 1
    assert any("refused its token" in r.getMessage() for r in caplog.records)
    assert "not-the-right-token-xyz" not in caplog.text


# --- a window, a pass cut short, a malformed status -----------------------------------------------


def test_since_until_backfills_a_window_walking_max_id_down_from_its_end(db_url, sim):
    inside = [
        sim.post("alpha", f"In the window {n} #cthb18", tags=["cthb18"], created_at=ago(300 - n * 5)) for n in range(50)
    ]
    before = sim.post("alpha", "Before #cthb18", tags=["cthb18"], created_at=ago(400))
    after = sim.post("alpha", "After #cthb18", tags=["cthb18"], created_at=ago(20))
    since, until = ago(301), ago(40)
    result = run_pass(db_url, sim, "alpha", window=(since, until))
    assert result.complete
    assert {row[0] for row in rows(db_url)} == set(inside)
    calls = timeline_calls(sim, "alpha")
    assert calls[0].params["max_id"] == [str(snowflake(until))]
    assert before not in {row[0] for row in rows(db_url)} and after not in {row[0] for row in rows(db_url)}
    # The window's resume point says it is done; walking it again stores nothing twice.
    again = run_pass(db_url, sim, "alpha", window=(since, until))
    assert again.complete and again.store.posts_new == 0 and count_posts(db_url) == 50


def test_a_pass_cut_short_resumes_at_the_next_page_and_ends_as_an_uninterrupted_one(db_url, sim, monkeypatch, tmp_path):
    fill(sim, count=100, start=55)
    cut = run_pass(db_url, sim, "alpha", "beta", stop=StopAfter(monkeypatch, 2))
    assert not cut.complete and 0 < count_posts(db_url) < 101
    first = [(c.instance, c.params.get("max_id", [None])[0]) for c in timeline_calls(sim)]
    monkeypatch.undo()
    monkeypatch.setenv("DATABASE_URL", db_url)
    rest = run_pass(db_url, sim, "alpha", "beta")
    assert rest.complete
    both = [(c.instance, c.params.get("max_id", [None])[0]) for c in timeline_calls(sim)]
    second = both[len(first) :]
    assert second[0][0] == "alpha" and second[0][1] is not None and second[0] not in first  # the next page
    assert len(both) == len(set(both)), "a page was asked for twice"

    reference = f"sqlite:///{tmp_path / 'uninterrupted.db'}"
    from engagement.rules.sync import sync_event

    with db.writing(reference) as session:
        sync_event(session)
    assert run_pass(reference, sim, "alpha", "beta").complete
    assert rows(db_url) == rows(reference) and count_posts(db_url) == 101


def test_one_malformed_status_is_rejected_alone_with_its_location(db_url, sim):
    fill(sim)
    broken = sim.render(sim.sites["alpha"], next(iter(sim.sites["alpha"].copies)))
    broken.update(uri="https://alpha.example/users/author0/statuses/broken", created_at="yesterday")
    del broken["id"]  # it gets one of its own on alpha
    local = sim.id_on(sim.inject("alpha", broken, tag="cthb18", created_at=ago(25)), "alpha")
    result = run_pass(db_url, sim, "alpha")
    assert result.complete and result.rejected == 1 and count_posts(db_url) == 30
    again = run_pass(db_url, sim, "alpha")  # the rescan reads it again: kept aside once
    assert again.complete
    with db.reading(db_url) as session:
        kept = session.exec(select(RejectedRecord)).all()
    assert len(kept) == 1 and kept[0].source == "mastodon-poll" and "created_at" in kept[0].reason
    location = kept[0].location
    assert location.startswith(f"{sim.key('alpha')} #cthb18+alliance18 id {local} ")
    assert "max_id (newest)" in location and "[" in location
    assert json.loads(kept[0].raw)["uri"] == broken["uri"]


# --- the command -----------------------------------------------------------------------------------


def command_env(sim, *names, **extra):
    instances = ",".join(sim.base_url(n) for n in names)
    return {"MASTODON_INSTANCES": instances, "EVENT_HASHTAGS": "#cthb18 #Alliance18", **extra}


def test_the_command_reads_every_instance_and_shows_no_token(db_url, sim):
    uris = fill(sim)
    sim.access("gamma", "authenticated")
    sim.grant("gamma", TOKEN)
    env = command_env(sim, "alpha", "beta", "gamma", MASTODON_TOKENS=f"{sim.key('gamma')}={TOKEN}")
    done = ingest("mastodon-poll", "--once", "--interval", "5", url=db_url, **env)
    assert done.returncode == 0, done.stderr
    assert "--interval 5 s is under the 15 s" in done.stderr  # anonymous answers are cached 15 s
    assert count_posts(db_url) == len(uris)
    status = ingest("status", "--json", url=db_url)
    assert json.loads(status.stdout)["posts_by_platform"]["mastodon"] == len(uris)
    assert TOKEN not in done.stdout + done.stderr + status.stdout + status.stderr
    with db.reading(db_url) as session:
        run = session.exec(select(IngestRun).where(IngestRun.source == "mastodon-poll")).one()
    assert run.status == "ok" and run.counts["instances_read"] == 3


def test_the_command_refuses_half_a_window(tmp_path, sim):
    url = f"sqlite:///{tmp_path / 'unused.db'}"  # one database is enough to refuse the arguments
    done = ingest("mastodon-poll", "--since", "2026-05-25T00:00:00Z", url=url, **command_env(sim, "alpha"))
    assert done.returncode == 2 and "--since and --until" in done.stderr


def test_sigterm_between_passes_stops_cleanly(db_url, sim):
    uris = fill(sim)
    process = worker("mastodon-poll", "--interval", "15", url=db_url, **command_env(sim, "alpha", "beta"))
    assert sim.wait(lambda: len(timeline_calls(sim, "beta")) >= 2 and count_posts(db_url) == len(uris))
    process.send_signal(signal.SIGTERM)
    code, out, err = finish(process)
    assert code == 0, err
    with db.reading(db_url) as session:
        run = session.exec(select(IngestRun).where(IngestRun.source == "mastodon-poll")).one()
    assert run.status == "ok" and "mastodon-poll" in out


def test_copies_from_two_instances_in_one_batch_merge_to_the_origins_counts_or_the_highest(db_url, sim):
    from engagement.collection.mastodon.normalise import normalise_page
    from engagement.collection.store import store_posts
    from engagement.rules.attribution import Attributor
    from engagement.rules.classification import Classifier

    uri = sim.post("alpha", "Merged #cthb18", tags=["cthb18"], on=["beta", "gamma"], created_at=ago(20))
    sim.set_counts(uri, "alpha", replies=1, reblogs=2, favourites=3)
    sim.set_counts(uri, "beta", replies=4, reblogs=1, favourites=9)
    sim.set_counts(uri, "gamma", replies=0, reblogs=6, favourites=5)

    def copy_on(name):
        [record] = normalise_page([sim.render(sim.sites[name], uri)]).posts
        record.instance = sim.domain(name)
        return record

    def store(records):
        with db.writing(db_url) as session:
            store_posts(session, records, [], classifier=Classifier.from_database(session), attributor=Attributor([]))

    store([copy_on("beta"), copy_on("gamma")])  # the origin not among them: the highest of each count
    assert counts_of(db_url, uri) == (9, 6, 4)
    store([copy_on("gamma"), copy_on("alpha"), copy_on("beta")])  # the origin's, whatever the order
    assert counts_of(db_url, uri) == (3, 2, 1)


def test_the_settings_name_instances_their_tokens_and_the_rescan(monkeypatch):
    assert settings.mastodon_instances() == list(settings.DEFAULT_MASTODON_INSTANCES)
    assert settings.mastodon_tokens() == {} and settings.mastodon_rescan_minutes() == 60
    monkeypatch.setenv("MASTODON_INSTANCES", "chaos.social, https://Mastodon.Social/ ,")
    monkeypatch.setenv("MASTODON_TOKENS", f"https://chaos.social={TOKEN}, broken, mastodon.social=other-token-1")
    monkeypatch.setenv("MASTODON_RESCAN_MINUTES", "30")
    configured = poll.configured_instances()
    assert [(i.base_url, i.key, i.token) for i in configured] == [
        ("https://chaos.social", "chaos.social", TOKEN),
        ("https://Mastodon.Social", "mastodon.social", "other-token-1"),
    ]
    assert settings.mastodon_rescan_minutes() == 30
    shown = settings.redact(f"Authorization: Bearer {TOKEN}; other-token-1")
    assert TOKEN not in shown and "other-token-1" not in shown
    monkeypatch.setenv("MASTODON_RESCAN_MINUTES", "soon")
    with pytest.raises(ValueError, match="MASTODON_RESCAN_MINUTES"):
        settings.mastodon_rescan_minutes()


@pytest.mark.serial
def test_a_poll_killed_mid_pass_resumes_to_the_rows_of_an_uninterrupted_one(db_url, sim, tmp_path):
    uris = fill(sim, count=100, start=55)
    sim.hold_after(3)  # three pages through, the fourth request held: the worker is mid-pass
    process = worker("mastodon-poll", "--once", url=db_url, **command_env(sim, "alpha", "beta"))
    assert sim.wait(lambda: sim.held == 1 or process.poll() is not None)
    process.kill()
    finish(process)
    sim.release()
    stored = count_posts(db_url)
    assert 0 < stored < len(uris)
    done = ingest("mastodon-poll", "--once", url=db_url, **command_env(sim, "alpha", "beta"))
    assert done.returncode == 0, done.stderr
    asked = [(c.instance, c.params.get("max_id", [None])[0]) for c in timeline_calls(sim)]
    assert len(asked) == len(set(asked)) + 1  # only the page the killed run never got is asked again
    with db.reading(db_url) as session:
        states = [r.status for r in session.exec(select(IngestRun).order_by(IngestRun.id))]
    assert states == ["abandoned", "ok"]

    reference = f"sqlite:///{tmp_path / 'uninterrupted.db'}"
    from engagement.rules.sync import sync_event

    with db.writing(reference) as session:
        sync_event(session)
    assert run_pass(reference, sim, "alpha", "beta", tags=[("cthb18", "alliance18")]).complete
    assert rows(db_url) == rows(reference) and count_posts(db_url) == len(uris)
