"""Two rollups without time: posts per (author, session, network, reason), and links per (source
group, target group, link, session, network, reason).

The post-event summary has no time, kind or language filter, and at a million demo posts on
PostgreSQL it was just over its 1.0 s cold target (1.05–1.07 s in one full benchmark run, 0.81–0.86 s
in another). Most of its server time went to summing finer rows than it asks for:
- the conversations summed 441,831 rows of ``rollup_link`` (kind, language and quarter hour in the
  key) into 60 or so (source group, target group, link): 0.13–0.16 s of the server's time; the same
  links per session and network are 23,860 rows;
- the voices per session, the posts per (session, group) and the coverage summed the 275,000 rows of
  ``rollup_author_hour``: 0.13, 0.12–0.15 and 0.06 s; without the hour they are 115,000 rows.

The links are kept by AFTER triggers on ``rollup_link``'s rows, not on the posts: whatever changes
a finer link row (the worker's counting, the posts' and authors' triggers, ``rollups.recount``)
changes these too, and the links' own triggers, the most intricate of the rollups', needed no copy.
The author rollup is kept as revision 0019's is: the worker counts the posts it inserts
(``rollups.add_posts``), triggers on the posts follow every later change. Kept too by triggers on
``rollup_author_hour``'s rows, which the import changes nearly once a post, it cost the 50,000-post
demo import 0.75 s (median of five alternating runs, 6.53 → 7.28 s; CPU 10.19 → 11.00 s).
On PostgreSQL every writer of counted data already takes its turn (``db.take_turns_counting``), so
the hot rows here, which more writers touch than a finer row, cannot make two writers wait in a
circle.

As in the author rollups, a row whose posts all went is deleted, so distinct authors count only
authors with posts; as in the link rollup, a link row may hold 0 (readers only sum).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

AUTHOR_KEYS = "author_id, session_id, platform, reason"
# Columns of post whose change moves a post between the author rollup's rows, or changes its sums.
CHANGES = ("collected", "author_id", "session_id", "platform", "reason", "retweets", "likes")
LINK_KEYS = ("source_group", "target_group", "link", "session_id", "platform", "reason")


def _author_values(row: str) -> str:
    return f"{row}.author_id, coalesce({row}.session_id, 0), {row}.platform, coalesce({row}.reason, '')"


def _author_statements(row: str, sign: int) -> list[str]:
    """Add (sign 1) or take away (sign -1) one post ``row`` (NEW or OLD), as revision 0019 does."""
    statements = [
        f"""INSERT INTO rollup_author_session ({AUTHOR_KEYS}, posts, retweets, likes)
        SELECT {_author_values(row)}, {sign}, {sign} * {row}.retweets, {sign} * {row}.likes
        WHERE {row}.collected AND {row}.author_id IS NOT NULL
        ON CONFLICT ({AUTHOR_KEYS}) DO UPDATE SET
            posts = rollup_author_session.posts + excluded.posts,
            retweets = rollup_author_session.retweets + excluded.retweets,
            likes = rollup_author_session.likes + excluded.likes"""
    ]
    if sign < 0:
        statements.append(
            f"DELETE FROM rollup_author_session WHERE author_id = {row}.author_id "
            f"AND session_id = coalesce({row}.session_id, 0) AND platform = {row}.platform "
            f"AND reason = coalesce({row}.reason, '') AND posts = 0"
        )
    return statements


def _link_add(row: str, values: str) -> str:
    """Add ``values`` to the row of the key of the finer link row ``row`` (NEW or OLD)."""
    keys = ", ".join(LINK_KEYS)
    selected = ", ".join(f"{row}.{k}" for k in LINK_KEYS)
    return (
        f"INSERT INTO rollup_link_session ({keys}, posts) SELECT {selected}, {values} WHERE true "
        f"ON CONFLICT ({keys}) DO UPDATE SET posts = rollup_link_session.posts + excluded.posts"
    )


# What a finer link row's change does here: an update that leaves its key (as every counting write
# does) adds the difference, one statement a row, not two; one that moves it takes away and adds.
LINK_CHANGES = {
    "INSERT": [_link_add("NEW", "NEW.posts")],
    "DELETE": [_link_add("OLD", "-OLD.posts")],
    "UPDATE": [_link_add("NEW", "NEW.posts - OLD.posts")],
    "MOVE": [_link_add("OLD", "-OLD.posts"), _link_add("NEW", "NEW.posts")],
}


def _moved(differ: str) -> str:
    return " OR ".join(f"OLD.{k} {differ} NEW.{k}" for k in LINK_KEYS)


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CHANGES)
    update = ";\n".join(_author_statements("OLD", -1) + _author_statements("NEW", 1))
    delete = ";\n".join(_author_statements("OLD", -1))
    statements = [
        f"CREATE TRIGGER rollup_author_session_update AFTER UPDATE ON post WHEN {changed} BEGIN {update}; END",
        f"CREATE TRIGGER rollup_author_session_delete BEFORE DELETE ON post BEGIN {delete}; END",
    ]
    moved = _moved("IS NOT")
    for event, when in (("INSERT", ""), ("UPDATE", f"WHEN NOT ({moved})"), ("MOVE", f"WHEN {moved}"), ("DELETE", "")):
        on = "UPDATE" if event == "MOVE" else event
        statements.append(
            f"CREATE TRIGGER rollup_link_session_{event.lower()} AFTER {on} ON rollup_link {when} "
            f"BEGIN {';'.join(LINK_CHANGES[event])}; END"
        )
    return statements


def _postgresql_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in CHANGES)
    old = ";\n".join(_author_statements("OLD", -1)) + ";"
    new = ";\n".join(_author_statements("NEW", 1)) + ";"

    def link(event: str) -> str:
        return ";\n".join(LINK_CHANGES[event]) + ";"

    return [
        "CREATE FUNCTION rollup_author_session_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"{old}\nIF TG_OP = 'UPDATE' THEN {new} END IF;\nRETURN NULL;\nEND $$",
        f"CREATE TRIGGER rollup_author_session_update AFTER UPDATE ON post FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION rollup_author_session_change()",
        "CREATE TRIGGER rollup_author_session_delete AFTER DELETE ON post FOR EACH ROW "
        "EXECUTE FUNCTION rollup_author_session_change()",
        "CREATE FUNCTION rollup_link_session_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"IF TG_OP = 'INSERT' THEN {link('INSERT')}\n"
        f"ELSIF TG_OP = 'DELETE' THEN {link('DELETE')}\n"
        f"ELSIF {_moved('IS DISTINCT FROM')} THEN {link('MOVE')}\n"
        f"ELSE {link('UPDATE')}\nEND IF;\nRETURN NULL;\nEND $$",
        "CREATE TRIGGER rollup_link_session_change AFTER INSERT OR UPDATE OR DELETE ON rollup_link FOR EACH ROW "
        "EXECUTE FUNCTION rollup_link_session_change()",
    ]


def fill() -> list[str]:
    """The posts stored counted (the author rollup from revision 0019's, which counts the same posts
    per hour) and the links summed from the finer link rollup."""
    links = ", ".join(LINK_KEYS)
    return [
        f"""INSERT INTO rollup_author_session ({AUTHOR_KEYS}, posts, retweets, likes)
        SELECT {AUTHOR_KEYS}, sum(posts), sum(retweets), sum(likes) FROM rollup_author_hour
        GROUP BY {AUTHOR_KEYS}""",
        f"INSERT INTO rollup_link_session ({links}, posts) SELECT {links}, sum(posts) FROM rollup_link "
        f"GROUP BY {links}",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "rollup_author_session",
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        *(sa.Column(s, sa.Integer(), nullable=False) for s in ("posts", "retweets", "likes")),
        sa.PrimaryKeyConstraint(*AUTHOR_KEYS.split(", ")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rollup_link_session",
        *(sa.Column(k, sa.String(), nullable=False) for k in LINK_KEYS[:3]),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*LINK_KEYS),
        sqlite_with_rowid=False,
    )
    for statement in fill() + (_sqlite_triggers() if dialect == "sqlite" else _postgresql_triggers()):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("author_session_update", "author_session_delete") + tuple(
            f"link_session_{event}" for event in ("insert", "update", "move", "delete")
        ):
            op.execute(f"DROP TRIGGER IF EXISTS rollup_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS rollup_author_session_update ON post")
        op.execute("DROP TRIGGER IF EXISTS rollup_author_session_delete ON post")
        op.execute("DROP TRIGGER IF EXISTS rollup_link_session_change ON rollup_link")
        for name in ("author_session", "link_session"):
            op.execute(f"DROP FUNCTION IF EXISTS rollup_{name}_change()")
    op.drop_table("rollup_link_session")
    op.drop_table("rollup_author_session")
