"""The reliability and abuse suite: it tries to break the worker and the app, and prints a tally.

Each test records what it injected or tried only once its assertions have held, so the tally at the
end of ``python -m pytest tests/reliability -q`` counts faults survived and bad inputs handled, not
attempts. ``RELIABILITY_SEED`` changes the random moments and inputs (the seed is printed).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

SEED = int(os.environ.get("RELIABILITY_SEED") or 20180423)


class Tally:
    def __init__(self):
        self.faults: Counter[str] = Counter()
        self.inputs: Counter[str] = Counter()
        self.notes: list[str] = []

    def fault(self, what: str, count: int = 1) -> None:
        """``count`` faults of this kind were injected, and the test's checks held after them."""
        self.faults[what] += count

    def bad_input(self, what: str, count: int = 1) -> None:
        """``count`` bad inputs of this kind were tried, each refused or kept aside with its reason."""
        self.inputs[what] += count

    def note(self, text: str) -> None:
        self.notes.append(text)


TALLY = Tally()


@pytest.fixture
def tally() -> Tally:
    return TALLY


@pytest.fixture
def seed() -> int:
    return SEED


def reproduce(nodeids: list[str]) -> str:
    return f"RELIABILITY_SEED={SEED} .venv/bin/python -m pytest " + " ".join(f"'{n}'" for n in nodeids)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing reliability test's report names the seed its random moments and inputs came from."""
    report = (yield).get_result()
    if report.failed:
        report.sections.append(
            ("reliability seed", f"seed {SEED}; to run it again with the same draw:\n  {reproduce([item.nodeid])}")
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    failed = [r for r in terminalreporter.stats.get("failed", []) if "tests/reliability" in r.nodeid]
    if not (TALLY.faults or TALLY.inputs or failed):
        return
    write = terminalreporter.write_line
    terminalreporter.section("reliability tally")
    write(f"seed {SEED} (RELIABILITY_SEED)")
    write("faults injected, and survived with nothing lost and nothing doubled:")
    for what, count in sorted(TALLY.faults.items()):
        write(f"  {count:>9,}  {what}")
    write(
        "inputs tried (arbitrary, hostile, oversized or abusive), each stored whole, refused, neutralised or "
        "kept aside with its reason:"
    )
    for what, count in sorted(TALLY.inputs.items()):
        write(f"  {count:>9,}  {what}")
    for text in TALLY.notes:
        write(f"  note: {text}")
    if failed:
        write(f"to reproduce the failures with the same seed: {reproduce(sorted({r.nodeid for r in failed}))}")
    write(
        f"total: {sum(TALLY.faults.values()):,} faults survived, {sum(TALLY.inputs.values()):,} bad inputs handled; "
        + (
            f"{len(failed)} reliability test(s) FAILED: these figures are incomplete"
            if failed
            else "every reliability check held: posts lost 0, doubled 0, errors shown to a person 0"
        )
    )
