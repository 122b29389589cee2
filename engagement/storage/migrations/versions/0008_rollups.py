"""Rollups of collected posts for the Analyse pages, counted by the worker and kept by triggers.

At a million posts every aggregate over ``post`` reads a million index entries (0.3–1 s each, and
a page runs several); these tables hold the same counts by the dimensions the pages filter on
(session, kind, language, author, time bucket), a few thousand to a few hundred thousand rows.
The worker counts the posts and entities it inserts, a batch at a time (engagement.analysis.rollups.add_posts:
one grouped statement per rollup; only the worker's store inserts them). Triggers on ``post`` and
``post_entity`` keep the counts exact through every later change, whoever makes it (new metrics, an
agenda edit re-attributing posts, a merged edit, a deletion), on SQLite and PostgreSQL alike. Insert
triggers would have done the first part too, at a cost: with an insert trigger present SQLite's
inserts ran 2–3 times slower even when its WHEN clause let it do nothing (per-row statement
journalling, as far as we can tell); a million-post import took 155–171 s with them, 119 s with the
worker counting, 101 s before any rollup.

Only posts that are collected and have a known author count, as on the Analyse pages. Session 0 is
"between sessions", language '' is "none given", ``minute`` is the start of the bucket in whole
minutes since 1970 (UTC): quarter hours for volume and entities, hours for authors. A row whose
count falls to zero is deleted, so that counting distinct authors counts only those with posts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

QUARTER, HOUR = 15, 60
# Columns of post whose change moves a post between rollup rows, and those that only change sums.
DIMENSIONS = ("collected", "author_id", "session_id", "kind", "language", "created_at")
METRICS = ("retweets", "likes", "impressions")


def _bucket(dialect: str, row: str, minutes: int) -> str:
    if dialect == "sqlite":
        return f"(CAST(strftime('%s', {row}.created_at) AS INTEGER) / {minutes * 60} * {minutes})"
    return f"(CAST(floor(extract(epoch FROM {row}.created_at) / {minutes * 60}) AS INTEGER) * {minutes})"


def _counted(row: str) -> str:
    return f"{row}.collected AND {row}.author_id IS NOT NULL"


def _keys(dialect: str, row: str, minutes: int) -> str:
    return f"coalesce({row}.session_id, 0), {row}.kind, coalesce({row}.language, ''), {_bucket(dialect, row, minutes)}"


def _key_match(dialect: str, row: str, minutes: int) -> str:
    return (
        f"session_id = coalesce({row}.session_id, 0) AND kind = {row}.kind AND "
        f"language = coalesce({row}.language, '') AND minute = {_bucket(dialect, row, minutes)}"
    )


def _post_statements(dialect: str, row: str, sign: int) -> list[str]:
    """Add (sign 1) or take away (sign -1) one post ``row`` (NEW or OLD) in the volume and author rollups."""
    statements = [
        f"""INSERT INTO rollup_volume (session_id, kind, language, minute, posts, impressions, reporting)
        SELECT {_keys(dialect, row, QUARTER)}, {sign}, {sign} * coalesce({row}.impressions, 0),
               CASE WHEN {row}.impressions IS NULL THEN 0 ELSE {sign} END
        WHERE {_counted(row)}
        ON CONFLICT (session_id, kind, language, minute) DO UPDATE SET
            posts = rollup_volume.posts + excluded.posts,
            impressions = rollup_volume.impressions + excluded.impressions,
            reporting = rollup_volume.reporting + excluded.reporting""",
        f"""INSERT INTO rollup_author (session_id, author_id, kind, language, minute, posts, retweets, likes)
        SELECT coalesce({row}.session_id, 0), {row}.author_id, {row}.kind, coalesce({row}.language, ''),
               {_bucket(dialect, row, HOUR)}, {sign}, {sign} * {row}.retweets, {sign} * {row}.likes
        WHERE {_counted(row)}
        ON CONFLICT (session_id, author_id, kind, language, minute) DO UPDATE SET
            posts = rollup_author.posts + excluded.posts,
            retweets = rollup_author.retweets + excluded.retweets,
            likes = rollup_author.likes + excluded.likes""",
    ]
    if sign < 0:
        statements += [
            f"DELETE FROM rollup_volume WHERE {_key_match(dialect, row, QUARTER)} AND posts = 0",
            f"DELETE FROM rollup_author WHERE {_key_match(dialect, row, HOUR)} AND author_id = {row}.author_id "
            f"AND posts = 0",
        ]
    return statements


def _entity_statements(
    dialect: str, post: str, sign: int, source: str, condition: str, entity: str = "e.kind, e.value"
) -> list[str]:
    """Add or take away hashtags and mentions (``entity``: their kind and value) of one post (``post``),
    read from ``source`` where ``condition`` holds."""
    keys = _keys(dialect, post, QUARTER)
    statements = [
        f"""INSERT INTO rollup_entity (entity, value, session_id, kind, language, minute, posts)
        SELECT {entity}, {keys}, {sign} FROM {source} WHERE {condition} AND {_counted(post)}
        ON CONFLICT (entity, value, session_id, kind, language, minute) DO UPDATE SET
            posts = rollup_entity.posts + excluded.posts"""
    ]
    if sign < 0:
        statements.append(f"""DELETE FROM rollup_entity WHERE posts = 0
        AND (entity, value, session_id, kind, language, minute) IN (SELECT {entity}, {keys} FROM {source}
                                                                     WHERE {condition})""")
    return statements


def _own_entities(dialect: str, row: str, sign: int) -> list[str]:
    """A post's own entities, under the post's values in ``row`` (OLD or NEW)."""
    return _entity_statements(dialect, row, sign, "post_entity AS e", f"e.post_id = {row}.id")


def _one_entity(dialect: str, row: str, sign: int) -> list[str]:
    """One post_entity ``row`` (OLD or NEW), under its post's current values."""
    return _entity_statements(
        dialect, "p", sign, "post AS p", f"p.id = {row}.post_id", entity=f"{row}.kind, {row}.value"
    )


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def _sqlite_changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def _sqlite_triggers() -> list[str]:
    def trigger(name, when, statements, condition=""):
        body = ";\n".join(statements)
        return f"CREATE TRIGGER {name} {when} {('WHEN ' + condition) if condition else ''} BEGIN {body}; END"

    return [
        trigger(
            "rollup_post_update",
            "AFTER UPDATE ON post",
            _post_statements("sqlite", "OLD", -1) + _post_statements("sqlite", "NEW", 1),
            _sqlite_changed(DIMENSIONS + METRICS),
        ),
        # The entities move with their post: taken away under the old values, added under the new.
        trigger(
            "rollup_post_entities_move",
            "AFTER UPDATE ON post",
            _own_entities("sqlite", "OLD", -1) + _own_entities("sqlite", "NEW", 1),
            _sqlite_changed(DIMENSIONS),
        ),
        # Before the row goes, while its entities are still there (their cascade then finds no post).
        trigger(
            "rollup_post_delete",
            "BEFORE DELETE ON post",
            _post_statements("sqlite", "OLD", -1) + _own_entities("sqlite", "OLD", -1),
        ),
        trigger("rollup_entity_delete", "AFTER DELETE ON post_entity", _one_entity("sqlite", "OLD", -1)),
    ]


def _postgresql_triggers() -> list[str]:
    def function(name, body):
        # A BEFORE trigger that returned NULL would cancel the delete.
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}\n"
            f"IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\nRETURN NEW;\nEND $$"
        )

    def block(statements):
        return ";\n".join(statements) + ";"

    pg = "postgresql"
    post_change = (
        f"{block(_post_statements(pg, 'OLD', -1))}\n"
        f"IF TG_OP = 'UPDATE' THEN {block(_post_statements(pg, 'NEW', 1))} END IF;"
    )
    entities_move = (
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {block(_own_entities(pg, 'OLD', -1))} END IF;\n"
        f"IF TG_OP = 'UPDATE' THEN {block(_own_entities(pg, 'NEW', 1))} END IF;"
    )
    entity_change = block(_one_entity(pg, "OLD", -1))
    return [
        function("rollup_post_change", post_change),
        function("rollup_post_entities_move", entities_move),
        function("rollup_entity_change", entity_change),
        f"CREATE TRIGGER rollup_post_update AFTER UPDATE ON post FOR EACH ROW WHEN ({_changed(DIMENSIONS + METRICS)}) "
        "EXECUTE FUNCTION rollup_post_change()",
        "CREATE TRIGGER rollup_post_delete AFTER DELETE ON post FOR EACH ROW EXECUTE FUNCTION rollup_post_change()",
        f"CREATE TRIGGER rollup_post_entities_move AFTER UPDATE ON post FOR EACH ROW WHEN ({_changed(DIMENSIONS)}) "
        "EXECUTE FUNCTION rollup_post_entities_move()",
        # Before the row goes, while its entities are still there (their cascade then finds no post).
        "CREATE TRIGGER rollup_post_entities_delete BEFORE DELETE ON post FOR EACH ROW "
        "EXECUTE FUNCTION rollup_post_entities_move()",
        "CREATE TRIGGER rollup_entity_delete AFTER DELETE ON post_entity FOR EACH ROW "
        "EXECUTE FUNCTION rollup_entity_change()",
    ]


def _fill(dialect: str) -> list[str]:
    """Count the posts already stored."""
    counted = _counted("post")
    return [
        f"""INSERT INTO rollup_volume (session_id, kind, language, minute, posts, impressions, reporting)
        SELECT {_keys(dialect, "post", QUARTER)}, count(*), coalesce(sum(impressions), 0), count(impressions)
        FROM post WHERE {counted} GROUP BY {_keys(dialect, "post", QUARTER)}""",
        f"""INSERT INTO rollup_author (session_id, author_id, kind, language, minute, posts, retweets, likes)
        SELECT coalesce(session_id, 0), author_id, kind, coalesce(language, ''), {_bucket(dialect, "post", HOUR)},
               count(*), sum(retweets), sum(likes)
        FROM post WHERE {counted}
        GROUP BY coalesce(session_id, 0), author_id, kind, coalesce(language, ''), {_bucket(dialect, "post", HOUR)}""",
        f"""INSERT INTO rollup_entity (entity, value, session_id, kind, language, minute, posts)
        SELECT e.kind, e.value, {_keys(dialect, "post", QUARTER)}, count(*)
        FROM post_entity AS e JOIN post ON post.id = e.post_id WHERE {counted}
        GROUP BY e.kind, e.value, {_keys(dialect, "post", QUARTER)}""",
    ]


def _tables() -> None:
    options = {"sqlite_with_rowid": False}
    op.create_table(
        "rollup_volume",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=False),
        sa.Column("reporting", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "kind", "language", "minute"),
        **options,
    )
    op.create_table(
        "rollup_author",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("retweets", sa.Integer(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "author_id", "kind", "language", "minute"),
        **options,
    )
    op.create_table(
        "rollup_entity",
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "value", "session_id", "kind", "language", "minute"),
        **options,
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _tables()
    for statement in _fill(dialect):
        op.execute(statement)
    for statement in _sqlite_triggers() if dialect == "sqlite" else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in (
        "rollup_post_update",
        "rollup_post_delete",
        "rollup_post_entities_move",
        "rollup_post_entities_delete",
        "rollup_entity_delete",
    ):
        table = "post_entity" if name.startswith("rollup_entity") else "post"
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if dialect == "sqlite" else f" ON {table}"))
    if dialect != "sqlite":
        for name in ("rollup_post_change", "rollup_post_entities_move", "rollup_entity_change"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    for table in ("rollup_entity", "rollup_author", "rollup_volume"):
        op.drop_table(table)
