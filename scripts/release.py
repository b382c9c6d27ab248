#!/usr/bin/env python3
"""The release steps of .github/workflows/release.yml, each refusing rather than rewriting.

  check VERSION     the version is X.Y.Z, is the project's version, and has no tag yet
  render            point action.yml at the released image by its digest
  smoke IMAGE       run an image once as a dry run on a bundled event, as the runner does
  tag VERSION       commit the rendered action.yml, create its vX.Y.Z tag, move vX.Y and vX
                    (in a re-run, a vX.Y.Z that is already this very release commit is kept)

Standard library only: it runs on the runner's own Python before anything is installed.
A release that pins more (native/action.yml's requirements, say) renders it in `render`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

# The bundled event the smoke run uses by default, in this script's own checkout.
EVENTS = Path(__file__).resolve().parent.parent / "examples/events"
DEFAULT_IMAGE = "ghcr.io/iftrue/track-deployment"
VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# A repository name as the distribution reference grammar allows it (lower case, no tag, no
# digest), under a registry host: github.com/distribution/reference, reference.go.
REPOSITORY = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+")
# The one line of action.yml that names the image; releases replace only its value.
IMAGE_LINE = re.compile(r"^(  image: )(.*)$", re.MULTILINE)
RELEASE_BRANCH = re.compile(r"refs/heads/release/(\d+\.\d+)")


class ReleaseError(Exception):
    """A release step cannot go on; the message says why and what to do."""


Version = tuple[int, int, int]


def parse_version(text: str) -> Version:
    match = VERSION.fullmatch(text)
    if match is None:
        raise ReleaseError(
            f"Version {text!r} is not of the form X.Y.Z (three whole numbers without leading zeros, "
            "no 'v' and no suffix), e.g. 1.4.0."
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def git(*args: str, cwd: Path) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def released_versions(repo: Path) -> set[Version]:
    """Versions with a vX.Y.Z tag in the clone (a checkout with fetch-depth 0 has every tag)."""
    tags = git("tag", "--list", "v*", cwd=repo).split()
    return {parse_version(tag[1:]) for tag in tags if VERSION.fullmatch(tag[1:])}


def project_versions(repo: Path) -> dict[str, str]:
    """The version each place of the project states, keyed by the file that states it."""
    found: dict[str, str] = {}
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    if "version" in project:
        found["pyproject.toml"] = project["version"]
    init = repo / "src/track_deployment/__init__.py"
    match = re.search(r'^__version__ = "([^"]+)"$', init.read_text(), re.MULTILINE)
    if match:
        found[str(init.relative_to(repo))] = match.group(1)
    return found


def check_project(version: str, repo: Path, ref: str | None) -> Version:
    """Refuse a bad version, one the project or changelog does not state, a wrong branch."""
    parsed = parse_version(version)
    if ref is not None:
        branch = RELEASE_BRANCH.fullmatch(ref)
        if ref != "refs/heads/main" and branch is None:
            raise ReleaseError(
                f"Releases start from main or a release/X.Y branch, not {ref}: "
                "choose the branch in 'Use workflow from'."
            )
        if branch is not None and not version.startswith(f"{branch.group(1)}."):
            raise ReleaseError(
                f"Branch release/{branch.group(1)} releases {branch.group(1)}.x only, not {version}."
            )
    stated = project_versions(repo)
    wrong = [f"{path} says {value}" for path, value in stated.items() if value != version]
    if not stated or wrong:
        raise ReleaseError(
            f"The project is not at version {version} ({'; '.join(wrong) or 'no version found'}): "
            "bump it (and CHANGELOG.md) in a pull request, merge it, then release."
        )
    changelog = repo / "CHANGELOG.md"
    if f"\n## [{version}]" not in changelog.read_text():
        raise ReleaseError(
            f"CHANGELOG.md has no '## [{version}]' section: add it in the pull request that bumps "
            "the version."
        )
    return parsed


def check(version: str, repo: Path, ref: str | None) -> Version:
    """check_project, and refuse a version that is tagged already."""
    parsed = check_project(version, repo, ref)
    if parsed in released_versions(repo):
        raise ReleaseError(
            f"Tag v{version} already exists, and a released version is never re-tagged: "
            "release the next version instead."
        )
    return parsed


def render(action: str, image: str, digest: str) -> str:
    """action.yml with its image replaced by the released image, named by digest; all else unchanged."""
    if DIGEST.fullmatch(digest) is None:
        raise ReleaseError(
            f"Digest {digest!r} is not sha256: followed by 64 lower-case hex digits; take the build "
            "step's digest output, never a tag."
        )
    if REPOSITORY.fullmatch(image) is None:
        raise ReleaseError(
            f"Image {image!r} is not a lower-case registry/repository name without a tag or digest, "
            f"e.g. {DEFAULT_IMAGE}."
        )
    lines = IMAGE_LINE.findall(action)
    if lines != [("  image: ", "Dockerfile")]:
        raise ReleaseError(
            "action.yml must name its image on exactly one line, '  image: Dockerfile' under 'runs:' "
            f"(found {[value for _, value in lines]}); a release renders the source action.yml only."
        )
    return IMAGE_LINE.sub(lambda m: f"{m.group(1)}docker://{image}@{digest}", action)


def smoke(image: str, event: Path, platform: str | None) -> None:
    """Run the image as the runner runs a Docker action, dry, offline, and expect result=dry_run."""
    if shutil.which("docker") is None:
        raise ReleaseError("No docker command: the smoke run needs a Docker engine.")
    with tempfile.TemporaryDirectory() as tmp:
        commands = Path(tmp)
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event.stem,
            "GITHUB_EVENT_PATH": "/github/workflow/event.json",
            "GITHUB_OUTPUT": "/github/file_commands/output",
            "GITHUB_STEP_SUMMARY": "/github/file_commands/summary",
            "GITHUB_REPOSITORY": "octo-org/shop",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_SHA": "9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b",
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
            "GITHUB_RUN_ID": "1",
            "GITHUB_RUN_NUMBER": "1",
            "GITHUB_WORKFLOW": "Release smoke test",
            "GITHUB_ACTOR_ID": "583231",
            "INPUT_DRY_RUN": "true",
            "INPUT_GITHUB_TOKEN": "",
        }
        command = ["docker", "run", "--rm", "--pull", "never", "--network", "none"]
        command += ["--platform", platform] if platform else []
        command += ["-v", f"{event.resolve()}:/github/workflow/event.json:ro"]
        command += ["-v", f"{commands}:/github/file_commands"]
        for name in env:
            command += ["-e", name]
        proc = subprocess.run([*command, image], env={**os.environ, **env}, check=False, timeout=300)
        output = commands / "output"
        text = output.read_text() if output.exists() else ""
        result = re.search(r"^result<<(\S+)\n(.*?)\n\1$", text, re.MULTILINE)
        if proc.returncode != 0 or result is None or result.group(2) != "dry_run":
            raise ReleaseError(
                f"The image {image} failed its dry run on {event.name}: exit code {proc.returncode}, "
                f"result {result.group(2) if result else 'missing'!r} (expected dry_run); see the log above."
            )


def floating_tags(version: Version, released: set[Version]) -> list[str]:
    """vX.Y and vX, each only when this version is the newest of its line (a backport moves no vX)."""
    major, minor, _ = version
    moves = []
    if all(other < version for other in released if other[:2] == (major, minor)):
        moves.append(f"v{major}.{minor}")
    if all(other < version for other in released if other[0] == major):
        moves.append(f"v{major}")
    return moves


def existing_release(version: str, repo: Path) -> str | None:
    """The commit of vX.Y.Z when it is the release commit this run makes, None when there is no tag.

    That commit is the one a run that pushed the tag and then failed made: an annotated tag on a
    commit whose only parent is the checked-out source commit and whose tree is the source tree
    with the rendered action.yml (so the same digest). Any other vX.Y.Z is refused.
    """
    name = f"v{version}"
    if git("tag", "--list", name, cwd=repo) != name:
        return None
    commit = git("rev-parse", f"refs/tags/{name}^{{commit}}", cwd=repo)
    git("add", "action.yml", cwd=repo)
    same = (
        git("cat-file", "-t", f"refs/tags/{name}", cwd=repo) == "tag"
        and git("rev-list", "--parents", "-n", "1", commit, cwd=repo).split()
        == [commit, git("rev-parse", "HEAD", cwd=repo)]
        and git("rev-parse", f"{commit}^{{tree}}", cwd=repo) == git("write-tree", cwd=repo)
    )
    if not same:
        raise ReleaseError(
            f"Tag {name} already exists and is not the release commit this run makes (the source "
            "commit plus action.yml naming this run's image digest); a released version is never "
            "re-tagged: release the next version instead."
        )
    return commit


def tag(version: str, repo: Path, remote: str) -> tuple[list[str], bool]:
    """Commit action.yml, tag it vX.Y.Z once, and push that tag with the moved vX.Y / vX in one go.

    The version tag is pushed without force, so the push fails, and nothing moves, if the tag
    appeared meanwhile; only the floating tags are force-updated, each by its own refspec.
    In a re-run after that push, vX.Y.Z is already this release commit: it is kept as it is,
    and only the floating tags are pushed (again). Returns them, and whether vX.Y.Z existed.
    """
    parsed = check_project(version, repo, ref=None)
    rendered = IMAGE_LINE.findall((repo / "action.yml").read_text())
    if not rendered or not re.fullmatch(rf"docker://{REPOSITORY.pattern}@{DIGEST.pattern}", rendered[0][1]):
        raise ReleaseError("action.yml does not name an image by digest: run `render` first.")
    commit = existing_release(version, repo)
    resumed = commit is not None
    if commit is None:
        git(
            "commit",
            "--quiet",
            "-m",
            f"Release v{version}: run the prebuilt image by digest",
            "action.yml",
            cwd=repo,
        )
        commit = git("rev-parse", "HEAD", cwd=repo)
        git("tag", "-a", f"v{version}", "-m", f"v{version}", commit, cwd=repo)
    moves = floating_tags(parsed, released_versions(repo) - {parsed})
    refspecs = [] if resumed else [f"refs/tags/v{version}"]
    refspecs += [f"+{commit}:refs/tags/{name}" for name in moves]
    if refspecs:
        git("push", "--atomic", remote, *refspecs, cwd=repo)
    return moves, resumed


def write_outputs(**values: str) -> None:
    """Step outputs for the workflow (the values are versions and tag names: one line each)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.writelines(f"{name}={value}\n" for name, value in values.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="release.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repo", type=Path, default=Path.cwd(), help="the clone to work in (default: the current directory)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    p_check = commands.add_parser("check", help="validate the version to release")
    p_check.add_argument("version")
    p_check.add_argument("--ref", help="the ref the release starts from (GITHUB_REF)")
    p_render = commands.add_parser("render", help="name the image by digest in action.yml")
    p_render.add_argument("--digest", required=True, help="sha256:... from the build step")
    p_render.add_argument(
        "--image", default=DEFAULT_IMAGE, help=f"the image repository (default: {DEFAULT_IMAGE})"
    )
    p_smoke = commands.add_parser("smoke", help="dry-run an image on a bundled event")
    p_smoke.add_argument("image", help="image reference, by digest in a release")
    p_smoke.add_argument("--event", type=Path, default=EVENTS / "release.json")
    p_smoke.add_argument("--platform", help="e.g. linux/arm64 (default: the engine's own)")
    p_tag = commands.add_parser("tag", help="commit, tag vX.Y.Z once, move vX.Y and vX")
    p_tag.add_argument("version")
    p_tag.add_argument("--remote", default="origin")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            check(args.version, args.repo, args.ref)
            write_outputs(version=args.version)
        elif args.command == "render":
            action = args.repo / "action.yml"
            action.write_text(render(action.read_text(), args.image, args.digest))
            print(f"action.yml runs docker://{args.image}@{args.digest}")
        elif args.command == "smoke":
            smoke(args.image, args.event, args.platform)
            print(f"{args.image} ran a dry run on {args.event.name}")
        else:
            moves, resumed = tag(args.version, args.repo, args.remote)
            write_outputs(moved=" ".join(moves))
            done = (
                f"Kept v{args.version}, already this release commit" if resumed else f"Pushed v{args.version}"
            )
            print(f"{done}; moved {', '.join(moves) or 'no floating tag'}")
    except ReleaseError as error:
        if os.environ.get("GITHUB_ACTIONS") == "true":
            # An annotation is one line: the runner reads %25, %0D and %0A back as %, CR and LF.
            text = str(error).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            print(f"::error title=Release stopped::{text}")
        else:
            print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
