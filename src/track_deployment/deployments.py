"""A run's GitHub deployments: which one is this job's own or the run's, where it deployed, and
the state it ended in. Pure rules over GitHub's lists, and the fetchers that read them through
`GitHub.attempt`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from .errors import LookupFailed
from .events import Deployment as DeploymentJSON
from .gate import in_environments
from .github import GitHub
from .jobs import WINDOW_TOLERANCE, RunJobs
from .model import Deployment, Found, Interval, Job, Source, Sourced, left_out, utc, web_path
from .plan import Plan
from .schema import final_outcome


def deployment_of(raw: Any) -> Deployment:
    """A deployment as GitHub lists it. `transient_environment` as listed: GitHub leaves it out of
    some answers (its schema does not require it)."""
    d = DeploymentJSON.model_validate(raw)
    return Deployment(
        id=d.id,
        sha=d.sha or "",
        environment=d.environment or "",
        created_at=utc(d.created_at) if d.created_at else None,
        node_id=d.node_id,
        transient=d.transient_environment is True,
        ref=d.ref or None,
    )


def read_statuses(gh: GitHub, step: str, deployment: Deployment, fields: tuple[str, ...]) -> list[Any] | None:
    def read() -> list[Any]:
        _, data = gh.get(f"/deployments/{deployment.id}/statuses")
        if not isinstance(data, list):
            raise LookupFailed("unexpected answer (no list of statuses)")
        return data

    return gh.attempt(step, f"statuses of deployment {deployment.id}", fields, "deployments: read", read)


def run_deployments(
    deployments: Iterable[Deployment], window: Interval, environments: frozenset[str]
) -> list[Deployment]:
    """The deployments created in the window (the run's), in `environments` when given, else in
    any environment but a preview's."""
    start, end = window
    return [
        d
        for d in deployments
        if d.node_id
        and d.created_at is not None
        and start - WINDOW_TOLERANCE <= d.created_at
        and (end is None or d.created_at <= end)
        and in_environments(d.environment, environments)
        and (bool(environments) or not d.transient)
    ]


def choose_run_deployment(
    deployments: Iterable[Deployment], window: Interval, environments: frozenset[str]
) -> tuple[Deployment | None, tuple[str, ...]]:
    """The newest deployment created in the window (an `environment:` job's own), in
    `environments` when given (else in any but a preview's); when the candidates are in several
    environments, none of them and the names of those environments.
    """
    candidates = run_deployments(deployments, window, environments)
    # GitHub's environment names are case-insensitive.
    names = tuple(sorted({d.environment.lower(): d.environment for d in candidates}.values()))
    if len(names) > 1:
        return None, names
    newest = max(candidates, key=lambda deployment: deployment.created_at or datetime.min, default=None)
    return newest, ()


def created_with(deployments: Iterable[Deployment], job: Job, siblings: Sequence[Job]) -> list[Deployment]:
    """The deployments created when `job` was: an `environment:` job's deployment is created with
    the job, before it waits for reviewers or a runner.

    Matrix jobs (`deploy (us)`, `deploy (eu)`) are created together, so several may be; they are
    ordered most likely first: the one whose place among them (by id, which GitHub gives in order of
    creation) is this job's place among the jobs created with it. Only a deployment status that
    names the job tells for sure (`names_job`).
    """
    if job.created_at is None:
        return []
    created = job.created_at
    found = sorted(
        (
            d
            for d in deployments
            if d.created_at is not None and abs(d.created_at - created) <= WINDOW_TOLERANCE
        ),
        key=lambda d: d.id or 0,
    )
    together = sorted(
        j.id or 0
        for j in siblings
        if j.created_at is not None and abs(j.created_at - created) <= WINDOW_TOLERANCE
    )
    place = together.index(job.id) if job.id in together else 0
    return sorted(found, key=lambda d: abs(found.index(d) - place))


def names_job(statuses: Iterable[Mapping[str, Any]], job_id: int) -> bool:
    """Whether a deployment's statuses link to the job: GitHub sets an Actions deployment's
    `log_url` (and `target_url`) to its job's page, `…/actions/runs/<run>/job/<job id>`."""
    pattern = re.compile(rf"/job/{job_id}(?![0-9])")
    return any(
        isinstance(value, str) and pattern.search(value)
        for status in statuses
        if isinstance(status, dict)
        for value in (status.get("log_url"), status.get("target_url"))
    )


def _own_deployment(
    gh: GitHub, sha: str, own: list[Deployment], this: Job, siblings: Sequence[Job], spare: int
) -> tuple[Deployment | None, str]:
    """Of the deployments created with this job, the one whose status names it, within `spare`
    requests; the one alone, when no other job was created with this one (whose it could be).
    With it, how it was told from others; without, why none was."""
    together = [
        j
        for j in siblings
        if j.created_at and this.created_at and abs(j.created_at - this.created_at) <= WINDOW_TOLERANCE
    ]
    if len(own) == 1 and len(together) <= 1:
        return own[0], f"this job's deployment: created with job {this.name}"
    for deployment in own[: max(0, spare)]:
        gh.spare -= 1
        statuses = read_statuses(gh, "deployment_of", deployment, ("deployment_node_id",))
        if statuses is None:
            break
        if this.id is not None and names_job(statuses, this.id):
            return deployment, f"this job's deployment: its status names job {this.name}"
    why = (
        "none of the statuses read names it"
        if spare > 0
        else "no request was left in the budget to read their statuses"
    )
    gh.notes.warnings.append(
        f"{len(own)} GitHub deployments of commit {sha[:7]} were created with this job "
        f"({this.name}), and {why}, so no deployment_node_id is sent. Set `deployment_node_id` "
        "to record it."
    )
    return None, f"unknown: {len(own)} deployments were created with this job, and {why}"


def _node_id(deployment: Deployment | None, how: str | None, sha: str, home: str | None) -> Sourced:
    """The deployment's node id and how the deployment was told; else why there is none."""
    if deployment is None or deployment.node_id is None:
        return left_out(how or f"unknown: GitHub lists no deployment of {sha[:7]} made during the run")
    how = how or f"the deployment of {sha[:7]} made during this run"
    return Sourced(deployment.node_id, Source("look-up", how, web_path(home, "deployments")))


def read_run_deployment(
    gh: GitHub, plan: Plan, window: Interval, run_jobs: RunJobs | None
) -> tuple[Found, Deployment | None]:
    """This run's deployment of the commit: this job's own (its status names the job, or it was
    created with the job), else the newest made during the run; its node id, and where the job
    (or the run a workflow_run reports) deployed."""
    sha, environments = plan.deployment_of or "", plan.environments
    listed = gh.attempt(
        "deployment_of",
        f"deployments of commit {sha[:7]}",
        ("deployment_node_id",),
        "deployments: read",
        lambda: [deployment_of(d) for d in gh.get("/deployments", {"sha": sha})[1]],
    )
    if listed is None:
        return Found(), None
    this = run_jobs.this_job if run_jobs else None
    if this is not None and this.id is not None and run_jobs is not None:
        # This job's own deployment in whichever environment, so that a matrix's staging job is
        # never taken for the production one the `environment` input names.
        made = [
            d for d in run_deployments(listed, window, frozenset({"*"})) if environments or not d.transient
        ]
        if mine := created_with(made, this, run_jobs.jobs):
            spare = plan.jobs_pages - run_jobs.pages
            own, how = _own_deployment(gh, sha, mine, this, run_jobs.jobs, spare)
            deployed: tuple[str, ...] | None = (own.environment,) if own else None
            if own is not None and not in_environments(own.environment, environments):
                # This job deployed to an environment the input does not name: no node id is its,
                # and the gate, told where it deployed, skips the run (gate._elsewhere).
                return Found(deployed_to=deployed), None
            node_id = {"deployment_node_id": _node_id(own, how, sha, plan.home)}
            return Found(MappingProxyType(node_id), deployed_to=deployed), own
    candidates = run_deployments(listed, window, environments)
    newest, ambiguous = choose_run_deployment(candidates, window, environments)
    if ambiguous:
        gh.notes.warnings.append(
            f"GitHub deployments of commit {sha[:7]} were made during the run to several environments "
            f"({', '.join(ambiguous)}), so no deployment_node_id is sent. Set the `environment` input to "
            "the environment this step reports (in a matrix, e.g. `environment: ${{ matrix.environment }}`), "
            "or set `deployment_node_id`."
        )
    deployed_to: tuple[str, ...] | None = None
    if plan.deployment_window is not None:  # a workflow_run's run: every environment it deployed to
        # A preview counts when the `environment` input names it, as everywhere else.
        ran = run_deployments(listed, window, frozenset({"*"}) if environments else frozenset())
        deployed_to = tuple(sorted({d.environment for d in ran}))
    several = f"unknown: deployments of {sha[:7]} were made to {', '.join(ambiguous)}" if ambiguous else None
    node_id = {"deployment_node_id": _node_id(newest, several, sha, plan.home)}
    return Found(MappingProxyType(node_id), deployed_to=deployed_to), newest


def read_final_state(gh: GitHub, deployment: Deployment) -> Sourced | None:
    """The record's status by a deployment's final state (success, failure, error; newest first)."""
    statuses = read_statuses(gh, "deployment_state", deployment, ("status",))
    final = (s.get("state") for s in statuses or () if isinstance(s, dict))
    state = next((s for s in final if final_outcome(s)), None)
    if state is None:
        return None
    where = f"the run's deployment {deployment.id} to {deployment.environment}"
    return Sourced(final_outcome(state), Source("look-up", f"{where}: its final status `{state}`"))
