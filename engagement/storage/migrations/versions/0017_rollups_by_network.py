"""The five rollups keyed also by network (``post.platform``) and reason (``post.reason``), issue 20.

With a Networks or Reasons filter the rollups of revisions 0008–0010 answered nothing (they kept
neither), so every aggregate counted the million posts of the covering index: Engagement filtered
to X took 6.05 s of CPU on SQLite at a million posts, unfiltered 1.88 s. A trial of the author and
volume rollups keyed by both as well (``python -m bench.pages --rollup-trial``) answered the
filtered posts and voices in 0.054–0.100 s instead of 0.61–0.80 s, for 526,647 author rows instead
of 481,519: the demo's authors post on one network and mostly for one reason, so the extra keys
split few rows.

This revision rebuilds the five tables with ``platform`` and ``reason`` ('' for none: a collected
post stored before its reason was decided) after the time bucket in their keys, counts them again
from the posts, and rebuilds their triggers (same names, same design as 0008–0010, whose comments
explain the choices: AFTER triggers for a post's own rows, a BEFORE trigger on PostgreSQL for the
links, which depend on other rows; terms no index can use, for good plans) with both columns among
the dimensions whose change moves a post: ``ingest config`` deciding reasons again (in steps)
moves each changed post's counts. The downgrade restores revisions 0008–0010 exactly, by running
their own code.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

QUARTER, HOUR = 15, 60
# Columns of post whose change moves a post between rollup rows, and those that only change sums.
DIMENSIONS = ("collected", "author_id", "session_id", "kind", "language", "created_at", "platform", "reason")
METRICS = ("retweets", "likes", "impressions")
LINK_COLUMNS = (*DIMENSIONS[:6], "referenced_platform_id", "platform", "reason")
KEYS = "session_id, kind, language, minute, platform, reason"
LINK_KEYS = f"source_group, target_group, link, {KEYS}"


def _bucket(dialect: str, row: str, minutes: int) -> str:
    if dialect == "sqlite":
        return f"(CAST(strftime('%s', {row}.created_at) AS INTEGER) / {minutes * 60} * {minutes})"
    return f"(CAST(floor(extract(epoch FROM {row}.created_at) / {minutes * 60}) AS INTEGER) * {minutes})"


def _counted(row: str) -> str:
    return f"{row}.collected AND {row}.author_id IS NOT NULL"


def _keys(dialect: str, row: str, minutes: int) -> str:
    """The values of ``KEYS`` for a post ``row``."""
    return (
        f"coalesce({row}.session_id, 0), {row}.kind, coalesce({row}.language, ''), {_bucket(dialect, row, minutes)}, "
        f"{row}.platform, coalesce({row}.reason, '')"
    )


def _key_match(dialect: str, row: str, minutes: int) -> str:
    return (
        f"session_id = coalesce({row}.session_id, 0) AND kind = {row}.kind AND "
        f"language = coalesce({row}.language, '') AND minute = {_bucket(dialect, row, minutes)} AND "
        f"platform = {row}.platform AND reason = coalesce({row}.reason, '')"
    )


def _post_statements(dialect: str, row: str, sign: int) -> list[str]:
    """Add (sign 1) or take away (sign -1) one post ``row`` (NEW or OLD) in the volume and author rollups."""
    author_keys = "session_id, author_id, kind, language, minute, platform, reason"
    author_values = (
        f"coalesce({row}.session_id, 0), {row}.author_id, {row}.kind, coalesce({row}.language, ''), "
        f"{_bucket(dialect, row, HOUR)}, {row}.platform, coalesce({row}.reason, '')"
    )
    statements = [
        f"""INSERT INTO rollup_volume ({KEYS}, posts, impressions, reporting)
        SELECT {_keys(dialect, row, QUARTER)}, {sign}, {sign} * coalesce({row}.impressions, 0),
               CASE WHEN {row}.impressions IS NULL THEN 0 ELSE {sign} END
        WHERE {_counted(row)}
        ON CONFLICT ({KEYS}) DO UPDATE SET
            posts = rollup_volume.posts + excluded.posts,
            impressions = rollup_volume.impressions + excluded.impressions,
            reporting = rollup_volume.reporting + excluded.reporting""",
        f"""INSERT INTO rollup_author ({author_keys}, posts, retweets, likes)
        SELECT {author_values}, {sign}, {sign} * {row}.retweets, {sign} * {row}.likes
        WHERE {_counted(row)}
        ON CONFLICT ({author_keys}) DO UPDATE SET
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


def _minute_statements(dialect: str, row: str, sign: int) -> list[str]:
    """Add or take away one post ``row`` in the minute rollup."""
    statements = [
        f"""INSERT INTO rollup_minute ({KEYS}, posts)
        SELECT {_keys(dialect, row, 1)}, {sign} WHERE {_counted(row)}
        ON CONFLICT ({KEYS}) DO UPDATE SET posts = rollup_minute.posts + excluded.posts"""
    ]
    if sign < 0:
        statements.append(f"DELETE FROM rollup_minute WHERE {_key_match(dialect, row, 1)} AND posts = 0")
    return statements


def _entity_statements(
    dialect: str, post: str, sign: int, source: str, condition: str, entity: str = "e.kind, e.value"
) -> list[str]:
    """Add or take away hashtags and mentions (``entity``: their kind and value) of one post (``post``),
    read from ``source`` where ``condition`` holds."""
    keys = _keys(dialect, post, QUARTER)
    statements = [
        f"""INSERT INTO rollup_entity (entity, value, {KEYS}, posts)
        SELECT {entity}, {keys}, {sign} FROM {source} WHERE {condition} AND {_counted(post)}
        ON CONFLICT (entity, value, {KEYS}) DO UPDATE SET posts = rollup_entity.posts + excluded.posts"""
    ]
    if sign < 0:
        statements.append(f"""DELETE FROM rollup_entity WHERE posts = 0
        AND (entity, value, {KEYS}) IN (SELECT {entity}, {keys} FROM {source} WHERE {condition})""")
    return statements


def _own_entities(dialect: str, row: str, sign: int) -> list[str]:
    """A post's own entities, under the post's values in ``row`` (OLD or NEW)."""
    return _entity_statements(dialect, row, sign, "post_entity AS e", f"e.post_id = {row}.id")


def _one_entity(dialect: str, row: str, sign: int) -> list[str]:
    """One post_entity ``row`` (OLD or NEW), under its post's current values."""
    return _entity_statements(
        dialect, "p", sign, "post AS p", f"p.id = {row}.post_id", entity=f"{row}.kind, {row}.value"
    )


# The links (revision 0009's design, keyed also by the source post's network and reason).


def _link_columns(dialect: str, link: str, target: str) -> str:
    return (
        f"coalesce(a.group_key, '') AS source_group, coalesce({target}.group_key, '') AS target_group, "
        f"{link} AS link, coalesce(p.session_id, 0) AS session_id, p.kind AS kind, "
        f"coalesce(p.language, '') AS language, {_bucket(dialect, 'p', QUARTER)} AS minute, "
        f"p.platform AS platform, coalesce(p.reason, '') AS reason"
    )


def references(
    dialect: str, condition: str, sources: str = "post", targets: str = "post", authors: str = "author"
) -> str:
    """The retweets, replies and quotes (posts ``p``, from ``sources``) of stored posts ``t`` (from
    ``targets``) where ``condition`` holds; ``authors`` gives both authors."""
    # As in 0009: the source's platform as a term no index can use (PostgreSQL would otherwise AND the
    # reference index with the (platform, id) key's every row on the platform).
    platform = "+p.platform" if dialect == "sqlite" else "(p.platform || '')"
    return f"""SELECT {_link_columns(dialect, "p.kind", "ta")}
        FROM {sources} AS p JOIN {authors} AS a ON a.id = p.author_id
        JOIN {targets} AS t ON t.platform = {platform} AND t.platform_id = p.referenced_platform_id
        JOIN {authors} AS ta ON ta.id = t.author_id
        WHERE p.collected AND p.kind <> 'original' AND {condition}"""


def mentions(
    dialect: str,
    condition: str,
    sources: str = "post",
    authors: str = "author",
    entities: str | None = "post_entity",
    entity: str = "e",
) -> str:
    """The mentions (rows ``entity`` of ``entities``, or the row ``entity`` itself when ``entities``
    is None) of collected posts ``p`` (from ``sources``) where ``condition`` holds."""
    # As in 0009: terms no index can use keep both databases off the index on kind alone.
    value = f"+{entity}.value" if dialect == "sqlite" else f"{entity}.value"
    kind = f"+{entity}.kind" if dialect == "sqlite" else f"({entity}.kind || '')"
    named = f"(SELECT min(b.id) FROM {authors} AS b WHERE lower(b.handle) = {value})"
    rows = f"{entities} AS {entity} JOIN {sources} AS p ON p.id = {entity}.post_id" if entities else f"{sources} AS p"
    return f"""SELECT {_link_columns(dialect, "'mention'", "ma")}
        FROM {rows} JOIN {authors} AS a ON a.id = p.author_id
        JOIN {authors} AS ma ON ma.id = {named}
        WHERE {kind} = 'mention' AND p.collected AND {condition}"""


def apply(rows: str, sign: int) -> str:
    """Add (sign 1) or take away (sign -1) the links ``rows``."""
    return f"""INSERT INTO rollup_link ({LINK_KEYS}, posts)
        SELECT {LINK_KEYS}, {sign} * count(*) FROM ({rows}) AS links WHERE 1 = 1 GROUP BY {LINK_KEYS}
        ON CONFLICT ({LINK_KEYS}) DO UPDATE SET posts = rollup_link.posts + excluded.posts"""


NEW_POST = "(SELECT (NEW).*)"
NEW_AUTHORS = "(SELECT * FROM author WHERE id <> NEW.id UNION ALL SELECT (NEW).*)"


def _of_post(dialect: str, row: str, new: bool = False) -> str:
    """Every link post ``row`` takes part in: its own, and the references to it."""
    posts = NEW_POST if new else "post"
    return " UNION ALL ".join(
        [
            references(dialect, f"p.id = {row}.id", sources=posts),
            references(dialect, f"p.id <> {row}.id", targets=posts)
            if new
            else references(dialect, f"t.id = {row}.id AND p.id <> {row}.id"),
            mentions(dialect, f"e.post_id = {row}.id", sources=posts),
        ]
    )


def _of_author(dialect: str, new: bool = False) -> str:
    """Every link author OLD/NEW takes part in: from their posts, to their posts, to their handles."""
    authors = NEW_AUTHORS if new else "author"
    handles = "e.kind = 'mention' AND e.value IN (lower(OLD.handle), lower(NEW.handle))"
    return " UNION ALL ".join(
        [
            references(dialect, "p.author_id = OLD.id", authors=authors),
            references(dialect, "t.author_id = OLD.id AND p.author_id <> OLD.id", authors=authors),
            mentions(dialect, "p.author_id = OLD.id", authors=authors),
            mentions(dialect, f"{handles} AND p.author_id <> OLD.id", authors=authors),
        ]
    )


def _of_new_author(dialect: str) -> str:
    """The mentions a new author's handle now resolves (the first author with a handle keeps it)."""
    return mentions(
        dialect,
        "e.kind = 'mention' AND e.value = lower(NEW.handle) AND "
        "NEW.id = (SELECT min(o.id) FROM author AS o WHERE lower(o.handle) = lower(NEW.handle))",
    )


def _of_entity(dialect: str) -> str:
    return mentions(dialect, "p.id = OLD.post_id", entities=None, entity="OLD")


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def _sqlite_changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


AUTHOR_CHANGED = "OLD.group_key IS NOT NEW.group_key OR lower(OLD.handle) IS NOT lower(NEW.handle)"
PG_AUTHOR_CHANGED = (
    "OLD.group_key IS DISTINCT FROM NEW.group_key OR lower(OLD.handle) IS DISTINCT FROM lower(NEW.handle)"
)


def _sqlite_triggers() -> list[str]:
    d = "sqlite"

    def trigger(name, when, statements, condition=""):
        body = ";\n".join(statements)
        return f"CREATE TRIGGER {name} {when} {('WHEN ' + condition) if condition else ''} BEGIN {body}; END"

    posts, authors = _sqlite_changed(LINK_COLUMNS), AUTHOR_CHANGED
    return [
        trigger(
            "rollup_post_update",
            "AFTER UPDATE ON post",
            _post_statements(d, "OLD", -1) + _post_statements(d, "NEW", 1),
            _sqlite_changed(DIMENSIONS + METRICS),
        ),
        # The entities move with their post: taken away under the old values, added under the new.
        trigger(
            "rollup_post_entities_move",
            "AFTER UPDATE ON post",
            _own_entities(d, "OLD", -1) + _own_entities(d, "NEW", 1),
            _sqlite_changed(DIMENSIONS),
        ),
        # Before the row goes, while its entities are still there (their cascade then finds no post).
        trigger(
            "rollup_post_delete", "BEFORE DELETE ON post", _post_statements(d, "OLD", -1) + _own_entities(d, "OLD", -1)
        ),
        trigger("rollup_entity_delete", "AFTER DELETE ON post_entity", _one_entity(d, "OLD", -1)),
        trigger(
            "rollup_minute_update",
            "AFTER UPDATE ON post",
            _minute_statements(d, "OLD", -1) + _minute_statements(d, "NEW", 1),
            _sqlite_changed(DIMENSIONS),
        ),
        trigger("rollup_minute_delete", "BEFORE DELETE ON post", _minute_statements(d, "OLD", -1)),
        trigger("rollup_link_post_before", "BEFORE UPDATE ON post", [apply(_of_post(d, "OLD"), -1)], posts),
        trigger("rollup_link_post_after", "AFTER UPDATE ON post", [apply(_of_post(d, "NEW"), 1)], posts),
        trigger("rollup_link_post_delete", "BEFORE DELETE ON post", [apply(_of_post(d, "OLD"), -1)]),
        trigger("rollup_link_author_before", "BEFORE UPDATE ON author", [apply(_of_author(d), -1)], authors),
        trigger("rollup_link_author_after", "AFTER UPDATE ON author", [apply(_of_author(d), 1)], authors),
        trigger(
            "rollup_link_author_insert",
            "AFTER INSERT ON author",
            [apply(_of_new_author(d), 1)],
            "NEW.handle IS NOT NULL",
        ),
        trigger(
            "rollup_link_entity_delete",
            "AFTER DELETE ON post_entity",
            [apply(_of_entity(d), -1)],
            "OLD.kind = 'mention'",
        ),
    ]


def _postgresql_triggers() -> list[str]:
    """As in 0008–0010: AFTER triggers for the rows of a post's own values; for the links, which read
    other rows, a BEFORE trigger doing both halves (see revision 0009)."""
    d = "postgresql"

    def function(name, body):
        # A BEFORE trigger that returned NULL would cancel the change.
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}\n"
            f"IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\nRETURN NEW;\nEND $$"
        )

    def block(statements):
        return ";\n".join(statements) + ";"

    post_change = f"{block(_post_statements(d, 'OLD', -1))}\nIF TG_OP = 'UPDATE' THEN {block(_post_statements(d, 'NEW', 1))} END IF;"
    entities_move = (
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {block(_own_entities(d, 'OLD', -1))} END IF;\n"
        f"IF TG_OP = 'UPDATE' THEN {block(_own_entities(d, 'NEW', 1))} END IF;"
    )
    minute_change = (
        f"{block(_minute_statements(d, 'OLD', -1))}\n"
        f"IF TG_OP = 'UPDATE' THEN {block(_minute_statements(d, 'NEW', 1))} END IF;"
    )
    link_post = (
        f"{apply(_of_post(d, 'OLD'), -1)};\nIF TG_OP = 'UPDATE' THEN {apply(_of_post(d, 'NEW', new=True), 1)}; END IF;"
    )
    link_author = (
        f"IF TG_OP = 'INSERT' THEN {apply(_of_new_author(d), 1)};\n"
        f"ELSE {apply(_of_author(d), -1)};\n{apply(_of_author(d, new=True), 1)}; END IF;"
    )
    return [
        function("rollup_post_change", post_change),
        function("rollup_post_entities_move", entities_move),
        function("rollup_entity_change", block(_one_entity(d, "OLD", -1))),
        function("rollup_minute_change", minute_change),
        function("rollup_link_post", link_post),
        function("rollup_link_author", link_author),
        function("rollup_link_entity", f"{apply(_of_entity(d), -1)};"),
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
        f"CREATE TRIGGER rollup_minute_update AFTER UPDATE ON post FOR EACH ROW WHEN ({_changed(DIMENSIONS)}) "
        "EXECUTE FUNCTION rollup_minute_change()",
        "CREATE TRIGGER rollup_minute_delete AFTER DELETE ON post FOR EACH ROW EXECUTE FUNCTION rollup_minute_change()",
        f"CREATE TRIGGER rollup_link_post_update BEFORE UPDATE ON post FOR EACH ROW WHEN ({_changed(LINK_COLUMNS)}) "
        "EXECUTE FUNCTION rollup_link_post()",
        "CREATE TRIGGER rollup_link_post_delete BEFORE DELETE ON post FOR EACH ROW EXECUTE FUNCTION rollup_link_post()",
        f"CREATE TRIGGER rollup_link_author_update BEFORE UPDATE ON author FOR EACH ROW WHEN ({PG_AUTHOR_CHANGED}) "
        "EXECUTE FUNCTION rollup_link_author()",
        # After: the new author must be in the table for the first-holder test.
        "CREATE TRIGGER rollup_link_author_insert AFTER INSERT ON author FOR EACH ROW WHEN (NEW.handle IS NOT NULL) "
        "EXECUTE FUNCTION rollup_link_author()",
        "CREATE TRIGGER rollup_link_entity_delete AFTER DELETE ON post_entity FOR EACH ROW "
        "WHEN (OLD.kind = 'mention') EXECUTE FUNCTION rollup_link_entity()",
    ]


def _fill(dialect: str) -> list[str]:
    """Count the posts stored."""
    counted, quarter = _counted("post"), _keys(dialect, "post", QUARTER)
    per_minute = _keys(dialect, "post", 1)
    author_values = (
        f"coalesce(session_id, 0), author_id, kind, coalesce(language, ''), {_bucket(dialect, 'post', HOUR)}, "
        "platform, coalesce(reason, '')"
    )
    return [
        f"""INSERT INTO rollup_volume ({KEYS}, posts, impressions, reporting)
        SELECT {quarter}, count(*), coalesce(sum(impressions), 0), count(impressions)
        FROM post WHERE {counted} GROUP BY {quarter}""",
        f"""INSERT INTO rollup_minute ({KEYS}, posts)
        SELECT {per_minute}, count(*) FROM post WHERE {counted} GROUP BY {per_minute}""",
        f"""INSERT INTO rollup_author (session_id, author_id, kind, language, minute, platform, reason,
                                   posts, retweets, likes)
        SELECT {author_values}, count(*), sum(retweets), sum(likes)
        FROM post WHERE {counted} GROUP BY {author_values}""",
        f"""INSERT INTO rollup_entity (entity, value, {KEYS}, posts)
        SELECT e.kind, e.value, {quarter}, count(*)
        FROM post_entity AS e JOIN post ON post.id = e.post_id WHERE {counted}
        GROUP BY e.kind, e.value, {quarter}""",
        apply(f"{references(dialect, '1 = 1')} UNION ALL {mentions(dialect, '1 = 1')}", 1),
    ]


def _key_columns() -> list[sa.Column]:
    return [
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
    ]


def _tables() -> None:
    options = {"sqlite_with_rowid": False}
    keys = KEYS.split(", ")
    op.create_table(
        "rollup_volume",
        *_key_columns(),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=False),
        sa.Column("reporting", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*keys),
        **options,
    )
    op.create_table(
        "rollup_minute",
        *_key_columns(),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*keys),
        **options,
    )
    op.create_table(
        "rollup_author",
        sa.Column("author_id", sa.Integer(), nullable=False),
        *_key_columns(),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("retweets", sa.Integer(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "author_id", *keys[1:]),
        **options,
    )
    op.create_table(
        "rollup_entity",
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        *_key_columns(),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "value", *keys),
        **options,
    )
    op.create_table(
        "rollup_link",
        sa.Column("source_group", sa.String(), nullable=False),
        sa.Column("target_group", sa.String(), nullable=False),
        sa.Column("link", sa.String(), nullable=False),
        *_key_columns(),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*LINK_KEYS.split(", ")),
        **options,
    )


def _revision(filename: str) -> ModuleType:
    """An earlier revision's module (their file names are no module names), to run its own code."""
    spec = importlib.util.spec_from_file_location(f"revision_{filename[:4]}", Path(__file__).with_name(filename))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EARLIER = ("0008_rollups.py", "0009_link_rollup.py", "0010_minute_rollup.py")


def _drop_earlier() -> None:
    """The rollup tables, triggers and functions of 0008–0010 (the names are the same here), dropped
    by those revisions' own downgrades, the latest first."""
    for filename in reversed(EARLIER):
        _revision(filename).downgrade()


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_earlier()
    _tables()
    for statement in _fill(dialect):
        op.execute(statement)
    for statement in _sqlite_triggers() if dialect == "sqlite" else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    _drop_earlier()
    for filename in EARLIER:
        _revision(filename).upgrade()
