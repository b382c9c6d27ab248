"""HTTP to the GitHub REST API, through PyGithub's Requester: bounded, classified, never fatal.

PyGithub is imported only when a look-up runs (it costs more than the rest of the action to
import). Every request ends by the look-ups' deadline and reads at most 1 MiB; a failed one
never fails the run: it is recorded with the permission it needs, and one warning says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import LookupFailed
from .model import shorten
from .transport import LATE, Alarm, DeadlineAdapter, DeadlineExceeded, left, trust
from .values import is_loopback

# Seconds for each GitHub request; look-ups are never retried.
REQUEST_TIMEOUT = 10
# Characters of GitHub's words in a failure's reason.
REASON_CHARS = 200

#: Why a field is unknown when the look-up that would give it failed; the warning says why it did.
LOOKUP_FAILED = "unknown: the look-up of {} failed (see its warning)"

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """A look-up that failed: its name in the plan, what it would have given, the permission it
    needs, and why."""

    step: str
    what: str
    fields: tuple[str, ...]
    permission: str
    reason: str
    #: LookupFailed.cause: what the warning advises.
    cause: str = ""


@dataclass
class Notes:
    """What the look-ups have to say: failures (one warning), answers that could not be used
    (warnings) and what the answers leave unknown though nothing is wrong (notices)."""

    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def failure_warning(self) -> str | None:
        """One warning for all failed look-ups; only a refusal advises a permission or a token."""
        if not self.failures:
            return None
        details = "; ".join(f"{f.what} ({f.reason}): {', '.join(f.fields)} fell back" for f in self.failures)
        advice = []
        if permissions := ", ".join(sorted({f.permission for f in self.failures if f.cause == "permission"})):
            advice.append(f"Grant the job `permissions:` {permissions}")
        if any(f.cause == "token" for f in self.failures):
            advice.append(
                "Give the `github_token` input a valid token (the default `${{ github.token }}` is)"
            )
        off = " (or set the `github_token` input to '' to turn look-ups off)." if advice else ""
        return f"GitHub look-ups failed, so some fields use their fallback: {details}. " + (
            "; ".join(advice) + off
            if advice
            else "No permission is missing; only this run's fields fell back."
        )


class GitHub:
    """One repository's REST API: GET requests made one by one, each by the deadline; after a
    fatal failure (a refused token, the deadline) the rest are not tried."""

    def __init__(
        self,
        api_url: str,
        repository: str,
        token: str,
        user_agent: str,
        deadline: float,
        redact: Callable[[str], str],
        ca_bundles: tuple[str, ...] = (),
    ) -> None:
        self.requester = _requester(api_url, token, user_agent, deadline, ca_bundles)
        self.repo = f"/repos/{repository}"
        self.deadline = deadline
        self.redact = redact
        self.notes = Notes()
        self.stopped: str | None = None
        #: Requests the plan leaves unused, for more jobs pages or deployment statuses.
        self.spare = 0

    def why_failed(self, step: str) -> str:
        """Why a field that the failed look-up `step` would have given is unknown: which one failed."""
        what = next((f.what for f in reversed(self.notes.failures) if f.step == step), step)
        return LOOKUP_FAILED.format(what)

    def get(self, path: str, parameters: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
        """The answer's headers and JSON for a path of the repository (`/pulls/7`) or an absolute URL."""
        url = path if "://" in path else self.repo + path
        headers, data = self.requester.requestJsonAndCheck(
            "GET", url, parameters=dict(parameters or {}) or None
        )
        return headers, data

    def get_list(self, path: str, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        """A list answer's items; anything else is an unexpected answer."""
        _, data = self.get(path, parameters)
        if not isinstance(data, list):
            raise LookupFailed("unexpected answer (not a list)")
        return data

    def attempt(
        self, step: str, what: str, fields: tuple[str, ...], permission: str, call: Callable[[], T]
    ) -> T | None:
        """call() within the deadline; None when it fails, which is recorded against `step`."""
        if self.stopped:
            self.notes.failures.append(
                Failure(step, what, fields, permission, f"not tried after {self.stopped}")
            )
            return None
        try:
            with Alarm().until(self.deadline):
                return call()
        except LookupFailed as exc:
            failed, reason = exc, shorten(self.redact(str(exc)), REASON_CHARS)
        except Exception as exc:  # a look-up must never fail the run
            failed = classify(exc)
            if left(self.deadline) <= 0:  # whatever broke off, it was the deadline that did
                failed = LookupFailed("timed out: the look-ups' share of `timeout` was used up", stop=True)
            # Redacted before it is cut: a cut secret, or a broken one, is no longer recognised.
            reason = shorten(self.redact(str(failed)), REASON_CHARS)
        if failed.stop:
            self.stopped = reason
        self.notes.failures.append(Failure(step, what, fields, permission, reason, failed.cause))
        return None

    @property
    def failed_steps(self) -> frozenset[str]:
        return frozenset(failure.step for failure in self.notes.failures)


def next_page(headers: Mapping[str, Any]) -> str | None:
    """The `next` link of a paged answer (RFC 8288), or None on the last page."""
    import requests

    links = requests.utils.parse_header_links(headers.get("link") or "")
    return next((link["url"] for link in links if link.get("rel") == "next" and link.get("url")), None)


def classify(exc: Exception) -> LookupFailed:
    """Turn what PyGithub or requests raised into a short reason."""
    from github import BadCredentialsException, GithubException, RateLimitExceededException

    if isinstance(exc, RateLimitExceededException):
        return LookupFailed(f"{exc.status} rate limit exceeded", stop=True)
    if isinstance(exc, GithubException):
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        if isinstance(exc, BadCredentialsException) or exc.status == 401:  # every look-up would fail so
            return LookupFailed(f"401 {message or 'bad credentials'}", stop=True, cause="token")
        # GitHub answers 404 for what the token may not see, as for what does not exist.
        cause = "permission" if exc.status in (403, 404) else ""
        return LookupFailed(f"{exc.status} {message or 'error'}", cause=cause)
    import requests

    if isinstance(exc, (requests.Timeout, DeadlineExceeded)):
        return LookupFailed("timed out", stop=True)
    if isinstance(exc, requests.RequestException):
        return LookupFailed("network error", stop=True)
    return LookupFailed(f"unexpected answer ({type(exc).__name__})")


def _refuse_202(response: Any) -> None:
    """A 202 is GitHub still computing the answer (a large compare, statistics): PyGithub would
    sleep 2 s and ask again with no limit, so it ends the look-up."""
    if response.status_code == 202:
        response.close()
        raise LookupFailed("202: GitHub was still computing the answer")


def _refuse_refusal(response: Any, *args: Any, **kwargs: Any) -> None:
    """A refused token, a missing permission or a rate limit, whatever shape its body has (PyGithub
    reads the message of a JSON object only, and fails on an array or a string)."""
    status = response.status_code
    if status not in (401, 403, 429):
        return
    try:
        data = response.json()
    except ValueError:
        data = None
    message = data.get("message") if isinstance(data, dict) and isinstance(data.get("message"), str) else None
    if status == 429 or response.headers.get("x-ratelimit-remaining") == "0":
        raise LookupFailed(f"{status} rate limit exceeded", stop=True)
    if status == 401:  # every look-up would fail so
        raise LookupFailed(f"401 {message or 'bad credentials'}", stop=True, cause="token")
    raise LookupFailed(f"403 {message or 'forbidden'}", cause="permission")


def _refuse_cut(response: Any, *args: Any, **kwargs: Any) -> None:
    if cut := getattr(response, "cut", None):
        raise LookupFailed(f"answer {cut}", stop=cut == LATE)  # no time is left for the others


def _requester(
    api_url: str, token: str, user_agent: str, deadline: float, ca_bundles: tuple[str, ...]
) -> Any:
    """PyGithub's Requester whose every session ends its requests by `deadline` and reads at
    most 1 MiB of each answer, through the connection classes PyGithub lets a caller inject."""
    from github import Auth, Github
    from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester

    def bounded(base: type[Any]) -> type[Any]:
        class Bounded(base):  # type: ignore[misc]
            def __init__(self, host: str, *args: Any, **kwargs: Any) -> None:
                # PyGithub joins host and port as text: an IPv6 literal needs its brackets back.
                super().__init__(
                    f"[{host}]" if ":" in host and not host.startswith("[") else host, *args, **kwargs
                )
                context = trust(ca_bundles) if self.protocol == "https" else None
                self.session.mount(f"{self.protocol}://", DeadlineAdapter(deadline, _refuse_202, context))
                # The token never crosses a proxy to a loopback server (a GHES test instance, say).
                self.session.trust_env = not is_loopback(self.host)
                # No compressed answers: the bound counts the bytes as they come.
                self.session.headers["Accept-Encoding"] = "identity"
                self.session.hooks["response"] += [_refuse_cut, _refuse_refusal]

        return Bounded

    Requester.injectConnectionClasses(
        bounded(HTTPRequestsConnectionClass), bounded(HTTPSRequestsConnectionClass)
    )
    # PyGithub logs redirects and retries as warnings; the action reports failures itself.
    logging.getLogger("github").addHandler(logging.NullHandler())
    logging.getLogger("github").propagate = False
    client = Github(
        auth=Auth.Token(token),
        base_url=api_url,
        timeout=REQUEST_TIMEOUT,  # each request gets less when the deadline is nearer
        user_agent=user_agent,
        retry=None,  # never sleep on rate limits: a look-up is not worth delaying a deploy
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )
    return client.requester
