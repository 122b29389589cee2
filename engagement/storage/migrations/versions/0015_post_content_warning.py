"""A post's content warning, kept beside its text (issue 21).

Mastodon authors may put a warning before a post (``spoiler_text``: "CW: …"). It is not what the
post says, so it does not go into ``post.text``; ``post.content_warning`` keeps it, as plain text,
NULL where there is none (every X and Bluesky post).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("post", sa.Column("content_warning", sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE post DROP COLUMN content_warning")
