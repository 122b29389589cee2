"""Session Q&A: moderation fields on questions, votes (one per participant and question), the audit log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

QUESTION_COLUMNS = [
    sa.Column("previous_status", sa.String(), nullable=True),
    sa.Column("flag_reason", sa.String(), nullable=True),
    sa.Column("dismiss_reason", sa.String(), nullable=True),
    sa.Column("starred", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("position", sa.Integer(), nullable=True),
    sa.Column("claimed_by", sa.String(), nullable=True),
    sa.Column("claimed_at", sa.DateTime(), nullable=True),
    sa.Column("merged_into_id", sa.Integer(), nullable=True),
    sa.Column("participant_hash", sa.String(), nullable=True),
    sa.Column("forgotten", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("answered_at", sa.DateTime(), nullable=True),
]


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        for column in QUESTION_COLUMNS:
            batch_op.add_column(column)
        batch_op.create_foreign_key("fk_question_merged_into_id_question", "question", ["merged_into_id"], ["id"])
        batch_op.create_index("ix_question_participant_created", ["participant_hash", "created_at"])

    op.create_table(
        "vote",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("question.id", ondelete="CASCADE"), nullable=False),
        sa.Column("participant_hash", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("question_id", "participant_hash"),
    )
    op.create_index("ix_vote_participant_created", "vote", ["participant_hash", "created_at"])
    op.create_index("ix_vote_created_at", "vote", ["created_at"])

    op.create_table(
        "moderation_action",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("question.id"), nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("agenda_session.id"), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    for column in ("question_id", "session_id", "action", "at"):
        op.create_index(f"ix_moderation_action_{column}", "moderation_action", [column])


def downgrade() -> None:
    op.drop_table("moderation_action")
    op.drop_table("vote")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index("ix_question_participant_created")
        batch_op.drop_constraint("fk_question_merged_into_id_question", type_="foreignkey")
        for column in reversed(QUESTION_COLUMNS):
            batch_op.drop_column(column.name)
