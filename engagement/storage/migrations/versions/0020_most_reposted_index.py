"""The most reposted posts in order: a partial index of the collected posts that are not reposts
themselves, by reposts and likes received.

The Sessions page lists the ten most reposted posts under its filters (``analytics.most_retweeted``).
Without this index both databases read every collected post of the filtered days from the covering
index (0005) and sorted them by their reposts: at a million demo posts 0.42 s of CPU on SQLite, and
the bulk of the PostgreSQL server's 0.54–0.89 s on that page. Walking this index from its top, each
post is tested against the filters until ten are found: near the top under any filter but a small
stakeholder group's (which the query leaves to the covering index).

Its condition is literal text, as the query's is: SQLite uses a partial index only for the very terms
it was made with, and PostgreSQL only where it can prove them from the query's.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

WHERE = "collected AND kind <> 'retweet' AND author_id IS NOT NULL"
# The order only (walked backwards; ties on both sorted by id as they come): each post the walk meets
# is tested against the filters in its row. With every filter's column in the index too, no row would
# be read but the ten shown, at 5–7 µs of the writer's CPU a post where this costs 2–4 (inserting the
# 50,000 posts of a demo import into a copy of the table, with and without each).
COLUMNS = ["retweets", "likes"]


def upgrade() -> None:
    op.create_index(
        "ix_post_most_reposted",
        "post",
        COLUMNS,
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_post_most_reposted", table_name="post")
