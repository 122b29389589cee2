"""The author rollup without kind and language: posts per (author, session, hour, network, reason).

At a million demo posts the Analyse pages' per-author figures (posts and authors per group, the
heatmap, the top contributors, reach, unique voices) each aggregated the 526,647 rows of
``rollup_author``, whose key also holds the kind and the language, sorting them by author every time:
0.21–0.29 s of CPU a query on SQLite, and a page runs four to eight of them (the summary more).
Without those two keys the same posts make 270,562 rows, and with the author first in the key a
per-author sum reads the table in order instead of sorting it: measured on a copy of the tables,
the groups per author filtered to X over the event's two days 0.255 → 0.077 s of CPU, the top
contributors 0.291 → 0.070 s, unique voices 0.112 → 0.016 s. Kind and language filters still read
``rollup_author``.

Kept like the others (revisions 0008 and 0017 explain the design): the worker counts the posts it
inserts (``rollups.add_posts``), AFTER triggers follow every later change of a column in the key or
of the sums (on PostgreSQL one AFTER trigger function for updates and deletes), and a row whose
posts all went is deleted, so distinct authors count only authors with posts.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

HOUR = 60
KEYS = "author_id, session_id, minute, platform, reason"
# Columns of post whose change moves a post between this rollup's rows, or changes its sums.
CHANGES = ("collected", "author_id", "session_id", "created_at", "platform", "reason", "retweets", "likes")


def _bucket(dialect: str, row: str) -> str:
    if dialect == "sqlite":
        return f"(CAST(strftime('%s', {row}.created_at) AS INTEGER) / {HOUR * 60} * {HOUR})"
    return f"(CAST(floor(extract(epoch FROM {row}.created_at) / {HOUR * 60}) AS INTEGER) * {HOUR})"


def _values(dialect: str, row: str) -> str:
    return (
        f"{row}.author_id, coalesce({row}.session_id, 0), {_bucket(dialect, row)}, {row}.platform, "
        f"coalesce({row}.reason, '')"
    )


def _statements(dialect: str, row: str, sign: int) -> list[str]:
    """Add (sign 1) or take away (sign -1) one post ``row`` (NEW or OLD)."""
    statements = [
        f"""INSERT INTO rollup_author_hour ({KEYS}, posts, retweets, likes)
        SELECT {_values(dialect, row)}, {sign}, {sign} * {row}.retweets, {sign} * {row}.likes
        WHERE {row}.collected AND {row}.author_id IS NOT NULL
        ON CONFLICT ({KEYS}) DO UPDATE SET
            posts = rollup_author_hour.posts + excluded.posts,
            retweets = rollup_author_hour.retweets + excluded.retweets,
            likes = rollup_author_hour.likes + excluded.likes"""
    ]
    if sign < 0:
        statements.append(
            f"DELETE FROM rollup_author_hour WHERE author_id = {row}.author_id "
            f"AND session_id = coalesce({row}.session_id, 0) AND minute = {_bucket(dialect, row)} "
            f"AND platform = {row}.platform AND reason = coalesce({row}.reason, '') AND posts = 0"
        )
    return statements


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CHANGES)
    update = ";\n".join(_statements("sqlite", "OLD", -1) + _statements("sqlite", "NEW", 1))
    delete = ";\n".join(_statements("sqlite", "OLD", -1))
    return [
        f"CREATE TRIGGER rollup_author_hour_update AFTER UPDATE ON post WHEN {changed} BEGIN {update}; END",
        f"CREATE TRIGGER rollup_author_hour_delete BEFORE DELETE ON post BEGIN {delete}; END",
    ]


def _postgresql_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in CHANGES)
    old = ";\n".join(_statements("postgresql", "OLD", -1)) + ";"
    new = ";\n".join(_statements("postgresql", "NEW", 1)) + ";"
    return [
        "CREATE FUNCTION rollup_author_hour_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"{old}\nIF TG_OP = 'UPDATE' THEN {new} END IF;\nRETURN NULL;\nEND $$",
        f"CREATE TRIGGER rollup_author_hour_update AFTER UPDATE ON post FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION rollup_author_hour_change()",
        "CREATE TRIGGER rollup_author_hour_delete AFTER DELETE ON post FOR EACH ROW "
        "EXECUTE FUNCTION rollup_author_hour_change()",
    ]


def fill(dialect: str) -> str:
    """Count the posts stored (``rollups.recount`` and the upgrade)."""
    values = _values(dialect, "post")
    return f"""INSERT INTO rollup_author_hour ({KEYS}, posts, retweets, likes)
        SELECT {values}, count(*), sum(post.retweets), sum(post.likes)
        FROM post WHERE post.collected AND post.author_id IS NOT NULL GROUP BY {values}"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "rollup_author_hour",
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("retweets", sa.Integer(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS.split(", ")),
        sqlite_with_rowid=False,
    )
    op.execute(fill(dialect))
    for statement in _sqlite_triggers() if dialect == "sqlite" else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS rollup_author_hour_update" + ("" if _sqlite() else " ON post"))
    op.execute("DROP TRIGGER IF EXISTS rollup_author_hour_delete" + ("" if _sqlite() else " ON post"))
    if not _sqlite():
        op.execute("DROP FUNCTION IF EXISTS rollup_author_hour_change()")
    op.drop_table("rollup_author_hour")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
