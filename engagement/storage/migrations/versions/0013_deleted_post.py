"""Tombstones of deleted posts (issue 20): a Bluesky author's ``delete`` removes the post's row, its text
and every count of it; ``deleted_post`` remembers (platform, platform id) so that no later import,
search or replay brings it back.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deleted_post",
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("platform_id", sa.String(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "platform_id"),
    )


def downgrade() -> None:
    op.drop_table("deleted_post")
