"""A covering index for the Analyse pages' aggregates.

A post row is wide (its raw JSON and text); every aggregate reads a few narrow columns. With them
all in one index, SQLite answers from the index alone instead of scanning the table (at a million
posts, the headline totals went from 18 s to 0.6 s on a cold cache).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = [
    "collected",
    "created_at",
    "session_id",
    "author_id",
    "kind",
    "language",
    "retweets",
    "likes",
    "impressions",
    "platform",
    "referenced_platform_id",
]


def upgrade() -> None:
    op.create_index("ix_post_analytics", "post", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_post_analytics", table_name="post")
