"""Alembic environment: runs against the URL that ``engagement.migrate`` puts in the config."""

from alembic import context
from sqlmodel import SQLModel

from engagement import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from engagement.db import get_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
# The write engine: on SQLite it holds the write lock for the whole migration.
engine = get_engine(url, write=True, migrate=False)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
