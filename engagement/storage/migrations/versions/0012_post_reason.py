"""Why each post was collected (issue 28): ``post.reason``, in the covering index, and a small index
of the organiser's own posts.

The event query now covers the organiser's accounts beside the hashtags, so a post may be collected
for carrying the hashtag, replying to or mentioning the organiser, or being the organiser's own
(``engagement.rules.reasons``). Before this revision the query sent the hashtags only: every
collected post gets ``hashtag``, context posts none. ``ingest config`` (or saving the event files
in the app) decides them all again from the event's terms, and marks the organiser's own.

- ``reason`` joins the covering index ``ix_post_analytics`` (0005), so the Analyse filter by reason
  is answered from the index like every other filter.
- ``ix_post_own``, partial, holds the organiser's own posts only: the "who was heard" figures leave
  their authors out, and find them there without a scan (a few hundred rows, where the covering
  index has a million).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ANALYTICS = [
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
    op.add_column("post", sa.Column("reason", sa.String(), nullable=True))
    op.execute("UPDATE post SET reason = 'hashtag' WHERE collected")
    op.drop_index("ix_post_analytics", table_name="post")
    op.create_index("ix_post_analytics", "post", ANALYTICS + ["reason"])
    op.create_index(
        "ix_post_own",
        "post",
        ["author_id"],
        sqlite_where=sa.text("reason = 'own'"),
        postgresql_where=sa.text("reason = 'own'"),
    )


def downgrade() -> None:
    op.drop_index("ix_post_own", table_name="post")
    op.drop_index("ix_post_analytics", table_name="post")
    op.create_index("ix_post_analytics", "post", ANALYTICS)
    # Not batch mode: on SQLite it would copy the table and lose the rollup triggers (SQLite 3.35 drops
    # a column in place).
    op.execute("ALTER TABLE post DROP COLUMN reason")
