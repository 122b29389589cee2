"""Tombstones of deleted posts, and posts hidden from the public (issue 20).

- A Bluesky author's ``delete`` removes the post's row, its text and every count of it;
  ``deleted_post`` remembers (platform, platform id) so that no later import, search or replay
  brings it back.
- ``post.hidden``: the author asked (Bluesky's ``!no-unauthenticated`` label) that the post not be
  shown to people who are not signed in: it is counted, never named in the report.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Bluesky's !no-unauthenticated label: counted, never shown on a public page or in the report.
    op.add_column("post", sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "deleted_post",
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("platform_id", sa.String(), nullable=False),
        sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "platform_id"),
    )


def downgrade() -> None:
    op.drop_table("deleted_post")
    op.execute("ALTER TABLE post DROP COLUMN hidden")
