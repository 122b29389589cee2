"""A context post that becomes collected is counted by the writer that collects it, not by triggers;
the links pointing at a post follow only a change of what they read of it.

A post first stored as context (referenced by a collected post) counts in no rollup. When a later
batch collects it, the store updates its row, and every update trigger on post fired for it: nine
triggers, each taking away an OLD that counted nowhere and adding the NEW. The links' triggers also
took away and added again every retweet, reply and quote *of* the post, though these read only its
author and key, which do not change. At 200,000 demo posts the 11,600 such updates took 2.0 s of
the writer's CPU on SQLite (of about 20 s), 170 µs each; at a million posts 14.3 s of 157 s.

Now:
- The update triggers skip a row that becomes collected (``NOT (OLD.collected IS FALSE AND
  NEW.collected IS TRUE)``). The writer counts such posts in one grouped statement per rollup, as
  it counts the posts it inserts (``rollups.add_collected``, after ``rollups.add_posts``): their
  own rows, entities and links, not the links to them, which were counted when those were stored.
  Like an insert, an update that collects a post by hand must count it so.
- The links of which a post is the target (others' retweets, replies and quotes of it) have
  triggers of their own, which fire when its author, network or platform id changes. The links
  of which it is the source keep the triggers and conditions they had.

Measured on SQLite, 200,000 demo posts, the statement's CPU: the updates 2.0 s → 1.2 s with the
target links apart, and the collected posts then counted with the posts (see docs/performance.md).

The downgrade restores the triggers of revisions 0017, 0019 and 0022 by running their own code.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BECOMES_COLLECTED = "OLD.collected IS FALSE AND NEW.collected IS TRUE"
# What a link to a post reads of it (revision 0017's ``references``: the target ``t``).
TARGET_COLUMNS = ("author_id", "platform", "platform_id")
# The update triggers on post this revision replaces, by the revision that made them last.
REPLACED = {
    "0017_rollups_by_network.py": (
        "rollup_post_update",
        "rollup_post_entities_move",
        "rollup_minute_update",
        "rollup_link_post_before",
        "rollup_link_post_after",
        "rollup_link_post_update",  # PostgreSQL's one BEFORE trigger for the links
    ),
    "0019_author_hour_rollup.py": ("rollup_author_hour_update",),
    "0022_session_rollups.py": ("rollup_author_session_update",),
}
NEW_TRIGGERS = ("rollup_link_target_before", "rollup_link_target_after", "rollup_link_target_update")


def _revision(filename: str) -> ModuleType:
    """An earlier revision's module (their file names are no module names), to run its own code."""
    spec = importlib.util.spec_from_file_location(f"revision_{filename[:4]}", Path(__file__).with_name(filename))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _changed(columns, differ: str) -> str:
    return " OR ".join(f"OLD.{c} {differ} NEW.{c}" for c in columns)


def _unless_collected(columns, differ: str) -> str:
    return f"NOT ({BECOMES_COLLECTED}) AND ({_changed(columns, differ)})"


def _own_links(r17: ModuleType, dialect: str, row: str, new: bool = False) -> str:
    """The links post ``row`` is the source of: its own reference and its mentions."""
    posts = r17.NEW_POST if new else "post"
    return " UNION ALL ".join(
        [
            r17.references(dialect, f"p.id = {row}.id", sources=posts),
            r17.mentions(dialect, f"e.post_id = {row}.id", sources=posts),
        ]
    )


def _target_links(r17: ModuleType, dialect: str, row: str, new: bool = False) -> str:
    """The links to post ``row``: others' retweets, replies and quotes of it."""
    if new:
        return r17.references(dialect, f"p.id <> {row}.id", targets=r17.NEW_POST)
    return r17.references(dialect, f"t.id = {row}.id AND p.id <> {row}.id")


def _sqlite_triggers() -> list[str]:
    r17, r19, r22 = (_revision(name) for name in REPLACED)
    d = "sqlite"

    def trigger(name, when, statements, condition):
        body = ";\n".join(statements)
        return f"CREATE TRIGGER {name} {when} WHEN {condition} BEGIN {body}; END"

    dimensions = _unless_collected(r17.DIMENSIONS, "IS NOT")
    links = _unless_collected(r17.LINK_COLUMNS, "IS NOT")
    target = _changed(TARGET_COLUMNS, "IS NOT")
    return [
        trigger(
            "rollup_post_update",
            "AFTER UPDATE ON post",
            r17._post_statements(d, "OLD", -1) + r17._post_statements(d, "NEW", 1),
            _unless_collected(r17.DIMENSIONS + r17.METRICS, "IS NOT"),
        ),
        trigger(
            "rollup_post_entities_move",
            "AFTER UPDATE ON post",
            r17._own_entities(d, "OLD", -1) + r17._own_entities(d, "NEW", 1),
            dimensions,
        ),
        trigger(
            "rollup_minute_update",
            "AFTER UPDATE ON post",
            r17._minute_statements(d, "OLD", -1) + r17._minute_statements(d, "NEW", 1),
            dimensions,
        ),
        trigger("rollup_link_post_before", "BEFORE UPDATE ON post", [r17.apply(_own_links(r17, d, "OLD"), -1)], links),
        trigger("rollup_link_post_after", "AFTER UPDATE ON post", [r17.apply(_own_links(r17, d, "NEW"), 1)], links),
        trigger(
            "rollup_link_target_before", "BEFORE UPDATE ON post", [r17.apply(_target_links(r17, d, "OLD"), -1)], target
        ),
        trigger(
            "rollup_link_target_after", "AFTER UPDATE ON post", [r17.apply(_target_links(r17, d, "NEW"), 1)], target
        ),
        trigger(
            "rollup_author_hour_update",
            "AFTER UPDATE ON post",
            r19._statements(d, "OLD", -1) + r19._statements(d, "NEW", 1),
            _unless_collected(r19.CHANGES, "IS NOT"),
        ),
        trigger(
            "rollup_author_session_update",
            "AFTER UPDATE ON post",
            r22._author_statements("OLD", -1) + r22._author_statements("NEW", 1),
            _unless_collected(r22.CHANGES, "IS NOT"),
        ),
    ]


def _postgresql_triggers() -> list[str]:
    """The trigger functions of 0017, 0019 and 0022 stay; their update triggers get the new
    condition. The links, one BEFORE trigger before, are two: the post's own and those to it."""
    r17, r19, r22 = (_revision(name) for name in REPLACED)
    d = "postgresql"
    differ = "IS DISTINCT FROM"

    def function(name, body):
        # A BEFORE trigger that returned NULL would cancel the change.
        return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}\nRETURN NEW;\nEND $$"

    def on_update(name, when, condition, called):
        return (
            f"CREATE TRIGGER {name} {when} UPDATE ON post FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION {called}()"
        )

    own = f"{r17.apply(_own_links(r17, d, 'OLD'), -1)};\n{r17.apply(_own_links(r17, d, 'NEW', new=True), 1)};"
    to = f"{r17.apply(_target_links(r17, d, 'OLD'), -1)};\n{r17.apply(_target_links(r17, d, 'NEW', new=True), 1)};"
    dimensions = _unless_collected(r17.DIMENSIONS, differ)
    return [
        function("rollup_link_post_own", own),
        function("rollup_link_post_target", to),
        on_update(
            "rollup_post_update", "AFTER", _unless_collected(r17.DIMENSIONS + r17.METRICS, differ), "rollup_post_change"
        ),
        on_update("rollup_post_entities_move", "AFTER", dimensions, "rollup_post_entities_move"),
        on_update("rollup_minute_update", "AFTER", dimensions, "rollup_minute_change"),
        on_update(
            "rollup_link_post_update", "BEFORE", _unless_collected(r17.LINK_COLUMNS, differ), "rollup_link_post_own"
        ),
        on_update("rollup_link_target_update", "BEFORE", _changed(TARGET_COLUMNS, differ), "rollup_link_post_target"),
        on_update(
            "rollup_author_hour_update", "AFTER", _unless_collected(r19.CHANGES, differ), "rollup_author_hour_change"
        ),
        on_update(
            "rollup_author_session_update",
            "AFTER",
            _unless_collected(r22.CHANGES, differ),
            "rollup_author_session_change",
        ),
    ]


def _drop(names, sqlite: bool) -> None:
    for name in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else " ON post"))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop([name for names in REPLACED.values() for name in names], sqlite)
    for statement in _sqlite_triggers() if sqlite else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop([name for names in REPLACED.values() for name in names] + list(NEW_TRIGGERS), sqlite)
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS rollup_link_post_own()")
        op.execute("DROP FUNCTION IF EXISTS rollup_link_post_target()")
    for filename, names in REPLACED.items():
        module = _revision(filename)
        made = module._sqlite_triggers() if sqlite else module._postgresql_triggers()
        for statement in made:
            if statement.startswith("CREATE TRIGGER ") and statement.split()[2] in names:
                op.execute(statement)
