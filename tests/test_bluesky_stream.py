"""``python -m ingest bsky-stream`` as a real process against a local Jetstream (tests/jetsim.py).

What it keeps and forgets, a SIGTERM mid-stream and the restart after it, failover between
endpoints, a stalled connection, and malformed frames. The recorded events are real Jetstream
traffic (likes, follows, identity and account events, posts of strangers); the event's own posts
are copies of recorded posts with the event's hashtag or account in their text.
"""

import copy
import json
import signal

import pytest
from sqlmodel import select

from engagement.storage import db
from engagement.storage.models import DeletedPost, RejectedRecord

from .helpers.worker import bluesky_posts, checkpoints, finish, last_run, snapshot, wait_for_checkpoint, worker
from .jetsim import Frame, JetstreamSimulator, derived_post, recorded_events, retimed, uri_of

ACCOUNT = "osce.bsky.social"
ACCOUNT_DID = "did:plc:osceaccountxxxxxxxxxxxxx"
REWIND_US = 5_000_000


def mention(event: dict, handle: str, did: str) -> dict:
    text = f"@{handle} thank you for the panel"
    event = derived_post(event, "3cthb18ment1", text)
    end = len(handle.encode()) + 1
    feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
    event["commit"]["record"]["facets"] = [{"index": {"byteStart": 0, "byteEnd": end}, "features": [feature]}]
    return event


def repost(of: dict, by: str, rkey: str) -> dict:
    record = {
        "$type": "app.bsky.feed.repost",
        "createdAt": "2026-05-25T14:25:00.000Z",
        "subject": {"uri": uri_of(of), "cid": "bafyreiaxf7tgbfydx3465sckitq6v564thxe2wwydbi7cwxbxvgssje3em"},
    }
    commit = {"rev": "3mmoojpbi5e2i", "operation": "create", "collection": "app.bsky.feed.repost", "rkey": rkey}
    return {"did": by, "time_us": 0, "kind": "commit", "commit": {**commit, "record": record}}


def delete(of: dict) -> dict:
    commit = {"rev": "3mmoojpbi5e2j", "operation": "delete", "collection": of["commit"]["collection"]}
    return {"did": of["did"], "time_us": 0, "kind": "commit", "commit": {**commit, "rkey": of["commit"]["rkey"]}}


def identity(did: str, handle: str) -> dict:
    announced = {"did": did, "handle": handle, "seq": 1, "time": "2026-05-25T14:23:00.000Z"}
    return {"did": did, "time_us": 0, "kind": "identity", "identity": announced}


def own_post(event: dict, rkey: str, text: str) -> dict:
    """A post by the event's account (no hashtag: kept for its author)."""
    own = derived_post(event, rkey, text)
    own["did"] = ACCOUNT_DID
    return own


def reply_to(event: dict, parent: dict, rkey: str) -> dict:
    reply = derived_post(event, rkey, "Will the slides be online?")
    ref = {"uri": uri_of(parent), "cid": "bafyreiainko5un5pbcdosvxpbisjnjzemojnry6nsgtdftdgslbu37kxai"}
    reply["commit"]["record"]["reply"] = {"parent": ref, "root": ref}
    return reply


def scenario(malformed: bool = False) -> tuple[list[Frame], dict[str, str]]:
    """The frames to serve and the posts an uninterrupted run must store (kind by URI)."""
    recorded = recorded_events()
    golden, firehose = recorded[:10], recorded[10:]
    strangers = [e for e in firehose if e["commit"]["collection"] == "app.bsky.feed.post"]
    tagged = derived_post(strangers[0], "3cthb18open1", "Opening plenary starts now #CTHB18")
    mentioned = mention(strangers[1], ACCOUNT, ACCOUNT_DID)
    deleted = derived_post(strangers[2], "3cthb18gone1", "Posted too soon #cthb18")
    closing = derived_post(strangers[3], "3cthb18last1", "Thank you, Vienna! #cthb18")
    shared = repost(tagged, "did:plc:eizxoqcsvvvarxeb3pjkblrp", "3cthb18rep01")
    ours = own_post(strangers[4], "3cthb18own01", "Our programme for today")
    asked = reply_to(strangers[5], ours, "3cthb18ask01")
    filler = [
        derived_post(strangers[i % len(strangers)], f"3filler{i:05d}", "nothing for the event") for i in range(12)
    ]
    bad: list[dict | str] = []
    if malformed:
        bad = ['{"did":"did:plc:q235v55g5unth4zjjdpacfdr","time_us":17797190', '{"kind":"commit","did":"nobody"}']
    items: list[dict | str] = [
        *golden,
        tagged,
        *firehose[:3],
        mentioned,
        shared,
        *bad,
        *firehose[3:6],
        deleted,
        *filler[:6],
        delete(deleted),
        *firehose[6:],
        identity(ACCOUNT_DID, ACCOUNT),  # the account's DID is learnt from here
        ours,
        asked,
        *filler[6:],
        closing,
        *copy.deepcopy(filler[:2]),  # a post seen twice (Jetstream resends on its own reconnects)
    ]
    expected = {uri_of(e): "original" for e in (tagged, mentioned, ours, closing)}
    expected |= {uri_of(shared): "retweet", uri_of(asked): "reply"}
    return retimed(items), expected


def last_time_us(frames: list[Frame]) -> int:
    return max(f.time_us for f in frames)


def stream_worker(db_url, *urls: str, **env):
    return worker("bsky-stream", url=db_url, JETSTREAM_URL=",".join(urls), EVENT_ACCOUNTS=f"osce_cthb {ACCOUNT}", **env)


def stop(process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process, timeout=60)
    return code, err


def run_to_the_end(db_url, sim: JetstreamSimulator, frames: list[Frame], *urls: str, **env) -> tuple[int, str]:
    process = stream_worker(db_url, *(urls or (sim.url,)), **env)
    wait_for_checkpoint(db_url, "bsky-stream", last_time_us(frames), process)
    return stop(process)


def test_the_events_posts_reposts_of_them_and_deletes_are_kept_and_nothing_else(db_url):
    frames, expected = scenario()
    with JetstreamSimulator(frames) as sim:
        code, err = run_to_the_end(db_url, sim, frames)
        assert code == 0, err
        assert bluesky_posts(db_url) == expected
        (connection,) = sim.connections
        assert connection.collections == ["app.bsky.feed.post", "app.bsky.feed.repost"]
        assert connection.cursor is None
        # Likes, follows, profiles, blocks… are not asked for, so not sent: 6 of the 10 recorded.
        assert connection.sent == len(frames) - 6
    with db.reading(db_url) as session:
        tombstones = set(session.exec(select(DeletedPost.platform_id)).all())
    db.dispose_engines()
    assert (
        tombstones == {"at://did:plc:uu5mtxzumfsy5hqknfetoyft/app.bsky.feed.post/3cthb18gone1"} or len(tombstones) == 1
    )
    run = last_run(db_url, "bsky-stream")
    assert run.status == "ok" and run.counts["deleted"] == 1 and run.counts["rejected"] == 0


def test_sigterm_mid_stream_commits_what_is_read_and_the_restart_misses_nothing(db_url, tmp_path):
    frames, expected = scenario()
    with JetstreamSimulator(frames) as sim:
        uninterrupted = f"sqlite:///{tmp_path / 'uninterrupted.db'}"
        code, err = run_to_the_end(uninterrupted, sim, frames)
        assert code == 0, err
        whole = bluesky_posts(uninterrupted)
        assert whole == expected

        held_at = sim.sent + 14  # past the repost, before the delete and the closing post
        sim.hold_after(14)
        process = stream_worker(db_url, sim.url)
        assert sim.wait(lambda: sim.sent >= held_at or process.poll() is not None)
        first = sim.connections[-1]
        # Held mid-stream: once the worker has read all 14 frames (its batch of a second commits
        # them), SIGTERM; the frames read after the commit are held in the simulator, not lost.
        wait_for_checkpoint(db_url, "bsky-stream", first.sent_time_us[-1], process)
        code, err = stop(process)
        assert code == 0, err
        resume = checkpoints(db_url, "bsky-stream")["bsky-stream"]["time_us"]
        assert resume == first.sent_time_us[-1]  # the last frame read, kept or not (an identity event)
        assert last_run(db_url, "bsky-stream").status == "ok"
        before = bluesky_posts(db_url)
        assert before and not set(expected) <= set(before)  # mid-stream: something is still to come

        sim.release()
        code, err = run_to_the_end(db_url, sim, frames)
        assert code == 0, err
        again = sim.connections[-1]
        assert again.cursor == resume - REWIND_US
    assert bluesky_posts(db_url) == whole
    # Nothing twice: the rows and the Analyse figures counted from them equal the uninterrupted run's.
    assert snapshot(db_url) == snapshot(uninterrupted)


def test_a_refused_endpoint_and_a_dropped_connection_fail_over_to_the_next(db_url):
    frames, expected = scenario()
    with JetstreamSimulator(frames, refuse_all=True) as refusing, JetstreamSimulator(frames) as serving:
        serving.fail("drop", after=10)
        code, err = run_to_the_end(db_url, serving, frames, refusing.url, serving.url)
        assert code == 0, err
        assert refusing.connections and all(c.refused for c in refusing.connections)
        first, second = serving.accepted()[:2]
        assert first.cursor is None and first.sent == 10
        # After the drop: the refusing endpoint again, then back here from the last frame read, rewound.
        assert len(refusing.connections) >= 2
        assert second.cursor == first.sent_time_us[-1] - REWIND_US
    assert bluesky_posts(db_url) == expected
    assert "handshake was refused" in err and "connection closed" in err


def test_a_stalled_connection_is_replaced_from_the_cursor(db_url):
    frames, expected = scenario()
    with JetstreamSimulator(frames) as sim:
        sim.fail("stall", after=8)
        code, err = run_to_the_end(db_url, sim, frames, JETSTREAM_STALL_S="1")
        assert code == 0, err
        stalled, resumed = sim.accepted()[:2]
        assert stalled.sent == 8
        assert resumed.cursor == stalled.sent_time_us[-1] - REWIND_US
    assert bluesky_posts(db_url) == expected
    assert "no frame for" in err


def test_a_malformed_frame_is_kept_aside_and_the_stream_goes_on(db_url):
    frames, expected = scenario(malformed=True)
    with JetstreamSimulator(frames) as sim:
        # Dropped a few frames after the bad ones: the reconnect, rewound 5 s, reads them again.
        sim.fail("drop", after=12)
        code, err = run_to_the_end(db_url, sim, frames)
        first, second = sim.accepted()[:2]
        assert second.cursor is not None and second.cursor < first.sent_time_us[9]
    assert code == 3, err  # done, with rejected records
    assert bluesky_posts(db_url) == expected
    with db.reading(db_url) as session:
        rejected = session.exec(select(RejectedRecord).where(RejectedRecord.source == "bsky-stream")).all()
        reasons = sorted(r.reason for r in rejected)
        locations = sorted(r.location for r in rejected)
    db.dispose_engines()
    assert len(reasons) == 2
    assert reasons[0].startswith("event did is not a DID") and reasons[1].startswith("frame is not JSON")
    assert [location.rsplit(" ", 1)[-1] for location in locations] == ["+1", "+2"]  # after the same frame
    assert last_run(db_url, "bsky-stream").counts["rejected"] == 2


def test_the_subscribe_url_asks_for_posts_and_reposts_from_the_cursor():
    from engagement.collection.bluesky.jetstream import subscribe_url

    base = "wss://jetstream1.us-east.bsky.network/subscribe"
    wanted = "wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.feed.repost"
    assert subscribe_url(base, None) == f"{base}?{wanted}"
    assert subscribe_url(base, 1779719002000000) == f"{base}?{wanted}&cursor=1779719002000000"


def test_jetstream_settings(monkeypatch):
    from engagement import settings

    monkeypatch.delenv("JETSTREAM_URL", raising=False)
    monkeypatch.delenv("JETSTREAM_STALL_S", raising=False)
    assert len(settings.jetstream_urls()) == 4 and settings.jetstream_stall_seconds() == 30
    monkeypatch.setenv("JETSTREAM_URL", " ws://a/subscribe, ,ws://b/subscribe ")
    assert settings.jetstream_urls() == ["ws://a/subscribe", "ws://b/subscribe"]
    for wrong in ("0", "soon"):
        monkeypatch.setenv("JETSTREAM_STALL_S", wrong)
        with pytest.raises(ValueError, match="JETSTREAM_STALL_S"):
            settings.jetstream_stall_seconds()


def test_an_endpoints_credentials_never_reach_the_log(db_url):
    # A self-hosted Jetstream behind a proxy may take a token in the URL's user info or query.
    frames, expected = scenario()
    with JetstreamSimulator(frames) as sim:
        sim.fail("drop", after=5)  # a reconnect logs the endpoint again, with the error
        host = sim.url.split("://", 1)[1]
        secret_url = f"ws://relay:tokenvalue1@{host}?key=querysecret2"
        code, err = run_to_the_end(db_url, sim, frames, secret_url)
    assert code == 0, err
    assert bluesky_posts(db_url) == expected
    assert "connected to ws://" in err and "trying the next endpoint" in err
    assert "tokenvalue1" not in err and "querysecret2" not in err


def test_identity_events_rename_stored_authors_and_ignore_strangers(db_url, event_dir, monkeypatch):
    from engagement.collection.bluesky.jetstream import Batches, Matcher, StreamResult, read_frame
    from engagement.rules.event import load_event
    from engagement.storage.models import Author

    monkeypatch.setenv("EVENT_DATA_DIR", str(event_dir))
    strangers = [e for e in recorded_events()[10:] if e["commit"]["collection"] == "app.bsky.feed.post"]
    tagged = derived_post(strangers[0], "3cthb18open1", "Opening plenary starts now #CTHB18")
    tagged["time_us"] = 1
    batches = Batches(url=db_url, result=StreamResult())
    with db.reading(db_url) as session:
        matcher = Matcher.from_database(session, load_event())
    read_frame(json.dumps(tagged), batches.pending, matcher, batches.position)
    batches.flush()
    author_did, stranger_did = tagged["did"], strangers[1]["did"]
    assert author_did != stranger_did
    for did, handle in ((author_did, "renamed.example.org"), (stranger_did, "stranger.example.org")):
        frame = identity(did, handle)
        frame["time_us"] = 2
        read_frame(json.dumps(frame), batches.pending, matcher, batches.position)
    batches.flush()
    with db.reading(db_url) as session:
        rows = session.exec(select(Author.platform_user_id, Author.handle).where(Author.platform == "bluesky"))
        handles = {did: handle for did, handle in rows}
    db.dispose_engines()
    assert handles == {author_did: "renamed.example.org"}


def jetstream_commit(view: dict) -> dict:
    """The Jetstream commit that created ``view``'s post: its record, without counts or profile."""
    commit = {"rev": "3mmoojpbi5e2i", "operation": "create", "collection": "app.bsky.feed.post"}
    commit |= {"rkey": view["uri"].rsplit("/", 1)[1], "record": copy.deepcopy(view["record"]), "cid": view["cid"]}
    return {"did": view["author"]["did"], "time_us": 0, "kind": "commit", "commit": commit}


def test_each_committed_batch_is_hydrated_through_the_appview(db_url):
    from engagement.storage.models import Author, Post

    from .bskysim import GET_POSTS, GET_PROFILES, BlueskySimulator, generate_views

    views, profiles = generate_views(12, seed=9, tag="cthb18")
    missing = views[-1]  # the AppView lags: one post it does not have yet
    frames = retimed([jetstream_commit(view) for view in views])
    with BlueskySimulator() as appview, JetstreamSimulator(frames) as sim:
        appview.add_posts(views[:-1])
        appview.add_profiles(profiles)
        process = stream_worker(db_url, sim.url, BLUESKY_APPVIEW_URL=appview.base_url)
        wait_for_checkpoint(db_url, "bsky-stream", last_time_us(frames), process)
        # The hydration follows the commit; a stop before it ends leaves the rest to bsky-hydrate.
        assert appview.wait(lambda: appview.served(GET_PROFILES) >= 1), "no getProfiles"
        code, err = stop(process)
        assert appview.served(GET_POSTS) >= 1, err
    assert code == 0, err
    with db.reading(db_url) as session:
        rows = session.exec(
            select(Post.platform_id, Post.likes, Post.hydrated_at, Author.handle).join(
                Author, Author.id == Post.author_id
            )
        ).all()
    db.dispose_engines()
    stored = {uri: (likes, hydrated_at, handle) for uri, likes, hydrated_at, handle in rows}
    assert set(stored) == {view["uri"] for view in views}
    for view in views[:-1]:
        likes, hydrated_at, handle = stored[view["uri"]]
        assert (likes, handle) == (view["likeCount"], view["author"]["handle"])
    # Not there yet: left for the next try (bsky-hydrate), not marked done.
    assert stored[missing["uri"]][1] is None
    assert last_run(db_url, "bsky-stream").counts["hydrated"] == len(views) - 1
