"""The reliability and abuse suite: it tries to break the worker and the app, and prints a tally.

Each test records what it injected or tried only once its assertions have held, so the tally at the
end of ``python -m pytest tests/reliability -q`` counts faults survived and bad inputs handled, not
attempts. ``RELIABILITY_SEED`` changes the random moments and inputs (the seed is printed).
"""

from __future__ import annotations

import pytest

from ..helpers.tally import SEED, TALLY, Tally, reproduce


@pytest.fixture
def tally() -> Tally:
    return TALLY


@pytest.fixture
def seed() -> int:
    return SEED


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing reliability test's report names the seed its random moments and inputs came from."""
    report = (yield).get_result()
    if report.failed:
        report.sections.append(
            ("reliability seed", f"seed {SEED}; to run it again with the same draw:\n  {reproduce([item.nodeid])}")
        )
