"""Alembic environment: runs against the URL that ``engagement.migrate`` puts in the config.

The whole upgrade is one transaction on the write engine (``BEGIN IMMEDIATE`` on SQLite), so when
the app and the worker start together on a new database, one migrates and the other then finds
nothing left to do.
"""

from alembic import context
from sqlmodel import SQLModel

from engagement import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from engagement.db import get_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
engine = get_engine(url, write=True, migrate=False)

with engine.connect() as connection, connection.begin():
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        transactional_ddl=True,
    )
    context.run_migrations()
