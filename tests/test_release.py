"""scripts/release.py, run as the release workflow runs it: on real files, git clones and images."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import test_container
import yaml
from support import PAYLOADS, ROOT

SCRIPT = ROOT / "scripts" / "release.py"
image = test_container.image  # the session's image fixture, built once
DIGEST = "sha256:" + "0123456789abcdef" * 4
OTHER_DIGEST = "sha256:" + "fedcba9876543210" * 4
IMAGE = "ghcr.io/iftrue/track-deployment"


def release(*args: str, repo: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "GITHUB_ACTIONS": "", **(env or {})},
        check=False,
        timeout=120,
    )


def refused(proc: subprocess.CompletedProcess[str], message: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


# --- render ------------------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    return tmp_path


def test_render_names_the_image_by_digest_and_changes_nothing_else(checkout: Path) -> None:
    proc = release("render", "--digest", DIGEST, repo=checkout)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"action.yml runs docker://{IMAGE}@{DIGEST}\n"
    source = (ROOT / "action.yml").read_text()
    rendered = (checkout / "action.yml").read_text()
    changed = [(a, b) for a, b in zip(source.splitlines(), rendered.splitlines(), strict=True) if a != b]
    assert changed == [("  image: Dockerfile", f"  image: docker://{IMAGE}@{DIGEST}")]
    before, after = yaml.safe_load(source), yaml.safe_load(rendered)
    assert after["runs"] == {"using": "docker", "image": f"docker://{IMAGE}@{DIGEST}"}
    assert after["inputs"] == before["inputs"] and after["outputs"] == before["outputs"]
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}


def test_rendered_action_passes_the_action_schema(checkout: Path) -> None:
    assert release("render", "--digest", DIGEST, repo=checkout).returncode == 0
    schema = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-actions",
            str(checkout / "action.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr


@pytest.mark.parametrize(
    "digest",
    [
        "1.2.3",
        "latest",
        "v1",
        f"{IMAGE}:1.2.3",
        f"{IMAGE}@{DIGEST}",
        "sha256:0123abc",
        DIGEST.upper().replace("SHA256", "sha256"),
        DIGEST[:-1] + "g",
        DIGEST + "0",
        "sha512:" + "0" * 128,
        f"{DIGEST}\n  using: node20",
        "",
    ],
)
def test_render_refuses_anything_but_a_digest(checkout: Path, digest: str) -> None:
    proc = release("render", "--digest", digest, repo=checkout)
    refused(proc, "is not sha256: followed by 64 lower-case hex digits")
    assert (checkout / "action.yml").read_text() == (ROOT / "action.yml").read_text()


@pytest.mark.parametrize(
    "name",
    [
        f"{IMAGE}:1.2.3",
        f"{IMAGE}@{DIGEST}",
        "ghcr.io/IFTRUE/track-deployment",
        "track deployment",
        "docker://x/y",
    ],
)
def test_render_refuses_an_image_with_a_tag_or_a_bad_name(checkout: Path, name: str) -> None:
    proc = release("render", "--image", name, "--digest", DIGEST, repo=checkout)
    refused(proc, "is not a lower-case registry/repository name without a tag or digest")
    assert (checkout / "action.yml").read_text() == (ROOT / "action.yml").read_text()


def test_render_refuses_an_action_already_rendered(checkout: Path) -> None:
    assert release("render", "--digest", DIGEST, repo=checkout).returncode == 0
    proc = release("render", "--digest", OTHER_DIGEST, repo=checkout)
    refused(proc, f"found ['docker://{IMAGE}@{DIGEST}']")
    assert DIGEST in (checkout / "action.yml").read_text()


def test_render_works_in_the_current_directory_by_default(checkout: Path) -> None:
    # Without --repo, the clone the command runs in: never the checkout the script came from.
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "render", "--digest", DIGEST],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"image: docker://{IMAGE}@{DIGEST}" in (checkout / "action.yml").read_text()
    assert "  image: Dockerfile\n" in (ROOT / "action.yml").read_text()


def test_in_github_actions_a_refusal_is_an_error_annotation(checkout: Path) -> None:
    proc = release("render", "--digest", "1.2.3", repo=checkout, env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=Release stopped::Digest '1.2.3' is not sha256:")
    assert proc.stdout.count("\n") == 1


# --- check and tag, on git clones ---------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


def set_version(repo: Path, version: str, *, changelog: bool = True) -> None:
    (repo / "src/track_deployment").mkdir(parents=True, exist_ok=True)
    (repo / "pyproject.toml").write_text(f'[project]\nname = "track-deployment"\nversion = "{version}"\n')
    (repo / "src/track_deployment/__init__.py").write_text(f'"""Package."""\n\n__version__ = "{version}"\n')
    if changelog:
        log = repo / "CHANGELOG.md"
        log.write_text(f"# Changelog\n\n## [{version}]\n" + (log.read_text() if log.exists() else ""))
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", f"Version {version}")


class Origin:
    """A bare repository standing in for GitHub, with a working clone that makes its history."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.bare = tmp / "origin.git"
        self.work = tmp / "work"
        git(tmp, "init", "--quiet", "--bare", "-b", "main", str(self.bare))
        git(tmp, "clone", "--quiet", str(self.bare), str(self.work))
        for key, value in (("user.name", "Maintainer"), ("user.email", "m@example.org")):
            git(self.work, "config", key, value)
        shutil.copy(ROOT / "action.yml", self.work / "action.yml")

    def release_by_hand(self, version: str, *floating: str) -> str:
        """History made before this workflow: a version commit, its tag, the floating tags."""
        set_version(self.work, version)
        git(self.work, "tag", "-a", f"v{version}", "-m", f"v{version}")
        for name in floating:
            git(self.work, "tag", "-f", name)
        git(self.work, "push", "--quiet", "--force", "origin", "main", "--tags")
        return git(self.work, "rev-parse", "HEAD")

    def bump(self, version: str) -> None:
        set_version(self.work, version)
        git(self.work, "push", "--quiet", "origin", "main")

    def clone(self) -> Path:
        """A release job's checkout, a new one each run: every tag (fetch-depth 0), git identity set."""
        path = self.tmp / f"runner{len(list(self.tmp.glob('runner*')))}"
        git(self.tmp, "clone", "--quiet", str(self.bare), str(path))
        for key, value in (("user.name", "github-actions[bot]"), ("user.email", "bot@example.org")):
            git(path, "config", key, value)
        return path

    def refs(self) -> dict[str, str]:
        """Each tag of the origin and the commit it names."""
        lines = git(
            self.bare, "for-each-ref", "--format=%(refname:short) %(objectname) %(*objectname)", "refs/tags"
        )
        refs = {}
        for line in lines.splitlines():
            name, target, *peeled = line.split()
            refs[name] = peeled[0] if peeled else target  # an annotated tag names its commit through the tag
        return refs


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    return Origin(tmp_path)


def test_check_accepts_the_project_version_and_writes_outputs(origin: Origin, tmp_path: Path) -> None:
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    origin.bump("1.1.0")
    out = tmp_path / "out"
    proc = release(
        "check", "1.1.0", "--ref", "refs/heads/main", repo=origin.clone(), env={"GITHUB_OUTPUT": str(out)}
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == "version=1.1.0\n"


@pytest.mark.parametrize(
    ("version", "ref", "message"),
    [
        ("v1.1.0", "refs/heads/main", "Version 'v1.1.0' is not of the form X.Y.Z"),
        ("1.1", "refs/heads/main", "Version '1.1' is not of the form X.Y.Z"),
        ("01.1.0", "refs/heads/main", "is not of the form X.Y.Z"),
        ("1.1.0-rc.1", "refs/heads/main", "is not of the form X.Y.Z"),
        ("1.1.0\n::warning::x", "refs/heads/main", "is not of the form X.Y.Z"),
        ("1.2.0", "refs/heads/main", "The project is not at version 1.2.0 (pyproject.toml says 1.1.0;"),
        ("1.0.0", "refs/heads/main", "The project is not at version 1.0.0"),
        (
            "1.1.0",
            "refs/heads/feature",
            "Releases start from main or a release/X.Y branch, not refs/heads/feature",
        ),
        ("1.1.0", "refs/tags/v1.1.0", "Releases start from main or a release/X.Y branch"),
        ("1.1.0", "refs/heads/release/1.0", "Branch release/1.0 releases 1.0.x only, not 1.1.0."),
    ],
)
def test_check_refuses(origin: Origin, tmp_path: Path, version: str, ref: str, message: str) -> None:
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    origin.bump("1.1.0")
    out = tmp_path / "out"
    proc = release("check", version, "--ref", ref, repo=origin.clone(), env={"GITHUB_OUTPUT": str(out)})
    refused(proc, message)
    assert not out.exists()


def test_check_refuses_a_version_missing_from_the_changelog(origin: Origin) -> None:
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    set_version(origin.work, "1.1.0", changelog=False)
    git(origin.work, "push", "--quiet", "origin", "main")
    proc = release("check", "1.1.0", "--ref", "refs/heads/main", repo=origin.clone())
    refused(proc, "CHANGELOG.md has no '## [1.1.0]' section")


def test_check_refuses_a_version_already_tagged(origin: Origin) -> None:
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    proc = release("check", "1.0.0", "--ref", "refs/heads/main", repo=origin.clone())
    refused(proc, "Tag v1.0.0 already exists, and a released version is never re-tagged")


def test_check_accepts_a_release_branch_of_its_line(origin: Origin) -> None:
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    origin.bump("1.0.1")
    assert release("check", "1.0.1", "--ref", "refs/heads/release/1.0", repo=origin.clone()).returncode == 0


def tag(
    origin: Origin, version: str, digest: str = DIGEST, out: Path | None = None
) -> subprocess.CompletedProcess[str]:
    runner = origin.clone()
    assert release("render", "--digest", digest, repo=runner).returncode == 0
    return release("tag", version, repo=runner, env={"GITHUB_OUTPUT": str(out)} if out else None)


def test_tag_creates_the_version_and_moves_the_floating_tags(origin: Origin, tmp_path: Path) -> None:
    first = origin.release_by_hand("1.0.0", "v1.0", "v1")
    origin.bump("1.1.0")
    source = git(origin.work, "rev-parse", "HEAD")
    out = tmp_path / "out"
    proc = tag(origin, "1.1.0", out=out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Pushed v1.1.0; moved v1.1, v1\n"
    assert out.read_text() == "moved=v1.1 v1\n"
    refs = origin.refs()
    release_commit = refs["v1.1.0"]
    assert refs == {
        "v1.0.0": first,
        "v1.0": first,
        "v1.1.0": release_commit,
        "v1.1": release_commit,
        "v1": release_commit,
    }
    assert git(origin.bare, "cat-file", "-t", "refs/tags/v1.1.0") == "tag"  # annotated, created once
    assert git(origin.bare, "rev-parse", f"{release_commit}^") == source
    action = git(origin.bare, "show", f"{release_commit}:action.yml")
    assert yaml.safe_load(action)["runs"]["image"] == f"docker://{IMAGE}@{DIGEST}"
    assert git(origin.bare, "diff", "--name-only", source, release_commit) == "action.yml"
    # The release commit is reached through its tag only; main stays as the maintainers left it.
    assert git(origin.bare, "rev-parse", "main") == source


def test_a_backport_moves_its_minor_tag_but_not_the_major(origin: Origin) -> None:
    origin.release_by_hand("1.0.0", "v1.0")
    newest = origin.release_by_hand("1.1.0", "v1.1", "v1")
    git(origin.work, "checkout", "--quiet", "-b", "release/1.0", "v1.0.0")
    set_version(origin.work, "1.0.1")
    git(origin.work, "push", "--quiet", "origin", "release/1.0")
    runner = origin.clone()
    git(runner, "checkout", "--quiet", "origin/release/1.0")
    assert release("render", "--digest", DIGEST, repo=runner).returncode == 0
    proc = release("tag", "1.0.1", repo=runner)
    assert proc.returncode == 0, proc.stderr
    refs = origin.refs()
    assert refs["v1.0"] == refs["v1.0.1"] != newest
    assert refs["v1"] == refs["v1.1"] == refs["v1.1.0"] == newest


def test_a_new_major_creates_its_floating_tags(origin: Origin) -> None:
    one = origin.release_by_hand("1.4.2", "v1.4", "v1")
    origin.bump("2.0.0")
    assert tag(origin, "2.0.0").returncode == 0
    refs = origin.refs()
    assert refs["v2"] == refs["v2.0"] == refs["v2.0.0"] != one
    assert refs["v1"] == refs["v1.4"] == refs["v1.4.2"] == one


def test_tag_refuses_a_version_that_is_tagged(origin: Origin) -> None:
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    before = origin.refs()
    proc = tag(origin, "1.0.0")
    refused(proc, "Tag v1.0.0 already exists and is not the release commit this run makes")
    assert origin.refs() == before


def test_a_rerun_after_the_tag_push_keeps_the_tag_and_goes_on(origin: Origin, tmp_path: Path) -> None:
    # The first run pushed the tags, then failed (say, creating the GitHub release); "Re-run
    # failed jobs" checks out the same source commit and renders the same digest again.
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    origin.bump("1.1.0")
    assert tag(origin, "1.1.0").returncode == 0
    before = origin.refs()
    git(origin.bare, "tag", "-f", "v1", "v1.0.0")  # as if the floating tags had not moved
    out = tmp_path / "out"
    proc = tag(origin, "1.1.0", out=out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Kept v1.1.0, already this release commit; moved v1.1, v1\n"
    assert out.read_text() == "moved=v1.1 v1\n"  # so the image's floating tags move too
    assert origin.refs() == before
    assert git(origin.bare, "rev-list", "--count", "--all") == "3"  # no second release commit


@pytest.mark.parametrize(
    "elsewhere",
    ["other digest", "source commit", "lightweight", "other parent"],
)
def test_a_rerun_refuses_a_version_tag_that_is_not_its_release_commit(origin: Origin, elsewhere: str) -> None:
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    origin.bump("1.1.0")
    if elsewhere == "other digest":
        assert tag(origin, "1.1.0", digest=OTHER_DIGEST).returncode == 0
    else:
        assert tag(origin, "1.1.0").returncode == 0
        release_commit = origin.refs()["v1.1.0"]
        target = {"source commit": "main", "lightweight": release_commit, "other parent": "v1.0.0"}[elsewhere]
        if elsewhere == "other parent":  # the same tree, on top of another commit
            tree = git(origin.bare, "rev-parse", f"{release_commit}^{{tree}}")
            target = git(origin.bare, "commit-tree", tree, "-p", "v1.0.0^{commit}", "-m", "x")
        options = [] if elsewhere == "lightweight" else ["-a", "-m", "x"]
        git(origin.bare, "tag", "-f", *options, "v1.1.0", target)
    before = origin.refs()
    proc = tag(origin, "1.1.0")
    refused(proc, "Tag v1.1.0 already exists and is not the release commit this run makes")
    assert origin.refs() == before


def test_tag_never_forces_the_version_tag(origin: Origin, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every git command the release runs, recorded: no option forces or deletes, and only the
    # floating tags are pushed with a forced (+) refspec, in a first run and in a re-run.
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    origin.bump("1.1.0")
    script = load_script()
    calls: list[tuple[str, ...]] = []
    real_git = script.git

    def recording_git(*args: str, cwd: Path) -> str:
        calls.append(args)
        return real_git(*args, cwd=cwd)

    monkeypatch.setattr(script, "git", recording_git)
    for rerun in (False, True):
        runner = origin.clone()
        assert release("render", "--digest", DIGEST, repo=runner).returncode == 0
        assert script.tag("1.1.0", runner, "origin") == (["v1.1", "v1"], rerun)
    words = {word for call in calls for word in call}
    assert not words & {"-f", "--force", "--force-with-lease", "-d", "--delete", "--mirror", "--prune"}
    pushes = [call for call in calls if call[0] == "push"]
    assert len(pushes) == 2
    forced = [word for push in pushes for word in push if word.startswith("+")]
    assert [word.split(":")[1] for word in forced] == ["refs/tags/v1.1", "refs/tags/v1"] * 2
    assert [word for push in pushes for word in push if "v1.1.0" in word] == ["refs/tags/v1.1.0"]


def test_a_version_tagged_meanwhile_is_not_overwritten_and_nothing_moves(origin: Origin) -> None:
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    origin.bump("1.1.0")
    runner = origin.clone()  # the job's checkout, made before someone else tags v1.1.0
    assert release("render", "--digest", DIGEST, repo=runner).returncode == 0
    git(origin.work, "tag", "-a", "v1.1.0", "-m", "by hand")
    git(origin.work, "push", "--quiet", "origin", "v1.1.0")
    before = origin.refs()
    proc = release("tag", "1.1.0", repo=runner)
    refused(proc, "git push --atomic origin refs/tags/v1.1.0")
    assert "rejected" in proc.stderr
    assert origin.refs() == before  # v1.1.0 kept, and the atomic push moved no floating tag


def test_tag_refuses_an_action_not_rendered(origin: Origin) -> None:
    origin.release_by_hand("1.0.0", "v1.0", "v1")
    origin.bump("1.1.0")
    before = origin.refs()
    proc = release("tag", "1.1.0", repo=origin.clone())
    refused(proc, "action.yml does not name an image by digest: run `render` first.")
    assert origin.refs() == before


def load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("release_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("version", "released", "moves"),
    [
        ((1, 2, 0), set(), ["v1.2", "v1"]),
        ((1, 2, 1), {(1, 2, 0), (1, 1, 9)}, ["v1.2", "v1"]),
        ((1, 1, 10), {(1, 2, 0), (1, 1, 9)}, ["v1.1"]),
        ((1, 2, 3), {(1, 2, 5)}, []),
        ((2, 0, 0), {(1, 9, 9), (3, 0, 0)}, ["v2.0", "v2"]),
        ((1, 10, 0), {(1, 9, 0)}, ["v1.10", "v1"]),  # numbers, not strings: 10 > 9
    ],
)
def test_floating_tags_only_move_forward(
    version: tuple[int, int, int], released: set[tuple[int, int, int]], moves: list[str]
) -> None:
    assert load_script().floating_tags(version, released) == moves


# --- smoke, on the action's image -----------------------------------------------------------------


@pytest.mark.docker
@pytest.mark.xdist_group("docker")
def test_smoke_runs_the_image_dry_on_a_bundled_event(image: str) -> None:
    proc = release("smoke", image, "--event", str(PAYLOADS / "release.json"), repo=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.endswith(f"{image} ran a dry run on release.json\n")
    assert '"title": "v2.4.0"' in proc.stdout  # the record the image printed


@pytest.mark.docker
@pytest.mark.xdist_group("docker")
def test_smoke_fails_when_the_image_fails(image: str, tmp_path: Path) -> None:
    broken = tmp_path / "release.json"
    broken.write_text("{not json")
    proc = release("smoke", image, "--event", str(broken), repo=ROOT)
    refused(proc, f"The image {image} failed its dry run on release.json: exit code 1, result 'failed'")
