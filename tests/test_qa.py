"""Session Q&A core on a real SQLite file: the state machine, votes, limits, blocklist, merging, audit, privacy."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engagement.qa import asking, blocklist, language, listing, moderation, privacy, similar
from engagement.qa.limits import Limits, RateLimited
from engagement.qa.participants import hash_token, new_token, secret
from engagement.qa.states import IllegalTransition
from engagement.storage import db
from engagement.storage.models import AgendaSession, ModerationAction, Question, QuestionStatus, Vote

pytestmark = pytest.mark.both_databases

NOW = datetime(2018, 4, 23, 11, 30, tzinfo=UTC)
LIMITS = Limits()
STATES = [s.value for s in QuestionStatus]
ACTIONS = [
    "approve",
    "edit_approve",
    "follow_up",
    "dismiss",
    "show",
    "hide",
    "answer",
    "archive",
    "merge",
    "restore",
    "edit",
    "star",
    "unstar",
    "move",
    "claim",
    "release",
]

# The legal moves, written out from the issue rather than read from the code under test.
LEGAL = {
    ("pending", "approve"): "approved",
    ("follow_up", "approve"): "approved",
    ("pending", "edit_approve"): "approved",
    ("follow_up", "edit_approve"): "approved",
    ("pending", "follow_up"): "follow_up",
    ("pending", "dismiss"): "dismissed",
    ("follow_up", "dismiss"): "dismissed",
    ("approved", "dismiss"): "dismissed",
    ("approved", "show"): "on_screen",
    ("on_screen", "hide"): "approved",
    ("approved", "answer"): "answered",
    ("on_screen", "answer"): "answered",
    ("approved", "archive"): "archived",
    ("answered", "archive"): "archived",
    ("dismissed", "archive"): "archived",
    ("pending", "merge"): "merged",
    ("follow_up", "merge"): "merged",
    ("approved", "merge"): "merged",
    ("on_screen", "merge"): "merged",
    # restore with no known earlier state
    ("dismissed", "restore"): "pending",
    ("archived", "restore"): "approved",
    ("answered", "restore"): "approved",
    ("merged", "restore"): "pending",
    ("pending", "edit"): "pending",
    ("follow_up", "edit"): "follow_up",
    ("approved", "edit"): "approved",
    ("approved", "star"): "approved",
    ("on_screen", "star"): "on_screen",
    ("approved", "unstar"): "approved",
    ("on_screen", "unstar"): "on_screen",
    ("approved", "move"): "approved",
    ("on_screen", "move"): "on_screen",
    **{
        (state, action): state
        for state in ("pending", "follow_up", "approved", "on_screen")
        for action in ("claim", "release")
    },
}


def _session_ids(url, count=2):
    with db.reading(url) as session:
        return list(
            session.scalars(
                select(AgendaSession.id)
                .where(AgendaSession.kind != "break")
                .order_by(AgendaSession.starts_at)
                .limit(count)
            )
        )


def _question(url, session_id, status="pending", text="How are victims identified?", **fields) -> int:
    with db.writing(url) as session:
        question = Question(session_id=session_id, text=text, status=status, created_at=NOW, updated_at=NOW, **fields)
        session.add(question)
        session.flush()
        return question.id


def _act(url, question_id, action, actor="Ana", **options):
    with db.writing(url) as session:
        if action == "merge":
            other = _question(url, _get(url, question_id).session_id, "approved", "Another question")
            return moderation.merge(session, question_id, other, actor, now=NOW).status
        if action == "move":
            return moderation.move(session, question_id, -1, actor, now=NOW).status
        options.setdefault("reason", "off topic" if action == "dismiss" else None)
        options.setdefault("text", "Edited text?" if action in ("edit", "edit_approve") else None)
        return moderation.act(session, question_id, action, actor, now=NOW, **options).status


def _get(url, question_id) -> Question:
    with db.reading(url) as session:
        return session.get(Question, question_id)


@pytest.mark.parametrize("state,action", list(itertools.product(STATES, ACTIONS)))
def test_every_transition_is_legal_or_refused(db_url, state, action):
    (session_id,) = _session_ids(db_url, 1)
    question_id = _question(db_url, session_id, state)
    if (state, action) in LEGAL:
        _act(db_url, question_id, action)
        assert _get(db_url, question_id).status == LEGAL[(state, action)]
    else:
        with pytest.raises(IllegalTransition):
            _act(db_url, question_id, action)
        assert _get(db_url, question_id).status == state
        with db.reading(db_url) as session:
            assert session.scalar(select(func.count()).select_from(ModerationAction)) == 0


def test_restore_returns_to_the_state_before(db_url):
    (session_id,) = _session_ids(db_url, 1)
    q = _question(db_url, session_id)
    _act(db_url, q, "follow_up")
    _act(db_url, q, "dismiss")
    _act(db_url, q, "restore")
    assert _get(db_url, q).status == "follow_up" and _get(db_url, q).dismiss_reason is None
    _act(db_url, q, "approve")
    _act(db_url, q, "answer")
    _act(db_url, q, "archive")
    _act(db_url, q, "restore")
    assert _get(db_url, q).status == "answered"
    _act(db_url, q, "restore")
    assert _get(db_url, q).status == "approved"
    _act(db_url, q, "show")
    _act(db_url, q, "answer")
    _act(db_url, q, "restore")  # an answer taken off screen comes back among the approved, not on screen
    assert _get(db_url, q).status == "approved"


def test_one_question_on_screen_per_session(db_url):
    first_session, second_session = _session_ids(db_url)
    a = _question(db_url, first_session, "approved")
    b = _question(db_url, first_session, "approved")
    elsewhere = _question(db_url, second_session, "approved")
    _act(db_url, a, "show")
    _act(db_url, elsewhere, "show")
    _act(db_url, b, "show")
    assert [_get(db_url, q).status for q in (a, b, elsewhere)] == ["approved", "on_screen", "on_screen"]
    with db.reading(db_url) as session:
        assert listing.on_screen(session, first_session).question_id == b
        hides = session.scalars(
            select(ModerationAction).where(ModerationAction.question_id == a, ModerationAction.action == "hide")
        ).all()
    assert len(hides) == 1 and hides[0].after == {"status": "approved"}


def test_edit_keeps_the_original_and_dismissal_needs_a_reason(db_url):
    (session_id,) = _session_ids(db_url, 1)
    q = _question(db_url, session_id, text="how r victims identifyed")
    with pytest.raises(ValueError, match="reason"):
        _act(db_url, q, "dismiss", reason="  ")
    _act(db_url, q, "edit_approve", text="How are victims identified?")
    _act(db_url, q, "edit", text="How are victims of trafficking identified?")
    stored = _get(db_url, q)
    assert (stored.status, stored.text, stored.original_text) == (
        "approved",
        "How are victims of trafficking identified?",
        "how r victims identifyed",
    )


def test_claims_keep_other_moderators_off_until_released_or_expired(db_url):
    (session_id,) = _session_ids(db_url, 1)
    q = _question(db_url, session_id)
    _act(db_url, q, "claim", actor="Ana")
    with pytest.raises(moderation.ClaimedByOther, match="Ana"):
        _act(db_url, q, "approve", actor="Ben")
    with pytest.raises(moderation.ClaimedByOther):
        _act(db_url, q, "claim", actor="Ben")
    with db.writing(db_url) as session:  # a claim lapses
        moderation.act(session, q, "follow_up", "Ben", now=NOW + moderation.CLAIM_LASTS + timedelta(seconds=1))
    assert _get(db_url, q).claimed_by is None
    _act(db_url, q, "claim", actor="Ben")
    _act(db_url, q, "release", actor="Ben")
    _act(db_url, q, "approve", actor="Ana")
    assert _get(db_url, q).status == "approved"


def test_merge_keeps_both_texts_adds_the_votes_and_can_be_undone(db_url):
    first_session, second_session = _session_ids(db_url)
    target = _question(db_url, first_session, "approved", "How do States fund shelters?", votes=5)
    source = _question(db_url, first_session, "pending", "Who pays for shelters?", votes=2)
    other_session = _question(db_url, second_session, "pending", "Who pays for shelters?")
    with db.writing(db_url) as session:
        moderation.merge(session, source, target, "Ana", now=NOW)
    with pytest.raises(IllegalTransition, match="same session"), db.writing(db_url) as session:
        moderation.merge(session, other_session, target, "Ana", now=NOW)
    assert _get(db_url, target).votes == 7 and _get(db_url, source).merged_into_id == target
    with db.reading(db_url) as session:
        shown = listing.queue(session, first_session, "approved")
    assert [(item.text, item.merged_texts) for item in shown] == [
        ("How do States fund shelters?", ("Who pays for shelters?",))
    ]
    _act(db_url, source, "restore")
    assert _get(db_url, target).votes == 5
    assert (_get(db_url, source).status, _get(db_url, source).merged_into_id) == ("pending", None)


def test_every_action_is_audited_with_who_what_when_before_and_after(db_url):
    (session_id,) = _session_ids(db_url, 1)
    q = _question(db_url, session_id, text="Original?")
    _act(db_url, q, "edit_approve", actor="Ana", text="Edited?")
    _act(db_url, q, "star", actor="Ben")
    _act(db_url, q, "dismiss", actor="Ana", reason="duplicate")
    with db.reading(db_url) as session:
        entries = session.scalars(select(ModerationAction).order_by(ModerationAction.id)).all()
        log = listing.audit_log(session, session_id)
    assert [(e.actor, e.action, e.before, e.after, e.reason) for e in entries] == [
        (
            "Ana",
            "edit_approve",
            {"status": "pending", "previous_status": None, "text": "Original?", "original_text": None},
            {"status": "approved", "previous_status": "pending", "text": "Edited?", "original_text": "Original?"},
            None,
        ),
        ("Ben", "star", {"starred": False}, {"starred": True}, None),
        (
            "Ana",
            "dismiss",
            {"status": "approved", "previous_status": "pending", "dismiss_reason": None},
            {"status": "dismissed", "previous_status": "approved", "dismiss_reason": "duplicate"},
            "duplicate",
        ),
    ]
    assert all(e.at is not None for e in entries)
    assert list(log["action"]) == ["dismiss", "star", "edit_approve"]


def test_moving_reorders_the_chairs_list(db_url):
    (session_id,) = _session_ids(db_url, 1)
    ids = [_question(db_url, session_id, "approved", f"Q{n}?", votes=10 - n) for n in range(4)]
    with db.writing(db_url) as session:
        moderation.move(session, ids[3], -2, "Ana", now=NOW)
    with db.reading(db_url) as session:
        assert [q.id for q in moderation.chair_order(session, session_id)] == [ids[0], ids[3], ids[1], ids[2]]
    _act(db_url, ids[2], "star")
    with db.reading(db_url) as session:
        assert [q.id for q in moderation.chair_order(session, session_id)][0] == ids[2]


# --- participants -------------------------------------------------------------------------------------------


def _submit(url, session_id, text="What is being done for victims?", participant="p1", now=NOW, **fields):
    with db.writing(url) as session:
        return asking.submit(
            session,
            session_id=session_id,
            text=text,
            participant_hash=participant,
            limits=LIMITS,
            blocklist=blocklist.load(),
            now=now,
            **fields,
        )


def _vote(url, question_id, participant, now=NOW, limits=LIMITS):
    with db.writing(url) as session:
        return asking.vote(session, question_id=question_id, participant_hash=participant, limits=limits, now=now)


def test_a_submission_is_pending_with_its_detected_language(db_url):
    (session_id,) = _session_ids(db_url, 1)
    asked = _submit(db_url, session_id, "Comment les États protègent-ils les victimes ?\x00\u202e")
    stored = _get(db_url, asked.id)
    assert (stored.status, stored.language, stored.text, stored.flagged) == (
        "pending",
        "fr",
        "Comment les États protègent-ils les victimes ?",
        False,
    )
    assert stored.participant_hash == "p1" and stored.display_name is None


@pytest.mark.parametrize(
    "text,fields,message",
    [
        ("x" * 501, {}, "501 characters"),
        ("   ", {}, "empty"),
        ("Fine question?", {"display_name_field": "Ana"}, "agree"),
        ("Fine question?", {"group_key": "nope", "consent": True}, "not one of"),
    ],
)
def test_bad_submissions_are_refused_with_a_reason(db_url, text, fields, message):
    (session_id,) = _session_ids(db_url, 1)
    fields = dict(fields)  # the parametrize dict is shared by both databases' runs
    if "display_name_field" in fields:
        fields = {"name": fields.pop("display_name_field")}
    with pytest.raises(asking.QuestionRefused, match=message):
        _submit(db_url, session_id, text, **fields)


def test_a_break_takes_no_questions(db_url):
    with db.reading(db_url) as session:
        coffee = session.scalar(select(AgendaSession.id).where(AgendaSession.kind == "break").limit(1))
    with pytest.raises(asking.QuestionRefused, match="does not take"):
        _submit(db_url, coffee)


def test_personal_fields_are_kept_only_with_consent(db_url):
    (session_id,) = _session_ids(db_url, 1)
    asked = _submit(db_url, session_id, name="Ana", group_key="civil_society", affiliation="La Strada", consent=True)
    stored = _get(db_url, asked.id)
    assert (stored.display_name, stored.group_key, stored.affiliation) == ("Ana", "civil_society", "La Strada")


def test_question_rate_limit_per_participant_and_per_session(db_url):
    (session_id,) = _session_ids(db_url, 1)
    for n in range(3):
        _submit(db_url, session_id, f"Question {n}?", now=NOW + timedelta(seconds=n))
    with pytest.raises(RateLimited, match="wait"):
        _submit(db_url, session_id, "One more?", now=NOW + timedelta(seconds=10))
    _submit(db_url, session_id, "A minute later?", now=NOW + timedelta(seconds=61))
    # Many tokens cannot flood a session either.
    tight = Limits(session_questions_per_minute=5)
    with db.writing(db_url) as session:
        for n in range(5 - 1):
            asking.submit(
                session,
                session_id=session_id,
                text=f"Flood {n}",
                participant_hash=f"f{n}",
                limits=tight,
                blocklist=blocklist.load(),
                now=NOW + timedelta(seconds=62),
            )
        with pytest.raises(RateLimited, match="many questions"):
            asking.submit(
                session,
                session_id=session_id,
                text="Flood x",
                participant_hash="fx",
                limits=tight,
                blocklist=blocklist.load(),
                now=NOW + timedelta(seconds=62),
            )


def test_vote_rate_limit(db_url):
    (session_id,) = _session_ids(db_url, 1)
    ids = [_question(db_url, session_id, "approved", f"Q{n}") for n in range(4)]
    limits = Limits(votes_per_minute=3)
    for q in ids[:3]:
        _vote(db_url, q, "voter", limits=limits)
    with pytest.raises(RateLimited):
        _vote(db_url, ids[3], "voter", limits=limits)
    assert _vote(db_url, ids[3], "voter", now=NOW + timedelta(minutes=2), limits=limits) == 1


def test_one_vote_per_participant_and_question_even_when_racing(db_url):
    (session_id,) = _session_ids(db_url, 1)
    q = _question(db_url, session_id, "approved")
    outcomes = []

    def voter(participant):
        try:
            _vote(db_url, q, participant, now=datetime.now(UTC))
            outcomes.append(("ok", participant))
        except asking.VoteRefused:
            outcomes.append(("refused", participant))

    threads = [threading.Thread(target=voter, args=(f"p{n % 4}",)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = sorted(p for outcome, p in outcomes if outcome == "ok")
    assert accepted == ["p0", "p1", "p2", "p3"] and len(outcomes) == 40
    assert _get(db_url, q).votes == 4
    with db.reading(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Vote)) == 4
    # The database itself refuses a second row, whatever the code above it does.
    with pytest.raises(IntegrityError), db.writing(db_url) as session:
        session.add(Vote(question_id=q, participant_hash="p0"))
        session.flush()


def test_only_published_questions_take_votes(db_url):
    (session_id,) = _session_ids(db_url, 1)
    for state in ("pending", "dismissed", "answered", "merged"):
        with pytest.raises(asking.VoteRefused, match="not open"):
            _vote(db_url, _question(db_url, session_id, state), "p1")


@pytest.mark.parametrize(
    "text,term",
    [
        ("Why is the panel full of idiots?", "idiots"),
        ("Quel connard a écrit ce rapport ?", "connard"),
        ("Was für eine Scheiße ist das?", "scheisse"),
        ("Почему этот доклад такое говно?", "говно"),
        ("¿Por qué esta mierda de respuesta?", "mierda"),
        ("Chi è lo stronzo che ha deciso?", "stronzo"),
        ("You are all 1d10ts", "idiots"),
    ],
)
def test_blocklist_holds_a_question_in_several_languages(db_url, text, term):
    (session_id,) = _session_ids(db_url, 1)
    asked = _submit(db_url, session_id, text)
    stored = _get(db_url, asked.id)
    assert asked.flagged and stored.status == "pending" and repr(term) in stored.flag_reason
    with db.reading(db_url) as session:
        assert asking.published(session, session_id, None) == []
        assert listing.queue(session, session_id, "incoming", flagged_only=True)[0].id == asked.id


@pytest.mark.parametrize(
    "text",
    [
        "How do States identify victims?",
        "Comment les États identifient-ils les victimes ?",
        "Wie identifizieren Staaten die Opfer?",
        "Как государства выявляют жертв?",
        "¿Cómo identifican los Estados a las víctimas?",
        "Come identificano gli Stati le vittime?",
        "Is 'Scunthorpe' a problem for classic filters?",
    ],
)
def test_ordinary_questions_are_not_flagged(text):
    assert blocklist.load().check(text) is None


def test_links_are_flagged_for_a_moderator():
    assert blocklist.load().check("Read <a href=javascript:alert(1)>https://evil.example/x</a>") == "contains a link"


def test_blocklist_is_the_organisers_file(event_dir, monkeypatch):
    monkeypatch.setenv("EVENT_DATA_DIR", str(event_dir))
    (event_dir / "qa_blocklist.csv").write_text("term,language,note\nbanana republic,en,organiser's own\n")
    assert "banana republic" in blocklist.load().check("Is this a BANANA   republic?")
    assert blocklist.load().check("You idiot") is None


@pytest.mark.parametrize(
    "text,code",
    [
        ("How will participating States fund shelters for victims?", "en"),
        ("Comment les États financent-ils les refuges pour les victimes ?", "fr"),
        ("Wie finanzieren die Staaten die Schutzunterkünfte für Opfer?", "de"),
        ("Come finanziano gli Stati i rifugi per le vittime?", "it"),
        ("¿Cómo financian los Estados los refugios para las víctimas?", "es"),
        ("Как государства финансируют приюты для жертв?", "ru"),
        ("Як держави фінансують притулки для жертв?", "uk"),
        ("OSCE 2018?", None),
    ],
)
def test_language_is_detected_offline(text, code):
    assert language.detect(text) == code


def test_similar_questions_are_suggested_within_a_session_and_across_languages(db_url):
    first_session, second_session = _session_ids(db_url)
    a = _question(db_url, first_session, "pending", "How will States fund shelters for victims?")
    b = _question(db_url, first_session, "approved", "How do the States fund the shelters for victims?")
    c = _question(db_url, first_session, "pending", "Comment les États financent-ils les refuges des victimes ?")
    d = _question(db_url, first_session, "pending", "Is the private sector doing enough?")
    _question(db_url, second_session, "pending", "How will States fund shelters for victims?")
    with db.reading(db_url) as session:
        incoming = {item.id: item for item in listing.queue(session, first_session, "incoming")}
    assert {other for other, _ in incoming[a].similar} == {b, c}
    assert {other for other, _ in incoming[c].similar} == {a, b}
    assert incoming[d].similar == ()
    assert similar.similarity(similar.signature("Totally different words"), similar.signature("Nothing alike")) < 0.42


def test_suggestions_score_every_pair_as_similarity_does():
    # suggestions_for writes similarity() out for speed: both must agree on every pair, empty texts too.
    from engagement.demo.texts import QUESTION_TEMPLATES, TOPICS

    texts = [
        template.format(topic=topic)
        for language, templates in QUESTION_TEMPLATES.items()
        for template in templates
        for topic in TOPICS[language]
    ] + ["", "?", "OSCE 2018?"]
    pool = list(enumerate(texts))
    found = similar.suggestions_for(pool, pool, most=len(pool))
    for qid, text in pool:
        mine = similar.signature(text)
        scores = [(other, similar.similarity(mine, similar.signature(their))) for other, their in pool if other != qid]
        expected = [(other, round(score, 2)) for other, score in scores if score >= similar.THRESHOLD]
        assert sorted(found.get(qid, [])) == sorted(expected)
    assert any(found.values())


def test_participants_see_published_questions_and_their_own_states(db_url):
    (session_id,) = _session_ids(db_url, 1)
    mine = [
        _submit(db_url, session_id, f"My question {n}?", participant="me", now=NOW + timedelta(minutes=n)).id
        for n in range(4)
    ]
    _act(db_url, mine[0], "approve")
    _act(db_url, mine[1], "dismiss")
    _act(db_url, mine[2], "approve")
    _act(db_url, mine[2], "answer")
    _vote(db_url, mine[0], "someone")
    with db.reading(db_url) as session:
        states = {row["question"]: row["state"] for row in asking.mine(session, "me")}
        shown = asking.published(session, session_id, "someone")
    # A dismissal is not announced.
    assert states == {
        "My question 0?": "published",
        "My question 1?": "submitted",
        "My question 2?": "answered",
        "My question 3?": "submitted",
    }
    assert [(q.id, q.voted, q.answered) for q in shown] == [(mine[0], True, False), (mine[2], False, True)]


def test_forget_me_removes_questions_and_votes_from_view_while_counts_stay(db_url):
    (session_id,) = _session_ids(db_url, 1)
    asked = _submit(db_url, session_id, "Ask me?", participant="me", name="Ana", consent=True)
    _act(db_url, asked.id, "approve")
    other = _question(db_url, session_id, "approved", "Other?")
    _vote(db_url, other, "me")
    _vote(db_url, asked.id, "someone")
    with db.writing(db_url) as session:
        assert privacy.forget(session, "me") == {"questions": 1, "votes": 1}
    with db.reading(db_url) as session:
        assert asking.mine(session, "me") == []
        assert [q.id for q in asking.published(session, session_id, "me")] == [other]
        assert listing.counts(session, session_id)["approved"] == 2
        stored = session.get(Question, asked.id)
        assert (stored.text, stored.display_name, stored.participant_hash) == (privacy.FORGOTTEN_TEXT, None, None)
        assert session.get(Question, other).votes == 1
        assert session.scalar(select(func.count()).select_from(Vote).where(Vote.participant_hash == "me")) == 0
        assert listing.export_frame(session)["question"].tolist() == ["Other?"]


def test_purge_erases_personal_data_after_retention(db_url):
    (session_id,) = _session_ids(db_url, 1)
    old_published = _submit(db_url, session_id, "Old published?", participant="a", name="Ana", consent=True).id
    old_pending = _submit(db_url, session_id, "Old pending?", participant="b").id
    recent = _submit(
        db_url, session_id, "Recent?", participant="c", name="Cleo", consent=True, now=NOW + timedelta(days=200)
    ).id
    _act(db_url, old_published, "approve")
    with db.writing(db_url) as session:
        result = privacy.purge(session, older_than=NOW + timedelta(days=100))
    assert (result["questions_anonymised"], result["texts_erased"]) == (2, 1)
    kept, erased, fresh = (_get(db_url, q) for q in (old_published, old_pending, recent))
    assert (kept.text, kept.display_name, kept.participant_hash) == ("Old published?", None, None)
    assert (erased.text, erased.forgotten) == (privacy.PURGED_TEXT, True)
    assert (fresh.display_name, fresh.participant_hash) == ("Cleo", "c")


def test_who_is_being_heard(db_url):
    (session_id,) = _session_ids(db_url, 1)
    for n, group in enumerate(["civil_society"] * 3 + ["government"]):
        q = _question(db_url, session_id, "pending", f"Q{n}", group_key=group)
        if group == "government" or n == 0:
            _act(db_url, q, "approve")
            if group == "government":
                _act(db_url, q, "answer")
    _question(db_url, session_id, "pending", "No group")
    with db.reading(db_url) as session:
        frame = listing.heard(session, session_id).set_index("group")
    assert frame.loc["civil_society", ["submitted", "approved", "answered"]].tolist() == [3, 1, 0]
    assert frame.loc["government", ["submitted", "approved", "answered"]].tolist() == [1, 1, 1]
    assert frame.loc["unstated", "submitted"] == 1
    assert frame.loc["civil_society", "submitted_share"] == 0.6 and frame.loc["government", "answered_share"] == 1.0


def test_exports_carry_no_tokens_or_hashes(db_url):
    (session_id,) = _session_ids(db_url, 1)
    with db.writing(db_url) as session:
        key = secret(session)
    token = new_token()
    hashed = hash_token(token, key)
    _submit(db_url, session_id, "Hash me?", participant=hashed)
    with db.reading(db_url) as session:
        frame = listing.export_frame(session)
        stored = session.scalar(select(Question.participant_hash))
    assert stored == hashed != token and len(hashed) == 64
    text = frame.to_csv()
    assert hashed not in text and token not in text and "participant" not in text


def test_only_the_holder_releases_a_live_claim(db_url):
    (session_id,) = _session_ids(db_url, 1)
    q = _question(db_url, session_id)
    _act(db_url, q, "claim", actor="Ana")
    with pytest.raises(moderation.ClaimedByOther):
        _act(db_url, q, "release", actor="Ben")
    _act(db_url, q, "release", actor="Ana")
    assert _get(db_url, q).claimed_by is None
