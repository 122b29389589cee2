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

Each is kept by AFTER triggers on its finer rollup's rows, not on the posts: every path that changes
a finer row (the worker's counting, the posts' and authors' triggers, ``rollups.recount``) then
changes these too, and none of that code had to learn of them. On PostgreSQL every writer of
counted data already takes its turn (``db.take_turns_counting``), so the hot rows here, which more
writers touch than a finer row, cannot make two writers wait in a circle. Measured on SQLite with
the link triggers added by hand, importing the 50,000-post demo file ten times each way,
alternating: 7.16–7.75 s without and 7.26–7.35 s with them (the two middle runs), no cost above the
noise.

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

AUTHOR_KEYS = ("author_id", "session_id", "platform", "reason")
AUTHOR_SUMS = ("posts", "retweets", "likes")
LINK_KEYS = ("source_group", "target_group", "link", "session_id", "platform", "reason")
LINK_SUMS = ("posts",)
# (rollup made here, the finer rollup it follows, its key, its sums, whether a row at 0 goes)
ROLLUPS = (
    ("rollup_author_session", "rollup_author_hour", AUTHOR_KEYS, AUTHOR_SUMS, True),
    ("rollup_link_session", "rollup_link", LINK_KEYS, LINK_SUMS, False),
)


def _add(table: str, keys, sums, row: str, values) -> str:
    """Add ``values`` (one per sum) to ``table``'s row of the key of the finer row ``row``."""
    selected = ", ".join([f"{row}.{k}" for k in keys] + list(values))
    updates = ", ".join(f"{s} = {table}.{s} + excluded.{s}" for s in sums)
    return (
        f"INSERT INTO {table} ({', '.join(keys + sums)}) SELECT {selected} WHERE true "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


def _drop_empty(table: str, keys, row: str) -> str:
    match = " AND ".join(f"{k} = {row}.{k}" for k in keys)
    return f"DELETE FROM {table} WHERE {match} AND posts = 0"


def _statements(table: str, keys, sums, drop: bool, event: str) -> list[str]:
    """What a finer row's ``event`` does here: INSERT adds its NEW sums, DELETE takes its OLD ones
    away, UPDATE adds the difference when its key stayed (as every counting write leaves it: one
    statement a row, not two) and MOVE, an update of its key, takes away and adds."""
    add = [_add(table, keys, sums, "NEW", [f"NEW.{s}" for s in sums])]
    take = [_add(table, keys, sums, "OLD", [f"-OLD.{s}" for s in sums])] + (
        [_drop_empty(table, keys, "OLD")] if drop else []
    )
    if event == "UPDATE":
        return [_add(table, keys, sums, "NEW", [f"NEW.{s} - OLD.{s}" for s in sums])] + (
            [_drop_empty(table, keys, "NEW")] if drop else []
        )
    return {"INSERT": add, "DELETE": take, "MOVE": take + add}[event]


def _moved(keys, differ: str) -> str:
    return " OR ".join(f"OLD.{k} {differ} NEW.{k}" for k in keys)


def _sqlite_triggers(table: str, finer: str, keys, sums, drop: bool) -> list[str]:
    moved = _moved(keys, "IS NOT")

    def trigger(event: str, when: str = "") -> str:
        body = ";\n".join(_statements(table, keys, sums, drop, event))
        on = "UPDATE" if event == "MOVE" else event
        return f"CREATE TRIGGER {table}_{event.lower()} AFTER {on} ON {finer} {when} BEGIN {body}; END"

    return [
        trigger("INSERT"),
        trigger("UPDATE", f"WHEN NOT ({moved})"),
        trigger("MOVE", f"WHEN {moved}"),
        trigger("DELETE"),
    ]


def _postgresql_triggers(table: str, finer: str, keys, sums, drop: bool) -> list[str]:
    def body(event: str) -> str:
        return ";\n".join(_statements(table, keys, sums, drop, event)) + ";"

    return [
        f"CREATE FUNCTION {table}_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"IF TG_OP = 'INSERT' THEN {body('INSERT')}\n"
        f"ELSIF TG_OP = 'DELETE' THEN {body('DELETE')}\n"
        f"ELSIF {_moved(keys, 'IS DISTINCT FROM')} THEN {body('MOVE')}\n"
        f"ELSE {body('UPDATE')}\nEND IF;\nRETURN NULL;\nEND $$",
        f"CREATE TRIGGER {table}_change AFTER INSERT OR UPDATE OR DELETE ON {finer} FOR EACH ROW "
        f"EXECUTE FUNCTION {table}_change()",
    ]


def fill(table: str, finer: str, keys, sums) -> str:
    """Sum the finer rollup's rows into ``table`` (the upgrade, and ``rollups.recount`` would not need
    it: recounting the finer rollup fills this one through its triggers)."""
    listed = ", ".join(keys)
    totals = ", ".join(f"sum({s})" for s in sums)
    return f"INSERT INTO {table} ({listed}, {', '.join(sums)}) SELECT {listed}, {totals} FROM {finer} GROUP BY {listed}"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "rollup_author_session",
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        *(sa.Column(s, sa.Integer(), nullable=False) for s in AUTHOR_SUMS),
        sa.PrimaryKeyConstraint(*AUTHOR_KEYS),
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
    for table, finer, keys, sums, drop in ROLLUPS:
        op.execute(fill(table, finer, keys, sums))
        triggers = _sqlite_triggers if dialect == "sqlite" else _postgresql_triggers
        for statement in triggers(table, finer, keys, sums, drop):
            op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, finer, *_ in ROLLUPS:
        if sqlite:
            for event in ("insert", "update", "move", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_change ON {finer}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_change()")
        op.drop_table(table)
