"""The runner's cancel signals, turned into Cancelled where the run can still report.

Kept apart from main.py so the entry point can install the handlers before the heavier
imports: a cancel that comes while the action starts is not lost.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from .errors import Cancelled


class CancelOnSignal:
    """Turns the runner's cancel signals into Cancelled while the run can still report.

    The runner cancels a step with SIGINT, then SIGTERM 7.5 s later, then kills it
    (actions/runner, ProcessInvoker.CancelAndKillProcessTree); `docker run` passes both on to
    the container. There Python is PID 1, for which the kernel ignores any signal left at its
    default action (SIGTERM included), so explicit handlers are what make a cancel work at all.
    Only the first signal raises: the report written after it is not cut short by the second.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._armed = False

    def install(self) -> None:
        for signum in self.SIGNALS:
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            if self._armed:
                self._armed = False
                raise Cancelled(signum)

    def arm(self) -> None:
        """From now on a signal raises Cancelled; one that came before raises it at once."""
        self._armed = True
        if self.signum is not None:
            self._armed = False
            raise Cancelled(self.signum)

    def disarm(self) -> None:
        self._armed = False

    @contextmanager
    def held(self) -> Iterator[None]:
        """A block a cancel cannot cut in half: a signal meanwhile raises Cancelled after it."""
        armed, self._armed = self._armed, False
        try:
            yield
        finally:
            if armed:
                self.arm()
