"""The one place that reads the environment: inputs and runner variables, typed and validated."""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from pydantic import ValidationError

from .errors import InputError
from .schema import (
    MAX_LINE_CHARS,
    MAX_MEMBER_ID_CHARS,
    MAX_URL_CHARS,
    NOTHING_SHIPPED,
    REQUEST_FIELDS,
    STATUS_WORDS,
    DeploymentRequest,
    Status,
    first_line,
    status_word,
)

DEFAULT_API_URL = "https://api.iftrue.co"
MAX_INPUT_CHARS = 100_000
# The `payload` input reaches the action as one environment variable, INPUT_PAYLOAD=<json>,
# and Linux refuses to start a process (`docker run`, or the action itself) when one
# "NAME=value" string passes MAX_ARG_STRLEN: 32 pages, 131,072 bytes (execve(2), E2BIG).
# That limit counts bytes, so this one does too; it also leaves room in a workflow_dispatch,
# whose inputs together may hold 65,535 characters (GitHub docs, workflow_dispatch).
MAX_PAYLOAD_BYTES = 64_000
MAX_COUNT = 2**31 - 1
MAX_MINUTES = 10_000_000.0
# How far ahead of this machine's clock a `started_at` may be and still be read as now.
CLOCK_SKEW = timedelta(seconds=60)

BOOLEAN_FIELDS = ("is_fix", "is_hotfix", "is_forced")
COUNT_FIELDS = ("commits_count", "pull_request_number")
URL_FIELDS = ("url", "repository_url")
TEXT_FIELDS = ("title", "changelog", "branch", "deployment_node_id")


# Every input of action.yml with its default; `token` has none and is checked below.
INPUT_DEFAULTS: dict[str, str] = {
    "token": "",
    "api_url": DEFAULT_API_URL,
    "github_token": "",
    **dict.fromkeys(REQUEST_FIELDS, ""),
    "environment": "",
    "started_at": "",
    "prereleases": "false",
    # action.yml's default is `${{ job.check_run_id }}`; outside a runner there is none.
    "check_run_id": "",
    "redeploys": "false",
    "hotfix_labels": "hotfix",
    "fix_labels": "bug,fix,bugfix",
    "fail_on_error": "false",
    "dry_run": "false",
    "payload": "",
    "timeout": "120",
}

SECRET_INPUTS = ("token", "github_token")
BOOLEAN_INPUTS = (*BOOLEAN_FIELDS, "fail_on_error", "dry_run", "prereleases", "redeploys")
# Other CI systems keep the token in a variable of this name; the `token` input wins over it.
TOKEN_VARIABLE = "IFTRUE_TOKEN"  # noqa: S105 - a variable name, not a secret


class Inputs(NamedTuple):
    """The action's inputs, validated; `fields` holds only the record fields the user set."""

    token: str
    api_url: str
    github_token: str
    fields: dict[str, Any]
    hotfix_labels: frozenset[str]
    fix_labels: frozenset[str]
    fail_on_error: bool
    dry_run: bool
    payload: DeploymentRequest | None
    timeout: float
    warnings: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    #: Environment names or patterns, as given (gate.in_environments); empty means every
    #: environment but previews.
    environments: frozenset[str] = frozenset()
    started_at: datetime | None = None
    #: Record prereleases too.
    prereleases: bool = False
    #: The `status` input as given, spelled as STATUS_WORDS are (status_word); a state meaning
    #: nothing shipped is only here, not in `fields`.
    status: str = ""
    #: CA bundles the environment names, trusted besides the system's (transport.trust).
    ca_bundles: tuple[str, ...] = ()
    #: This job's id (`job.check_run_id`), to find its own job and deployment; None when unknown.
    check_run_id: int | None = None
    #: Record a deployment of the commit production already runs (skipped by default).
    redeploys: bool = False

    def require_token(self) -> None:
        """The token is needed to send; checked once the event is known (a fork PR has none)."""
        if not self.token and not self.dry_run:
            raise InputError(
                "Input 'token' is required: pass the iftrue JWT from a secret "
                "(`token: ${{ secrets.IFTRUE_TOKEN }}`)."
            )


class Runner(NamedTuple):
    """The `GITHUB_*` variables the action uses; any may be empty outside a runner."""

    event_name: str = ""
    event_path: str = ""
    repository: str = ""
    server_url: str = ""
    api_url: str = ""
    sha: str = ""
    ref: str = ""
    ref_name: str = ""
    run_id: str = ""
    run_attempt: str = ""
    run_number: str = ""
    workflow: str = ""
    actor_id: str = ""
    output_path: str = ""
    summary_path: str = ""
    debug: bool = False
    #: GITHUB_ACTIONS is "true": print workflow commands; otherwise plain text.
    actions: bool = False
    #: `owner/repo/.github/workflows/deploy.yml@refs/heads/main`: the workflow file of this run.
    workflow_ref: str = ""
    actor: str = ""
    #: The runner's name, which the jobs list gives for the job it runs.
    runner_name: str = ""
    #: The artifact service the runner gives a container action (the outbox keeps records there).
    runtime_token: str = ""
    results_url: str = ""
    #: The repository's artifact retention in days, as the runner states it.
    retention_days: str = ""

    @property
    def repository_url(self) -> str | None:
        if self.server_url and self.repository:
            return f"{self.server_url.rstrip('/')}/{self.repository}"
        return None

    @property
    def run_url(self) -> str | None:
        if self.repository_url and self.run_id:
            return f"{self.repository_url}/actions/runs/{self.run_id}"
        return None


def strip_bearer(token: str) -> str | None:
    """The token without a pasted "Bearer " prefix, or None when it has none."""
    return token[7:].strip() if token[:7].lower() == "bearer " else None


def read_secrets(environ: Mapping[str, str]) -> list[str]:
    """The secret inputs, so they can be masked before anything else is printed."""
    values = [(_given(environ, name) or "").strip() for name in SECRET_INPUTS]
    # A token pasted with its "Bearer " prefix is sent without it: mask that form too.
    return values + [bare for value in values if (bare := strip_bearer(value))]


def read_runner(environ: Mapping[str, str]) -> Runner:
    def get(name: str) -> str:
        return environ.get(name, "").strip()

    return Runner(
        event_name=get("GITHUB_EVENT_NAME"),
        event_path=get("GITHUB_EVENT_PATH"),
        repository=get("GITHUB_REPOSITORY"),
        server_url=get("GITHUB_SERVER_URL").rstrip("/"),
        api_url=get("GITHUB_API_URL").rstrip("/"),
        sha=get("GITHUB_SHA"),
        ref=get("GITHUB_REF"),
        ref_name=get("GITHUB_REF_NAME"),
        run_id=get("GITHUB_RUN_ID"),
        run_attempt=get("GITHUB_RUN_ATTEMPT"),
        run_number=get("GITHUB_RUN_NUMBER"),
        workflow=get("GITHUB_WORKFLOW"),
        actor_id=get("GITHUB_ACTOR_ID"),
        output_path=get("GITHUB_OUTPUT"),
        summary_path=get("GITHUB_STEP_SUMMARY"),
        debug=get("RUNNER_DEBUG") == "1",
        actions=get("GITHUB_ACTIONS") == "true",
        workflow_ref=get("GITHUB_WORKFLOW_REF"),
        actor=get("GITHUB_ACTOR"),
        runner_name=get("RUNNER_NAME"),
        runtime_token=get("ACTIONS_RUNTIME_TOKEN"),
        results_url=get("ACTIONS_RESULTS_URL"),
        retention_days=get("GITHUB_RETENTION_DAYS"),
    )


def read_inputs(environ: Mapping[str, str], *, now: datetime | None = None) -> Inputs:
    """Read and validate every input; the first bad one raises InputError.

    A missing token is not checked here: a fork's pull request runs without secrets, which
    only the event can tell (Inputs.require_token).
    """
    raw = {name: _read(environ, name) for name in INPUT_DEFAULTS}
    now = now or datetime.now(UTC)
    warnings: list[str] = []
    notices: list[str] = []
    dry_run = parse_bool("dry_run", raw["dry_run"])
    token = raw["token"]
    if (bare := strip_bearer(token)) is not None:
        token = bare
        warnings.append(
            "Input 'token' starts with 'Bearer '; the action adds that itself, so it was removed."
        )
    if token:
        warnings += check_jwt(token, now, expired_is_error=not dry_run)

    fields: dict[str, Any] = {}
    for name in REQUEST_FIELDS:
        value = raw[name]
        if name == "title" and ("\n" in value or "\r" in value):
            # `${{ github.event.head_commit.message }}` is a common title, body included. Lines
            # end at CR or LF only, as the runner's log reads them (not at U+2028 and the like).
            value = first_line(value) or ""
            sent = f": {_show(value)}" if _QUOTED.get() else ""
            notices.append(f"Input 'title' has several lines; its first line is sent{sent}.")
        if value and not (name == "status" and status_word(value) in NOTHING_SHIPPED):
            fields[name] = parse_field(name, value)

    payload = parse_payload(raw["payload"]) if raw["payload"] else None
    if payload is not None and (given := [*fields, *(["started_at"] if raw["started_at"] else [])]):
        # A replay sends the record it was given; a value beside it would be dropped unseen.
        raise InputError(
            "The `payload` input is sent as is, so "
            + " and ".join(f"the `{name}` input" for name in given)
            + " would change nothing: put the value in the payload's JSON, or leave out the "
            "`payload` input to derive the record."
        )
    return Inputs(
        token=token,
        api_url=parse_api_url(raw["api_url"] or DEFAULT_API_URL),
        github_token=raw["github_token"],
        fields=fields,
        hotfix_labels=parse_labels(raw["hotfix_labels"]),
        fix_labels=parse_labels(raw["fix_labels"]),
        fail_on_error=parse_bool("fail_on_error", raw["fail_on_error"]),
        dry_run=dry_run,
        payload=payload,
        timeout=parse_timeout(raw["timeout"] or INPUT_DEFAULTS["timeout"]),
        warnings=tuple(warnings),
        notices=tuple(notices),
        environments=frozenset(name.strip() for name in raw["environment"].split(",") if name.strip()),
        started_at=parse_started_at(raw["started_at"], now) if raw["started_at"] else None,
        prereleases=parse_bool("prereleases", raw["prereleases"]),
        status=status_word(raw["status"]),
        check_run_id=parse_id("check_run_id", raw["check_run_id"]) if raw["check_run_id"] else None,
        redeploys=parse_bool("redeploys", raw["redeploys"]),
        ca_bundles=read_ca_bundles(environ),
    )


#: Where requests, OpenSSL and curl look for extra CA certificates; a company's CA is often there.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")


def read_ca_bundles(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The CA bundles the environment names, each checked now: a bad one is a configuration error."""
    import ssl  # only a run whose environment names a bundle needs it

    bundles: list[str] = []
    for variable in CA_VARIABLES:
        path = environ.get(variable, "")
        if not path or path in bundles:
            continue
        try:
            context = ssl.create_default_context()
            if os.path.isdir(path):
                context.load_verify_locations(capath=path)
            else:
                context.load_verify_locations(cafile=path)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError: a file without a certificate
            strerror = None if isinstance(exc, ssl.SSLError) else getattr(exc, "strerror", None)
            why = "holds no PEM certificate" if isinstance(exc, ssl.SSLError) else "cannot be read"
            detail = f" ({strerror})" if strerror else ""
            raise InputError(
                f"{variable} names {path[:200]!r}, which {why}{detail}. Set it to a PEM file of the CA "
                "certificates to trust (a company's proxy or private CA), or unset it."
            ) from None
        bundles.append(path)
    return tuple(bundles)


def env_name(name: str) -> str:
    """The variable that carries input `name`, as the runner names it for a Docker action."""
    return f"INPUT_{name.upper()}"


def flag(name: str) -> str:
    """The `track-deployment` command's flag for input `name`: --commit-id for commit_id."""
    return "--" + name.replace("_", "-")


_NAMES = "|".join(sorted(INPUT_DEFAULTS, key=len, reverse=True))
# How messages name an input: "Input 'is_fix' must be", "the `api_url` input", "set the 'branch'
# input", "the member_id input", "or set `deployment_node_id`".
_INPUT_MENTION = re.compile(
    rf"(?<![\w-])(?:Input '({_NAMES})'|(?:[Tt]he )?([`']?)({_NAMES})\2 input\b|(?<=[Ss]et )`({_NAMES})`)"
)
# Workflow syntax in a message stands in parentheses ("(`${{ job.status }}` works)"): a command's
# reader writes no workflow, so it is left out there.
_WORKFLOW_ASIDE = re.compile(r"\s*\([^()]*\$\{\{[^()]*\)")


def for_command(text: str, *, flags: bool) -> str:
    """A message as the command's reader needs it: flags and variables, no workflow syntax.

    Messages are written once, for a workflow; outside GitHub Actions each input they name
    becomes its flag ("set --branch"), with its variable when the inputs came as variables
    (`docker run -e INPUT_BRANCH=…`): "set INPUT_BRANCH (--branch)". The token is named by
    both ways a command takes it.
    """

    def name(match: re.Match[str]) -> str:
        input_ = match.group(1) or match.group(3) or match.group(4)
        if input_ == "token":
            return f"{flag(input_)} or {TOKEN_VARIABLE}" if flags else f"{TOKEN_VARIABLE} ({flag(input_)})"
        return flag(input_) if flags else f"{env_name(input_)} ({flag(input_)})"

    return _INPUT_MENTION.sub(name, _WORKFLOW_ASIDE.sub("", text))


def _given(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(env_name(name))
    if name == "token" and not value:
        value = environ.get(TOKEN_VARIABLE) or value
    return value


def _read(environ: Mapping[str, str], name: str) -> str:
    value = _given(environ, name)
    if value is None:
        value = INPUT_DEFAULTS[name]
    if name == "payload" and (size := len(value.encode("utf-8", "surrogatepass"))) > MAX_PAYLOAD_BYTES:
        raise InputError(
            f"Input 'payload' is {size:,} bytes long; at most {MAX_PAYLOAD_BYTES:,} are accepted "
            "(the `payload` output of a run always fits)."
        )
    if len(value) > MAX_INPUT_CHARS:
        raise InputError(
            f"Input '{name}' is {len(value)} characters long; at most {MAX_INPUT_CHARS} are accepted."
        )
    # Python decodes environment bytes that are not UTF-8 as lone surrogates.
    if "\x00" in value or any("\udc80" <= c <= "\udcff" for c in value):
        raise InputError(f"Input '{name}' is not valid UTF-8 text.")
    # Multi-line text keeps its inner layout; surrounding blank space is never meaningful.
    return value.strip()


def parse_field(name: str, value: str) -> Any:
    """Parse the input that overrides request field `name`."""
    if name in BOOLEAN_FIELDS:
        return parse_bool(name, value)
    if name in COUNT_FIELDS:
        return parse_count(name, value)
    if name == "deployment_duration":
        return parse_minutes(value)
    if name in URL_FIELDS:
        return parse_http_url(name, value)
    if name == "status":
        return parse_status(value)
    if name == "member_id":
        if len(value) > MAX_MEMBER_ID_CHARS or not value.isprintable():
            raise InputError(
                "Input 'member_id' must be the git provider's id of a member, one line of at most "
                f"{MAX_MEMBER_ID_CHARS} characters (GitHub: the account's number, e.g. 583231; "
                f"Bitbucket: its account id, e.g. 557058:6f1c2a), got {_show(value)}."
            )
        return value
    if name == "commit_id":
        if not re.fullmatch(r"[0-9a-fA-F]{7,64}", value):
            raise InputError(
                f"Input 'commit_id' must be a commit SHA (7 to 64 hex digits), got {_show(value)}."
            )
        return value.lower()
    if name == "branch" and value.startswith("refs/heads/"):
        value = value.removeprefix("refs/heads/")  # `${{ github.ref }}` works as well
    if name in TEXT_FIELDS:
        if name != "changelog" and ("\n" in value or len(value) > MAX_LINE_CHARS):
            raise InputError(f"Input '{name}' must be a single line of at most {MAX_LINE_CHARS} characters.")
        return value
    raise AssertionError(name)  # pragma: no cover - every request field is handled above


#: False while the inputs came from a command line's flags: a value typed after the wrong flag
#: (`--dry-run <token>`) may be the token, which no runner masks there, so a value that could
#: be a secret is not quoted back; a plain word (`--status deployed`) is, to help debugging.
_QUOTED: ContextVar[bool] = ContextVar("quoted", default=True)
UNQUOTED = "a value not shown (it could be a secret: values typed on the command line are masked by no one)"
# What a token looks like: a run of 16 or more letters, digits and base64 or JWT punctuation
# holding both letters and digits (a JWT, `ghp_…`, an API key); words, numbers and times do not.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_+/=.~-]{16,}")


@contextmanager
def unquoted() -> Iterator[None]:
    """Messages quote no value that could be a secret while this lasts."""
    reset = _QUOTED.set(False)
    try:
        yield
    finally:
        _QUOTED.reset(reset)


def could_be_secret(value: str) -> bool:
    """Whether `value` holds something shaped like a token."""
    return any(re.search("[A-Za-z]", run) and re.search("[0-9]", run) for run in _TOKEN_LIKE.findall(value))


def _show(value: str) -> str:
    if not _QUOTED.get() and could_be_secret(value):
        return UNQUOTED
    return repr(value if len(value) <= 60 else value[:60] + "…")


def parse_bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise InputError(f"Input '{name}' must be true or false, got {_show(value)}.")


def parse_count(name: str, value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) > MAX_COUNT:
        raise InputError(f"Input '{name}' must be a whole number from 0 to {MAX_COUNT}, got {_show(value)}.")
    return int(value)


def parse_id(name: str, value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= 2**63 - 1:
        raise InputError(
            f"Input '{name}' must be the job's numeric id (as `${{{{ job.check_run_id }}}}` gives it), "
            f"e.g. 33012345678, or empty, got {_show(value)}."
        )
    return int(value)


def parse_minutes(value: str) -> float | int:
    try:
        minutes = float(value)
    except ValueError:
        minutes = math.nan
    if not math.isfinite(minutes) or not 0 <= minutes <= MAX_MINUTES:
        raise InputError(
            "Input 'deployment_duration' must be a number of minutes from 0 to "
            f"{MAX_MINUTES:.0f}, fractions allowed (e.g. 4.5), got {_show(value)}."
        )
    return int(minutes) if minutes.is_integer() else round(minutes, 2)


def parse_timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or not 0 < seconds <= 3600:
        raise InputError(
            f"Input 'timeout' must be a number of seconds above 0 and at most 3600, got {_show(value)}."
        )
    return seconds


def parse_http_url(name: str, value: str) -> str:
    if len(value) > MAX_URL_CHARS:
        raise InputError(
            f"Input '{name}' must be a URL of at most {MAX_URL_CHARS:,} characters, got {len(value):,}."
        )
    if not is_http_url(value):
        raise InputError(f"Input '{name}' must be an http:// or https:// URL, got {_show(value)}.")
    return value


def is_http_url(value: str) -> bool:
    """An http(s) URL with a host and a usable port, as requests and PyGithub can open it."""
    try:
        parts = urlsplit(value)
        port_ok = parts.port != 0  # reading .port raises for one that is not a number to 65535
    except ValueError:  # also an unclosed IPv6 bracket
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and port_ok
        and not any(c.isspace() for c in value)
    )


NOT_HTTP = "is not an http:// or https:// URL"


def connect_url(value: str) -> tuple[str, str]:
    """(scheme, host) of a URL the action connects to, as urllib3 (which connects) reads it.

    Raises ValueError saying what is wrong. What another parser could read differently is
    refused outright: `http://192.0.2.2\\@127.0.0.1:9` is host 127.0.0.1 to urllib.parse but
    192.0.2.2 to urllib3, so a check made with the one would not hold for the other. Hence no
    backslash, no user-info (user@host) and no control or white-space character anywhere.
    """
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    if "\\" in value:
        raise ValueError("holds a backslash")
    if any(not c.isprintable() or c.isspace() for c in value):
        raise ValueError("holds a control or white-space character")
    try:
        parts = parse_url(value)
    except (LocationParseError, ValueError):
        raise ValueError(NOT_HTTP) from None
    if parts.auth is not None or "@" in re.split(r"[/?#]", value.partition("://")[2])[0]:
        raise ValueError("holds a user name or password (user@host)")
    if parts.scheme not in ("http", "https") or not parts.host:
        raise ValueError(NOT_HTTP)
    if parts.port is not None and not 0 < parts.port < 65536:
        raise ValueError("has a port out of range")
    if parts.query is not None or parts.fragment is not None:
        raise ValueError("is a URL with a query or a fragment, not a base URL without query or fragment")
    return parts.scheme, parts.host


def parse_api_url(value: str) -> str:
    try:
        scheme, host = connect_url(value)
    except ValueError as exc:
        why = "" if str(exc) == NOT_HTTP else f" (it {exc})"
        # Not quoted back when it may hold a password.
        shown = "" if "user name" in str(exc) else f", got {_show(value)}"
        raise InputError(f"Input 'api_url' must be an http:// or https:// URL{why}{shown}.") from None
    if scheme == "http" and not _is_loopback(host.strip("[]")):
        raise InputError(
            "Input 'api_url' must be an https:// URL (http:// is accepted only for 127.0.0.1, ::1 "
            f"and localhost), got {_show(value)}."
        )
    return parse_http_url("api_url", value).rstrip("/")


def api_url_problem(url: str) -> str | None:
    """Why GITHUB_API_URL cannot be used for look-ups, or None when it can."""
    try:
        connect_url(url)
    except ValueError as exc:
        if "user name" in str(exc):  # not quoted back: it may hold a password
            return str(exc)
        why = "not an http:// or https:// URL" if str(exc) == NOT_HTTP else f"which {exc}"
        return f"is {_show(url)}, {why}"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only an http:// api_url needs it

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_status(value: str) -> Status:
    status = STATUS_WORDS.get(status_word(value))
    if status is None:
        raise InputError(
            f"Input 'status' must be succes, in_progress or fail, or a job state of GitHub Actions or "
            "another CI (any case) that means one of them: "
            f"{', '.join(word for word in STATUS_WORDS if word not in STATUS_CHOICES)}; or one that "
            f"means nothing shipped, which skips the record: {', '.join(NOTHING_SHIPPED)} "
            f"(`${{{{ steps.deploy.outcome }}}}` works), got {_show(value)}."
        )
    return status


#: iftrue's own status words.
STATUS_CHOICES = ("succes", "in_progress", "fail")


def parse_labels(value: str) -> frozenset[str]:
    """Comma-separated labels, lower-cased for case-insensitive matching."""
    return frozenset(label.strip().lower() for label in value.split(",") if label.strip())


def parse_started_at(value: str, now: datetime) -> datetime:
    """An ISO 8601 time with a zone, or Unix seconds; not in the future, not absurdly old.

    A time up to CLOCK_SKEW ahead is read as now: it was taken on another machine (the deploy
    job's runner) whose clock may run a little ahead of this one.
    """
    moment: datetime | None = None
    text = value.strip()
    try:
        # Only ASCII digits: `float` and `\d` also read other scripts' digits.
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
            moment = datetime.fromtimestamp(float(text), UTC)
        elif text.isascii():
            # RFC 3339 allows a lower-case `t` and `z`; Python's parser only an upper-case `Z`.
            moment = datetime.fromisoformat(text.upper())
    except (ValueError, OverflowError, OSError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InputError(
            "Input 'started_at' must be an ISO 8601 time with a zone (e.g. 2026-11-20T10:00:00Z) or "
            f"Unix seconds (e.g. the output of `date +%s`), got {_show(value)}."
        )
    if moment > now + CLOCK_SKEW:
        raise InputError(
            f"Input 'started_at' is in the future ({moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC, now "
            f"{now:%Y-%m-%d %H:%M:%S} UTC); give the time the deployment began."
        )
    if (now - moment).total_seconds() / 60 > MAX_MINUTES:
        raise InputError(
            f"Input 'started_at' is more than {MAX_MINUTES:.0f} minutes ago, got {_show(value)}."
        )
    return min(moment, now)


def parse_payload(value: str) -> DeploymentRequest:
    try:
        data = json.loads(value)
    except RecursionError:
        raise InputError("Input 'payload' is nested too deeply to be a deployment record.") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"Input 'payload' must be a JSON object: {exc.msg} at character {exc.pos}."
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"Input 'payload' must be a JSON object, got a JSON {type(data).__name__}.")
    unknown = sorted(set(data) - set(REQUEST_FIELDS))
    if unknown:
        raise InputError(
            f"Input 'payload' has unknown field(s) {', '.join(map(repr, unknown))[:200]}; "
            f"accepted fields: {', '.join(REQUEST_FIELDS)}."
        )
    try:
        return DeploymentRequest.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"Input 'payload' is not a valid deployment record: {describe(exc)}.") from None


def describe(exc: ValidationError) -> str:
    """A one-line account of a pydantic error, without echoing the (possibly huge) input."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "value"
        parts.append(f"{where}: {error['msg'].lower()}")
    return "; ".join(parts)


def check_jwt(token: str, now: datetime, *, expired_is_error: bool) -> list[str]:
    """Check a token's shape and `exp` locally (no signature check); return warnings."""
    claims = _jwt_claims(token)
    if claims is None:
        return [
            "Input 'token' does not look like a JWT (three base64url parts); sending it anyway. "
            "Copy the token from iftrue's deployment tracking settings if the service rejects it."
        ]
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool) and math.isfinite(exp):
        try:
            expired_at = datetime.fromtimestamp(exp, UTC)
        except (OverflowError, OSError, ValueError):
            return []
        if expired_at <= now:
            message = (
                f"Input 'token' expired at {expired_at:%Y-%m-%d %H:%M:%S} UTC: create a new token in "
                "iftrue and update the secret."
            )
            if expired_is_error:
                raise InputError(message)
            return [message]
    return []


def _jwt_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3 or not all(re.fullmatch(r"[A-Za-z0-9_-]+", p) for p in parts[:2]):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    return data if isinstance(data, dict) else None
