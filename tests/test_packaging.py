"""The package builds as a wheel and an sdist that pass `twine check`, and installs a working command."""

from __future__ import annotations

import email.message
import email.parser
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from support import ROOT, SHA

# One worker builds once.
pytestmark = pytest.mark.xdist_group("packaging")

# What a checkout has that is no part of the project: tools' caches, builds, the environment.
LOCAL_ONLY = (".git", ".venv", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "build", "dist")
PACKAGE = sorted(p.name for p in (ROOT / "src" / "track_deployment").glob("*.py"))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The wheel is built from the sdist (build's default), so a file missing from the sdist
    # breaks the wheel too. No isolation: the pinned setuptools of the dev tools builds it.
    # From a copy without the egg-info an earlier build left: setuptools adds every file that
    # one lists, so a file MANIFEST.in no longer names would still be packed.
    source = tmp_path_factory.mktemp("source") / "track-deployment"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LOCAL_ONLY))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    return out


def test_wheel_and_sdist_pass_twine_check(dist: Path) -> None:
    files = sorted(p.name for p in dist.iterdir())
    assert files == ["track_deployment-1.0.0-py3-none-any.whl", "track_deployment-1.0.0.tar.gz"]
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("PASSED") == 2


# What the pinned PyPI publishing action runs before it uploads (its requirements file); the dev
# lock installs the same two, so `twine check` above reads the files as the upload will.
PUBLISH_TWINE = {"twine": "5.0.0", "pkginfo": "1.10.0"}


def metadata_of(dist: Path) -> dict[str, email.message.Message]:
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        from_wheel = archive.read("track_deployment-1.0.0.dist-info/METADATA").decode()
    with tarfile.open(sdist) as archive:
        member = archive.extractfile("track_deployment-1.0.0/PKG-INFO")
        assert member is not None
        from_sdist = member.read().decode()
    return {
        name: email.parser.Parser().parsestr(text)
        for name, text in (("wheel", from_wheel), ("sdist", from_sdist))
    }


def test_the_metadata_is_what_the_publishing_twine_reads(dist: Path) -> None:
    # twine 5.0.0 with pkginfo 1.10.0 knows Metadata-Version up to 2.3; a 2.4 file fails the
    # upload with "Metadata is missing required fields: Name, Version".
    assert {name: importlib.metadata.version(name) for name in PUBLISH_TWINE} == PUBLISH_TWINE
    for kind, metadata in metadata_of(dist).items():
        assert Version(metadata["Metadata-Version"]) <= Version("2.3"), kind
        assert (metadata["Name"], metadata["Version"]) == ("track-deployment", "1.0.0"), kind
        assert metadata["License"] == "MIT", kind
        assert "License :: OSI Approved :: MIT License" in metadata.get_all("Classifier", []), kind
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("track_deployment-1.0.0.dist-info/LICENSE") == (ROOT / "LICENSE").read_bytes()


def locked(lock: str, name: str) -> str:
    match = re.search(rf"^{name}==(\S+) \\$", (ROOT / lock).read_text(), re.MULTILINE)
    assert match, (lock, name)
    return match.group(1)


def test_every_build_uses_a_setuptools_the_build_system_allows() -> None:
    # pyproject.toml's range binds isolated builds; the locks bind the release build and `make setup`.
    [backend] = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    requirement = Requirement(backend)
    assert requirement.name == "setuptools"
    assert not requirement.specifier.contains("77.0.0")
    for lock in ("requirements-build.txt", "requirements-dev.txt"):
        assert requirement.specifier.contains(locked(lock, "setuptools")), lock
    assert importlib.metadata.version("setuptools") == locked("requirements-dev.txt", "setuptools")
    assert {name: locked("requirements-dev.txt", name) for name in PUBLISH_TWINE} == PUBLISH_TWINE


def test_wheel_holds_the_package_and_the_command(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read("track_deployment-1.0.0.dist-info/entry_points.txt").decode()
        metadata = archive.read("track_deployment-1.0.0.dist-info/METADATA").decode()
    assert (
        sorted(n.removeprefix("track_deployment/") for n in names if n.startswith("track_deployment/"))
        == PACKAGE
    )
    assert "track-deployment = track_deployment.cli:run_cli" in entry_points
    for requirement in ("PyGithub", "pydantic", "requests", "urllib3"):
        assert f"Requires-Dist: {requirement}" in metadata
    assert "Requires-Python: >=3.11" in metadata


def test_sdist_holds_what_builds_and_tests_it(dist: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.removeprefix("track_deployment-1.0.0/") for n in archive.getnames()}
    wanted = {"pyproject.toml", "README.md", "LICENSE", "requirements.txt", "action.yml", "native/action.yml"}
    wanted |= {f"src/track_deployment/{name}" for name in PACKAGE}
    wanted |= {"tests/support.py", "tests/conftest.py", "examples/events/release.json", "entrypoint.py"}
    assert wanted <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_installed_wheel_gives_the_command(dist: Path, tmp_path: Path) -> None:
    [wheel] = dist.glob("*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    # The dependencies come from this interpreter's environment; the package from the wheel.
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(target), "HOME": str(tmp_path)}
    command = [str(target / "bin" / "track-deployment")]
    version = subprocess.run([*command, "--version"], env=env, capture_output=True, text=True, check=False)
    assert version.stdout == "track-deployment 1.0.0\n"
    run = subprocess.run(
        [
            *command,
            "--dry-run",
            "--commit-id",
            SHA,
            "--branch",
            "main",
            "--repository-url",
            "https://gitlab.example.com/shop/shop",
            "--member-id",
            "42",
            "--title",
            "Release 2.4",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert '"title": "Release 2.4"' in run.stdout
    where = subprocess.run(
        [sys.executable, "-c", "import track_deployment; print(track_deployment.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(target))


def test_the_sdist_test_suite_collects(dist: Path, tmp_path: Path) -> None:
    """What MANIFEST.in claims: the extracted sdist has every file its tests read when loaded."""
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    [source] = tmp_path.iterdir()
    collect = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        env={**os.environ, "PYTHONPATH": str(source / "src")},  # the sdist's package, not this checkout's
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    assert collect.returncode == 0, collect.stdout[-3000:] + collect.stderr[-3000:]
    ours = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    count = [run.stdout.splitlines()[-1].partition(" in ")[0] for run in (collect, ours)]
    assert count[0] == count[1]  # "606 tests collected"


def test_no_engine_skips_the_container_tests_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    env.pop("TRACK_DEPLOYMENT_IMAGE_BUILT", None)
    env.pop("TRACK_DEPLOYMENT_REQUIRE_DOCKER", None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "tests/test_container.py",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    skipped = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, skipped
    assert re.match(r"SKIPPED \[\d\d+\] tests/test_container.py: container tests skipped: ", skipped[0])
