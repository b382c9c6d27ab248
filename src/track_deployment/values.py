"""What each input accepts: one parser per kind of value, each refusing a bad value with a
message that names the input and what it takes. No environment is read here."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from .errors import InputError
from .model import branch_of, shorten
from .schema import (
    MAX_LINE_CHARS,
    MAX_MEMBER_ID_CHARS,
    MAX_URL_CHARS,
    NOTHING_SHIPPED,
    REQUEST_FIELDS,
    STATUS_WORDS,
    DeploymentRequest,
    Status,
    status_word,
)

MAX_COUNT = 2**31 - 1
MAX_MINUTES = 10_000_000.0
# How far ahead of this machine's clock a `started_at` may be and still be read as now.
CLOCK_SKEW = timedelta(seconds=60)

BOOLEAN_FIELDS = ("is_fix", "is_hotfix", "is_forced")
COUNT_FIELDS = ("commits_count", "pull_request_number")
URL_FIELDS = ("url", "repository_url")
TEXT_FIELDS = ("title", "changelog", "branch", "deployment_node_id")


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
                f"Bitbucket: its account id, e.g. 557058:6f1c2a), got {show(value)}."
            )
        return value
    if name == "commit_id":
        if not re.fullmatch(r"[0-9a-fA-F]{7,64}", value):
            raise InputError(
                f"Input 'commit_id' must be a commit SHA (7 to 64 hex digits), got {show(value)}."
            )
        return value.lower()
    if name == "branch":
        value = branch_of(value) or value  # `${{ github.ref }}` works as well
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


def quoting() -> bool:
    """Whether messages may quote a value back (not while the inputs came from a command line)."""
    return _QUOTED.get()


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


def show(value: str) -> str:
    if not _QUOTED.get() and could_be_secret(value):
        return UNQUOTED
    return repr(shorten(value, 60))


def parse_bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise InputError(f"Input '{name}' must be true or false, got {show(value)}.")


def parse_count(name: str, value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) > MAX_COUNT:
        raise InputError(f"Input '{name}' must be a whole number from 0 to {MAX_COUNT}, got {show(value)}.")
    return int(value)


def parse_id(name: str, value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= 2**63 - 1:
        raise InputError(
            f"Input '{name}' must be the job's numeric id (as `${{{{ job.check_run_id }}}}` gives it), "
            f"e.g. 33012345678, or empty, got {show(value)}."
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
            f"{MAX_MINUTES:.0f}, fractions allowed (e.g. 4.5), got {show(value)}."
        )
    return int(minutes) if minutes.is_integer() else round(minutes, 2)


def parse_timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or not 0 < seconds <= 3600:
        raise InputError(
            f"Input 'timeout' must be a number of seconds above 0 and at most 3600, got {show(value)}."
        )
    return seconds


def parse_http_url(name: str, value: str) -> str:
    if len(value) > MAX_URL_CHARS:
        raise InputError(
            f"Input '{name}' must be a URL of at most {MAX_URL_CHARS:,} characters, got {len(value):,}."
        )
    if not is_http_url(value):
        raise InputError(f"Input '{name}' must be an http:// or https:// URL, got {show(value)}.")
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
        shown = "" if "user name" in str(exc) else f", got {show(value)}"
        raise InputError(f"Input 'api_url' must be an http:// or https:// URL{why}{shown}.") from None
    if scheme == "http" and not is_loopback(host):
        raise InputError(
            "Input 'api_url' must be an https:// URL (http:// is accepted only for 127.0.0.1, ::1 "
            f"and localhost), got {show(value)}."
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
        return f"is {show(url)}, {why}"
    return None


def is_loopback(host: str) -> bool:
    """A name or address of this machine: `localhost`, 127.0.0.0/8, ::1 (in any spelling)."""
    host = host.strip("[]").lower()
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
            f"(`${{{{ steps.deploy.outcome }}}}` works), got {show(value)}."
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
            f"Unix seconds (e.g. the output of `date +%s`), got {show(value)}."
        )
    if moment > now + CLOCK_SKEW:
        raise InputError(
            f"Input 'started_at' is in the future ({moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC, now "
            f"{now:%Y-%m-%d %H:%M:%S} UTC); give the time the deployment began."
        )
    if (now - moment).total_seconds() / 60 > MAX_MINUTES:
        raise InputError(f"Input 'started_at' is more than {MAX_MINUTES:.0f} minutes ago, got {show(value)}.")
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
