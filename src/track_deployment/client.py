"""The iftrue client: one POST with timeouts, bounded retries, and one status → error map.

A request iftrue may have received is never sent again: only a connection that never opened
and an answer that says "try again" (408, 429, 5xx) are retried. An answer that breaks off
after the request went out, a 2xx's included, is no answer: urllib3 does not retry it (`read`
is off), and the run says that iftrue may have recorded the deployment.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import requests
import requests.auth
from pydantic import ValidationError
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ProxyError,
    SSLError,
)
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from . import __version__
from .errors import Cancelled, ServiceRejected, ServiceUnavailable
from .model import shorten
from .schema import DeploymentRequest, DeploymentResponse
from .transport import CONNECT_TIMEOUT, Alarm, DeadlineAdapter, DeadlineExceeded, trust
from .values import is_loopback
from .workflow import REDACTED

ENDPOINT = "/v1/organization/deployment"
USER_AGENT = f"track-deployment/{__version__} (+https://github.com/iftrue/track-deployment)"
MAX_ATTEMPTS = 5
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Hosts an http:// api_url may name (inputs.py); never reached through a proxy.
MESSAGE_CHARS = 500


class DeadlineReached(Exception):
    """The next retry would end after the delivery's deadline."""

    def __init__(self, attempts: int, last: str, error: Exception | None = None) -> None:
        super().__init__(last)
        self.attempts = attempts
        self.last = last
        #: What failed the last attempt, when no answer came.
        self.error = error


class DeadlineRetry(Retry):
    """urllib3's retry with jitter, giving up early when the next wait would pass the deadline."""

    # urllib3 also retries a 413 that has a Retry-After: a record too large stays too large.
    RETRY_AFTER_STATUS_CODES = frozenset({429, 503})
    deadline: float = float("inf")
    #: Shared by every copy urllib3 makes, so the client can tell how many attempts were made.
    retried: list[object]
    #: Shared too: set while waiting between attempts, when no request is on its way.
    waiting: list[bool]

    def new(self, **kw: Any) -> DeadlineRetry:
        retry = super().new(**kw)
        retry.deadline = self.deadline
        retry.retried = self.retried
        retry.waiting = self.waiting
        return retry

    def sleep(self, response: Any = None) -> None:
        self.waiting[0] = True
        super().sleep(response)  # a cancel raised here leaves it set: no request was on its way
        self.waiting[0] = False

    def parse_retry_after(self, retry_after: str) -> float:
        """A Retry-After that cannot be read (5,000 digits, a garbled date) counts as absent."""
        # A date is at most 29 characters, a number of seconds that long is 10^45 years: past 64
        # characters a value is garbage, not "later than the deadline".
        if len(retry_after) > 64:
            return self.get_backoff_time()
        try:
            return super().parse_retry_after(retry_after)
        except (ValueError, OverflowError, HTTPError):  # InvalidHeader is an HTTPError
            return self.get_backoff_time()

    def increment(self, *args: Any, **kwargs: Any) -> DeadlineRetry:
        retry = super().increment(*args, **kwargs)
        self.retried.append(retry.history[-1])
        response = kwargs.get("response")
        wait = retry.get_retry_after(response) if response is not None else None
        if response is not None:
            # urllib3 reads an answer it retries to its end before the next attempt: not this one,
            # which may be 40 MB or a trickle.
            response.close()
        if wait is None:
            wait = retry.get_backoff_time()
        if time.monotonic() + wait >= self.deadline:
            last = retry.history[-1]
            if last.status:
                raise DeadlineReached(len(retry.history), f"answered {last.status}")
            raise DeadlineReached(len(retry.history), "could not be reached", last.error)
        return retry


def retry_policy(deadline: float, backoff_factor: float = 0.5) -> DeadlineRetry:
    retry = DeadlineRetry(
        total=MAX_ATTEMPTS - 1,
        connect=MAX_ATTEMPTS - 1,
        read=False,  # an answer that broke off may follow a record iftrue took: never resent
        status=MAX_ATTEMPTS - 1,
        other=0,
        redirect=0,
        allowed_methods=None,  # POST too, on a connection that never opened or a "try again"
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_jitter=0.5,
        backoff_max=30,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    retry.deadline = deadline
    retry.retried = []
    retry.waiting = [False]
    return retry


class Delivery(NamedTuple):
    response: DeploymentResponse | None
    text: str
    attempts: int
    warning: str | None = None


class BearerAuth(requests.auth.AuthBase):
    """Sets the token header; as an explicit auth it also keeps ~/.netrc from replacing it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    # No compressed answer: its size is what the 1 MiB bound counts.
    "Accept-Encoding": "identity",
    "User-Agent": USER_AGENT,
}


class IftrueClient:
    """Posts deployment records to iftrue."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        timeout: float,
        backoff_factor: float = 0.5,
        redact: Callable[[str], str] | None = None,
        ca_bundles: Sequence[str] = (),
    ) -> None:
        self.url = api_url.rstrip("/") + ENDPOINT
        self._token = token
        self._timeout = timeout
        self._backoff_factor = backoff_factor
        self._ca_bundles = ca_bundles
        #: Applied to the service's words before they are shortened (a cut secret is not masked).
        self._redact = redact or (lambda text: text.replace(token, REDACTED) if token else text)

    def send(
        self,
        request: DeploymentRequest,
        answered: Callable[[], None] | None = None,
        deadline: float | None = None,
    ) -> Delivery:
        """POST the record by `deadline` (else `timeout` from now), retries included.

        `answered` is called as soon as iftrue's final answer is a 2xx, before its body is read:
        from then on the record exists, and nothing the answer holds turns the delivery into an error.
        """
        deadline = time.monotonic() + self._timeout if deadline is None else deadline
        retry = retry_policy(deadline, self._backoff_factor)
        alarm = Alarm()
        read: list[requests.Response] = []

        def on_status(response: requests.Response) -> None:
            read.append(response)
            if 200 <= response.status_code < 300 and not _html(response):
                alarm.disarm()
                if answered:
                    answered()

        context = trust(self._ca_bundles) if self.url.lower().startswith("https:") else None
        adapter = DeadlineAdapter(deadline, on_status, context, max_retries=retry)
        with requests.Session() as session, alarm.until(deadline):
            # The token never crosses a proxy to a loopback service: HTTP_PROXY is not for it.
            session.trust_env = not is_loopback(_host(self.url))
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            proxy = _proxy(session, self.url)
            try:
                answer = session.post(
                    self.url,
                    data=json.dumps(request.body()).encode(),
                    auth=BearerAuth(self._token),
                    headers=_HEADERS,
                    allow_redirects=False,
                )
            except Cancelled as exc:
                # Sent (or being sent) and not answered: iftrue may hold the record.
                exc.maybe_recorded = not read and not retry.waiting[0]
                raise
            except DeadlineReached as exc:
                if exc.error is not None:
                    raise ServiceUnavailable(
                        self._unreached(exc.error, proxy, exc.attempts, stopped=True)
                    ) from None
                raise ServiceUnavailable(
                    f"iftrue at {self.url} {exc.last} on {exc.attempts} attempt(s), and another would "
                    f"pass the `timeout` input ({self._timeout:g} s)."
                ) from None
            except (requests.RequestException, DeadlineExceeded) as exc:
                attempts = len(retry.retried) + 1
                sent = _after_sending(_chain(exc))
                raise ServiceUnavailable(self._unreached(exc, proxy, attempts), maybe_recorded=sent) from None
        return _interpret(answer, len(retry.retried) + 1, self._redact, proxy)

    def _unreached(self, exc: Exception, proxy: str | None, attempts: int, stopped: bool = False) -> str:
        """Why no answer came, and what to do about it: one cause, named."""
        tries = f"{attempts} attempts" if attempts > 1 else ""
        if stopped:
            tries = f"{tries or '1 attempt'}; another would pass the `timeout` input ({self._timeout:g} s)"
        tries = f" ({tries})" if tries else ""
        cause, fix = _cause(exc, self.url, proxy, self._timeout)
        return self._redact(f"Could not deliver the record to iftrue at {self.url}: {cause}{tries}. {fix}")


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and every one it wraps (urllib3 nests them in `reason` and in args)."""
    seen: list[BaseException] = []
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is known for known in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return seen


_CA_FIX = (
    "If a company proxy or a private CA signs it, add that CA to the system trust store or name a "
    "PEM file of it in REQUESTS_CA_BUNDLE or SSL_CERT_FILE."
)


def _certificate(error: ssl.SSLCertVerificationError, host: str) -> tuple[str, str]:
    what = error.verify_message or str(error)
    if error.verify_code in (18, 19, 20, 21):  # self-signed, self-signed in the chain, unknown issuer
        return f"its TLS certificate is signed by an unknown CA ({what})", _CA_FIX
    if error.verify_code in (9, 10):  # not yet valid, expired
        return f"its TLS certificate is out of date ({what})", "The server's certificate must be renewed."
    if error.verify_code in (62, 64) or "mismatch" in what.lower():  # host name, IP address
        return (
            f"its TLS certificate is not for {host} ({what})",
            "Check the host in the `api_url` input, or that no proxy answers for it.",
        )
    return f"its TLS certificate was refused ({what})", _CA_FIX


_UNUSABLE_PROXY = (
    "the proxy variable (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is no URL requests can use",
    "Give it as http://user:password@host:port, with its scheme.",
)


def _cause(exc: Exception, url: str, proxy: str | None, timeout: float) -> tuple[str, str]:
    """What failed and its fix, from the innermost error that says."""
    chain = _chain(exc)
    host = _host(url)
    via = f" through the proxy {proxy}" if proxy else ""
    for error in chain:
        if isinstance(error, ssl.SSLCertVerificationError):
            return _certificate(error, host)
        if isinstance(error, requests.exceptions.InvalidProxyURL):  # before anything was sent
            return _UNUSABLE_PROXY
    if proxy and (status := _tunnel_status(chain)):
        if status == "407":
            return (
                f"the proxy {proxy} answered 407 Proxy Authentication Required",
                "Give the proxy's credentials in its variable: HTTPS_PROXY=http://user:password@host:port.",
            )
        return (
            f"the proxy {proxy} answered {status} when asked to connect to {host}",
            "Ask the proxy's administrators to allow the host, or list it in NO_PROXY.",
        )
    if any(isinstance(error, NameResolutionError) for error in chain):
        return (
            f"the name {host} could not be resolved (DNS){via}",
            "Check the host in the `api_url` input and the runner's DNS.",
        )
    if any(isinstance(error, ConnectionRefusedError) for error in chain):
        return (
            f"{proxy or host} refused the connection",
            "Nothing listens there: check the "
            + (
                "proxy variables (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY)."
                if proxy
                else "`api_url` input, its port too."
            ),
        )
    if isinstance(exc, requests.ConnectTimeout) or any(
        isinstance(error, ConnectTimeoutError) and not isinstance(error, NewConnectionError)
        for error in chain
    ):
        return (
            # Each attempt waits at most CONNECT_TIMEOUT, and never past the `timeout` input.
            f"no connection within {min(CONNECT_TIMEOUT, timeout):g} s{via}",
            "A firewall may drop the traffic: on a network that needs a proxy, set HTTPS_PROXY.",
        )
    if _after_sending(chain):
        what = (
            f"no whole answer within the `timeout` input ({timeout:g} s)"
            if isinstance(exc, (requests.Timeout, DeadlineExceeded))
            else f"the answer could not be read ({type(chain[-1]).__name__})"
        )
        return (
            f"{what}, after the record was sent{via}",
            "iftrue may have recorded the deployment: look for it in iftrue before replaying the record.",
        )
    return (
        f"the connection failed{via} ({type(chain[-1]).__name__})",
        "Check the `api_url` input and the runner's network.",
    )


def _after_sending(chain: list[BaseException]) -> bool:
    """Whether the connection was open and the record sent: whatever broke came after it."""
    never_sent = (
        NewConnectionError,
        ConnectTimeoutError,
        ProxyError,
        SSLError,
        requests.exceptions.InvalidURL,
    )
    return not any(isinstance(error, never_sent) for error in chain)


def _tunnel_status(chain: list[BaseException]) -> str | None:
    """The status a proxy refused a tunnel with ("Tunnel connection failed: 407 …", http.client)."""
    for error in chain:
        words = str(error).split()
        if isinstance(error, (ProxyError, OSError)) and "Tunnel" in words[:1]:
            return next((word for word in words if word.isdigit() and len(word) == 3), None)
    return None


def _host(url: str) -> str:
    return (parse_url(url).host or "").strip("[]").lower()


def _proxy(session: requests.Session, url: str) -> str | None:
    """The proxy the session sends `url` through, named without its credentials."""
    if not session.trust_env:
        return None
    settings = session.merge_environment_settings(url, {}, None, None, None)
    proxy = requests.utils.select_proxy(url, settings["proxies"])
    if not proxy:
        return None
    # As requests reads it: `user:pw@proxy:3128` is an http proxy, not a scheme named `user`.
    parsed = parse_url(proxy if "://" in proxy else f"http://{proxy}")
    return f"{parsed.scheme or 'http'}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "")


def _html(answer: requests.Response, read: bool = False) -> bool:
    """An HTML page: a proxy's or a portal's sign-in page, never iftrue's JSON. Without a
    Content-Type, once read, a body that starts as HTML does (`<!DOCTYPE html`, `<html`)."""
    kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    start = answer.content[:64].lstrip().lower() if read and not kind else b""
    return start.startswith((b"<!doctype html", b"<html"))


def _text(answer: requests.Response) -> str:
    """The answer's body as text: UTF-8, as JSON is (RFC 8259), whatever its header claims."""
    return answer.content.decode("utf-8", "replace")


def service_message(answer: requests.Response, redact: Callable[[str], str] = str) -> str:
    """The service's own words about an error, one line, redacted, then shortened."""
    text = _text(answer)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        for key in ("message", "error", "detail", "errors"):
            if data.get(key):
                value = data[key]
                text = value if isinstance(value, str) else _dumps(value)
                break
    text = redact(" ".join(text.split()))
    return shorten(text, MESSAGE_CHARS) or "(no message)"


def _dumps(value: object) -> str:
    try:
        return json.dumps(value)
    except (ValueError, RecursionError):
        return "(unreadable)"


def _interpret(
    answer: requests.Response, attempts: int, redact: Callable[[str], str], proxy: str | None = None
) -> Delivery:
    """Map the final answer to a delivery or an error; the one place statuses are judged."""
    status = answer.status_code
    if 200 <= status < 300 and _html(answer, read=True):
        who = f"the proxy {proxy}" if proxy else "something between the runner and iftrue"
        raise ServiceUnavailable(
            f"{who} answered {status} with a web page instead of iftrue (a proxy's or a network's "
            "sign-in page?): the record was not delivered. Let the runner through it (proxy "
            "credentials in HTTPS_PROXY, or the host in NO_PROXY), then replay the record."
        )
    if 200 <= status < 300:
        try:
            return _created(answer, attempts)
        except Exception as exc:  # the record exists: nothing in its answer may lose that
            why = f"its answer could not be read ({type(exc).__name__})"
            return Delivery(None, "", attempts, warning=_unread(status, why))
    message = service_message(answer, redact)
    if status in (401, 403):
        raise ServiceRejected(
            f"iftrue answered {status}: the token was refused ({message}). Check that the `token` "
            "input holds a current deployment-tracking JWT of your iftrue organization."
        )
    if status in (400, 422):
        raise ServiceRejected(f"iftrue answered {status}, rejecting the record: {message}")
    if status == 404:
        raise ServiceRejected(f"iftrue answered 404 for {answer.url}: check the `api_url` input ({message}).")
    if 300 <= status < 400:
        location = shorten(redact(answer.headers.get("Location", "?")), MESSAGE_CHARS)
        raise ServiceRejected(
            f"iftrue answered {status} redirecting to {location}: "
            "set the `api_url` input to the service's final address."
        )
    if status in RETRY_STATUSES or status >= 500:
        tries = f"after {attempts} attempts" if attempts > 1 else "and was not retried"
        raise ServiceUnavailable(f"iftrue answered {status} {tries}: {message}")
    if status == 413:  # a record too large stays too large: no replay of it as is
        raise ServiceRejected(f"iftrue answered 413, the record is too large for it: {message}")
    raise ServiceRejected(f"iftrue answered {status}: {message}")


def _unread(status: int, why: str) -> str:
    return (
        f"iftrue answered {status}, so the deployment was recorded, but {why}; its id is unknown. "
        "Do not replay this record: that would record the deployment twice."
    )


def _created(answer: requests.Response, attempts: int) -> Delivery:
    text = _text(answer)
    cut = getattr(answer, "cut", None)
    if cut:
        return Delivery(None, text, attempts, warning=_unread(answer.status_code, f"its answer was {cut}"))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # a body nested too deep for the parser is no record either
        data = None
    if not isinstance(data, dict):
        why = "its body is not a JSON object"
        return Delivery(None, text, attempts, warning=_unread(answer.status_code, why))
    try:
        return Delivery(DeploymentResponse.model_validate(data), text, attempts)
    except (ValidationError, RecursionError):
        return Delivery(
            None, text, attempts, warning="iftrue's answer has an `id` that is not one short word of text."
        )
