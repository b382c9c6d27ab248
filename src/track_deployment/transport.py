"""How every HTTP answer is read, to iftrue and GitHub alike: within a deadline, and at most 1 MiB.

A socket timeout bounds each read, not an answer: a server that trickles a byte every half
second never trips it. So each request gets only the time left before its deadline, a body is
read in small pieces with the deadline checked between them, and, where the platform allows
(SIGALRM: Linux and macOS), an alarm at the deadline also ends a trickle of headers.
"""

from __future__ import annotations

import functools
import http.client
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager
from urllib3.response import BaseHTTPResponse
from urllib3.util.timeout import Timeout

#: The most of any answer read; the rest is never received.
MAX_ANSWER_BYTES = 1024 * 1024
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
_CHUNK = 64 * 1024
#: Why a body was cut when the deadline came first (read_body).
LATE = "not complete within the time left"


class DeadlineExceeded(TimeoutError):
    """The deadline passed while a request or its answer was still under way."""


def left(deadline: float) -> float:
    return deadline - time.monotonic()


class DeadlineTimeout(Timeout):
    """Connect and read timeouts that never reach past a deadline.

    urllib3 clones the timeout for each attempt of a retried request, so each gets what is left.
    """

    def __init__(self, deadline: float) -> None:
        remaining = max(0.01, left(deadline))
        super().__init__(connect=min(CONNECT_TIMEOUT, remaining), read=min(READ_TIMEOUT, remaining))
        self.deadline = deadline

    def clone(self) -> Timeout:
        return DeadlineTimeout(self.deadline)


def read_body(response: requests.Response, deadline: float, limit: int = MAX_ANSWER_BYTES) -> str | None:
    """Read a streamed answer's body into it, at most `limit` bytes and no later than `deadline`.

    Returns why the body was cut ("over 1 MiB", "not complete within the time left"), or None
    when it was read whole. A cut body keeps what was read, and its connection is closed.
    """
    chunks: list[bytes] = []
    size = 0
    cut: str | None = None
    try:
        while True:
            if left(deadline) <= 0:
                cut = LATE
                break
            # read1: what one receive gives, so a trickle cannot hold a read past the check above.
            chunk = response.raw.read1(_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                cut = f"over {limit // (1024 * 1024)} MiB"
                break
    except Exception as exc:  # a stalled, broken or garbled body is as far as it got
        late = isinstance(exc, DeadlineExceeded) or left(deadline) <= 0
        cut = LATE if late else f"broken off ({type(exc).__name__})"
    body = b"".join(chunks)[:limit]
    if cut:
        response.close()
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]
    return cut


class AnsweredUnread(Exception):
    """A POST's answer began with a 2xx status line, then its headers could not be read.

    The server took the request, so it must not be sent again: urllib3 would retry it as a
    read error (http.client refuses 100+ headers or a 64 KiB header line, a trickle of headers
    runs into the deadline, urllib3 refuses conflicting lengths).
    """

    def __init__(self, status: int, why: str) -> None:
        super().__init__(f"answered {status}, then {why}")
        self.status = status
        self.why = why


# A status line's start as a server may write it, however http.client judges the rest of it
# (a reason of 100 kB, "201Created", lower case): it has said 2xx all the same.
_STATUS = re.compile(rb"\s*HTTP/[0-9.]* *([0-9]{3})(?![0-9])", re.IGNORECASE)
#: Read a byte at a time, before http.client reads the line: enough for "HTTP/1.1 201".
_STATUS_START = 32


class _Prefixed:
    """A file whose next line starts with `head`, already read from it."""

    def __init__(self, head: bytes, fp: Any) -> None:
        self.head, self.fp = head, fp

    def readline(self, limit: int = -1) -> bytes:
        head, self.head = self.head, b""
        if head.endswith(b"\n"):
            return head
        rest: bytes = self.fp.readline(limit - len(head) if limit >= 0 else -1)
        return head + rest

    def close(self) -> None:
        self.fp.close()


class _StatusLine(http.client.HTTPResponse):
    """http.client's answer, noting each final status line it reads in `seen`."""

    def __init__(self, sock: Any, *args: Any, seen: list[int], **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self._seen = seen

    def _read_status(self) -> tuple[str, int, str]:  # the one place http.client reads it
        # The line's start is read here a byte at a time, and its status noted as soon as it
        # has come: http.client may then refuse the rest, or the rest may never come.
        head, noted = bytearray(), False
        # Blank lines before it are skipped, as the status pattern does (a few, not forever).
        while len(head.lstrip()) < _STATUS_START and len(head) < 32 * _STATUS_START:
            if head.endswith(b"\n") and head.strip():
                break
            byte = self.fp.read(1)
            if not byte:
                break
            head += byte
            if not noted and (start := _STATUS.match(head)):
                noted = True
                if int(start.group(1)) >= 200:  # 1xx (100 Continue) comes before the answer
                    self._seen.append(int(start.group(1)))
        real = self.fp
        self.fp = _Prefixed(bytes(head), real)  # type: ignore[assignment]
        try:
            version, status, reason = super()._read_status()  # type: ignore[misc]
        finally:
            if isinstance(self.fp, _Prefixed):  # not closed by http.client meanwhile
                self.fp = real
        if not noted and status >= 200:
            self._seen.append(status)
        return version, status, reason


def _get_response(connection: HTTPConnection, read: Callable[[], BaseHTTPResponse]) -> BaseHTTPResponse:
    """`read()` the connection's answer; a POST's 2xx whose headers fail raises AnsweredUnread."""
    seen: list[int] = []
    connection.response_class = functools.partial(_StatusLine, seen=seen)  # type: ignore[assignment]
    try:
        return read()
    except Exception as exc:
        if seen and 200 <= seen[-1] < 300 and getattr(connection, "_method", None) == "POST":
            raise AnsweredUnread(seen[-1], f"its headers could not be read ({type(exc).__name__})") from exc
        raise


class _HTTPConnection(HTTPConnection):
    def getresponse(self) -> BaseHTTPResponse:  # type: ignore[override]
        return _get_response(self, super().getresponse)


class _HTTPSConnection(HTTPSConnection):
    def getresponse(self) -> BaseHTTPResponse:  # type: ignore[override]
        return _get_response(self, super().getresponse)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _keep_status(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


class DeadlineAdapter(HTTPAdapter):
    """Gives each request only the time left before the deadline, and reads its answer bounded.

    `on_status` sees each answer before its body is read (to act on the status at once); why
    the body was cut, if it was, is set on the answer as `cut` (read_body).
    """

    def __init__(
        self,
        deadline: float,
        on_status: Callable[[requests.Response], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline
        self.on_status = on_status

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _keep_status(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        # A SOCKS proxy's pools are its own; through it a broken 2xx is retried as before.
        return manager if proxy.lower().startswith("socks") else _keep_status(manager)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if left(self.deadline) <= 0:
            raise DeadlineExceeded("no time left")
        kwargs["timeout"] = DeadlineTimeout(self.deadline)
        kwargs["stream"] = True  # read below, bounded, whatever the caller asked
        response = super().send(request, *args, **kwargs)
        if self.on_status:
            self.on_status(response)
        response.cut = read_body(response, self.deadline)  # type: ignore[attr-defined]
        return response


class Alarm:
    """SIGALRM at a deadline, raising DeadlineExceeded in the main thread, until disarmed.

    The only way to end a read that a server keeps alive with a byte at a time (headers
    included, which no body check sees). Where there is no SIGALRM (Windows), or off the main
    thread, it does nothing, and the per-request timeouts and body checks bound the wait.
    """

    def __init__(self) -> None:
        self.armed = False

    def _ring(self, signum: int, frame: FrameType | None) -> None:
        if self.armed:
            self.armed = False
            raise DeadlineExceeded("deadline passed")

    def disarm(self) -> None:
        self.armed = False

    @contextmanager
    def until(self, deadline: float) -> Iterator[Alarm]:
        usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        if not usable:
            yield self
            return
        previous = signal.signal(signal.SIGALRM, self._ring)
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, max(0.01, left(deadline)))
        try:
            yield self
        finally:
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
