"""The version, CHANGELOG.md, README.md and the release workflow agree on what a release holds."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml
from support import ROOT

import track_deployment


def released_sections() -> list[str]:
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)


def test_the_version_is_the_newest_changelog_section_and_the_readmes_tag() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert track_deployment.__version__ == version
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{version}]")
    assert released_sections()[0] == version
    readme = (ROOT / "README.md").read_text()
    assert f'pip install "git+https://github.com/iftrue/track-deployment@v{version}"' in readme
    assert f"track-deployment --version   # track-deployment {version}" in readme
    run = subprocess.run(
        [sys.executable, "-m", "track_deployment", "--version"], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == f"track-deployment {version}"


def release_notes(version: str) -> str:
    """The notes the release workflow's publish job writes for `version`: its awk, run."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    [step] = [s for s in workflow["jobs"]["publish"]["steps"] if "gh release create" in s.get("run", "")]
    line = next(line for line in step["run"].splitlines() if line.strip().startswith("changes=$(awk"))
    script = line.strip().removeprefix("changes=$(").removesuffix(")") + "\n"
    run = subprocess.run(
        ["sh", "-c", script],
        cwd=ROOT,
        env={"VERSION": version, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout


def test_release_notes_are_the_versions_changelog_section() -> None:
    version = released_sections()[0]
    notes = release_notes(version)
    assert notes.lstrip().startswith("The first release" if version == "1.0.0" else "###")
    assert "## [" not in notes  # neither [Unreleased] nor an older section
    assert "`track-deployment` command" in notes
    assert release_notes("9.9.9") == ""
