"""What ran before a deployment, and the commits since: the previous release of the same
package, the environment's last successful deployment, the workflow's last successful run, and
the compare that counts what ships (and tells a rollback: `behind`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .deployments import deployment_of, read_statuses
from .errors import LookupFailed
from .events import Release as ReleaseJSON
from .gate import UNMERGED_EVENTS
from .github import GitHub
from .model import (
    Before,
    Commit,
    Deployment,
    Release,
    Shipped,
    Source,
    Sourced,
    is_sha,
    left_out,
    web,
    web_path,
)
from .recovery import BEHIND

# Runs of pull requests and merge queues test a change: they deploy nothing.

#: What a count look-up found: the count with its Source (or why none), and what ran before.
Counted = tuple[Sourced, Before | None]


# A tag's version at its end (`1.5.0`, `2.0.0-rc.1`), after an optional `v`; what comes before
# names the package in a monorepo (`@shop/web@`, `web-v`, `web/v`).
_TAG_VERSION = re.compile(
    r"(?P<package>.*?)v?\d+(?:\.\d+)+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?", re.IGNORECASE
)


def package_of(tag: str) -> str | None:
    """The package a release tag versions: its prefix before the version, without a `v` (`v1.2.3`
    and `1.2.3` are one package); None for a tag with no version."""
    match = _TAG_VERSION.fullmatch(tag)
    return match.group("package").lower() if match else None


def choose_previous_release(releases: Iterable[Release], current: Release) -> Release | None:
    """The newest non-draft release of the same package published before `current`; a
    prerelease only if it is one.

    A monorepo (changesets, release-please) tags each package (`@shop/api@3.0.0`,
    `@shop/web@1.5.0`), often from one commit: another package's tag is no previous release.
    """
    package = package_of(current.tag)
    candidates = [
        release
        for release in releases
        if not release.draft
        and release.tag != current.tag
        and (package is None or package_of(release.tag) == package)
        and (current.id is None or release.id != current.id)
        and (current.prerelease or not release.prerelease)
        and release.published_at is not None
        and (current.published_at is None or release.published_at < current.published_at)
    ]
    return max(candidates, key=lambda release: release.published_at or datetime.min, default=None)


def newest_first(deployments: Iterable[Deployment], current: Deployment) -> list[Deployment]:
    """The deployments to the same environment created before `current`, newest first."""
    earlier = [
        deployment
        for deployment in deployments
        if deployment.created_at is not None
        and (current.id is None or deployment.id != current.id)
        and (current.created_at is None or deployment.created_at < current.created_at)
    ]
    return sorted(earlier, key=lambda deployment: deployment.created_at or datetime.min, reverse=True)


def choose_previous_run(
    runs: Iterable[Mapping[str, Any]], run_id: int, branch: str | None = None
) -> Mapping[str, Any] | None:
    """The newest successful run of the workflow on `branch` (any, when unknown) other than this
    one that could have deployed."""
    candidates = [
        run
        for run in runs
        if run.get("id") != run_id
        and (branch is None or run.get("head_branch") == branch)
        and isinstance(run.get("head_sha"), str)
        and run.get("conclusion") == "success"
        and run.get("event") not in UNMERGED_EVENTS
    ]
    return max(
        candidates, key=lambda run: str(run.get("run_started_at") or run.get("created_at")), default=None
    )


def release_of(raw: Any) -> Release:
    release = ReleaseJSON.model_validate(raw)
    return Release(
        id=release.id,
        tag=release.tag_name or "",
        draft=bool(release.draft),
        prerelease=bool(release.prerelease),
        published_at=release.published_at,
    )


def read_compare(gh: GitHub, step: str, base: str, head: str) -> tuple[int | None, Before] | None:
    """GitHub's count of the commits from `base` to `head`, and the base as the compare tells it:
    its commit, how `head` relates to it (ahead, behind, …) and the commits the answer lists."""

    def read() -> tuple[int | None, Before]:
        _, data = gh.get(f"/compare/{quote(base)}...{quote(head)}")
        if not isinstance(data, dict):
            raise LookupFailed("unexpected answer (no comparison)")
        # Only the commits this one answer lists (up to 250).
        commits = tuple(_commit(item) for item in data.get("commits") or () if isinstance(item, dict))
        total = data.get("total_commits")
        total = total if isinstance(total, int) else None
        base_commit = data.get("base_commit")
        sha = base_commit.get("sha") if isinstance(base_commit, dict) else None
        sha = sha if isinstance(sha, str) and sha else base
        status = data.get("status") if isinstance(data.get("status"), str) else None
        shipped = Shipped(commits, total is not None and len(commits) >= total)
        return total, Before(sha, sha[:7], sha[:7], status=status, shipped=shipped)

    return gh.attempt(step, f"compare {base[:12]}...{head[:12]}", ("commits_count",), "contents: read", read)


def _commit(item: Mapping[str, Any]) -> Commit:
    commit = item.get("commit")
    message = commit.get("message") if isinstance(commit, dict) else None
    parents = item.get("parents")
    return Commit(
        str(item.get("sha") or ""),
        message if isinstance(message, str) else "",
        len(parents) if isinstance(parents, list) else None,
    )


def _short(ref: str) -> str:
    """A compared ref as a reason names it: a SHA's first 7 characters, a tag or branch whole."""
    return ref[:7] if is_sha(ref) else ref


class Counting:
    """The look-ups that count the commits since what ran before, and find what that was.

    Each says why when it finds no count, where that is decided, a failed look-up included.
    """

    def __init__(self, gh: GitHub, step: str, home: str | None = None) -> None:
        self.gh, self.step, self.home = gh, step, home

    @staticmethod
    def nothing(why: str) -> Counted:
        return left_out(f"unknown: {why}"), None

    def failed(self) -> Counted:
        return left_out(self.gh.why_failed(self.step)), None

    def compare(self, base: str, head: str) -> Counted:
        """The commits from `base` to `head`, counted, with the base as the compare tells it."""
        answer = read_compare(self.gh, self.step, base, head)
        if answer is None:
            return self.failed()
        total, told = answer
        compared = f"compare {_short(base)}…{_short(head)}"
        if total is None or told.status == BEHIND:  # a rollback: GitHub's total is 0, nothing new ships
            return left_out(f"unknown: {compared} gave no count"), told
        return Sourced(
            total, Source("look-up", compared, web_path(self.home, f"compare/{base}...{head}"))
        ), told

    def since(self, before: Before, head: str) -> Counted:
        """The count since what ran before, and how `head` compares with it (none for the same commit)."""
        if before.sha.lower() == head.lower():
            return left_out(f"unknown: {before.what} ran this same commit"), before
        count, told = self.compare(before.sha, head)
        return count, told and before._replace(status=told.status, shipped=told.shipped)

    def since_release(self, current: Release) -> Counted:
        previous = self.gh.attempt(
            self.step,
            "releases",
            ("commits_count",),
            "contents: read",
            lambda: choose_previous_release((release_of(r) for r in self.gh.get_list("/releases")), current),
        )
        if self.step in self.gh.failed_steps:
            return self.failed()
        if not previous:
            return self.nothing("no earlier release of this package to count from")
        count, told = self.compare(previous.tag, current.tag)
        if told is None:
            return count, None
        what = f"release {previous.tag}"
        return count, told._replace(what=what, where="the released version", name=previous.tag)

    def since_deployment(self, current: Deployment) -> Counted:
        listed = self.gh.attempt(
            self.step,
            f"deployments to {current.environment}",
            ("commits_count",),
            "deployments: read",
            lambda: newest_first(
                (
                    deployment_of(d)
                    for d in self.gh.get_list("/deployments", {"environment": current.environment})
                ),
                current,
            ),
        )
        if listed is None:
            return self.failed()
        previous = self.last_successful(listed, current.environment)
        if isinstance(previous, str):
            return self.nothing(previous)
        return self.failed() if previous is None else self.since(previous, current.sha)

    def last_successful(self, deployments: Sequence[Deployment], environment: str) -> Before | str | None:
        """The newest of the deployments whose statuses hold a `success`, read within the budget;
        else why none was found (None: reading their statuses failed).

        GitHub lists a deployment without its state: a failed one ships nothing, so the count runs
        from the last one that succeeded (which GitHub marks `inactive` once a newer one succeeds).
        """
        for index, deployment in enumerate(deployments):
            if index > 0 and self.gh.spare <= 0:
                newest = (
                    "The newest earlier deployment"
                    if index == 1
                    else f"The {index} newest earlier deployments"
                )
                self.gh.notes.notices.append(
                    f"{newest} to {environment} did not succeed, and the action reads no further within its "
                    "budget of GitHub requests, so commits_count is left out and no rollback or redeploy is "
                    "detected. Set the `commits_count` input to send one."
                )
                return f"{newest.lower()} did not succeed, and the budget reads no further"
            self.gh.spare -= index > 0
            statuses = read_statuses(self.gh, self.step, deployment, ("commits_count", "is_hotfix"))
            if statuses is None:
                return None
            success = next((s for s in statuses if isinstance(s, dict) and s.get("state") == "success"), None)
            if success is not None:
                link = next(filter(None, (web(success.get("log_url")), web(success.get("target_url")))), None)
                what = f"deployment {deployment.id} to {environment}"
                return Before(deployment.sha, what, environment, deployment.ref, link, succeeded=True)
        return f"no earlier successful deployment to {environment} to count from"

    def since_run(
        self,
        workflow_run: tuple[str, int, str | None, str],
        deployment: Deployment | None,
        began: datetime | None,
    ) -> Counted:
        """What this run deploys over: its environment's last successful deployment when the run made
        a GitHub deployment, else the head of the workflow's last successful run."""
        workflow, run_id, branch, sha = workflow_run
        if deployment is not None and deployment.environment:
            created = began or deployment.created_at
            return self.since_deployment(deployment._replace(sha=sha, created_at=created))

        def read() -> Mapping[str, Any] | None:
            parameters = {"status": "success", "per_page": 10, "exclude_pull_requests": "true"}
            if branch:  # what this branch's runs deployed: another branch's run deployed nothing here
                parameters["branch"] = branch
            _, data = self.gh.get(f"/actions/workflows/{workflow}/runs", parameters)
            runs = data.get("workflow_runs") if isinstance(data, dict) else None
            if not isinstance(runs, list):
                raise LookupFailed("unexpected answer (no workflow_runs list)")
            return choose_previous_run((run for run in runs if isinstance(run, dict)), run_id, branch)

        fields = ("commits_count", "is_hotfix")
        run = self.gh.attempt(
            self.step, f"successful runs of workflow {workflow}", fields, "actions: read", read
        )
        if self.step in self.gh.failed_steps:
            return self.failed()
        if not isinstance(run, Mapping):
            on = f" on {branch}" if branch else ""
            return self.nothing(f"no earlier successful run of this workflow{on} to count from")
        name = run.get("name") or workflow
        what = (
            f"run #{run.get('run_number')} of {name}" if run.get("run_number") else f"the last run of {name}"
        )
        link = web(run.get("html_url"))
        previous = Before(
            str(run["head_sha"]),
            what,
            f"what {name} deployed",
            run.get("head_branch") or None,
            link,
            succeeded=True,
        )
        return self.since(previous, sha)
