"""Hashtags and mentions as rows (for SQL aggregates), and database-wide settings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Backfills ``post_entity`` from the JSON lists that revision 0001 already kept on each post.
"""

import json

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "setting",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    entity = op.create_table(
        "post_entity",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "kind", "value"),
    )
    with op.batch_alter_table("post_entity", schema=None) as batch_op:
        batch_op.create_index("ix_post_entity_kind_value", ["kind", "value"], unique=False)

    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.text("SELECT id, hashtags, mentions FROM post WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last_id, "n": BATCH},
        ).all()
        if not rows:
            break
        values = []
        for post_id, hashtags, mentions in rows:
            for kind, items in (("hashtag", hashtags), ("mention", mentions)):
                items = json.loads(items) if isinstance(items, str) else (items or [])
                for value in sorted({str(item).lower() for item in items}):
                    values.append({"post_id": post_id, "kind": kind, "value": value})
        if values:
            connection.execute(entity.insert(), values)
        last_id = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("post_entity", schema=None) as batch_op:
        batch_op.drop_index("ix_post_entity_kind_value")
    op.drop_table("post_entity")
    op.drop_table("setting")
