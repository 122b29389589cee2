"""Posts per minute: the busiest minute, and volume in buckets finer than a quarter hour.

The summary's busiest minute counted the posts minute by minute inside the volume rollup's busiest
quarter hours; when the quarters are evenly busy (as at any large event) that meant reading most
posts: 0.5–0.9 s at a million. This table counts posts per (session, kind, language, minute):
74,000 rows at a million demo posts. Like the volume rollup (revision 0008) it counts collected posts
with a known author; the worker adds the posts it inserts (engagement.analysis.rollups.add_posts), triggers
follow every later change of a post's dimensions or its deletion. A row whose count falls to zero is
deleted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DIMENSIONS = ("collected", "author_id", "session_id", "kind", "language", "created_at")


def _minute(dialect: str, row: str) -> str:
    if dialect == "sqlite":
        return f"(CAST(strftime('%s', {row}.created_at) AS INTEGER) / 60)"
    return f"CAST(floor(extract(epoch FROM {row}.created_at) / 60) AS INTEGER)"


def _statements(dialect: str, row: str, sign: int) -> list[str]:
    """Add (sign 1) or take away (sign -1) one post ``row`` (NEW or OLD)."""
    keys = f"coalesce({row}.session_id, 0), {row}.kind, coalesce({row}.language, ''), {_minute(dialect, row)}"
    statements = [
        f"""INSERT INTO rollup_minute (session_id, kind, language, minute, posts)
        SELECT {keys}, {sign} WHERE {row}.collected AND {row}.author_id IS NOT NULL
        ON CONFLICT (session_id, kind, language, minute) DO UPDATE SET posts = rollup_minute.posts + excluded.posts"""
    ]
    if sign < 0:
        statements.append(f"""DELETE FROM rollup_minute WHERE session_id = coalesce({row}.session_id, 0)
        AND kind = {row}.kind AND language = coalesce({row}.language, '') AND minute = {_minute(dialect, row)}
        AND posts = 0""")
    return statements


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in DIMENSIONS)
    move = ";\n".join(_statements("sqlite", "OLD", -1) + _statements("sqlite", "NEW", 1))
    remove = ";\n".join(_statements("sqlite", "OLD", -1))
    return [
        f"CREATE TRIGGER rollup_minute_update AFTER UPDATE ON post WHEN {changed} BEGIN {move}; END",
        f"CREATE TRIGGER rollup_minute_delete BEFORE DELETE ON post BEGIN {remove}; END",
    ]


def _postgresql_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in DIMENSIONS)
    remove = ";\n".join(_statements("postgresql", "OLD", -1))
    add = ";\n".join(_statements("postgresql", "NEW", 1))
    # Only the post's own row counts here, so AFTER triggers (fired at the statement's end) are enough.
    return [
        f"""CREATE FUNCTION rollup_minute_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{remove};
IF TG_OP = 'UPDATE' THEN {add}; END IF;
RETURN NULL;
END $$""",
        f"CREATE TRIGGER rollup_minute_update AFTER UPDATE ON post FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION rollup_minute_change()",
        "CREATE TRIGGER rollup_minute_delete AFTER DELETE ON post FOR EACH ROW EXECUTE FUNCTION rollup_minute_change()",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "rollup_minute",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "kind", "language", "minute"),
        sqlite_with_rowid=False,
    )
    keys = f"coalesce(session_id, 0), kind, coalesce(language, ''), {_minute(dialect, 'post')}"
    op.execute(f"""INSERT INTO rollup_minute (session_id, kind, language, minute, posts)
        SELECT {keys}, count(*) FROM post WHERE collected AND author_id IS NOT NULL GROUP BY {keys}""")
    for statement in _sqlite_triggers() if dialect == "sqlite" else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in ("rollup_minute_update", "rollup_minute_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if dialect == "sqlite" else " ON post"))
    if dialect != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS rollup_minute_change()")
    op.drop_table("rollup_minute")
