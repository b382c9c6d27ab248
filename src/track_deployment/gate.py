"""Every reason a run records no deployment, and the sentence each gives. Pure, no I/O.

The gate is asked twice: with what the event says (`before_lookups`), and with what the
GitHub look-ups found (`after_lookups`). Nothing else decides a skip. Each reason says why the
run is not a deployment and what would make it one: the notice and the job summary show it as
it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from .errors import LookupFailed
from .events import DeploymentEvent, Event, PullRequestEvent, PushEvent, ReleaseEvent, WorkflowRunEvent
from .model import Found, Reading, Release, is_dependabot
from .recovery import BEHIND, redeploy
from .schema import NOTHING_SHIPPED, STATUS_WORDS, final_outcome

#: Events whose runs test a change that is not merged: they ship nothing.
UNMERGED_EVENTS = frozenset({"pull_request", "pull_request_target", "merge_group"})

RELEASE_ACTIONS = ("published", "released", "created", "prereleased")
# Every action type of the release event: what a bare `on: release` listens to.
RELEASE_TYPES = frozenset({*RELEASE_ACTIONS, "unpublished", "edited", "deleted"})

# The release types whose run records a release, best first, for a release and a prerelease.
# GitHub's release event (webhook docs): `created` fires for a release or prerelease published
# without first being saved as a draft (a draft fires it when saved, as a draft); `published`
# for every release and prerelease; `released` for a release and for a prerelease promoted to
# one, which fires nothing else; `prereleased` for a prerelease. So `released` alone sees every
# production release once, and `published` every prerelease once.
_RECORDERS = {False: ("released", "published", "created"), True: ("published", "prereleased", "created")}

# A deployment_status or workflow_run in one of these states is not over yet.
NOT_FINAL = tuple(state for state, word in STATUS_WORDS.items() if word == "in_progress")

# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus: Vercel names environments
# `Production \u2013 shop` with an en dash, which a pattern typed with a hyphen should still match.
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"


@lru_cache(maxsize=64)
def _pattern(pattern: str) -> re.Pattern[str]:
    """An environment pattern as a regular expression: `*` any text, `?` one character."""
    parts = []
    for char in pattern.strip():
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif char in _DASHES:
            parts.append(f"[{_DASHES}]")
        else:
            parts.append(re.escape(char))
    # GitHub compares environment names case-insensitively.
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def in_environments(name: str, patterns: Iterable[str]) -> bool:
    """Whether environment `name` matches one of the patterns (every name, when there are none)."""
    patterns = tuple(patterns)
    return not patterns or any(_pattern(pattern).fullmatch(name.strip()) for pattern in patterns)


def release_recorder(listened: frozenset[str], prerelease: bool) -> str | None:
    """The one release type, of those the workflow listens to, whose run records a release."""
    return next((action for action in _RECORDERS[prerelease] if action in listened), None)


def release_gate_needed(release: Release) -> bool:
    """Whether another run of the workflow may be the one that records this release: only the
    best type needs no look at what the workflow listens to."""
    return release.action != release_recorder(RELEASE_TYPES, release.prerelease)


def release_types(workflow: str) -> frozenset[str] | None:
    """The release action types a workflow file listens to; None when it does not say."""
    import yaml  # only a release run that may not be the recording one reads its workflow

    try:
        document = yaml.safe_load(workflow)
    except yaml.YAMLError:
        raise LookupFailed("the workflow file is not valid YAML") from None
    if not isinstance(document, dict):
        return None
    # YAML 1.1 reads the key `on` as the boolean true.
    triggers = document.get("on", document.get(True))
    if isinstance(triggers, str):
        triggers = [triggers]
    if isinstance(triggers, list):
        return RELEASE_TYPES if "release" in triggers else None
    if not isinstance(triggers, dict) or "release" not in triggers:
        return None
    release = triggers["release"]
    types = release.get("types") if isinstance(release, dict) else None
    if release is None or (isinstance(release, dict) and types is None):
        return RELEASE_TYPES
    if isinstance(types, str):
        types = [types]
    if isinstance(types, list) and all(isinstance(t, str) for t in types):
        return frozenset(types)
    return None


def release_skip_reason(release: Release, listened: frozenset[str] | None) -> str | None:
    """Why this release run does not record, when another run of the workflow does."""
    if listened is None:
        return None
    recorder = release_recorder(listened, release.prerelease)
    if recorder is None or recorder == release.action:
        return None
    types = ", ".join(action for action in RELEASE_ACTIONS if action in listened)
    return (
        f"this workflow listens to the release types {types}, and its run for `{recorder}` records "
        f"release {release.tag}"
    ).rstrip()


def release_caveat(release: Release, listened: frozenset[str] | None, why_unknown: str | None) -> str | None:
    """A warning for a release run that records without knowing whether another run does too.

    `why_unknown` says why the workflow's release types are unknown (None when they were read, or
    when the failed look-up's own warning says so).
    """
    if listened is not None or why_unknown is None or not release_gate_needed(release):
        return None
    return (
        f"This run records release {release.tag}, but {why_unknown}: a workflow that listens to several "
        "release types records each release once per type. Listen to one type (`on: release: types: "
        "[released]`), or let the action read the workflow file (grant `contents: read` and keep "
        "`github_token`)."
    )


FORK_NOTE = (
    "This pull request comes from {fork}, and GitHub runs a fork's `pull_request` workflows "
    "without secrets, so the `token` input is empty; this is not a misconfiguration. To record "
    "merged pull requests from forks, trigger on `pull_request_target` instead: it runs in this "
    "repository with its secrets, and this action needs no checkout, so no code from the fork runs."
)

DEPENDABOT_NOTE = (
    "Dependabot started this run, and GitHub gives the runs Dependabot starts no Actions secrets, "
    "so the `token` input is empty; this is not a misconfiguration. To record them, add the iftrue "
    "token as a Dependabot secret of the same name (repository settings, Secrets and variables, "
    "Dependabot), or record the deployment from a run that Dependabot does not start (the merge "
    "of its pull request by a person, or `pull_request_target`)."
)

# Events whose runs GitHub starts without Actions secrets when Dependabot initiated them.
DEPENDABOT_EVENTS = frozenset(
    {
        "push",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "create",
        "deployment",
        "deployment_status",
    }
)


class Asked(NamedTuple):
    """What the gate is asked before the look-ups: the event and the inputs that decide."""

    event_name: str
    event: Event
    actor: str = ""
    #: The iftrue token is given (or not needed: a dry run).
    token: bool = True
    environments: frozenset[str] = frozenset()
    prereleases: bool = False
    #: The `status` input as given, lower-cased ("" when not set).
    status: str = ""


class Skip(NamedTuple):
    """Why this run records nothing: the note the notice and the summary show."""

    note: str
    #: GitHub gave the run no secrets (a fork's pull request, Dependabot): no token is needed.
    without_secrets: bool = False


def before_lookups(asked: Asked) -> Skip | None:
    """Why the event is no deployment to record, from what it says; None when it may be one."""
    if not asked.token and (why := _without_secrets(asked)):
        return Skip(why, without_secrets=True)
    if why := _not_shipping(asked.event_name, asked.event) or _not_recorded(asked):
        return Skip(f"Not a deployment: {why}.")
    return None


def after_lookups(
    reading: Reading,
    found: Found,
    *,
    commit: str | None = None,
    status: str | None = None,
    environments: frozenset[str] = frozenset(),
    redeploys: bool = False,
) -> str | None:
    """Why the run records nothing, from what the look-ups found; None when it records.

    `status` is the record's status word as the inputs, the look-ups or the event give it.
    """
    if found.never_started:
        return f"Not a deployment: {found.never_started}."
    if found.recorded_by:
        return (
            f"Not recorded by this run: the deployment was made by a run of {found.recorded_by}, which "
            "records its deployments itself with this action; recording it here too would count it twice. "
            "Give this workflow's `environment` input only the environments no such workflow deploys to."
        )
    release = reading.release
    if (
        release
        and release_gate_needed(release)
        and (why := release_skip_reason(release, found.release_types))
    ):
        return f"Not recorded by this run: {why}."
    if why := _elsewhere(reading, found, environments):
        return f"Not a deployment: {why}."
    # A job that made its own deployment ran: its failure is its own, whatever a sibling's approval.
    own_deployment = reading.this_run and found.deployed_to
    if status == "fail" and found.rejected and not own_deployment:
        return f"Not a deployment: {found.rejected}."
    if redeploys:
        return None
    # A re-run of an older run that ships a commit behind what runs now is a rollback, not a redeploy.
    rollback = found.before is not None and found.before.status == BEHIND
    if why := (None if rollback else redeploy(found.earlier_attempt, commit)) or redeploy(
        found.before, commit
    ):
        return f"Not a deployment: {why}."
    return None


def _elsewhere(reading: Reading, found: Found, environments: frozenset[str]) -> str | None:
    """Why this job (or the reported run) deployed to none of the `environment` input's environments."""
    if not environments or found.deployed_to is None:
        return None
    if any(in_environments(name, environments) for name in found.deployed_to):
        return None
    names = ", ".join(f"'{name}'" for name in found.deployed_to)
    who = "this job" if reading.this_run else "the workflow run"
    listed = ", ".join(sorted(environments))
    if not names:
        return (
            f"{who} made no GitHub deployment, so none to an environment named in the `environment` "
            f"input ({listed}); only deployments to those are recorded here"
        )
    return (
        f"{who} deployed to {names}, not to an environment named in the `environment` input "
        f"({listed}); only deployments to those are recorded here"
    )


def status_of(given: str | None, event: str | None, found: Found) -> str | None:
    """The record's status: the input's, else the final state of the reported run's deployment,
    else the event's (a run can fail in a job after its deployment succeeded)."""
    if given:
        return given
    return found.value("status") or event


def fork_of(event_name: str, event: Event) -> str | None:
    """The fork a `pull_request` event comes from: GitHub gives such runs no secrets."""
    if event_name != "pull_request" or not isinstance(event, PullRequestEvent) or not event.pull_request:
        return None
    head, base = event.pull_request.head, event.pull_request.base
    base_name = base.repo.full_name if base and base.repo else None
    if not base_name:
        return None
    if head is None or head.repo is None:
        return "a deleted fork"  # GitHub sends `head.repo: null` once the fork is gone
    head_name = head.repo.full_name
    return head_name if head_name and head_name.lower() != base_name.lower() else None


def _without_secrets(asked: Asked) -> str | None:
    """Why the token is empty when GitHub gives the run no secrets: a fork's PR, or Dependabot."""
    if fork := fork_of(asked.event_name, asked.event):
        return FORK_NOTE.format(fork=fork)
    sender = asked.event.sender.login if asked.event.sender else None
    return (
        DEPENDABOT_NOTE
        if asked.event_name in DEPENDABOT_EVENTS and is_dependabot(asked.actor, sender)
        else None
    )


def _not_shipping(event_name: str, event: Event) -> str | None:
    """Why the event itself is no release, deployment, push or merge that ships (SPEC §4's
    "reported when"); None when it is one, or when its reader will say the payload is not of its type."""
    if isinstance(event, ReleaseEvent) and event.release is not None:
        if event.action not in RELEASE_ACTIONS:
            return f"release action '{event.action}' does not publish a release"
        return "the release is a draft" if event.release.draft else None
    if isinstance(event, PushEvent) and event.deleted:
        return f"the push deleted {event.ref or 'a ref'}"
    if isinstance(event, PullRequestEvent) and event.pull_request is not None:
        if event.action == "closed" and event.pull_request.merged:
            return None
        why = "was closed without merging" if event.action == "closed" else f"action is '{event.action}'"
        return f"the pull request {why}; only a merged pull request is a deployment"
    if isinstance(event, DeploymentEvent) and event_name == "deployment_status" and event.deployment:
        status = event.deployment_status
        if status is not None and STATUS_WORDS.get((status.state or "").lower()) is None:
            # GitHub marks the previous deployment `inactive` when a newer one succeeds.
            return (
                f"the deployment status is '{status.state or ''}', not a state of a deployment being made "
                "(success, failure, error, pending, queued, waiting, in_progress)"
            )
    return None


def _not_recorded(asked: Asked) -> str | None:
    """Why this run records no deployment: nothing shipped, not final, not production."""
    status, event = asked.status, asked.event
    if status in NOTHING_SHIPPED:
        return (
            f"the status input is '{status}', so nothing shipped (a job cancelled, aborted, stopped or never "
            "run; a GitHub job stopped by its timeout-minutes reads as cancelled); a job that ran to "
            "success or failure is recorded"
        )
    if asked.event_name == "merge_group":
        return (
            "a merge queue's run (merge_group) checks commits that are not on the branch yet; record "
            "the push the merge queue makes to the branch instead"
        )
    wants_in_progress = STATUS_WORDS.get(status) == "in_progress"
    if isinstance(event, WorkflowRunEvent):
        return _run_shipped_nothing(event, wants_in_progress)
    if isinstance(event, DeploymentEvent):
        return _deployment_shipped_nothing(asked.event_name, event, asked.environments, wants_in_progress)
    release = event.release if isinstance(event, ReleaseEvent) else None
    if release and release.prerelease and not asked.prereleases:
        return (
            f"release {release.tag_name or ''} is a prerelease, not a production release; its promotion to a "
            "full release is recorded by a run for `released`, or set the prereleases input to true to "
            "record prereleases"
        )
    return None


def _run_shipped_nothing(event: WorkflowRunEvent, wants_in_progress: bool) -> str | None:
    run = event.workflow_run
    if run is None:
        return None  # the event's reader says the payload is not a workflow_run event
    if event.action in NOT_FINAL:
        if wants_in_progress:
            return None
        return _not_final(f"the workflow run is '{event.action}'", "`completed`")
    if event.action != "completed":
        return f"workflow_run action '{event.action}' is not a run's start or end; listen to `completed`"
    if run.event in UNMERGED_EVENTS:
        return (
            f"the workflow run was started by a {run.event} event: it tested a change that is not merged, so "
            "nothing shipped; the run of the push that merges it is recorded"
        )
    if run.conclusion in NOTHING_SHIPPED:
        return nothing_shipped(f"the workflow run concluded '{run.conclusion}'")
    if final_outcome(run.conclusion) is None:
        return (
            f"the workflow run concluded '{run.conclusion}', not success, failure or timed_out; "
            "only a run's outcome is recorded"
        )
    return None


def _deployment_shipped_nothing(
    event_name: str, event: DeploymentEvent, environments: frozenset[str], wants_in_progress: bool
) -> str | None:
    deployment = event.deployment
    if deployment is None:
        return None
    name = deployment.environment or ""
    if not in_environments(name, environments):
        return (
            f"the deployment is to environment '{name}', not to one named in the `environment` input "
            f"({', '.join(sorted(environments))}); add it there to record its deployments"
        )
    if deployment.transient_environment and not environments:
        return (
            f"environment '{name}' is a preview (transient_environment); name it in the environment "
            "input to record previews"
        )
    if event_name != "deployment_status":
        return None
    state = ((event.deployment_status.state if event.deployment_status else None) or "").lower()
    if state in NOT_FINAL and not wants_in_progress:
        return _not_final(f"the deployment status is '{state}'", "its final status")
    if final_outcome(state) == "fail":
        # GitHub sends the Actions job of a deployment as `check_run` and its run as
        # `workflow_run` (webhook docs, deployment_status): a job cancelled or skipped before it
        # ran, or a run that never started, still gives its deployment a failed status.
        job = event.check_run.conclusion if event.check_run else None
        run = event.workflow_run.conclusion if event.workflow_run else None
        if (job or run) in NOTHING_SHIPPED:
            which = "job" if job else "run"
            return nothing_shipped(
                f"the deployment status is '{state}', but its {which} concluded '{job or run}'"
            )
    return None


def _not_final(what: str, final: str) -> str:
    return (
        f"{what}, not a final state; the run for {final} records the deployment, or set the status "
        "input to in_progress to record states in progress too"
    )


def nothing_shipped(what: str) -> str:
    """Why a run, job or deployment that never ran is no deployment."""
    return f"{what}, so nothing shipped; only a deployment that ran, to success or failure, is recorded"
