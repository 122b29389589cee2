"""Which session a post belongs to: edges, grace, hashtags, overlaps."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from engagement.rules.attribution import Attributor, Window
from engagement.storage import db
from engagement.storage.models import AgendaSession

UTC = UTC


def at(hour, minute=0, second=0, day=23):
    return datetime(2018, 4, day, hour, minute, second, tzinfo=UTC)


def window(id_, key, start, end, tags=()):
    return Window(id_, key, start, end, frozenset(tags))


@pytest.fixture
def attributor():
    return Attributor(
        [
            window(1, "opening", at(7, 30), at(8, 45)),
            window(2, "panel-1", at(9, 15), at(11, 0), {"cthb18panel1"}),
            window(3, "side", at(11, 15), at(12, 15), {"survivorsvoices"}),  # during lunch (a break: not a window)
            window(4, "panel-2", at(12, 30), at(14, 15)),
            window(5, "day2", at(7, 30, day=24), at(9, 0, day=24)),
        ],
        grace=timedelta(minutes=10),
    )


def test_the_clock_puts_a_post_in_the_session_running(attributor):
    assert attributor.attribute(at(7, 30)) == 1  # the very first second counts
    assert attributor.attribute(at(8, 0)) == 1
    assert attributor.attribute(at(7, 29, 59)) is None  # a second early: between sessions


def test_the_grace_period_after_the_end(attributor):
    assert attributor.attribute(at(8, 45)) == 1
    assert attributor.attribute(at(8, 54, 59)) == 1
    assert attributor.attribute(at(8, 55)) is None
    assert attributor.attribute(at(9, 0)) is None


def test_a_session_in_its_window_beats_the_previous_one_in_its_grace():
    attributor = Attributor(
        [window(1, "a", at(9), at(10)), window(2, "b", at(10), at(11))], grace=timedelta(minutes=10)
    )
    assert attributor.attribute(at(10, 5)) == 2
    assert attributor.attribute(at(9, 59, 59)) == 1


def test_a_session_hashtag_beats_the_clock(attributor):
    # Posted during panel 2 but tagged for panel 1: panel 1 it is (any case, with or without '#').
    assert attributor.attribute(at(13), ["CTHB18Panel1"]) == 2
    assert attributor.attribute(at(13), ["#cthb18panel1"]) == 2
    # Long after the side event, with its tag.
    assert attributor.attribute(at(16), ["survivorsvoices"]) == 3
    # Unrelated tags change nothing.
    assert attributor.attribute(at(13), ["cthb18"]) == 4


def test_a_shared_hashtag_goes_to_the_nearest_session():
    attributor = Attributor(
        [window(1, "d1", at(9), at(10), {"x"}), window(2, "d2", at(9, day=24), at(10, day=24), {"x"})]
    )
    assert attributor.attribute(at(11), ["x"]) == 1
    assert attributor.attribute(at(8, day=24), ["x"]) == 2


def test_overlapping_sessions_are_settled_the_same_way_every_time():
    # A side event inside a long plenary: the one that started last wins, whatever the input order.
    sessions = [window(1, "plenary", at(9), at(12)), window(2, "side", at(10), at(11))]
    for order in (sessions, sessions[::-1]):
        attributor = Attributor(order)
        assert attributor.attribute(at(10, 30)) == 2
        assert attributor.attribute(at(9, 30)) == 1
        assert attributor.attribute(at(11, 5)) == 1  # the plenary's own window beats the side event's grace
    # Same start: the agenda key decides.
    tie = [window(7, "b-room", at(9), at(10)), window(8, "a-room", at(9), at(10))]
    assert Attributor(tie).attribute(at(9, 30)) == Attributor(tie[::-1]).attribute(at(9, 30)) == 8


def test_the_shipped_agenda(db_url):
    with db.reading(db_url) as session:
        attributor = Attributor.from_database(session)
        keys = {s.id: s.key for s in session.exec(select(AgendaSession)).all()}
    vienna = timezone(timedelta(hours=2))
    lunch_side = datetime(2018, 4, 23, 13, 30, tzinfo=vienna)
    side_grace = datetime(2018, 4, 23, 14, 20, tzinfo=vienna)
    lunch_only = datetime(2018, 4, 23, 14, 26, tzinfo=vienna)
    assert keys[attributor.attribute(datetime(2018, 4, 23, 9, 31, tzinfo=vienna))] == "d1-opening"
    assert keys[attributor.attribute(lunch_side)] == "d1-side-survivors"  # breaks never take posts
    assert keys[attributor.attribute(side_grace)] == "d1-side-survivors"  # ended 14:15, grace until 14:25
    assert attributor.attribute(lunch_only) is None  # lunch alone: between sessions
    assert keys[attributor.attribute(datetime(2018, 4, 24, 9, 0, tzinfo=vienna), ["cthb18panel3"])] == "d1-panel-3"
