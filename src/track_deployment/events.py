"""The parts of GitHub's event payloads the action uses, and loading the event file.

Models keep only the fields used and ignore the rest; every field may be missing or null,
as it can be in real payloads.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from . import model
from .errors import EventError
from .model import is_bot
from .schema import scrub
from .values import describe


class Model(BaseModel):
    # Built on first use: a run validates one event type, so only its models are built.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class Account(Model):
    id: int | None = None
    login: str | None = None
    type: str | None = None

    @property
    def is_bot(self) -> bool:
        return is_bot(self.login, self.type)


class Repository(Model):
    html_url: str | None = None
    default_branch: str | None = None
    full_name: str | None = None


class Label(Model):
    name: str | None = None


class Release(Model):
    id: int | None = None
    tag_name: str | None = None
    name: str | None = None
    body: str | None = None
    html_url: str | None = None
    draft: bool | None = None
    prerelease: bool | None = None
    target_commitish: str | None = None
    author: Account | None = None
    created_at: datetime | None = None
    published_at: datetime | None = None


class Deployment(Model):
    id: int | None = None
    node_id: str | None = None
    sha: str | None = None
    ref: str | None = None
    environment: str | None = None
    description: str | None = None
    creator: Account | None = None
    created_at: datetime | None = None
    #: Set by the deployment's creator for an environment that goes away (a preview).
    transient_environment: bool | None = None


class DeploymentStatus(Model):
    state: str | None = None
    log_url: str | None = None
    target_url: str | None = None
    environment_url: str | None = None
    created_at: datetime | None = None


class Commit(Model):
    id: str | None = None
    message: str | None = None


class BranchRef(Model):
    ref: str | None = None
    repo: Repository | None = None


class PullRequest(Model):
    number: int | None = None
    title: str | None = None
    body: str | None = None
    html_url: str | None = None
    merged: bool | None = None
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    head: BranchRef | None = None
    base: BranchRef | None = None
    merged_by: Account | None = None
    user: Account | None = None
    commits: int | None = None
    labels: list[Label] | None = None

    def shared(self) -> model.PullRequest:
        """The pull request as every stage reads it, from the payload or a REST answer."""
        return model.PullRequest(
            number=self.number,
            head_ref=self.head.ref if self.head else None,
            title=self.title,
            labels=tuple(label.name for label in self.labels or () if label.name),
            merged_by=model.person(self.merged_by),
            author=model.person(self.user),
            body=self.body,
            merge_commit_sha=self.merge_commit_sha,
            merged=self.merged_at is not None or bool(self.merged),
        )


class RunPullRequest(Model):
    number: int | None = None
    head: BranchRef | None = None


class WorkflowRun(Model):
    id: int | None = None
    run_attempt: int | None = None
    name: str | None = None
    display_title: str | None = None
    head_sha: str | None = None
    head_branch: str | None = None
    html_url: str | None = None
    conclusion: str | None = None
    event: str | None = None
    #: The workflow file: `.github/workflows/deploy.yml`.
    path: str | None = None
    triggering_actor: Account | None = None
    actor: Account | None = None
    pull_requests: list[RunPullRequest] | None = None
    head_commit: Commit | None = None
    run_started_at: datetime | None = None
    updated_at: datetime | None = None


class Event(Model):
    """The fields every webhook payload may carry; events of other types are read as this."""

    action: str | None = None
    repository: Repository | None = None
    sender: Account | None = None


class ReleaseEvent(Event):
    release: Release | None = None


class CheckRun(Model):
    """The check run of an Actions job, as a deployment_status names the job that deployed."""

    id: int | None = None
    status: str | None = None
    conclusion: str | None = None


class DeploymentEvent(Event):
    deployment: Deployment | None = None
    deployment_status: DeploymentStatus | None = None
    #: The Actions job and run of the deployment (GitHub sends both for a job's deployment).
    check_run: CheckRun | None = None
    workflow_run: WorkflowRun | None = None


class PushEvent(Event):
    ref: str | None = None
    before: str | None = None
    after: str | None = None
    deleted: bool | None = None
    forced: bool | None = None
    commits: list[Commit] | None = None
    head_commit: Commit | None = None


class PullRequestEvent(Event):
    number: int | None = None
    pull_request: PullRequest | None = None


class WorkflowRunEvent(Event):
    workflow_run: WorkflowRun | None = None


EVENT_MODELS: dict[str, type[Event]] = {
    "release": ReleaseEvent,
    "deployment": DeploymentEvent,
    "deployment_status": DeploymentEvent,
    "push": PushEvent,
    "pull_request": PullRequestEvent,
    "pull_request_target": PullRequestEvent,
    "workflow_run": WorkflowRunEvent,
}


def parse_event(event_name: str, data: object) -> Event:
    """Validate a payload as the event it names."""
    if not isinstance(data, dict):
        raise EventError(f"The event payload must be a JSON object, not a JSON {type(data).__name__}.")
    try:
        return EVENT_MODELS.get(event_name, Event).model_validate(data)
    except ValidationError as exc:
        raise EventError(
            f"The event payload is not shaped like a GitHub {event_name} event: {describe(exc)}."
        ) from None


def load_event(path: str, event_name: str) -> Event:
    """Read and validate the event file; no file at all (outside a runner) is an empty event."""
    if not path:
        return parse_event(event_name, {})
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise EventError(
            f"Cannot read the event file named by GITHUB_EVENT_PATH ({path}): {exc.strerror or exc}."
        ) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise EventError(f"The event file {path} is nested too deeply to be a GitHub event.") from None
    except UnicodeDecodeError:
        raise EventError(f"The event file {path} is not UTF-8 text.") from None
    except ValueError as exc:
        raise EventError(f"The event file {path} is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise EventError(f"The event file {path} must hold a JSON object, not a JSON {type(data).__name__}.")
    if _SURROGATE_ESCAPE.search(raw):
        data = _without_lone_surrogates(data)
    return parse_event(event_name, data)


# JSON may write a UTF-16 surrogate as an escape (`\ud800`); json.loads joins a pair into one
# character but keeps a lone one, which no UTF-8 text (an output, the summary, the request) can hold.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _without_lone_surrogates(data: dict[str, Any]) -> dict[str, Any]:
    """The event with each lone surrogate replaced by U+FFFD, as a UTF-8 decoder would.

    Walked with a stack, not by recursion: a payload may nest deeper than Python's recursion limit.
    """
    root: list[Any] = [data]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        node = container[key]
        if isinstance(node, str):
            container[key] = scrub(node)
        elif isinstance(node, dict):
            fixed = {scrub(name): value for name, value in node.items()}
            container[key] = fixed
            stack.extend((fixed, name) for name in fixed)
        elif isinstance(node, list):
            stack.extend((node, index) for index in range(len(node)))
    result: dict[str, Any] = root[0]
    return result
