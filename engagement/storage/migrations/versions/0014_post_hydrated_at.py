"""When the AppView last gave a Bluesky post's view (issue 20).

Posts stored from Jetstream carry no counts, and their authors no profile: ``bsky-hydrate`` and the
stream's hydration ask getPosts for them. ``post.hydrated_at`` says when a view was read (from
getPosts or searchPosts), or when the AppView was given up on after three asks without the post
(deleted, taken down): NULL means still to hydrate, so no post is asked for forever.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("post", sa.Column("hydrated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE post DROP COLUMN hydrated_at")
