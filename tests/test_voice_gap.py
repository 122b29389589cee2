"""The voice gap by session: which registered groups a session heard under half their share."""

import pandas as pd

from engagement.report.voice import gap_by_session


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
