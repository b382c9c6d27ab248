"""The recipes of README.md and docs/ paste into real workflow and pipeline files: they validate
against each CI's schema, and their shell, run with each CI's variables after a deploy that
succeeded, failed or was cancelled, sends the right record or none."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import ROOT, SHA, TOKEN, FakeIftrue

OTHER_CI = ROOT / "docs" / "other-ci.md"
CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def fenced(text: str, language: str) -> list[str]:
    """The code blocks of `text` in `language`."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def recipe(ci: str) -> str:
    """The first code block under docs/other-ci.md's heading for `ci`."""
    text = OTHER_CI.read_text()
    section = text[text.index(f"\n## {ci}\n") :]
    return section[section.index("```") :].split("\n", 1)[1].split("\n```", 1)[0] + "\n"


def validate(tmp_path: Path, schema: str, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    # Azure's schema has patterns the default (ECMAScript) regex engine cannot compile.
    regex = ["--regex-variant", "python"] if schema == "azure-pipelines" else []
    run = subprocess.run(
        [CHECK_JSONSCHEMA, *regex, "--builtin-schema", f"vendor.{schema}", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def github_workflows() -> list[tuple[str, str]]:
    """Every whole workflow (a block with `on:` and `jobs:`) of README.md and docs/."""
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for number, block in enumerate(fenced(doc.read_text(), "yaml")):
            data = yaml.safe_load(block)
            if isinstance(data, dict) and True in data and "jobs" in data:  # PyYAML reads `on` as True
                found.append((f"{doc.name}#{number}", block))
    return found


@pytest.mark.parametrize(("where", "block"), github_workflows(), ids=[w for w, _ in github_workflows()])
def test_github_workflow_recipes_validate(tmp_path: Path, where: str, block: str) -> None:
    validate(tmp_path, "github-workflows", "workflow.yml", block)


def test_the_workflow_finder_finds_the_readme_workflow() -> None:
    assert any(where.startswith("README.md#") for where, _ in github_workflows())
    assert len(github_workflows()) >= 5


@pytest.mark.parametrize(
    ("ci", "schema", "name"),
    [
        ("GitLab CI", "gitlab-ci", ".gitlab-ci.yml"),
        ("CircleCI", "circle-ci", "config.yml"),
        ("Buildkite", "buildkite", "pipeline.yml"),
        ("Azure Pipelines", "azure-pipelines", "azure-pipelines.yml"),
        ("Bitbucket Pipelines", "bitbucket-pipelines", "bitbucket-pipelines.yml"),
    ],
)
def test_other_ci_recipes_validate(tmp_path: Path, ci: str, schema: str, name: str) -> None:
    validate(tmp_path, schema, name, recipe(ci))


def test_a_broken_recipe_does_not_validate(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        validate(
            tmp_path, "gitlab-ci", ".gitlab-ci.yml", recipe("GitLab CI").replace("script:", "scripts:", 1)
        )


def test_each_recipe_runs_after_the_deploy_whatever_its_outcome() -> None:
    # What makes each CI run the recording after a failed deploy, and pass that outcome on.
    gitlab = yaml.safe_load(recipe("GitLab CI"))
    assert gitlab["track-deployment"]["needs"] == ["deploy"]  # waits for a manual deploy too
    assert [rule["when"] for rule in gitlab["track-deployment"]["rules"]] == ["always"]
    assert gitlab["track-deployment"]["rules"] == [{**gitlab["deploy"]["rules"][0], "when": "always"}]
    assert gitlab["deploy"]["artifacts"]["when"] == "always"
    assert "$CI_JOB_STATUS" in gitlab["deploy"]["after_script"][0]

    jenkins = recipe("Jenkins")
    post = jenkins[jenkins.index("\n  post {") :]
    assert post.split("\n")[2].strip() == "always {"
    assert "currentBuild.currentResult" in post and '--status "$DEPLOY_RESULT"' in post
    assert jenkins.count("{") == jenkins.count("}")

    circleci = yaml.safe_load(recipe("CircleCI"))["jobs"]["deploy"]["steps"]
    runs = [step["run"] for step in circleci if isinstance(step, dict)]
    assert [run.get("when") if isinstance(run, dict) else None for run in runs][-2:] == ["on_fail", "always"]

    azure = yaml.safe_load(recipe("Azure Pipelines"))["steps"][-1]
    assert azure["condition"] == "always()" and 'status="$AGENT_JOBSTATUS"' in azure["script"]

    bitbucket = yaml.safe_load(recipe("Bitbucket Pipelines"))["pipelines"]["branches"]["main"][0]["step"]
    assert "$BITBUCKET_EXIT_CODE" in bitbucket["after-script"][0]


def shell(ci: str) -> str:
    """The shell a recipe runs to record, without installing the command."""
    text = recipe(ci)
    if ci == "GitLab CI":
        lines = yaml.safe_load(text)["track-deployment"]["script"]
    elif ci == "Jenkins":
        start = text.index("sh '''") + 6
        lines = text[start : text.index("'''", start)].replace(".track-deployment/bin/", "").splitlines()
    elif ci == "CircleCI":
        steps = yaml.safe_load(text)["jobs"]["deploy"]["steps"]
        lines = [steps[-1]["run"]["command"]]
    elif ci == "Buildkite":
        lines = [yaml.safe_load(text)["steps"][0]["command"].replace("$$", "$")]
    elif ci == "Azure Pipelines":
        lines = [yaml.safe_load(text)["steps"][-1]["script"]]
    else:
        lines = yaml.safe_load(text)["pipelines"]["branches"]["main"][0]["step"]["after-script"]
    script = "\n".join(lines)
    return "\n".join(line for line in script.splitlines() if not re.search(r"pip install|-m venv", line))


# Each CI's variables where the recipe records, with the deploy's outcome set by the case.
VARIABLES: dict[str, dict[str, str]] = {
    "GitLab CI": {
        "CI_COMMIT_SHA": SHA,
        "CI_COMMIT_BRANCH": "main",
        "CI_PROJECT_URL": "https://gitlab.example.com/octo-org/shop",
        "GITLAB_USER_ID": "42",
        "CI_COMMIT_TITLE": "Merge branch 'gift-cards' into 'main'",
        "CI_COMMIT_MESSAGE": "Merge branch 'gift-cards' into 'main'\n\nSee merge request octo-org/shop!412",
        "CI_PIPELINE_URL": "https://gitlab.example.com/octo-org/shop/-/pipelines/7",
        "DEPLOY_STARTED_AT": "1700000000",
    },
    "Jenkins": {
        "GIT_COMMIT": SHA,
        "GIT_BRANCH": "origin/main",
        "GIT_URL": "git@github.com:octo-org/shop.git",
        "IFTRUE_MEMBER_ID": "583231",
        "BUILD_NUMBER": "7",
        "BUILD_URL": "https://ci.example.com/job/shop/7/",
        "DEPLOY_STARTED_AT": "1700000000",
    },
    "CircleCI": {
        "CIRCLE_SHA1": SHA,
        "CIRCLE_BRANCH": "main",
        "CIRCLE_PROJECT_USERNAME": "octo-org",
        "CIRCLE_PROJECT_REPONAME": "shop",
        "IFTRUE_MEMBER_ID": "583231",
        "CIRCLE_BUILD_NUM": "7",
        "CIRCLE_BUILD_URL": "https://circleci.com/gh/octo-org/shop/7",
        "DEPLOY_STARTED_AT": "1700000000",
    },
    "Buildkite": {
        "BUILDKITE_COMMIT": SHA,
        "BUILDKITE_BRANCH": "main",
        "IFTRUE_MEMBER_ID": "583231",
        "BUILDKITE_MESSAGE": "Add gift cards (#412)\n\nThe body.",
        "BUILDKITE_BUILD_URL": "https://buildkite.com/octo-org/shop/builds/7",
        "BUILDKITE_PULL_REQUEST": "false",
    },
    "Azure Pipelines": {
        "BUILD_SOURCEVERSION": SHA,
        "BUILD_SOURCEBRANCH": "refs/heads/main",
        "BUILD_REPOSITORY_URI": "https://dev.azure.com/octo-org/shop/_git/shop",
        "BUILD_REQUESTEDFORID": "7c1e9a4f-0b2d-4c3e-9f8a-1b2c3d4e5f60",
        "BUILD_SOURCEVERSIONMESSAGE": "Merged PR 412: Add gift cards",
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/octo-org/",
        "SYSTEM_TEAMPROJECT": "shop",
        "BUILD_BUILDID": "7",
        "DEPLOY_STARTED_AT": "1700000000",
    },
    "Bitbucket Pipelines": {
        "BITBUCKET_COMMIT": SHA,
        "BITBUCKET_BRANCH": "main",
        "BITBUCKET_REPO_FULL_NAME": "octo-org/shop",
        "BITBUCKET_STEP_TRIGGERER_UUID": "{7c1e9a4f-0b2d-4c3e-9f8a-1b2c3d4e5f60}",
        "BITBUCKET_BUILD_NUMBER": "7",
    },
}

# (CI, the deploy's outcome as the CI gives it, the status sent: None when nothing is sent)
OUTCOMES: list[tuple[str, dict[str, Any], str | None]] = [
    ("GitLab CI", {"DEPLOY_STATUS": "success"}, "succes"),
    ("GitLab CI", {"DEPLOY_STATUS": "failed"}, "fail"),
    ("GitLab CI", {"DEPLOY_STATUS": "canceled"}, None),
    ("GitLab CI", {}, None),  # the deploy job ended before its after_script
    ("Jenkins", {"DEPLOY_RESULT": "SUCCESS"}, "succes"),
    ("Jenkins", {"DEPLOY_RESULT": "UNSTABLE"}, "succes"),
    ("Jenkins", {"DEPLOY_RESULT": "FAILURE"}, "fail"),
    ("Jenkins", {"DEPLOY_RESULT": "ABORTED"}, None),
    ("Jenkins", {"DEPLOY_RESULT": "NOT_BUILT"}, None),
    ("CircleCI", {}, "succes"),
    ("CircleCI", {"file": ".deploy-failed"}, "fail"),
    ("CircleCI", {"DEPLOY_STARTED_AT": ""}, None),  # a step before the deploy failed
    ("Buildkite", {"deploy": 0}, "succes"),
    ("Buildkite", {"deploy": 1}, "fail"),
    ("Azure Pipelines", {"AGENT_JOBSTATUS": "Succeeded"}, "succes"),
    ("Azure Pipelines", {"AGENT_JOBSTATUS": "SucceededWithIssues"}, "succes"),
    ("Azure Pipelines", {"AGENT_JOBSTATUS": "Failed"}, "fail"),
    ("Azure Pipelines", {"AGENT_JOBSTATUS": "Canceled"}, None),
    ("Bitbucket Pipelines", {"BITBUCKET_EXIT_CODE": "0"}, "succes"),
    ("Bitbucket Pipelines", {"BITBUCKET_EXIT_CODE": "1"}, "fail"),
]


# The merge commit each CI's recipe reads the pull request from.
MERGE_TITLE = {
    "Jenkins": "Merge pull request #412 from octo-org/gift-cards",
    "CircleCI": "Add gift cards (#412)",
    "Bitbucket Pipelines": "Merged in gift-cards (pull request #412)",
}


def run_recipe(
    tmp_path: Path, iftrue: FakeIftrue, ci: str, variables: dict[str, str], head: str = "", deploy: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run a recipe's shell as its CI would, in a clone whose last commit is titled `head`."""
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run(
        [*git, "commit", "-q", "--allow-empty", "-m", head or MERGE_TITLE.get(ci, "x")], check=True
    )
    command = tmp_path / "bin" / "track-deployment"
    command.parent.mkdir()
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m track_deployment "$@"\n')
    command.chmod(0o755)
    script = tmp_path / "deploy.sh"
    script.write_text(f"#!/bin/sh\nexit {deploy}\n")
    script.chmod(0o755)
    (tmp_path / ".deploy-started-at").write_text("1700000000\n")
    env = {
        "PATH": f"{command.parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
        "IFTRUE_TOKEN": TOKEN,
        "INPUT_API_URL": iftrue.url,
        **variables,
    }
    run = subprocess.run(
        ["bash", "-e", "-c", shell(ci)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    # The Buildkite step fails as its deploy did; everywhere else the recording step succeeds.
    assert run.returncode == deploy, run.stdout + run.stderr
    assert [line for line in run.stdout.splitlines() if line.startswith(("Warning", "Error"))] == [], (
        run.stdout
    )
    assert run.stderr == ""
    return run


@pytest.mark.parametrize(
    ("ci", "outcome", "sent"),
    OUTCOMES,
    ids=[f"{ci}-{'-'.join(map(str, o.values())) or 'none'}" for ci, o, _ in OUTCOMES],
)
def test_a_recipe_records_the_deploys_outcome(
    tmp_path: Path, iftrue: FakeIftrue, ci: str, outcome: dict[str, Any], sent: str | None
) -> None:
    if "file" in outcome:
        (tmp_path / outcome["file"]).touch()
    variables = {**VARIABLES[ci], **{name: value for name, value in outcome.items() if name.isupper()}}
    run = run_recipe(tmp_path, iftrue, ci, variables, deploy=outcome.get("deploy", 0))
    if sent is None:
        assert iftrue.requests == [], run.stdout
        assert run.stdout.rstrip().endswith("result=skipped"), run.stdout
        return
    [post] = iftrue.posts
    record = post.json()
    assert record["status"] == sent
    assert record["commit_id"] == SHA and record["branch"] == "main"
    assert record["deployment_duration"] > 0 or ci == "Buildkite"
    assert record["pull_request_number"] == (0 if ci == "Buildkite" else 412), record
    assert run.stdout.splitlines()[-1].startswith("result=created "), run.stdout


@pytest.mark.parametrize(
    ("ci", "variables", "head", "number"),
    [
        ("GitLab CI", {"CI_MERGE_REQUEST_IID": "413"}, "", 413),
        ("GitLab CI", {"CI_COMMIT_MESSAGE": "Fix a typo"}, "", 0),
        ("Jenkins", {"CHANGE_ID": "415"}, "Add gift cards", 415),
        ("Jenkins", {}, "Add gift cards (#414)", 414),
        ("CircleCI", {}, "Merge pull request #412 from octo-org/gift-cards", 412),
        ("CircleCI", {}, "Fix a typo", 0),
        ("Buildkite", {"BUILDKITE_PULL_REQUEST": "416"}, "", 416),
        ("Azure Pipelines", {"BUILD_SOURCEVERSIONMESSAGE": "Fix a typo"}, "", 0),
        ("Bitbucket Pipelines", {"BITBUCKET_PR_ID": "417"}, "Fix a typo", 417),
        ("Bitbucket Pipelines", {}, "Fix a typo", 0),
    ],
)
def test_a_recipe_finds_the_pull_request(
    tmp_path: Path, iftrue: FakeIftrue, ci: str, variables: dict[str, str], head: str, number: int
) -> None:
    success = {"GitLab CI": {"DEPLOY_STATUS": "success"}, "Jenkins": {"DEPLOY_RESULT": "SUCCESS"}}
    success |= {"Azure Pipelines": {"AGENT_JOBSTATUS": "Succeeded"}}
    success |= {"Bitbucket Pipelines": {"BITBUCKET_EXIT_CODE": "0"}}
    run_recipe(tmp_path, iftrue, ci, {**VARIABLES[ci], **success.get(ci, {}), **variables}, head)
    assert iftrue.posts[0].json()["pull_request_number"] == number


@pytest.mark.parametrize(("where", "block"), github_workflows(), ids=[w for w, _ in github_workflows()])
def test_a_recipe_sends_the_deploy_steps_outcome(where: str, block: str) -> None:
    # `${{ job.status }}` would record a failed test step of the same job as a failed deploy.
    for job in yaml.safe_load(block)["jobs"].values():
        steps = job.get("steps", [])
        for number, step in enumerate(steps):
            status = step.get("with", {}).get("status") if "iftrue" in step.get("uses", "") else None
            if status is None:
                continue
            found = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outcome \}\}", status)
            assert found, (where, status)
            assert found.group(1) in [s.get("id") for s in steps[:number]], where
            assert step["if"] == "always()", where
