"""The voice gap: each registered group's shares of posts and questions beside its share of the
registrations, and by session which registered groups a session heard under half their share."""

import pandas as pd

from engagement.report.voice import gap_by_group, gap_by_session


def test_a_session_lists_its_under_heard_groups_least_heard_first():
    registrations = pd.DataFrame({"key": ["ngo", "gov", "media", "none"], "registered": [50, 30, 20, 0]})
    contributions = pd.DataFrame(
        [
            ("Opening", "ngo", 2),  # 20 % of the session against 50 % of registrations: under-heard
            ("Opening", "gov", 8),
            ("Opening", "unregistered", 90),  # not a registered group: not counted
            ("Panel", "gov", 0),  # a session nobody was heard in: left out
            (None, "ngo", 5),  # no session: left out
        ],
        columns=["session", "key", "contributions"],
    )
    gap = gap_by_session(contributions, registrations, {"ngo": "NGOs", "media": "Media"})
    assert gap.to_dict("records") == [
        {
            "session": "Opening",
            "contributions": 10,
            "groups under-heard": 2,
            "under-heard groups": "Media (0% of contributions, 20% of registrations); "
            "NGOs (20% of contributions, 50% of registrations)",
        }
    ]


def test_each_registered_group_has_its_shares_and_ratios_in_the_taxonomys_order():
    by_group = pd.DataFrame(
        [
            ("gov", "Governments", 30, 1),
            ("ngo", "NGOs", 60, 2),
            ("media", "Media", 10, 1),
            ("public", "Public", 900, 7),  # registered nobody: left out of both sides
        ],
        columns=["key", "group", "posts", "questions"],
    )
    registrations = pd.DataFrame({"key": ["ngo", "media", "gov", "public"], "registered": [40, 40, 20, 0]})
    gap = gap_by_group(by_group, registrations)
    assert gap.to_dict("records") == [
        {
            "group": "Governments",
            "registered": 20,
            "registered share": 0.2,
            "posts": 30,
            "posts share": 0.3,
            "posts ratio": 1.5,
            "questions": 1,
            "questions share": 0.25,
            "questions ratio": 1.25,
            "under-heard": False,
        },
        {
            "group": "NGOs",
            "registered": 40,
            "registered share": 0.4,
            "posts": 60,
            "posts share": 0.6,
            "posts ratio": 1.5,
            "questions": 2,
            "questions share": 0.5,
            "questions ratio": 1.25,
            "under-heard": False,
        },
        {
            "group": "Media",
            "registered": 40,
            "registered share": 0.4,
            "posts": 10,
            "posts share": 0.1,
            "posts ratio": 0.25,  # a quarter of its share of the room: under-heard by its posts
            "questions": 1,
            "questions share": 0.25,
            "questions ratio": 0.62,  # 0.625, rounded half to even as pandas rounds
            "under-heard": True,
        },
    ]
    # Counts stay whole numbers and the flag a boolean in the workbook and the CSV.
    assert {column: str(kind) for column, kind in gap.dtypes.items() if column != "group"} == {
        "registered": "int64",
        "registered share": "float64",
        "posts": "int64",
        "posts share": "float64",
        "posts ratio": "float64",
        "questions": "int64",
        "questions share": "float64",
        "questions ratio": "float64",
        "under-heard": "bool",
    }
    nobody = gap_by_group(by_group.assign(posts=0, questions=0), registrations)
    assert list(nobody["posts share"]) == [0.0, 0.0, 0.0] and nobody["under-heard"].all()
