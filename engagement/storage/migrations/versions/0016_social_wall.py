"""The social wall (issue 24): moderators' decisions on posts, blocked authors, announcements, audit.

- ``wall_post``: a moderator's decision on one post (approved, pulled, or back to pending); a post
  with no row is pending. It goes with its post (ON DELETE CASCADE) when the author deletes it.
- ``wall_author_block``: authors none of whose posts may appear.
- ``wall_announcement``: a moderator's words shown between posts, on every wall or one room's.
- ``wall_action``: the wall's audit log (who, what, when, before and after), without foreign keys
  so that it outlives a deleted post.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "wall_post",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", UTC_DATETIME(), nullable=False),
        sa.PrimaryKeyConstraint("post_id"),
    )
    op.create_index("ix_wall_post_status", "wall_post", ["status"])
    op.create_index("ix_wall_post_decided_at", "wall_post", ["decided_at"])
    op.create_table(
        "wall_author_block",
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("author.id", ondelete="CASCADE"), nullable=False),
        sa.Column("blocked_by", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("blocked_at", UTC_DATETIME(), nullable=False),
        sa.PrimaryKeyConstraint("author_id"),
    )
    op.create_table(
        "wall_announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.Column("withdrawn_at", UTC_DATETIME(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "wall_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("announcement_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("at", UTC_DATETIME(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("post_id", "action", "at"):
        op.create_index(f"ix_wall_action_{column}", "wall_action", [column])


def downgrade() -> None:
    op.drop_table("wall_action")
    op.drop_table("wall_announcement")
    op.drop_table("wall_author_block")
    op.drop_table("wall_post")
