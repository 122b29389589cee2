"""Session titles and group labels in other languages (issue 22).

``agenda_session.titles`` and ``stakeholder_group.labels`` hold ``{"fr": …, "ru": …}`` from the
event files' ``title_<lang>`` and ``label_<lang>`` columns (or a programme's own per-language
titles); the default title and label stay where they were, and are what any other language reads.
Existing rows get ``{}``: no translation, the default everywhere.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agenda_session", sa.Column("titles", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("stakeholder_group", sa.Column("labels", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    op.execute("ALTER TABLE stakeholder_group DROP COLUMN labels")
    op.execute("ALTER TABLE agenda_session DROP COLUMN titles")
