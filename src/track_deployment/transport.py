"""How every HTTP answer is read, to iftrue and GitHub alike: within a deadline, and at most 1 MiB.

A socket timeout bounds each read, not an answer: a server that trickles a byte every half
second never trips it. So each request gets only the time left before its deadline, a body is
read in small pieces with the deadline checked between them, and, where the platform allows
(SIGALRM: Linux and macOS), an alarm at the deadline also ends a trickle of headers.
"""

from __future__ import annotations

import http.client
import io
import os
import signal
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.poolmanager import PoolManager
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


class _Bounded:
    """An answer's body as requests reads it from `Response.raw` (any file-like object): at most
    `limit` bytes, and none after the deadline. Why it was cut, if it was, is in `cut`; a cut
    answer's connection is closed, never reused."""

    def __init__(self, raw: Any, deadline: float, limit: int) -> None:
        self.raw, self.deadline, self.limit = raw, deadline, limit
        self.read_so_far = bytearray()
        self.cut: str | None = None

    def read(self, amount: int = _CHUNK) -> bytes:
        if self.cut is None and left(self.deadline) <= 0:
            self.stop(LATE)
        if self.cut is not None:
            return b""
        try:
            # read1: what one receive gives, so a trickle cannot hold a read past the check above.
            chunk: bytes = self.raw.read1(min(amount, _CHUNK))
        except Exception as exc:  # a stalled, broken or garbled body is as far as it got
            self.broken(exc)
            return b""
        room = self.limit - len(self.read_so_far)
        if len(chunk) > room:
            self.stop(f"over {self.limit // (1024 * 1024)} MiB")
            chunk = chunk[:room]
        self.read_so_far += chunk
        return chunk

    def broken(self, exc: BaseException) -> None:
        late = isinstance(exc, DeadlineExceeded) or left(self.deadline) <= 0
        self.stop(LATE if late else f"broken off ({type(exc).__name__})")

    def stop(self, why: str) -> None:
        self.cut = why
        self.raw.close()

    def close(self) -> None:
        self.raw.close()

    def release_conn(self) -> None:
        self.raw.release_conn()


def read_body(response: requests.Response, deadline: float, limit: int = MAX_ANSWER_BYTES) -> str | None:
    """Read a streamed answer's body into it, at most `limit` bytes and no later than `deadline`.

    Returns why the body was cut ("over 1 MiB", "not complete within the time left"), or None
    when it was read whole. A cut body keeps what was read, and its connection is closed.
    """
    bounded = _Bounded(response.raw, deadline, limit)
    response.raw = bounded
    try:
        _ = response.content  # requests reads the body, through the bound
    except Exception as exc:  # the deadline's alarm between two reads
        bounded.broken(exc)
        response.raw = io.BytesIO(bytes(bounded.read_so_far[:limit]))
        _ = response.content
    return bounded.cut


class _FinalAnswer(http.client.HTTPResponse):
    """http.client's answer, past interim ones: 102 Processing and 103 Early Hints come first.

    http.client skips only 100 Continue and would take a 103 for the answer, leaving the real
    one unread. An interim answer has headers and no body, so the next status line follows.
    """

    def begin(self) -> None:
        super().begin()
        while 100 <= self.status < 200 and self.status != 101:  # 101 switches protocols: final
            self.headers = self.msg = None  # type: ignore[assignment]  # begin() reads a new answer
            super().begin()


def _skip_interim(manager: PoolManager) -> PoolManager:
    """Let every pool of `manager` (direct, proxied or SOCKS) read answers as _FinalAnswer."""

    def pool(cls: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
        connection = type(cls.ConnectionCls.__name__, (cls.ConnectionCls,), {"response_class": _FinalAnswer})
        return type(cls.__name__, (cls,), {"ConnectionCls": connection})

    manager.pool_classes_by_scheme = {
        scheme: pool(cls) for scheme, cls in manager.pool_classes_by_scheme.items()
    }
    return manager


def trust(bundles: Sequence[str] = ()) -> ssl.SSLContext:
    """Certificates to trust: the operating system's store, certifi's, and each bundle given.

    The system store (through truststore, as pip uses it) holds a company's CA where IT
    installed it; certifi's keeps a container without a store working; the bundles are the
    ones REQUESTS_CA_BUNDLE, SSL_CERT_FILE or CURL_CA_BUNDLE name.
    """
    import certifi
    import truststore

    context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=certifi.where())
    for bundle in bundles:
        if os.path.isdir(bundle):  # a hashed directory, as SSL_CERT_DIR and c_rehash make
            context.load_verify_locations(capath=bundle)
        else:
            context.load_verify_locations(cafile=bundle)
    return context


class DeadlineAdapter(HTTPAdapter):
    """Gives each request only the time left before the deadline, and reads its answer bounded.

    `on_status` sees each answer before its body is read (to act on the status at once); why
    the body was cut, if it was, is set on the answer as `cut` (read_body).
    """

    def __init__(
        self,
        deadline: float,
        on_status: Callable[[requests.Response], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        **kwargs: Any,
    ) -> None:
        self.ssl_context = ssl_context
        super().__init__(**kwargs)
        self.deadline = deadline
        self.on_status = on_status

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _skip_interim(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        return _skip_interim(super().proxy_manager_for(proxy, **kwargs))

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> Any:
        # Here, not in init_poolmanager: a proxy's pools get these attributes, never its kwargs.
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        if self.ssl_context is not None and verify is not False:
            pool["ssl_context"] = self.ssl_context
        return host, pool

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
