"""Schema migrations (Alembic), run programmatically so that no ini file or working directory matters.

A database already at head is told apart without Alembic: its ``alembic_version`` read with the
driver, the head read from the revision files' ``revision``/``down_revision`` lines. Alembic's own
path (importing it, loading every revision, and the environment's whole-database
``PRAGMA foreign_key_check``) cost 3.9 s of a worker's start on a 50,000-post SQLite file, 0.5 s
even on a small one; the check takes milliseconds.
"""

from __future__ import annotations

import ast
import logging
import re
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from engagement import settings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(url: str | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's ini interpolation treats "%" specially; a password may contain one.
    config.set_main_option("sqlalchemy.url", (url or settings.database_url()).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to ``revision``; says so in the log only when something changed."""
    url = url or settings.database_url()
    before = current_revision(url)
    if revision == "head" and before is not None and before == _head_from_files():
        return  # nothing to do: Alembic is not even imported
    from alembic import command

    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    command.upgrade(alembic_config(url), revision)
    after = current_revision(url)
    if after != before:
        log.info("database schema upgraded: %s -> %s", before or "empty", after)


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at (None: a new database), read with one query."""
    engine = create_engine(url or settings.database_url())
    try:
        with engine.connect() as connection:
            try:
                versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            except DBAPIError:
                return None  # no alembic_version table yet
            # Alembic allows several heads (branches); ours is one line, so one row or none.
            return versions[0] if len(versions) == 1 else None
    finally:
        engine.dispose()


@cache
def _head_from_files() -> str | None:
    """The head revision as the files say (the revision no other names as its ``down_revision``), or
    None when the files are not the single line of plain string revisions this reads (then Alembic
    decides)."""
    revisions: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        try:
            revision, down = ast.literal_eval(found["revision"]), ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
            return None  # a merge (a tuple of parents): Alembic's business
        revisions[revision] = down
    heads = set(revisions) - set(revisions.values())
    return heads.pop() if len(heads) == 1 else None


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "the migrations directory has revisions"
    return head
