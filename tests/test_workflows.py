"""The workflows as written: pinned actions, least privilege, and a release that never rewrites a version."""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import REPO, ROOT, SHA, FakeIftrue, payload, run_action, runner_env

WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
RELEASE = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
JOBS: dict[str, dict[str, Any]] = RELEASE["jobs"]
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*")


def steps(job: str) -> list[dict[str, Any]]:
    return JOBS[job]["steps"]  # type: ignore[no-any-return]


def scripts(job: str) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def uses(job: str) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(job) if "uses" in step]


def needs(job: str) -> set[str]:
    """Every job this one waits for, directly or not."""
    direct = JOBS[job].get("needs", [])
    direct = [direct] if isinstance(direct, str) else direct
    return set(direct).union(*(needs(name) for name in direct))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha_with_its_version(path: Path) -> None:
    lines = [line.split("uses:", 1)[1].strip() for line in path.read_text().splitlines() if "uses:" in line]
    assert lines
    unpinned = [
        ref for ref in lines if not ref.startswith("./") and not PINNED.fullmatch(ref)
    ]  # ./: this repository
    assert unpinned == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_permission_by_default_and_a_timeout_on_every_job(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, name
        assert 0 < job["timeout-minutes"] <= 30, name


def test_release_jobs_have_least_privilege() -> None:
    writes = {
        name: {scope for scope, level in job["permissions"].items() if level == "write"}
        for name, job in JOBS.items()
    }
    assert writes == {
        "prepare": set(),
        "image": {"packages"},
        "attest": {"id-token", "attestations"},
        "verify": set(),
        "publish": {"contents"},
        "image-tags": {"packages"},
        "dist": set(),
        "pypi": {"id-token"},
    }
    for name, job in JOBS.items():
        assert set(job["permissions"].values()) <= {"read", "write"}, name


@pytest.mark.parametrize("job", ["attest", "pypi"])
def test_the_oidc_token_never_sits_beside_project_code(job: str) -> None:
    # No checkout, no shell: a job that can mint a signing or upload token runs pinned actions only.
    assert not [step for step in steps(job) if "run" in step]
    assert "actions/checkout" not in uses(job)


def test_pypi_is_published_by_trusted_publishing_from_its_environment() -> None:
    assert JOBS["pypi"]["environment"] == "pypi"
    assert uses("pypi") == ["actions/download-artifact", "pypa/gh-action-pypi-publish"]
    assert not any("with" in step and "password" in step["with"] for step in steps("pypi"))
    # A re-run after a partial upload finishes it instead of failing on the files already there.
    [publish] = [step for step in steps("pypi") if "gh-action-pypi-publish" in step["uses"]]
    assert publish["with"] == {"skip-existing": True}
    assert needs("pypi") >= {"dist", "publish", "verify"}
    build = scripts("dist")
    assert "--require-hashes -r requirements-build.txt" in build
    assert "python -m build --no-isolation" in build  # the backend comes from the lock, not the index
    assert [s["with"]["ref"] for s in steps("dist") if "checkout" in s.get("uses", "")] == [
        "refs/tags/v${{ needs.prepare.outputs.version }}"
    ]


def test_checkouts_keep_no_credentials_except_where_tags_are_pushed() -> None:
    for path in WORKFLOWS:
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    expected = path.name == "release.yml" and name == "publish"
                    assert step["with"]["persist-credentials"] is expected, (path.name, name)


def test_a_release_starts_by_hand_with_a_checked_version() -> None:
    triggers = RELEASE.get("on", RELEASE.get(True))
    assert list(triggers) == ["workflow_dispatch"]
    assert triggers["workflow_dispatch"]["inputs"]["version"]["required"] is True
    assert 'scripts/release.py check "$VERSION" --ref "$GITHUB_REF"' in scripts("prepare")
    assert [s["env"]["VERSION"] for s in steps("prepare") if "run" in s] == ["${{ inputs.version }}"]
    assert RELEASE["concurrency"] == {"group": "release", "cancel-in-progress": False}
    assert all("prepare" in needs(name) for name in JOBS if name != "prepare")


# Options of git that force, delete or mirror refs; and a forced push of a version tag.
FORCING = {"-f", "--force", "--force-with-lease", "-d", "--delete", "--mirror", "--prune"}
FORCED = re.compile(r"git\b[^\n]*\s(-f|-d|--force\S*|--delete|--mirror|\+\S*refs/tags/v\$)")


def git_calls(path: Path) -> list[list[str | None]]:
    """The arguments of each git(...) call in a script: literal strings, None for anything computed."""
    calls = [
        node
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "git"
    ]
    return [
        [
            arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
            for arg in call.args
        ]
        for call in calls
    ]


def test_no_step_forces_a_tag() -> None:
    # Every value of every step (run, with, env), not only the shell scripts.
    for name in JOBS:
        assert FORCED.search(yaml.safe_dump(steps(name), width=10_000)) is None, name
    # Every git command of the release script: none forces or deletes by an option. The only
    # forced refspecs, "+commit:refs/tags/vX.Y" and "+…vX", are computed; tests/test_release.py
    # records each git command of a release and shows they name the floating tags only.
    calls = git_calls(ROOT / "scripts/release.py")
    assert {call[0] for call in calls} >= {"tag", "push", "commit"}
    assert not [call for call in calls if FORCING & set(call)]
    [push] = [call for call in calls if call[0] == "push"]
    assert push[:2] == ["push", "--atomic"]


def test_the_verify_job_pulls_signed_out() -> None:
    # No login anywhere in the job: the pull and the runner's own run are anonymous, as a user's.
    assert "docker/login-action" not in uses("verify")
    assert not re.search(
        r"docker\s+login|--password|GITHUB_TOKEN|github\.token", yaml.safe_dump(steps("verify"))
    )
    assert "secrets" not in yaml.safe_dump(JOBS["verify"])


def image_check(tmp_path: Path, answer: str, code: int) -> subprocess.CompletedProcess[str]:
    """The image job's tag check, run by bash as the runner runs it, against a registry's answer."""
    [step] = [
        step for step in steps("image") if step.get("name") == "Refuse an image tag that already exists"
    ]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    docker = bin_dir / "docker"  # stands in for `docker buildx imagetools inspect`: prints the answer
    docker.write_text(f"#!/bin/sh\ncat >&2 <<'EOF'\n{answer}\nEOF\nexit {code}\n")
    docker.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "IMAGE": "ghcr.io/iftrue/track-deployment",
        "VERSION": "1.2.3",
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_the_image_tag_check_treats_only_not_found_as_free(tmp_path: Path) -> None:
    ref = "ghcr.io/iftrue/track-deployment:1.2.3"
    free = image_check(tmp_path / "free", f"ERROR: {ref}: not found", 1)
    assert (free.returncode, free.stdout) == (0, f"{ref} does not exist yet.\n")
    taken = image_check(tmp_path / "taken", '{"schemaVersion": 2}', 0)
    assert taken.returncode == 1
    assert f"::error title=Release stopped::{ref} already exists and is never rewritten" in taken.stdout
    for answer in (
        f"ERROR: failed to authorize: failed to fetch anonymous token: 403 Forbidden ({ref})",
        "ERROR: dial tcp: lookup ghcr.io: no such host",
        f"ERROR: unexpected status from HEAD request to https://ghcr.io/v2/x/manifests/1.2.3: 500 ({ref})",
    ):
        broken = image_check(tmp_path / str(len(answer)), answer, 1)
        assert broken.returncode == 1, answer
        assert f"::error title=Release stopped::Could not tell whether {ref} exists:" in broken.stdout
        assert answer in broken.stdout


def test_the_build_helper_images_are_pinned_by_version() -> None:
    env = RELEASE["env"]
    assert re.fullmatch(r"docker\.io/tonistiigi/binfmt:qemu-v\d+\.\d+\.\d+-\d+", env["BINFMT_IMAGE"])
    assert re.fullmatch(r"docker\.io/moby/buildkit:v\d+\.\d+\.\d+", env["BUILDKIT_IMAGE"])
    for name, job in JOBS.items():
        for step in job["steps"]:
            action = step.get("uses", "").split("@")[0]
            if action == "docker/setup-qemu-action":
                assert step["with"] == {"image": "${{ env.BINFMT_IMAGE }}", "platforms": "arm64"}, name
            if action == "docker/setup-buildx-action":
                assert step["with"] == {"driver-opts": "image=${{ env.BUILDKIT_IMAGE }}"}, name


def test_a_rerun_of_publish_keeps_what_the_first_run_made() -> None:
    # The tag step keeps a vX.Y.Z that is already this release commit (tests/test_release.py);
    # the release is created only when missing; the notes name the signing workflow.
    [create] = [step for step in steps("publish") if "gh release create" in step.get("run", "")]
    script = create["run"]
    assert (
        script.index('gh release view "v${VERSION}"')
        < script.index("exit 0")
        < script.index("gh release create")
    )
    assert "--signer-workflow ${workflow}" in script
    assert 'workflow="${GITHUB_REPOSITORY}/.github/workflows/release.yml"' in script


def test_the_build_attests_and_the_release_names_the_image_by_digest() -> None:
    [build] = [step for step in steps("image") if step.get("id") == "build"]
    assert build["with"]["provenance"] == "mode=max"
    assert build["with"]["sbom"] is True
    assert build["with"]["push"] is True
    assert JOBS["image"]["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
    [meta] = [step for step in steps("image") if step.get("id") == "meta"]
    assert meta["with"]["tags"] == "type=raw,value=${{ needs.prepare.outputs.version }}"
    for job in ("verify", "publish"):
        [render] = [step for step in steps(job) if "release.py render" in step.get("run", "")]
        assert render["run"] == 'python3 scripts/release.py render --image "$IMAGE" --digest "$DIGEST"'
        assert render["env"]["DIGEST"] == "${{ needs.image.outputs.digest }}"
    [attest] = [step for step in steps("attest") if "uses" in step]
    assert attest["with"]["subject-digest"] == "${{ needs.image.outputs.digest }}"
    assert "sed " not in "".join(scripts(name) for name in JOBS)


def test_tags_move_only_after_an_anonymous_pull_and_dry_runs() -> None:
    verify = scripts("verify")
    assert (
        verify.index("docker logout ghcr.io") < verify.index("docker pull") < verify.index("release.py smoke")
    )
    assert "--event examples/events/release.json" in verify
    assert "linux/amd64 linux/arm64" in verify
    # Removed after the smoke runs, so the runner pulls the rendered action's image itself.
    assert verify.index("release.py smoke") < verify.index('docker image rm "${IMAGE}@${DIGEST}"')
    rendered = [step for step in steps("verify") if step.get("uses") == "./"]
    assert [step["with"]["dry_run"] for step in rendered] == ["true"]
    assert needs("publish") >= {"verify", "attest"}
    assert needs("image-tags") >= {"publish", "verify"}
    assert "release.py tag" in scripts("publish")
    assert "imagetools create" in scripts("image-tags") and "imagetools create" not in scripts("image")


def test_ci_checks_the_locks() -> None:
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    assert "make lock-check" in [step.get("run") for step in ci["jobs"]["lint"]["steps"]]


CI = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
FORMAT = re.compile(r"format\(\s*'((?:[^']|'')*)',(.*?)\)\s*\|\|", re.DOTALL)


def ci_record(values: dict[str, str]) -> str:
    """SELF_TEST_RECORD of ci.yml on a pull_request event, its format() evaluated as GitHub does."""
    [(template, arguments)] = FORMAT.findall(CI["env"]["SELF_TEST_RECORD"])
    given = [values[name.strip()] for name in arguments.split(",")]
    parts = re.split(r"(\{\{|\}\}|\{\d+\})", template.replace("''", "'"))
    return "".join(
        "{" if part == "{{" else "}" if part == "}}" else given[int(part[1:-1])] if part[:1] == "{" else part
        for part in parts
    )


def test_ci_self_tests_send_a_record_on_pull_request_events(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """An opened pull request is skipped by design; the self-tests replay this record instead."""
    record = ci_record(
        {
            "github.run_id": "12345678901",
            "github.sha": SHA,
            "github.server_url": "https://github.com",
            "github.repository": REPO,
            "github.actor_id": "583231",
            "github.event.pull_request.number": "7",
        }
    )
    opened = payload("pull_request")
    opened["action"] = "opened"
    opened["pull_request"] |= {"state": "open", "merged": False, "merged_at": None, "closed_at": None}
    env = runner_env(tmp_path, "pull_request", opened, {"api_url": iftrue.url})
    # What the dry runs assert on these events.
    assert run_action({**env, "INPUT_DRY_RUN": "true"}).outputs["result"] == "skipped"
    run = run_action({**env, "INPUT_PAYLOAD": record, "GITHUB_OUTPUT": str(tmp_path / "replay_output")})
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "created"
    assert iftrue.posts[0].json() == {
        "title": "Self-test 12345678901",
        "branch": "self-test",
        "commit_id": SHA,
        "repository_url": f"https://github.com/{REPO}",
        "member_id": "583231",
        "pull_request_number": 7,
    }
    assert CI["env"]["DRY_RUN_RESULT"] == (
        "${{ github.event_name == 'pull_request' && 'skipped' || 'dry_run' }}"
    )


def test_ci_jobs_that_send_use_the_record_on_every_event() -> None:
    sending = [
        (name, step)
        for name, job in CI["jobs"].items()
        for step in job["steps"]
        if step.get("uses", "").startswith("./")
        and step.get("with", {}).get("token") == "not-a-real-token"
        and name != "misconfigured"
    ]
    assert {name for name, _ in sending} == {"self-test", "native", "mock-service"}
    for name, step in sending:
        assert step["with"]["payload"] == "${{ env.SELF_TEST_RECORD }}", name
