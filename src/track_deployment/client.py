"""The iftrue client: one POST with timeouts, bounded retries, and one status → error map."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import requests
import requests.auth
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from . import __version__
from .errors import ServiceRejected, ServiceUnavailable
from .schema import DeploymentRequest, DeploymentResponse
from .workflow import REDACTED, shorten

ENDPOINT = "/v1/organization/deployment"
USER_AGENT = f"track-deployment/{__version__} (+https://github.com/iftrue/track-deployment)"
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
MAX_ATTEMPTS = 5
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MESSAGE_CHARS = 500


class DeadlineReached(Exception):
    """The next retry would end after the delivery's deadline."""

    def __init__(self, attempts: int, last: str) -> None:
        super().__init__(last)
        self.attempts = attempts
        self.last = last


class DeadlineTimeout(Timeout):
    """Per-attempt timeouts that never reach past the delivery's deadline.

    urllib3 clones the timeout for each attempt, so each attempt gets what is left.
    """

    def __init__(self, deadline: float, connect: float, read: float) -> None:
        super().__init__(connect=connect, read=read)
        self.deadline = deadline

    def clone(self) -> Timeout:
        left = max(0.01, self.deadline - time.monotonic())
        return Timeout(connect=min(CONNECT_TIMEOUT, left), read=min(READ_TIMEOUT, left))


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

    def increment(self, *args: Any, **kwargs: Any) -> DeadlineRetry:
        retry = super().increment(*args, **kwargs)
        self.retried.append(retry.history[-1])
        response = kwargs.get("response")
        wait = retry.get_retry_after(response) if response is not None else None
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

    def send(self, request: DeploymentRequest, answered: Callable[[], None] | None = None) -> Delivery:
        """POST the record; `answered` is called as soon as iftrue's final answer is a 2xx."""

        def on_answer(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            if answered and 200 <= response.status_code < 300:
                answered()

        deadline = time.monotonic() + self._timeout
        retry = retry_policy(deadline, self._backoff_factor)
        with requests.Session() as session:
            session.mount("https://", HTTPAdapter(max_retries=retry))
            session.mount("http://", HTTPAdapter(max_retries=retry))
            try:
                answer = session.post(
                    self.url,
                    data=json.dumps(request.body()).encode(),
                    auth=BearerAuth(self._token),
                    headers={
                        "Content-Type": "application/json",
                        "Accept": "application/json",
                        "User-Agent": USER_AGENT,
                    },
                    # requests passes a urllib3 Timeout through as is; its stubs only name floats.
                    timeout=DeadlineTimeout(deadline, CONNECT_TIMEOUT, READ_TIMEOUT),  # type: ignore[arg-type]
                    allow_redirects=False,
                    hooks={"response": on_answer},
                )
            except DeadlineReached as exc:
                raise ServiceUnavailable(
                    f"iftrue at {self.url} {exc.last} on {exc.attempts} attempt(s), and another would "
                    f"pass the `timeout` of {self._timeout:g} s."
                ) from None
            except requests.RequestException as exc:
                raise ServiceUnavailable(
                    f"Could not reach iftrue at {self.url} within {self._timeout:g} s "
                    f"({_network_reason(exc)})."
                ) from None
        return _interpret(answer, len(retry.retried) + 1, self._redact)


def _network_reason(exc: requests.RequestException) -> str:
    text = str(exc)
    if isinstance(exc, requests.Timeout) or "timed out" in text.lower():
        return "timed out"
    if "Max retries exceeded" in text:
        return f"connection failed after {MAX_ATTEMPTS} attempts"
    return type(exc).__name__


def service_message(answer: requests.Response, redact: Callable[[str], str] = str) -> str:
    """The service's own words about an error, one line, redacted, then shortened."""
    text = answer.text or ""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        for key in ("message", "error", "detail", "errors"):
            if data.get(key):
                value = data[key]
                text = value if isinstance(value, str) else json.dumps(value)
                break
    text = redact(" ".join(text.split()))
    return shorten(text, MESSAGE_CHARS) or "(no message)"


def _interpret(answer: requests.Response, attempts: int, redact: Callable[[str], str]) -> Delivery:
    """Map the final answer to a delivery or an error; the one place statuses are judged."""
    status = answer.status_code
    if 200 <= status < 300:
        return _created(answer, attempts)
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
        raise ServiceRejected(
            f"iftrue answered {status} redirecting to {answer.headers.get('Location', '?')}: "
            "set `api_url` to the service's final address."
        )
    if status in RETRY_STATUSES or status >= 500:
        tries = f"after {attempts} attempts" if attempts > 1 else "and was not retried"
        raise ServiceUnavailable(f"iftrue answered {status} {tries}: {message}")
    raise ServiceRejected(f"iftrue answered {status}: {message}")


def _created(answer: requests.Response, attempts: int) -> Delivery:
    text = answer.text or ""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # a body nested too deep for the parser is no record either
        data = None
    if not isinstance(data, dict):
        return Delivery(
            None,
            text,
            attempts,
            warning=f"iftrue answered {answer.status_code} but its body is not a JSON object; "
            "the deployment was probably recorded, but its id is unknown.",
        )
    try:
        return Delivery(DeploymentResponse.model_validate(data), text, attempts)
    except (ValidationError, RecursionError):
        return Delivery(None, text, attempts, warning="iftrue's answer has an `id` of an unexpected type.")
