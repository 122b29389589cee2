"""Drop three indexes on post that no query needs, to make every insert cheaper.

- ix_post_collected_created is a prefix of the covering index ix_post_analytics (0005): any query it
  served, the covering index serves as well.
- ix_post_kind and ix_post_language: kind and language are only ever filtered beside ``collected``
  and a time range, which the covering index answers; alone, two values of kind or a handful of
  languages are too common for an index to help.

Each index is one more B-tree an import updates for every post (eight before this revision).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_post_collected_created", table_name="post")
    op.drop_index("ix_post_kind", table_name="post")
    op.drop_index("ix_post_language", table_name="post")


def downgrade() -> None:
    op.create_index("ix_post_language", "post", ["language"])
    op.create_index("ix_post_kind", "post", ["kind"])
    op.create_index("ix_post_collected_created", "post", ["collected", "created_at"])
