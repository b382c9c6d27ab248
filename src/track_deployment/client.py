"""The iftrue client: one POST with timeouts, bounded retries, and one status → error map."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import requests
import requests.auth
from pydantic import ValidationError
from urllib3.exceptions import HTTPError
from urllib3.util.retry import Retry

from . import __version__
from .errors import ServiceRejected, ServiceUnavailable
from .model import shorten
from .schema import DeploymentRequest, DeploymentResponse
from .transport import Alarm, AnsweredUnread, DeadlineAdapter, DeadlineExceeded
from .workflow import REDACTED

ENDPOINT = "/v1/organization/deployment"
USER_AGENT = f"track-deployment/{__version__} (+https://github.com/iftrue/track-deployment)"
MAX_ATTEMPTS = 5
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MESSAGE_CHARS = 500


class DeadlineReached(Exception):
    """The next retry would end after the delivery's deadline."""

    def __init__(self, attempts: int, last: str) -> None:
        super().__init__(last)
        self.attempts = attempts
        self.last = last


class DeadlineRetry(Retry):
    """urllib3's retry with jitter, giving up early when the next wait would pass the deadline."""

    deadline: float = float("inf")
    #: Shared by every copy urllib3 makes, so the client can tell how many attempts were made.
    retried: list[object]

    def new(self, **kw: Any) -> DeadlineRetry:
        retry = super().new(**kw)
        retry.deadline = self.deadline
        retry.retried = self.retried
        return retry

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
            reason = type(last.error).__name__ if last.error else "no answer"
            raise DeadlineReached(len(retry.history), f"could not be reached ({reason})")
        return retry


def retry_policy(deadline: float, backoff_factor: float = 0.5) -> DeadlineRetry:
    retry = DeadlineRetry(
        total=MAX_ATTEMPTS - 1,
        connect=MAX_ATTEMPTS - 1,
        read=MAX_ATTEMPTS - 1,
        status=MAX_ATTEMPTS - 1,
        other=0,
        redirect=0,
        allowed_methods=None,  # POST too: the service has no idempotency key, a lost record is worse
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
    ) -> None:
        self.url = api_url.rstrip("/") + ENDPOINT
        self._token = token
        self._timeout = timeout
        self._backoff_factor = backoff_factor
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

        def on_status(response: requests.Response) -> None:
            if 200 <= response.status_code < 300:
                alarm.disarm()
                if answered:
                    answered()

        adapter = DeadlineAdapter(deadline, on_status, max_retries=retry)
        with requests.Session() as session, alarm.until(deadline):
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            try:
                answer = session.post(
                    self.url,
                    data=json.dumps(request.body()).encode(),
                    auth=BearerAuth(self._token),
                    headers={
                        "Content-Type": "application/json",
                        "Accept": "application/json",
                        # No compressed answer: its size is what the 1 MiB bound counts.
                        "Accept-Encoding": "identity",
                        "User-Agent": USER_AGENT,
                    },
                    allow_redirects=False,
                )
            except AnsweredUnread as exc:  # the record exists: never sent again, never an error
                alarm.disarm()
                if answered:
                    answered()
                attempts = len(retry.retried) + 1
                return Delivery(None, "", attempts, warning=_unread(exc.status, exc.why))
            except DeadlineReached as exc:
                raise ServiceUnavailable(
                    f"iftrue at {self.url} {exc.last} on {exc.attempts} attempt(s), and another would "
                    f"pass the `timeout` of {self._timeout:g} s."
                ) from None
            except (requests.RequestException, DeadlineExceeded) as exc:
                raise ServiceUnavailable(
                    f"Could not reach iftrue at {self.url} within {self._timeout:g} s "
                    f"({_network_reason(exc)})."
                ) from None
        return _interpret(answer, len(retry.retried) + 1, self._redact)


def _network_reason(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, (requests.Timeout, DeadlineExceeded)) or "timed out" in text.lower():
        return "timed out"
    if "Max retries exceeded" in text:
        return f"connection failed after {MAX_ATTEMPTS} attempts"
    return type(exc).__name__


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


def _interpret(answer: requests.Response, attempts: int, redact: Callable[[str], str]) -> Delivery:
    """Map the final answer to a delivery or an error; the one place statuses are judged."""
    status = answer.status_code
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
            "secret holds a current deployment-tracking JWT of your iftrue organization."
        )
    if status in (400, 422):
        raise ServiceRejected(f"iftrue answered {status}, rejecting the record: {message}")
    if status == 404:
        raise ServiceRejected(f"iftrue answered 404 for {answer.url}: check the `api_url` input ({message}).")
    if 300 <= status < 400:
        location = shorten(redact(answer.headers.get("Location", "?")), MESSAGE_CHARS)
        raise ServiceRejected(
            f"iftrue answered {status} redirecting to {location}: "
            "set `api_url` to the service's final address."
        )
    if status in RETRY_STATUSES or status >= 500:
        tries = f"after {attempts} attempts" if attempts > 1 else "and was not retried"
        raise ServiceUnavailable(f"iftrue answered {status} {tries}: {message}")
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
        return Delivery(None, text, attempts, warning="iftrue's answer has an `id` of an unexpected type.")
