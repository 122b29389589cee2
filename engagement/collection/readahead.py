"""Run a generator in a process of its own and iterate over what it yields.

An import is two kinds of work of about equal weight: parsing (JSON, normalising, shaping rows) and
writing (the database's indexes and commits). In one process they take turns on one core; with the
parsing in a child they run side by side on two. (A thread does not do it: both halves are mostly
Python and would share one interpreter lock — measured, no gain.)

What the child yields is pickled through a bounded queue, so memory holds at most ``depth`` items
in flight whatever the input's size. The child stops if its parent dies (a ``kill -9`` of the worker
leaves no orphan reading on), and an exception in the child is raised again in the parent.

The child is forked when this process runs one thread, else spawned. A forked child starts with the
modules already imported and its arguments in memory: it yields its first item at once, where a
spawned one first imports the whole import path again (≈ 1 s of CPU on this 2-core machine, paid
before the first batch can start, and 17 % of the CPU of an import of 10,000 posts). Fork is unsafe
only beside other threads (one may hold a lock the child would then wait on forever): with any
other thread alive — a test runner's, a Streamlit server's — the child is spawned as before. It never
touches the parent's database connections, and leaves through ``os._exit`` (multiprocessing's), so
it closes none of them.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queues
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_DONE = "__readahead_done__"
POLL_SECONDS = 1.0


class ChildFailed(RuntimeError):
    """The child process died without saying why (killed, out of memory)."""


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (``kill -9`` included); elsewhere the
    polling in ``_run`` notices within a second or so."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _run(
    function: Callable[..., Iterator[Any]], args: tuple, channel, parent: int, encode: Callable[[Any], Any] | None
) -> None:
    # The parent decides when to stop (a terminal's Ctrl-C and a service manager's SIGTERM reach the
    # whole process group): it finishes the batch in hand and then ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(0)  # the parent died before the line above took effect

    def put(item: Any) -> None:
        while True:
            try:
                channel.put(item, timeout=POLL_SECONDS)
                return
            except queues.Full:
                if os.getppid() != parent:
                    # Nobody will read this. Not SystemExit: that would wait for the queue's feeder
                    # thread, blocked on a pipe no one empties.
                    os._exit(0)

    try:
        for item in function(*args):
            put(encode(item) if encode else item)
        put(_DONE)
    except BaseException as error:  # handed to the parent, which decides
        put(error)


@contextmanager
def _no_main_module() -> Iterator[None]:
    """A spawned child imports the parent's ``__main__`` first (to find functions defined there). Ours
    lives in an importable module, and the parent's main may be anything — the worker's command line,
    a test runner, a Streamlit script that must not run twice — so the child is shown none."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _may_fork() -> bool:
    """Whether a child may be forked: on a platform that forks, from a process running one thread."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def readahead(
    function: Callable[..., Iterator[Any]],
    *args: Any,
    depth: int = 2,
    encode: Callable[[Any], bytes] | None = None,
    decode: Callable[[bytes], Any] | None = None,
) -> Iterator[Any]:
    """Iterate over ``function(*args)`` computed in a child process (``function`` must be importable:
    a spawned child imports it again, and so must ``encode`` and ``decode``). ``encode`` turns each
    item into bytes in the child and ``decode`` back in this process, where pickling the items
    themselves would cost more (the file import's chunks: ``jsonl.encode_chunk``)."""
    forked = _may_fork()
    context = multiprocessing.get_context("fork") if forked else multiprocessing.get_context("spawn")
    channel = context.Queue(maxsize=depth)
    child = context.Process(
        target=_run, args=(function, args, channel, os.getpid(), encode), daemon=True, name="readahead"
    )
    if forked:
        child.start()
    else:
        with _no_main_module():
            child.start()
    try:
        while True:
            try:
                item = channel.get(timeout=POLL_SECONDS)
            except queues.Empty:
                if not child.is_alive():
                    raise ChildFailed(f"the reading process ended with exit code {child.exitcode}") from None
                continue
            if isinstance(item, str) and item == _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield decode(item) if decode else item
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        channel.close()
