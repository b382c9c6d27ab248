"""One job summary per kind of event, compared byte for byte with tests/data/summaries/.

A change to what the summary shows makes these fail: read the new summaries, and when they
are right, write them again with

    UPDATE_GOLDEN=1 /path/to/python -m pytest tests/test_summary_golden.py

and review the diff of tests/data/summaries/ before committing it.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gantt import mermaid_blocks, parse
from support import (
    GITHUB_TOKEN,
    ROOT,
    SHA,
    Answer,
    FakeGitHub,
    FakeIftrue,
    github_deployment,
    github_job,
    github_pull,
    github_workflow_run,
    iso,
    jobs_pages,
    payload,
    runner_env,
)
from test_lookups import happy
from test_summary import table

from track_deployment.main import main
from track_deployment.schema import REQUEST_FIELDS

GOLDEN = Path(__file__).resolve().parent / "data" / "summaries"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
# When every run below reports: the deploy job has run since 10:34, after 30 minutes of approval wait.
NOW = datetime(2026, 11, 20, 10, 40, tzinfo=UTC)


def at(minutes: float) -> str:
    return iso(datetime(2026, 11, 20, 10, 0, tzinfo=UTC) + timedelta(minutes=minutes))


def run_jobs() -> list[dict[str, Any]]:
    """build, then deploy (this step's job), which waited 30 minutes for its reviewers."""
    return [
        github_job(1, "build", at(0), at(0), at(4)),
        github_job(2, "deploy", at(4), at(34), None, status="in_progress"),
    ]


def github_answers() -> dict[str, Any]:
    """GitHub's answers at NOW: the repository of tests/test_lookups.happy, with the run's times fixed."""
    return happy(
        jobs=jobs_pages(run_jobs()),
        deployments_by_sha=Answer(200, [github_deployment(1500000099, SHA, at(34))]),
        # The pull request a payload names by number (a workflow_run's), read for its labels.
        pull=Answer(200, github_pull(412, SHA, "fix/rounding", title="Round totals once", labels=("bug",))),
        # The last successful run of a workflow without GitHub deployments: what ran before.
        workflow_runs=Answer(
            200, {"total_count": 1, "workflow_runs": [github_workflow_run(12300000000, "7" * 40, number=41)]}
        ),
    )


def pull_request_closed() -> dict[str, Any]:
    data = payload("pull_request")
    data["pull_request"]["merged"] = False
    data["pull_request"]["merged_at"] = None
    return data


# name → (event name, payload, iftrue's answers)
CASES: dict[str, tuple[str, Any, tuple[Answer, ...]]] = {
    "release": ("release", payload("release"), ()),
    "push": ("push", payload("push"), ()),
    "pull_request": ("pull_request", payload("pull_request"), ()),
    "deployment": ("deployment", payload("deployment"), ()),
    "deployment_status": ("deployment_status", payload("deployment_status"), ()),
    "workflow_run": ("workflow_run", payload("workflow_run"), ()),
    "workflow_dispatch": ("workflow_dispatch", payload("workflow_dispatch"), ()),
    "skipped": ("pull_request", pull_request_closed(), ()),
    "failure": ("release", payload("release"), (Answer(422, {"message": "branch: unknown branch"}),)),
}


def check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.md"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: write it with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"The job summary of {name} changed: compare it with {path}, and if it is right, "
        "write it again with UPDATE_GOLDEN=1."
    )


@pytest.mark.parametrize("name", list(CASES))
def test_summary_of_each_event_kind(name: str, tmp_path: Path) -> None:
    event_name, event, answers = CASES[name]
    render(name, tmp_path, event_name, event, answers)


def render(
    name: str, tmp_path: Path, event_name: str, event: Any, answers: tuple[Answer, ...] = (), **inputs: str
) -> None:
    with FakeIftrue(*answers) as iftrue, FakeGitHub(github_answers()) as github:
        inputs = {"api_url": iftrue.url, "github_token": GITHUB_TOKEN, **inputs}
        env = runner_env(tmp_path, event_name, event, inputs)
        env["GITHUB_API_URL"] = github.api_url
        log = io.StringIO()
        main(env, log, NOW, errors=log)
        servers = {iftrue.url: "http://127.0.0.1:PORT", github.api_url: "http://127.0.0.1:GITHUB"}
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    for url, stand_in in servers.items():
        summary = summary.replace(url, stand_in)  # the ports change from run to run
    for chart in mermaid_blocks(summary):
        parse(chart)
    if rows := table(summary):  # a record was built: every field has a row and a source
        assert set(rows) == set(REQUEST_FIELDS)
        assert all(source for _, source in rows.values())
    check(name, summary)


def test_summary_with_the_run_chart(tmp_path: Path) -> None:
    """A release whose run's jobs were read through the jobs look-up against the fake GitHub: the
    chart, the approval wait left out, this step's job (found by its `check_run_id`)."""
    render("release_with_jobs", tmp_path, "release", payload("release"), check_run_id="2")


def test_the_documented_summary_is_the_one_the_action_writes() -> None:
    documented = (ROOT / "docs" / "summary.md").read_text(encoding="utf-8")
    assert (GOLDEN / "release_with_jobs.md").read_text(encoding="utf-8").rstrip("\n") in documented
