"""The one place that reads the environment: inputs and runner variables, typed and validated."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import InputError
from .schema import (
    NOTHING_SHIPPED,
    REQUEST_FIELDS,
    DeploymentRequest,
    first_line,
    status_word,
)
from .values import (
    BOOLEAN_FIELDS,
    check_jwt,
    parse_api_url,
    parse_bool,
    parse_field,
    parse_id,
    parse_labels,
    parse_payload,
    parse_started_at,
    parse_timeout,
    quoting,
    show,
)

DEFAULT_API_URL = "https://api.iftrue.co"
MAX_INPUT_CHARS = 100_000
# The `payload` input reaches the action as one environment variable, INPUT_PAYLOAD=<json>,
# and Linux refuses to start a process (`docker run`, or the action itself) when one
# "NAME=value" string passes MAX_ARG_STRLEN: 32 pages, 131,072 bytes (execve(2), E2BIG).
# That limit counts bytes, so this one does too; it also leaves room in a workflow_dispatch,
# whose inputs together may hold 65,535 characters (GitHub docs, workflow_dispatch).
MAX_PAYLOAD_BYTES = 64_000
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
    """The action's inputs, validated; `fields` holds only the record fields the user set. Every
    stage reads the ones it needs from here (the plan, the record's rules, the delivery)."""

    fields: Mapping[str, Any] = MappingProxyType({})
    #: Environment names or patterns, as given (gate.in_environments); empty means every
    #: environment but previews.
    environments: frozenset[str] = frozenset()
    started_at: datetime | None = None
    token: str = ""
    api_url: str = DEFAULT_API_URL
    github_token: str = ""
    hotfix_labels: frozenset[str] = frozenset({"hotfix"})
    fix_labels: frozenset[str] = frozenset({"bug", "fix", "bugfix"})
    fail_on_error: bool = False
    dry_run: bool = False
    payload: DeploymentRequest | None = None
    timeout: float = 120.0
    warnings: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
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
    #: The native action's folder for the outbox: its upload-artifact step uploads what is kept there.
    outbox_dir: str = ""

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
        outbox_dir=get("TRACK_DEPLOYMENT_OUTBOX_DIR"),
    )


def _fields(raw: Mapping[str, str], notices: list[str]) -> dict[str, Any]:
    """The record fields the inputs set, each parsed; a multi-line title sends its first line."""
    fields: dict[str, Any] = {}
    for name in REQUEST_FIELDS:
        value = raw[name]
        if name == "title" and ("\n" in value or "\r" in value):
            # `${{ github.event.head_commit.message }}` is a common title, body included. Lines
            # end at CR or LF only, as the runner's log reads them (not at U+2028 and the like).
            value = first_line(value) or ""
            sent = f": {show(value)}" if quoting() else ""
            notices.append(f"Input 'title' has several lines; its first line is sent{sent}.")
        if value and not (name == "status" and status_word(value) in NOTHING_SHIPPED):
            fields[name] = parse_field(name, value)
    return fields


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

    fields = _fields(raw, notices)

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
