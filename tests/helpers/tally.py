"""The reliability suite's tally (faults survived, bad inputs handled) and its seed; make test runs
most of the suite over xdist workers, each of which sends its tally to the controller at the end
(tests/conftest.py adds them up)."""

from __future__ import annotations

import os
from collections import Counter

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


def reproduce(nodeids: list[str]) -> str:
    return f"RELIABILITY_SEED={SEED} .venv/bin/python -m pytest " + " ".join(f"'{n}'" for n in nodeids)
