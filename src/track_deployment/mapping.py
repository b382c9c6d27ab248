"""Pure functions: (event, inputs, looked-up facts) → the deployment record. No I/O here."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from pydantic import ValidationError

from .errors import EventError, MissingFieldError
from .events import (
    Account,
    DeploymentEvent,
    Event,
    Label,
    PullRequestEvent,
    PushEvent,
    ReleaseEvent,
    WorkflowRunEvent,
)
from .inputs import Runner, describe
from .schema import REQUIRED_FIELDS, STATUS_WORDS, DeploymentRequest, Status, record_size

# GitHub truncates a push payload's commit list at this length.
PUSH_COMMITS_CAP = 2048

# A push changelog line, as _push writes it: "- <sha7> <first line>".
_COMMIT_LINE = re.compile(r"- [0-9a-fA-F]{7}(?: |$)")
_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_CONVENTIONAL_FIX = re.compile(r"fix(\([^)]*\))?!?:", re.IGNORECASE)
_HOTFIX_BRANCH = ("hotfix/", "hotfix-")
_FIX_BRANCH = ("fix/", "fix-", "bugfix/", "bugfix-")

RELEASE_ACTIONS = ("published", "released", "created", "prereleased")
REPORTED_CONCLUSIONS = ("success", "failure", "timed_out", "cancelled", "startup_failure")

# The input a user sets when a required field cannot be derived, and why it may be missing.
MISSING_HINTS = {
    "title": "the event gives no title",
    "branch": "the event names no branch and the repository's default branch is unknown",
    "commit_id": "the event gives no commit and GITHUB_SHA is empty",
    "repository_url": "the event has no repository and GITHUB_SERVER_URL or GITHUB_REPOSITORY is empty",
    "member_id": "the event has no sender and GITHUB_ACTOR_ID is empty",
}


class PullRequestFacts(NamedTuple):
    """A pull request, from the event or looked up by commit."""

    number: int | None = None
    head_ref: str | None = None
    title: str | None = None
    labels: tuple[str, ...] = ()


class ReleaseRef(NamedTuple):
    """The release being deployed, to find the one before it."""

    id: int | None
    tag: str
    prerelease: bool
    published_at: datetime | None


class DeploymentRef(NamedTuple):
    """The GitHub deployment being reported, to find the one before it."""

    id: int | None
    sha: str
    environment: str
    created_at: datetime | None


class EventFacts(NamedTuple):
    """What one event says about the deployment, before inputs and look-ups."""

    fields: Mapping[str, Any] = MappingProxyType({})
    skip_reason: str | None = None
    default_branch: str | None = None
    pull_request: PullRequestFacts | None = None
    fix_title: str | None = None
    title_fallback: str | None = None
    previous_release_of: ReleaseRef | None = None
    previous_deployment_of: DeploymentRef | None = None
    compare: tuple[str, str] | None = None


class Plan(NamedTuple):
    """The GitHub look-ups a run needs; each is made only when its answer is used."""

    pull_request_of: str | None = None
    run_started: bool = False
    previous_release_of: ReleaseRef | None = None
    previous_deployment_of: DeploymentRef | None = None
    compare: tuple[str, str] | None = None
    deployment_of: str | None = None

    def __bool__(self) -> bool:
        return self != Plan()


class Facts(NamedTuple):
    """The answers of the look-ups; None where a look-up was not made or failed."""

    pull_request: PullRequestFacts | None = None
    run_started_at: datetime | None = None
    commits_count: int | None = None
    deployment_node_id: str | None = None
    #: The PR look-up answered, so no PR means the commit has none (not a missing permission).
    pull_request_searched: bool = False


class Options(NamedTuple):
    labels_hotfix: frozenset[str] = frozenset({"hotfix"})
    labels_fix: frozenset[str] = frozenset({"bug", "fix", "bugfix"})


def first(*values: str | None) -> str | None:
    """The first value that is not None or blank."""
    for value in values:
        if value is not None and value.strip():
            return value
    return None


def first_line(text: str | None) -> str | None:
    lines = (text or "").strip().splitlines()
    return lines[0].strip() if lines else None


def branch_of(ref: str | None) -> str | None:
    """A ref shortened to its branch name; None for a tag, another ref or a commit SHA."""
    if not ref or not ref.strip():
        return None
    if ref.startswith("refs/heads/"):
        ref = ref.removeprefix("refs/heads/")
    elif ref.startswith("refs/"):
        return None
    return None if _SHA.fullmatch(ref) else ref


def minutes_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    minutes = (end - start).total_seconds() / 60
    return round(minutes, 2) if minutes >= 0 else None


def account_id(*accounts: Account | None) -> str | None:
    for account in accounts:
        if account is not None and account.id is not None:
            return str(account.id)
    return None


def label_names(labels: list[Label] | None) -> tuple[str, ...]:
    return tuple(label.name for label in labels or () if label.name)


def _require(value: Any, event_name: str, part: str) -> Any:
    if value is None:
        raise EventError(
            f"The {event_name} event has no '{part}' object; the event file is not a {event_name} payload."
        )
    return value


def _common(event: Event, runner: Runner) -> dict[str, Any]:
    repository = event.repository
    return {
        "repository_url": first(repository.html_url if repository else None, runner.repository_url),
        "member_id": account_id(event.sender) or (runner.actor_id or None),
    }


def _release(event: ReleaseEvent, runner: Runner, name: str) -> EventFacts:
    release = _require(event.release, name, "release")
    if event.action not in RELEASE_ACTIONS:
        return EventFacts(skip_reason=f"release action '{event.action}' does not publish a release")
    if release.draft:
        return EventFacts(skip_reason="the release is a draft")
    tag = release.tag_name or ""
    return EventFacts(
        fields={
            "commit_id": runner.sha or None,
            "branch": branch_of(release.target_commitish),
            "title": first(release.name, release.tag_name),
            "changelog": first(release.body),
            "url": first(release.html_url),
            "member_id": account_id(release.author),
        },
        previous_release_of=ReleaseRef(
            id=release.id,
            tag=tag,
            prerelease=bool(release.prerelease),
            published_at=release.published_at or release.created_at,
        )
        if tag
        else None,
    )


def _deployment(event: DeploymentEvent, runner: Runner, name: str) -> EventFacts:
    deployment = _require(event.deployment, name, "deployment")
    sha = first(deployment.sha)
    environment = first(deployment.environment)
    fields: dict[str, Any] = {
        "commit_id": sha,
        "branch": branch_of(deployment.ref),
        "title": first(deployment.description)
        or (f"Deploy {sha[:7]} to {environment or 'an environment'}" if sha else None),
        "url": runner.run_url,
        "member_id": account_id(deployment.creator),
        "deployment_node_id": first(deployment.node_id),
    }
    if name == "deployment_status":
        status = _require(event.deployment_status, name, "deployment_status")
        fields["status"] = STATUS_WORDS.get((status.state or "").lower())
        fields["url"] = first(status.log_url, status.target_url, status.environment_url, runner.run_url)
        fields["deployment_duration"] = minutes_between(deployment.created_at, status.created_at)
    previous = (
        DeploymentRef(deployment.id, sha, environment, deployment.created_at) if sha and environment else None
    )
    return EventFacts(fields=fields, previous_deployment_of=previous)


def _push(event: PushEvent, runner: Runner, name: str) -> EventFacts:
    if event.deleted:
        return EventFacts(skip_reason=f"the push deleted {event.ref or 'a ref'}")
    branch = branch_of(event.ref)
    commits = [commit for commit in event.commits or () if commit is not None]
    head_line = first_line(event.head_commit.message if event.head_commit else None)
    changelog = "\n".join(
        f"- {(commit.id or '')[:7]} {first_line(commit.message) or ''}".rstrip() for commit in commits
    )
    capped = len(commits) >= PUSH_COMMITS_CAP
    before, after = first(event.before), first(event.after)
    can_compare = capped and before and after and before.strip("0")
    return EventFacts(
        fields={
            "commit_id": after,
            "branch": branch,
            "title": head_line or f"Push to {branch or event.ref or 'the repository'}",
            "changelog": changelog or None,
            "url": runner.run_url,
            "is_forced": True if event.forced else None,
            "commits_count": None if can_compare else len(commits),
        },
        fix_title=head_line,
        compare=(before, after) if can_compare and before and after else None,
    )


def _pull_request(event: PullRequestEvent, runner: Runner, name: str) -> EventFacts:
    pull = _require(event.pull_request, name, "pull_request")
    if event.action != "closed" or not pull.merged:
        why = "was closed without merging" if event.action == "closed" else f"action is '{event.action}'"
        return EventFacts(skip_reason=f"the pull request {why}; only a merged pull request is a deployment")
    number = pull.number if pull.number is not None else event.number
    facts = PullRequestFacts(
        number=number,
        head_ref=pull.head.ref if pull.head else None,
        title=pull.title,
        labels=label_names(pull.labels),
    )
    return EventFacts(
        fields={
            "commit_id": first(pull.merge_commit_sha),
            "branch": branch_of(facts.head_ref),
            "title": first(pull.title),
            "changelog": first(pull.body),
            "url": first(pull.html_url),
            "member_id": account_id(pull.merged_by),
            "pull_request_number": number,
            "commits_count": pull.commits,
        },
        pull_request=facts,
    )


def _workflow_run(event: WorkflowRunEvent, runner: Runner, name: str) -> EventFacts:
    run = _require(event.workflow_run, name, "workflow_run")
    if event.action == "completed":
        if run.conclusion not in REPORTED_CONCLUSIONS:
            return EventFacts(skip_reason=f"the workflow run concluded '{run.conclusion}'")
        status: Status = "succes" if run.conclusion == "success" else "fail"
    elif event.action in ("requested", "in_progress"):
        status = "in_progress"
    else:
        return EventFacts(skip_reason=f"workflow_run action '{event.action}' is not reported")
    pulls = [p for p in run.pull_requests or () if p is not None and p.number is not None]
    return EventFacts(
        fields={
            "commit_id": first(run.head_sha),
            "branch": branch_of(run.head_branch),
            "title": first(run.display_title, run.name),
            "url": first(run.html_url),
            "member_id": account_id(run.triggering_actor, run.actor),
            "status": status,
            "pull_request_number": pulls[0].number if pulls else None,
            "deployment_duration": minutes_between(run.run_started_at, run.updated_at),
        }
    )


def _generic(event: Event, runner: Runner, name: str) -> EventFacts:
    branch = None if runner.ref.startswith("refs/tags/") else branch_of(runner.ref_name)
    return EventFacts(
        fields={"commit_id": runner.sha or None, "branch": branch, "url": runner.run_url},
        title_fallback=f"{runner.workflow or runner.event_name or 'Deployment'} #{runner.run_number}".rstrip(
            " #"
        ),
    )


# Each mapper takes the model that events.EVENT_MODELS gives for its event name.
_MAPPERS: dict[str, Callable[[Any, Runner, str], EventFacts]] = {
    "release": _release,
    "deployment": _deployment,
    "deployment_status": _deployment,
    "push": _push,
    "pull_request": _pull_request,
    "pull_request_target": _pull_request,
    "workflow_run": _workflow_run,
}


def event_facts(event_name: str, event: Event, runner: Runner) -> EventFacts:
    """What the event says, by the rules of its row in SPEC §4."""
    mapper: Callable[[Any, Runner, str], EventFacts] = _MAPPERS.get(event_name, _generic)
    facts = mapper(event, runner, event_name)
    if facts.skip_reason:
        return facts
    # The event's own values win over the common ones (sender, runner variables).
    fields = {k: v for k, v in _common(event, runner).items() if v is not None}
    fields.update({k: v for k, v in facts.fields.items() if v is not None})
    default_branch = first(event.repository.default_branch if event.repository else None)
    return facts._replace(fields=fields, default_branch=default_branch)


# Fields a pull request can supply; when the user gave them all, no PR look-up is made.
_PULL_REQUEST_FIELDS = ("pull_request_number", "branch", "title", "is_fix", "is_hotfix")


def plan_lookups(event: EventFacts, overrides: Mapping[str, Any]) -> Plan:
    """The look-ups whose answers the record would use (SPEC §5)."""
    known = {**event.fields, **overrides}
    commit = known.get("commit_id")

    def given(name: str) -> bool:
        # branch and is_fix/is_hotfix are decided by the PR even when the event has a value.
        return name in overrides or (name in event.fields and name not in ("branch", "is_fix", "is_hotfix"))

    wants_pull = event.pull_request is None and not all(given(name) for name in _PULL_REQUEST_FIELDS)
    wants_node = "deployment_node_id" not in known and bool(commit)
    wants_count = "commits_count" not in known
    return Plan(
        pull_request_of=commit if wants_pull and commit else None,
        run_started="deployment_duration" not in known or wants_node,
        previous_release_of=event.previous_release_of if wants_count else None,
        previous_deployment_of=event.previous_deployment_of if wants_count else None,
        compare=event.compare if wants_count else None,
        deployment_of=commit if wants_node else None,
    )


def is_hotfix(labels: tuple[str, ...], branch: str | None, options: Options) -> bool:
    return any(label.lower() in options.labels_hotfix for label in labels) or (branch or "").startswith(
        _HOTFIX_BRANCH
    )


def is_fix(labels: tuple[str, ...], branch: str | None, title: str | None, options: Options) -> bool:
    return (
        any(label.lower() in options.labels_fix for label in labels)
        or (branch or "").startswith(_FIX_BRANCH)
        or bool(_CONVENTIONAL_FIX.match((title or "").strip()))
    )


class Built(NamedTuple):
    request: DeploymentRequest
    warnings: tuple[str, ...] = ()


def build_request(
    event: EventFacts,
    overrides: Mapping[str, Any],
    facts: Facts,
    options: Options,
    now: datetime,
) -> Built:
    """Combine event, look-ups and inputs into the record; an input always wins."""
    pull = event.pull_request or facts.pull_request
    fields = dict(event.fields)
    if facts.pull_request and facts.pull_request.head_ref:
        fields["branch"] = branch_of(facts.pull_request.head_ref) or fields.get("branch")
    if not fields.get("branch"):
        fields["branch"] = event.default_branch
    if "title" not in fields:
        fields["title"] = (
            first(facts.pull_request.title if facts.pull_request else None) or event.title_fallback
        )
    if "pull_request_number" not in fields and pull is not None:
        fields["pull_request_number"] = pull.number
    if "deployment_duration" not in fields and facts.run_started_at is not None:
        fields["deployment_duration"] = minutes_between(facts.run_started_at, now)
    fields.setdefault("commits_count", facts.commits_count)
    fields.setdefault("deployment_node_id", facts.deployment_node_id)
    fields.setdefault("status", "succes")
    fields.update(overrides)

    labels = pull.labels if pull else ()
    fix_title = pull.title if pull and pull.title else event.fix_title
    if "is_hotfix" not in overrides and is_hotfix(labels, fields.get("branch"), options):
        fields["is_hotfix"] = True
    if "is_fix" not in overrides and is_fix(labels, fields.get("branch"), fix_title, options):
        fields["is_fix"] = True

    warnings = []
    if fields.get("pull_request_number") is None:
        fields["pull_request_number"] = 0
        if facts.pull_request_searched:
            why = f"GitHub knows no pull request of commit {str(fields.get('commit_id'))[:7]}"
            fix = "Set the pull_request_number input if the deployment has one."
        else:
            why = "No pull request is associated with this deployment"
            fix = (
                "Set the pull_request_number input, or give the action a github_token with "
                "`pull-requests: read` so it can find the PR of the commit."
            )
        warnings.append(f"{why}, so pull_request_number is 0. {fix}")
    missing = [name for name in REQUIRED_FIELDS if fields.get(name) in (None, "")]
    if missing:
        raise MissingFieldError(
            "Cannot build the deployment record: "
            + "; ".join(
                f"{name} is unknown ({MISSING_HINTS.get(name, 'not derivable')}): set the '{name}' input"
                for name in missing
            )
            + "."
        )
    try:
        request = DeploymentRequest.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise EventError(f"The event gives a value iftrue cannot take: {describe(exc)}.") from None
    return Built(request, tuple(warnings))


def fit_record(request: DeploymentRequest, max_bytes: int) -> tuple[DeploymentRequest, str | None]:
    """The record shortened so its JSON takes at most max_bytes, and what was shortened.

    The changelog goes first, then the title: a push changelog loses whole commit lines and
    ends with "… and N more commits", any other text ends with "… and N more characters".
    Other fields are never cut (a shortened URL or id would be wrong); if they alone are too
    long the record stays over the limit, and the note says so.
    """
    body = request.body()
    if record_size(body) <= max_bytes:
        return request, None
    said = []
    changelog = body.get("changelog")
    if changelog:
        lines = changelog.split("\n")
        if all(_COMMIT_LINE.match(line) for line in lines):
            kept = _longest(body, "changelog", len(lines), max_bytes, lambda k: _commits_cut(lines, k))
            body["changelog"] = _commits_cut(lines, kept)
            said.append(f"the changelog keeps {kept:,} of {len(lines):,} commits")
        else:
            kept = _longest(body, "changelog", len(changelog), max_bytes, lambda k: _chars_cut(changelog, k))
            body["changelog"] = _chars_cut(changelog, kept)
            said.append(f"the changelog keeps {kept:,} of {len(changelog):,} characters")
    title = body["title"]
    if record_size(body) > max_bytes and len(title) > 1:
        kept = _longest(body, "title", len(title) - 1, max_bytes, lambda k: title[: max(k, 1)] + "…")
        body["title"] = title[: max(kept, 1)] + "…"
        said.append(f"the title keeps {max(kept, 1):,} of {len(title):,} characters")
    size = record_size(body)
    if size > max_bytes:
        note = (
            f"The record is {size:,} bytes, more than the {max_bytes:,} the `payload` input accepts, "
            "even with its changelog and title shortened; it cannot be replayed as is"
        )
    else:
        note = (
            f"The record was shortened to the {max_bytes:,} bytes the `payload` input accepts, "
            f"so it can be replayed: {'; '.join(said)}"
        )
    return DeploymentRequest.model_validate(body), note + "."


def _commits_cut(lines: list[str], kept: int) -> str:
    return "\n".join([*lines[:kept], f"… and {len(lines) - kept} more commits"])


def _chars_cut(text: str, kept: int) -> str:
    return f"{text[:kept].rstrip()}\n… and {len(text) - kept:,} more characters"


def _longest(body: Mapping[str, Any], name: str, most: int, max_bytes: int, cut: Callable[[int], str]) -> int:
    """The largest k in 0…most for which the record with `name` = cut(k) fits (0 if none)."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if record_size({**body, name: cut(middle)}) <= max_bytes:
            low = middle
        else:
            high = middle - 1
    return low
