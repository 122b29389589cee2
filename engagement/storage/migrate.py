"""Schema migrations (Alembic), run programmatically so that no ini file or working directory matters."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from engagement import settings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's ini interpolation treats "%" specially; a password may contain one.
    config.set_main_option("sqlalchemy.url", (url or settings.database_url()).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to ``revision``; says so in the log only when something changed."""
    url = url or settings.database_url()
    before = current_revision(url)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    command.upgrade(alembic_config(url), revision)
    after = current_revision(url)
    if after != before:
        log.info("database schema upgraded: %s -> %s", before or "empty", after)


def current_revision(url: str | None = None) -> str | None:
    engine = create_engine(url or settings.database_url())
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "the migrations directory has revisions"
    return head
