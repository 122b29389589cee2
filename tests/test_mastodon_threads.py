"""Replies and quotes on Mastodon across pages, passes and instances (threads.py), the organiser's
own accounts (their statuses, their mentions with their token), the import's instance told from its
statuses, and a malformed status without an id kept aside once however often it is read.

Through the real Mastodon.py client and tests/mastosim.py, on a real SQLite file; the links are
checked where people see them: the conversation network (``analytics.conversations``).
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from engagement.analysis import analytics
from engagement.collection.jsonl import import_files
from engagement.collection.mastodon.client import Policy
from engagement.collection.mastodon.poll import Instance, make_callers, poll_pass
from engagement.collection.x.retry import NeverStop
from engagement.storage import db
from engagement.storage.models import Post, RejectedRecord

from .mastosim import MastodonSimulator

TAGS = [("cthb18",)]
QUICK = Policy(attempts=3, base=0.01, cap=0.05)
RESCAN = timedelta(minutes=60)
TOKEN = "sim-osce-token-0123456789abcdef"


def ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def run_pass(url, sim, *names, tokens=None, accounts=()):
    tokens = tokens or {}
    instances = [Instance(sim.base_url(n), sim.key(n), tokens.get(n)) for n in names]
    callers = make_callers(instances, stop=NeverStop(), policy=QUICK)
    return poll_pass(callers, TAGS, url=url, stop=NeverStop(), rescan=RESCAN, accounts=list(accounts))


def stored(url) -> dict[str, tuple]:
    """uri → (kind, referenced post, collected, reason)."""
    with db.reading(url) as session:
        found = session.exec(
            select(Post.platform_id, Post.kind, Post.referenced_platform_id, Post.collected, Post.reason).where(
                Post.platform == "mastodon"
            )
        ).all()
    return {uri: tuple(rest) for uri, *rest in found}


def links(url) -> dict[str, int]:
    """The conversation network's links by kind, as the Conversations page reads them."""
    with db.reading(url) as session:
        frame = analytics.conversations(session)
    return frame.groupby("kind")["count"].sum().to_dict()


def test_replies_and_quotes_link_to_their_parent_across_pages_passes_and_instances(db_url):
    with MastodonSimulator(["alpha", "beta"]) as sim:
        parent = sim.post("alpha", "The opening panel #cthb18", tags=["cthb18"], created_at=ago(50), on=["beta"])
        for number in range(44):  # the parent falls on the second page of 40
            sim.post("alpha", f"Post {number} #cthb18", tags=["cthb18"], created_at=ago(40 - number / 2))
        reply = sim.post("alpha", "Agreed #cthb18", tags=["cthb18"], in_reply_to=parent, username="ana")
        # Written on alpha without the hashtag, reaching beta with the reply to it that has one.
        quiet = sim.post("alpha", "A thought without the tag", created_at=ago(30), username="ben", on=["beta"])
        remote = sim.post("beta", "Replying from beta #cthb18", tags=["cthb18"], in_reply_to=quiet, username="cy")
        quote = sim.post("beta", "Worth reading #cthb18", tags=["cthb18"], quote_of=parent, username="di")

        first = run_pass(db_url, sim, "alpha", "beta")
        assert first.complete and first.fetched == 2  # the parent below the first page, and the quiet one
        posts = stored(db_url)
        assert posts[reply][:2] == ("reply", parent) and posts[remote][:2] == ("reply", quiet)
        assert posts[quote][:2] == ("quote", parent)
        assert posts[quiet][2] is False  # the parent without the hashtag is context, not collected
        assert links(db_url) == {"reply": 2, "quote": 1}

        # The next pass: a reply to a parent read before costs no request, and nothing is asked again.
        later = sim.post("beta", "Late to this #cthb18", tags=["cthb18"], in_reply_to=parent, username="ed")
        second = run_pass(db_url, sim, "alpha", "beta")
        assert second.complete and second.fetched == 0
        assert not sim.calls(path="/api/v1/statuses/")[2:]
        assert stored(db_url)[later][:2] == ("reply", parent)
        assert links(db_url) == {"reply": 3, "quote": 1}


def test_the_organisers_account_its_statuses_and_with_its_token_its_mentions(db_url, monkeypatch):
    monkeypatch.setenv("EVENT_ACCOUNTS", "osce_cthb @OSCE@alpha.example")
    with MastodonSimulator(["alpha", "beta"]) as sim:
        sim.grant("alpha", TOKEN, user="osce")
        own = sim.post("alpha", "Our programme is out", username="osce", created_at=ago(20), on=["beta"])
        tagged = sim.post("alpha", "Day one #cthb18", tags=["cthb18"], username="osce", created_at=ago(15))
        reply = sim.post(
            "beta", "Thank you!", username="fay", in_reply_to=own, mentions=["osce@alpha.example"], on=["alpha"]
        )
        mention = sim.post("beta", "Ask them", username="gus", mentions=["osce@alpha.example"], on=["alpha"])
        stranger = sim.post("beta", "Not about them", username="hal", on=["alpha"])

        anonymous = run_pass(db_url, sim, "alpha", "beta", accounts=["osce@alpha.example"])
        assert anonymous.complete
        posts = stored(db_url)
        assert posts[own][3] == "own" and posts[tagged][3] == "own"
        assert reply not in posts and mention not in posts and stranger not in posts  # no token: no mentions
        assert not sim.calls("alpha", "/notifications")

        signed_in = run_pass(db_url, sim, "alpha", "beta", tokens={"alpha": TOKEN}, accounts=["osce@alpha.example"])
        assert signed_in.complete
        posts = stored(db_url)
        assert posts[reply][:2] == ("reply", own) and posts[reply][3] == "reply"
        assert posts[mention][3] == "mention" and stranger not in posts
        lookups = sim.calls("alpha", "/accounts/lookup")
        # Its bare name on its own instance, once a process (each pass here has clients of its own).
        assert [c.params["acct"] for c in lookups] == [["osce"], ["osce"]]

        # A token that is somebody else's reads no mentions as the organiser's; an account the
        # instance does not know is said, and its hashtags are read all the same.
        sim.grant("beta", "someone-elses-token", user="fay")
        other = run_pass(db_url, sim, "beta", tokens={"beta": "someone-elses-token"}, accounts=["osce@beta.example"])
        assert other.complete and other.read == 1 and other.failed == 0 and other.pages >= 1
        assert sim.calls("beta", "/verify_credentials") and not sim.calls("beta", "/notifications")


def test_a_status_without_an_id_is_kept_aside_once_however_often_it_is_read(db_url):
    with MastodonSimulator(["alpha"]) as sim:
        sim.post("alpha", "Fine #cthb18", tags=["cthb18"])
        broken = sim.render(sim.sites["alpha"], next(iter(sim.sites["alpha"].copies)))
        broken.update(uri="https://alpha.example/users/broken/statuses/1", created_at="yesterday")
        sim.inject("alpha", broken, tag="cthb18", with_id=False)
        results = [run_pass(db_url, sim, "alpha") for _ in range(3)]
        assert [r.rejected for r in results] == [1, 0, 0]
        with db.reading(db_url) as session:
            [location] = session.exec(select(RejectedRecord.location)).all()
            assert session.scalar(select(func.count()).select_from(Post).where(Post.platform == "mastodon")) == 1
        assert " sha256 " in location and "#cthb18" in location


def test_an_import_takes_the_instance_from_its_statuses_for_counts_and_replies(db_url, tmp_path):
    with MastodonSimulator(["alpha", "beta"]) as sim:
        remote = sim.post("beta", "From beta #cthb18", tags=["cthb18"], username="iva", on=["alpha"], created_at=ago(9))
        parent = sim.post("alpha", "Parent #cthb18", tags=["cthb18"], username="jo", created_at=ago(8))
        reply = sim.post("alpha", "Child #cthb18", tags=["cthb18"], username="ka", in_reply_to=parent)
        sim.set_counts(remote, "alpha", favourites=12)
        alpha, beta = sim.sites["alpha"], sim.sites["beta"]
        # Newest first, one status a line: the reply comes before its parent.
        lines = tmp_path / "alpha.jsonl"
        lines.write_text("".join(json.dumps(sim.render(alpha, u)) + "\n" for u in (reply, parent, remote)))
        import_files([lines], url=db_url, progress=False)
        posts = stored(db_url)
        assert posts[reply][:2] == ("reply", parent)
        assert links(db_url) == {"reply": 1}

        # A page read on alpha later, with fewer likes: alpha is not the post's origin, so counts
        # only rise; the origin's own page gives the real ones.
        sim.set_counts(remote, "alpha", favourites=3)
        page = tmp_path / "alpha-page.json"
        page.write_text(json.dumps([sim.render(alpha, u) for u in (parent, remote)]))
        import_files([page], url=db_url, progress=False)
        assert likes(db_url, remote) == 12
        sim.set_counts(remote, "beta", favourites=7)
        origin = tmp_path / "beta-page.json"
        origin.write_text(json.dumps([sim.render(beta, remote)]))
        import_files([origin], url=db_url, progress=False)
        assert likes(db_url, remote) == 7


def likes(url, uri) -> int:
    with db.reading(url) as session:
        return session.exec(select(Post.likes).where(Post.platform_id == uri)).one()


@pytest.fixture(autouse=True)
def _fresh_engines():
    yield
    db.dispose_engines()
