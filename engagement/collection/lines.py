"""Lines of a file, read with a bound on their length, so that one enormous line (a corrupt file, a
file with no line ends) cannot exhaust memory: it is skipped in pieces and reported instead. And
the importers' batching of what they read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, AnyStr, TypeVar

SKIP_PIECE = 1 << 20  # an overlong line is read past in pieces of this size


@dataclass(frozen=True)
class Overlong:
    """A line longer than the limit: its length and its first characters, for the rejection."""

    size: int
    head: str | bytes


def bounded_lines(handle: IO[AnyStr], limit: int) -> Iterator[AnyStr | Overlong]:
    """The lines of ``handle`` (binary or text), each whole up to ``limit`` characters; longer ones
    become :class:`Overlong` without ever being held in memory."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        newline = "\n" if isinstance(line, str) else b"\n"
        if len(line) <= limit or line.endswith(newline):
            yield line
            continue
        size, head = len(line), line[:200]
        while not line.endswith(newline):
            line = handle.readline(SKIP_PIECE)
            if not line:
                break
            size += len(line)
        yield Overlong(size, head)


T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items (the last may be shorter), read lazily (itertools.batched is 3.12+)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
