"""The workflows as written: pinned actions, least privilege, and a release that never rewrites a version."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import ROOT

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


FORCED = re.compile(r"git\b[^\n]*\s(-f|--force\S*|\+refs/tags/v\$\{?VERSION)")


def test_no_step_forces_a_tag() -> None:
    for name in JOBS:
        assert FORCED.search(scripts(name)) is None, name
    assert "tag -f" not in (ROOT / "scripts/release.py").read_text()
    # The script force-updates the floating tags by their own refspecs only (tests/test_release.py
    # shows the version tag is rejected, not rewritten, when it exists).
    assert 'f"+{commit}:refs/tags/{name}" for name in moves' in (ROOT / "scripts/release.py").read_text()


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
