"""Questions from CSV: our own columns and a Slido export, idempotent, bad rows kept aside."""

import pytest
from sqlmodel import select

from engagement.collection.questions import RowError, import_questions
from engagement.storage import db
from engagement.storage.models import AgendaSession, Question, RejectedRecord

pytestmark = pytest.mark.both_databases

SLIDO = """Question,Author,Likes,Date,Time,Room,Labels,Answered,Highlighted
"How do labour inspectors reach domestic workers?",Ana,12,2018-04-24,09:41,d2-panel-4,,Yes,No
"¿Y las plataformas digitales?",,3,2018-04-24,09:50,d2-panel-4,,No,Yes
"Question for nobody",,0,2018-04-24,09:55,Main hall,,No,No
"=HYPERLINK(""http://x"")",Bob,1,2018-04-24,09:58,d2-panel-4,,No,No
"""


def questions(url):
    with db.reading(url) as session:
        rows = session.exec(
            select(Question, AgendaSession.key)
            .join(AgendaSession, AgendaSession.id == Question.session_id)
            .order_by(Question.id)
        ).all()
    return [(q.text, key, q.display_name, q.votes, q.status, q.created_at.isoformat()) for q, key in rows]


def test_a_slido_export_is_read_by_its_headers(db_url, tmp_path):
    path = tmp_path / "slido.csv"
    path.write_text(SLIDO, encoding="utf-8")
    summary = import_questions(path, url=db_url)
    assert (summary.rows, summary.new, summary.rejected) == (4, 3, 1)
    assert questions(db_url) == [
        (
            "How do labour inspectors reach domestic workers?",
            "d2-panel-4",
            "Ana",
            12,
            "answered",
            "2018-04-24T07:41:00+00:00",
        ),
        ("¿Y las plataformas digitales?", "d2-panel-4", None, 3, "on_screen", "2018-04-24T07:50:00+00:00"),
        ('=HYPERLINK("http://x")', "d2-panel-4", "Bob", 1, "pending", "2018-04-24T07:58:00+00:00"),
    ]
    with db.reading(db_url) as session:
        rejected = session.exec(select(RejectedRecord)).one()
    assert rejected.location == "slido.csv:4" and "'Main hall' is neither a key" in rejected.reason
    again = import_questions(path, url=db_url)
    assert (again.new, again.duplicates, again.rejected) == (0, 3, 1)


def test_a_slido_export_without_rooms_needs_a_session(db_url, tmp_path):
    path = tmp_path / "one-room.csv"
    path.write_text("Question,Author,Likes,Date\nWhy?,,2,2018-04-23 14:40\n", encoding="utf-8")
    with pytest.raises(RowError, match="--session"):
        import_questions(path, url=db_url)
    summary = import_questions(path, url=db_url, session_key="d1-panel-2")
    assert summary.new == 1 and questions(db_url)[0][1] == "d1-panel-2"


def test_our_own_columns_by_key_or_exact_title(db_url, tmp_path):
    path = tmp_path / "own.csv"
    path.write_text(
        "session,question,name,group,affiliation,language,votes,status,created_at\n"
        "d1-opening,Who coordinates?,Eva,NGO / civil society,NGO X,en,4,approved,2018-04-23T09:40:00+02:00\n"
        "Panel 2: Civil society and survivors as partners,Кто финансирует?,,,,ru,0,,2018-04-23 15:00\n"
        "d1-opening,,,,,,,,\n",
        encoding="utf-8",
    )
    summary = import_questions(path, url=db_url)
    assert (summary.new, summary.rejected) == (2, 1)
    rows = questions(db_url)
    assert rows[0] == ("Who coordinates?", "d1-opening", "Eva", 4, "approved", "2018-04-23T07:40:00+00:00")
    assert rows[1][1:] == ("d1-panel-2", None, 0, "pending", "2018-04-23T13:00:00+00:00")
    with db.reading(db_url) as session:
        assert session.exec(select(Question.group_key).where(Question.display_name == "Eva")).one() == "civil_society"


def test_a_file_that_is_not_a_questions_export_is_refused(db_url, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(RowError, match="no question column"):
        import_questions(path, url=db_url)


def test_a_re_import_keeps_what_moderators_decided_in_the_app(db_url, tmp_path):
    from engagement.qa import moderation

    path = tmp_path / "slido.csv"
    path.write_text(SLIDO, encoding="utf-8")
    import_questions(path, url=db_url)
    with db.writing(db_url) as session:
        pending = session.exec(select(Question.id).where(Question.status == "pending")).one()
        moderation.act(session, pending, "edit_approve", "Ana", text="Edited by a moderator")
    again = import_questions(path, url=db_url)
    assert (again.new, again.updated, again.duplicates) == (0, 0, 3)
    with db.reading(db_url) as session:
        kept = session.get(Question, pending)
    assert (kept.status, kept.text, kept.original_text) == (
        "approved",
        "Edited by a moderator",
        '=HYPERLINK("http://x")',
    )


def test_a_question_given_twice_in_one_file_is_stored_once_with_its_later_row(db_url, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(
        "id,session,question,votes\n"
        "q1,d1-panel-1,How are victims identified?,2\n"
        "q2,d1-panel-1,Who funds shelters?,0\n"
        "q1,d1-panel-1,How are victims identified early?,5\n"
        "q2,d1-panel-1,Who funds shelters?,0\n"
        "q3,no-such-session,Lost?,0\n"
    )
    first = import_questions(path)
    assert (first.new, first.updated, first.duplicates, first.rejected) == (2, 1, 1, 1)
    with db.reading(db_url) as session:
        stored = session.exec(select(Question.external_id, Question.text, Question.votes).order_by(Question.id)).all()
        kept = session.exec(select(RejectedRecord.location)).all()
    assert [tuple(row) for row in stored] == [
        ("csv:q1", "How are victims identified early?", 5),
        ("csv:q2", "Who funds shelters?", 0),
    ]
    assert kept == ["twice.csv:6"]
    again = import_questions(path)  # the bad row is kept once, however often the file is read
    assert (again.new, again.rejected) == (0, 1)
    with db.reading(db_url) as session:
        assert len(session.exec(select(RejectedRecord.location)).all()) == 1


def test_rows_the_database_could_not_store_are_kept_aside_and_the_rest_goes_in(db_url, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(
        "session,question,votes\n"
        "d1-panel-1,Superscript votes?,²\n"
        "d1-panel-1,Too many votes?,2147483648\n"
        "d1-panel-1,A NUL\x00 inside?,1\n"
        "d1-panel-1,Who funds shelters?,2147483647\n",
        encoding="utf-8",
    )
    summary = import_questions(path)
    assert (summary.new, summary.rejected) == (1, 3)
    with db.reading(db_url) as session:
        assert session.exec(select(Question.text, Question.votes)).all() == [("Who funds shelters?", 2147483647)]
        reasons = session.exec(select(RejectedRecord.location, RejectedRecord.reason).order_by(RejectedRecord.id)).all()
    assert [location for location, _ in reasons] == ["odd.csv:2", "odd.csv:3", "odd.csv:4"]
    assert "not a whole number from 0 to 2,147,483,647" in reasons[0][1] and "NUL" in reasons[2][1]
