"""What tests share besides fixtures (those are in conftest.py): no test module imports another.

The repository's root and its recorded test data are here; the app in a browser, the worker as a process
and the pages through AppTest each have a module of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from engagement.rules.sync import sync_event
from engagement.storage import db

ROOT = Path(__file__).resolve().parent.parent.parent
# Real recorded API responses, copied in with their sources and licences (tests/data/README.md).
TEST_DATA = ROOT / "tests" / "data"


def real_data(name: str, source: str = "x-api-v2") -> Path:
    """A real recorded file from ``tests/data/<source>/``."""
    path = TEST_DATA / source / name
    if not path.exists():
        pytest.fail(f"{path} is missing from the repository's test data (tests/data/README.md)")
    return path


def prepare_event(url: str) -> None:
    """The shipped event loaded into the database at ``url`` (a template's preparation)."""
    with db.writing(url) as session:
        sync_event(session)
    db.dispose_engines()
