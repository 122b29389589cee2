"""Alembic environment: runs against the URL that ``engagement.storage.migrate`` puts in the config.

The whole upgrade is one transaction on the write engine (``BEGIN IMMEDIATE`` on SQLite), so when
the app and the worker start together on a new database, one migrates and the other then finds
nothing left to do.
"""

from alembic import context
from sqlmodel import SQLModel

from engagement.storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from engagement.storage.db import get_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
engine = get_engine(url, write=True, migrate=False)


with engine.connect() as connection:
    # SQLite alters a table by copying it and dropping the old one. With foreign keys on, that drop
    # checks every old row against the new copy's references to the table (question.merged_into_id
    # refers to question): one scan per row, minutes at tens of thousands of rows. So they are off while
    # migrating (the pragma only works outside a transaction), checked at the end, and on again after.
    sqlite = engine.dialect.name == "sqlite"
    raw = connection.connection.driver_connection if sqlite else None
    if raw is not None:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            if engine.dialect.name == "postgresql":
                # Processes starting together queue here; each then reads the version the last one left.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(180423)")
            context.configure(
                connection=connection,
                target_metadata=SQLModel.metadata,
                render_as_batch=True,  # SQLite alters tables by copying them
                compare_type=True,
                transactional_ddl=True,
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration would leave broken references: {broken[:5]}")
    finally:
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")
