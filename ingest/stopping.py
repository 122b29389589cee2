"""SIGTERM and SIGINT ask the worker to finish the batch in hand, commit, and exit 0."""

from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger("ingest")


class StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()

    def install(self) -> StopFlag:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, _frame) -> None:
        if self._event.is_set():
            raise KeyboardInterrupt  # a second signal: stop now, the open transaction rolls back
        log.warning("%s received: finishing the batch in hand, then stopping", signal.Signals(signum).name)
        self._event.set()

    def __call__(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> None:
        """Sleep that a signal cuts short."""
        self._event.wait(seconds)
