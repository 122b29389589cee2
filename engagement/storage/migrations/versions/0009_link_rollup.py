"""A rollup of conversations between stakeholder groups: who mentions, replies to, quotes and retweets whom.

The Conversations page (and the report) joined each of a million posts' references to the post
they point at and each mention to the account named, 2–5 s at a million posts. This table holds
those links counted by (source group, target group, link, session, kind, language, quarter hour):
about 390,000 rows for the demo's 1.55 million links.

A link belongs to a collected post with a known author (the source): a retweet, reply or quote
(``link`` is the post's kind) of a stored post with a known author, or a mention (``link``
'mention') of a handle some author has; a handle several authors had goes to the first of them
(the lowest id). Groups are the authors' groups at the time ('' for none). Unlike the other
rollups, a link depends on rows other than its post: the post it points at, the account a
mention names, and both authors' groups. So the triggers here take away every link a changing
row takes part in *before* the change (reading the old state) and add the same links back *after*
it (reading the new one):

* a post whose dimensions, author or reference change, or which is deleted: the links from it and
  the references to it;
* an author whose group or handle changes: the links from their posts, the references to their
  posts, and the mentions of their old and new handle;
* a new author whose handle no one had: the mentions of it stored so far;
* a deleted mention: its link.

The worker counts the links of the posts it inserts, and the references to them from posts stored
earlier, a batch at a time (engagement.analysis.rollups.add_posts), as for the other rollups. Rows whose
count falls to zero are left in place (readers only sum; ``db recount`` sweeps them).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

QUARTER = 15
KEYS = "source_group, target_group, link, session_id, kind, language, minute"
POST_COLUMNS = ("collected", "author_id", "session_id", "kind", "language", "created_at", "referenced_platform_id")


def _bucket(dialect: str, row: str) -> str:
    if dialect == "sqlite":
        return f"(CAST(strftime('%s', {row}.created_at) AS INTEGER) / {QUARTER * 60} * {QUARTER})"
    return f"(CAST(floor(extract(epoch FROM {row}.created_at) / {QUARTER * 60}) AS INTEGER) * {QUARTER})"


def _columns(dialect: str, link: str, target: str) -> str:
    return (
        f"coalesce(a.group_key, '') AS source_group, coalesce({target}.group_key, '') AS target_group, "
        f"{link} AS link, coalesce(p.session_id, 0) AS session_id, p.kind AS kind, "
        f"coalesce(p.language, '') AS language, {_bucket(dialect, 'p')} AS minute"
    )


def references(
    dialect: str, condition: str, sources: str = "post", targets: str = "post", authors: str = "author"
) -> str:
    """The retweets, replies and quotes (posts ``p``, from ``sources``) of stored posts ``t`` (from
    ``targets``) where ``condition`` holds; ``authors`` gives both authors."""
    # The source's platform as a term no index can use: finding the replies to a post, PostgreSQL
    # would otherwise AND the reference index with the (platform, id) key's every row on the platform.
    platform = "+p.platform" if dialect == "sqlite" else "(p.platform || '')"
    return f"""SELECT {_columns(dialect, "p.kind", "ta")}
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
    # Left to themselves, both databases read every mention through the index on kind alone (a
    # few rows, they guess, without statistics), and SQLite looks a handle's first author up through
    # the mention rather than the handle index: terms no index can use (a unary + in SQLite, an
    # empty concatenation in PostgreSQL) keep them off. A condition on handles names the kind again,
    # for the (kind, value) index.
    value = f"+{entity}.value" if dialect == "sqlite" else f"{entity}.value"
    kind = f"+{entity}.kind" if dialect == "sqlite" else f"({entity}.kind || '')"
    named = f"(SELECT min(b.id) FROM {authors} AS b WHERE lower(b.handle) = {value})"
    rows = f"{entities} AS {entity} JOIN {sources} AS p ON p.id = {entity}.post_id" if entities else f"{sources} AS p"
    return f"""SELECT {_columns(dialect, "'mention'", "ma")}
        FROM {rows} JOIN {authors} AS a ON a.id = p.author_id
        JOIN {authors} AS ma ON ma.id = {named}
        WHERE {kind} = 'mention' AND p.collected AND {condition}"""


def apply(rows: str, sign: int) -> str:
    """Add (sign 1) or take away (sign -1) the links ``rows``."""
    return f"""INSERT INTO rollup_link ({KEYS}, posts)
        SELECT {KEYS}, {sign} * count(*) FROM ({rows}) AS links WHERE 1 = 1 GROUP BY {KEYS}
        ON CONFLICT ({KEYS}) DO UPDATE SET posts = rollup_link.posts + excluded.posts"""


# The links a changing row takes part in. ``new`` (PostgreSQL) reads the row as NEW, as if already
# changed: see _postgresql_triggers.
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
    """The mentions a new author's handle now resolves: those of a handle no earlier author had (the
    first author with a handle keeps it; ids only grow)."""
    return mentions(
        dialect,
        "e.kind = 'mention' AND e.value = lower(NEW.handle) AND "
        "NEW.id = (SELECT min(o.id) FROM author AS o WHERE lower(o.handle) = lower(NEW.handle))",
    )


def _of_entity(dialect: str) -> str:
    return mentions(dialect, "p.id = OLD.post_id", entities=None, entity="OLD")


def _sqlite_changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


AUTHOR_CHANGED = "OLD.group_key IS NOT NEW.group_key OR lower(OLD.handle) IS NOT lower(NEW.handle)"
PG_AUTHOR_CHANGED = (
    "OLD.group_key IS DISTINCT FROM NEW.group_key OR lower(OLD.handle) IS DISTINCT FROM lower(NEW.handle)"
)


def _sqlite_triggers() -> list[str]:
    d = "sqlite"

    def trigger(name, when, statement, condition=""):
        return f"CREATE TRIGGER {name} {when} {('WHEN ' + condition) if condition else ''} BEGIN {statement}; END"

    posts, authors = _sqlite_changed(POST_COLUMNS), AUTHOR_CHANGED
    return [
        trigger("rollup_link_post_before", "BEFORE UPDATE ON post", apply(_of_post(d, "OLD"), -1), posts),
        trigger("rollup_link_post_after", "AFTER UPDATE ON post", apply(_of_post(d, "NEW"), 1), posts),
        trigger("rollup_link_post_delete", "BEFORE DELETE ON post", apply(_of_post(d, "OLD"), -1)),
        trigger("rollup_link_author_before", "BEFORE UPDATE ON author", apply(_of_author(d), -1), authors),
        trigger("rollup_link_author_after", "AFTER UPDATE ON author", apply(_of_author(d), 1), authors),
        trigger(
            "rollup_link_author_insert", "AFTER INSERT ON author", apply(_of_new_author(d), 1), "NEW.handle IS NOT NULL"
        ),
        trigger(
            "rollup_link_entity_delete", "AFTER DELETE ON post_entity", apply(_of_entity(d), -1), "OLD.kind = 'mention'"
        ),
    ]


def _postgresql_triggers() -> list[str]:
    """PostgreSQL fires row-level AFTER triggers only once the whole statement is done, so an update of
    two linked rows would count their link under a mix of old and new twice. Here a BEFORE trigger
    does both halves for its row: it takes the row's links away as the table stands and adds them
    back reading the row as NEW. Rows the statement changed earlier are seen changed, so a link
    between two changed rows moves old → half-changed → new, once."""
    d = "postgresql"

    def function(name, body):
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}\n"
            f"IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\nRETURN NEW;\nEND $$"
        )

    post = (
        f"{apply(_of_post(d, 'OLD'), -1)};\nIF TG_OP = 'UPDATE' THEN {apply(_of_post(d, 'NEW', new=True), 1)}; END IF;"
    )
    author = (
        f"IF TG_OP = 'INSERT' THEN {apply(_of_new_author(d), 1)};\n"
        f"ELSE {apply(_of_author(d), -1)};\n{apply(_of_author(d, new=True), 1)}; END IF;"
    )
    changed = _changed(POST_COLUMNS)
    return [
        function("rollup_link_post", post),
        function("rollup_link_author", author),
        function("rollup_link_entity", f"{apply(_of_entity(d), -1)};"),
        f"CREATE TRIGGER rollup_link_post_update BEFORE UPDATE ON post FOR EACH ROW WHEN ({changed}) "
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


TRIGGERS = {
    "rollup_link_post_before": "post",
    "rollup_link_post_after": "post",
    "rollup_link_post_update": "post",
    "rollup_link_post_delete": "post",
    "rollup_link_author_before": "author",
    "rollup_link_author_after": "author",
    "rollup_link_author_update": "author",
    "rollup_link_author_insert": "author",
    "rollup_link_entity_delete": "post_entity",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "rollup_link",
        sa.Column("source_group", sa.String(), nullable=False),
        sa.Column("target_group", sa.String(), nullable=False),
        sa.Column("link", sa.String(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS.split(", ")),
        sqlite_with_rowid=False,
    )
    op.execute(apply(f"{references(dialect, '1 = 1')} UNION ALL {mentions(dialect, '1 = 1')}", 1))
    for statement in _sqlite_triggers() if dialect == "sqlite" else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if dialect == "sqlite" else f" ON {table}"))
    if dialect != "sqlite":
        for name in ("rollup_link_post", "rollup_link_author", "rollup_link_entity"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("rollup_link")
