"""Keep SQLite on the narrow covering index when aggregating posts.

Left to itself, SQLite's planner walks the post table through a one-column index (``author_id``,
``session_id``, ``kind``, ``language``) to save a sort or to drive a join from the author side, and
then reads every wide post row to test ``collected``: at a million posts that is 3 s where a scan of
``ix_post_analytics`` (revision 0005), which holds every column the aggregates read, takes 0.3 s.
A unary ``+`` makes a column unusable as an index key without changing its value, so these terms
leave the planner only the covering index. PostgreSQL plans these aggregates well and gets the
plain column.
"""

from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from engagement.storage.models import Author, Post


class scanned(FunctionElement):  # noqa: N801 (used like a column function)
    """``column``, never used as an index key (on SQLite)."""

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(scanned)
def _plain(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(scanned, "sqlite")
def _unary_plus(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


def author_of_post():
    """The join condition from a post to its author that leaves the post side to the covering index."""
    return Author.id == scanned(Post.author_id)
