"""Index authors by lower-cased handle: mentions are matched to authors that way.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_author_handle_lower", "author", [sa.text("lower(handle)")])


def downgrade() -> None:
    op.drop_index("ix_author_handle_lower", table_name="author")
