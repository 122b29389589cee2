"""Initial schema: agenda, groups, authors, posts, questions, ingest bookkeeping.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agenda_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("starts_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ends_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("room", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("speakers", sa.JSON(), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("source_note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("agenda_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_session_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "ingest_checkpoint",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )
    op.create_table(
        "ingest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("command", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ingest_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_run_source"), ["source"], unique=False)

    op.create_table(
        "rejected_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "location"),
    )
    with op.batch_alter_table("rejected_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejected_record_source"), ["source"], unique=False)

    op.create_table(
        "stakeholder_group",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("colour", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "author",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("platform_user_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("handle", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("bio", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=True),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("group_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("group_source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("override_group_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("override_organisation", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("profile_known", sa.Boolean(), nullable=False),
        sa.Column("first_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_updated", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_key"],
            ["stakeholder_group.key"],
        ),
        sa.ForeignKeyConstraint(
            ["override_group_key"],
            ["stakeholder_group.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "platform_user_id"),
    )
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_group_key"), ["group_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_author_handle"), ["handle"], unique=False)

    op.create_table(
        "classification_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("keyword", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("group_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_key"],
            ["stakeholder_group.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "directory_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("handle", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("platform_user_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("group_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_key"],
            ["stakeholder_group.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "handle"),
    )
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("group_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("affiliation", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_key"],
            ["stakeholder_group.key"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["agenda_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("external_id"),
    )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_question_session_status", ["session_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_question_status"), ["status"], unique=False)

    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("current_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("referenced", sa.JSON(), nullable=False),
        sa.Column("referenced_platform_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("in_reply_to_user_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("media_count", sa.Integer(), nullable=False),
        sa.Column("retweets", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.Integer(), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=True),
        sa.Column("metrics_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("collected", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("first_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_updated", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["agenda_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "platform_id"),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_post_collected_created", ["collected", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_language"), ["language"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_referenced_platform_id"), ["referenced_platform_id"], unique=False)
        batch_op.create_index("ix_post_session_created", ["session_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_session_created")
        batch_op.drop_index(batch_op.f("ix_post_referenced_platform_id"))
        batch_op.drop_index(batch_op.f("ix_post_language"))
        batch_op.drop_index(batch_op.f("ix_post_kind"))
        batch_op.drop_index("ix_post_collected_created")
        batch_op.drop_index(batch_op.f("ix_post_author_id"))

    op.drop_table("post")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_status"))
        batch_op.drop_index("ix_question_session_status")
        batch_op.drop_index(batch_op.f("ix_question_created_at"))

    op.drop_table("question")
    op.drop_table("directory_entry")
    op.drop_table("classification_rule")
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_handle"))
        batch_op.drop_index(batch_op.f("ix_author_group_key"))

    op.drop_table("author")
    op.drop_table("stakeholder_group")
    with op.batch_alter_table("rejected_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_record_source"))

    op.drop_table("rejected_record")
    with op.batch_alter_table("ingest_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_run_source"))

    op.drop_table("ingest_run")
    op.drop_table("ingest_checkpoint")
    with op.batch_alter_table("agenda_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_session_starts_at"))

    op.drop_table("agenda_session")
