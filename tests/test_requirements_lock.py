"""scripts/lock.py: the lock is compiled with hashes and provenance, and a stale lock fails the check.

Offline: the package index is a folder of wheels made here, so the test needs no network.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support import ROOT

NAME = "td-lock-fixture"


def wheel(folder: Path, version: str, requires: str = "", tag: str = "py3-none-any") -> str:
    """A minimal pure-Python wheel; returns its sha256."""
    stem = f"{NAME.replace('-', '_')}-{version}"
    path = folder / f"{stem}-{tag}.whl"
    metadata = f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\n"
    metadata += f"Requires-Dist: {requires}\n" if requires else ""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("td_lock_fixture/__init__.py", "")
        archive.writestr(f"{stem}.dist-info/METADATA", metadata)
        archive.writestr(
            f"{stem}.dist-info/WHEEL",
            f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n",
        )
        archive.writestr(f"{stem}.dist-info/RECORD", "")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/lock.py"),
            "--root",
            str(root),
            "--pip-args",
            f"--no-index --find-links {root / 'wheels'}",
            *args,
            "requirements",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wheels").mkdir()
    (tmp_path / "requirements.in").write_text(f"{NAME}>=1.0\n")
    return tmp_path


def test_lock_pins_with_hashes_and_provenance_and_the_check_passes(project: Path) -> None:
    digest = wheel(project / "wheels", "1.0")
    assert lock(project).returncode == 0
    text = (project / "requirements.txt").read_text()
    assert f"{NAME}==1.0 \\\n    --hash=sha256:{digest}\n    # via -r requirements.in\n" in text
    assert "--output-file=requirements.txt" in text  # the header names the command that recompiles it
    check = lock(project, "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == "requirements.txt is current with requirements.in\n"


def test_a_newer_release_upstream_does_not_make_the_lock_stale(project: Path) -> None:
    wheel(project / "wheels", "1.0")
    assert lock(project).returncode == 0
    wheel(project / "wheels", "1.1")
    assert lock(project, "--check").returncode == 0
    assert lock(project, "--upgrade").returncode == 0
    assert f"{NAME}==1.1 " in (project / "requirements.txt").read_text()


def test_an_edited_requirements_in_makes_the_lock_stale(project: Path) -> None:
    wheel(project / "wheels", "1.0")
    wheel(project / "wheels", "1.1")
    (project / "requirements.in").write_text(f"{NAME}==1.0\n")
    assert lock(project).returncode == 0
    locked = (project / "requirements.txt").read_text()
    (project / "requirements.in").write_text(f"{NAME}>=1.1\n")
    check = lock(project, "--check")
    assert check.returncode == 1
    assert f"-{NAME}==1.0 \\\n" in check.stdout and f"+{NAME}==1.1 \\\n" in check.stdout
    assert (
        "requirements.txt is stale: it is not what requirements.in compiles to. Run `make lock`"
        in check.stdout
    )
    assert (project / "requirements.txt").read_text() == locked  # the check changes nothing


def test_a_hand_edited_hash_makes_the_lock_stale(project: Path) -> None:
    digest = wheel(project / "wheels", "1.0")
    assert lock(project).returncode == 0
    path = project / "requirements.txt"
    path.write_text(path.read_text().replace(digest, "0" * 64))
    check = lock(project, "--check")
    assert check.returncode == 1
    assert f"+    --hash=sha256:{digest}" in check.stdout


def test_what_the_check_finds_stale_a_lock_puts_right(project: Path) -> None:
    # A hash edited by hand, then a new file upstream for the pinned version: each makes the lock
    # stale, and `make lock` (without --upgrade) recomputes the hashes the check expects.
    digest = wheel(project / "wheels", "1.0")
    assert lock(project).returncode == 0
    path = project / "requirements.txt"
    path.write_text(path.read_text().replace(digest, "0" * 64))
    assert lock(project).returncode == 0
    assert f"--hash=sha256:{digest}\n" in path.read_text() and "0" * 64 not in path.read_text()
    assert lock(project, "--check").returncode == 0
    other = wheel(project / "wheels", "1.0", tag="py311-none-any")
    check = lock(project, "--check")
    assert check.returncode == 1
    assert f"+    --hash=sha256:{other}" in check.stdout
    assert lock(project).returncode == 0
    assert f"--hash=sha256:{other}" in path.read_text() and f"--hash=sha256:{digest}" in path.read_text()
    assert lock(project, "--check").returncode == 0


def test_the_header_python_version_does_not_count(project: Path) -> None:
    wheel(project / "wheels", "1.0")
    assert lock(project).returncode == 0
    path = project / "requirements.txt"
    path.write_text(path.read_text().replace("with Python 3.", "with Python 9."))
    assert lock(project, "--check").returncode == 0


def test_the_repository_locks_are_installed_with_hashes() -> None:
    # Every install path takes a lock with --require-hashes: the image, the dev setup, the release build.
    assert (
        "pip install --require-hashes --no-deps -r /opt/track-deployment/requirements.txt"
        in (ROOT / "Dockerfile").read_text()
    )
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.txt" in makefile
    assert "--require-hashes -r requirements-dev.txt" in makefile
    # The package itself, by the locked setuptools already installed: nothing fetched unlocked.
    assert "--no-build-isolation --no-deps -e ." in makefile
    assert (
        "--require-hashes -r requirements-build.txt" in (ROOT / ".github/workflows/release.yml").read_text()
    )
    # The dev tools resolve with the runtime lock as a constraint: the tests run its versions.
    assert "-c requirements.txt" in (ROOT / "requirements-dev.in").read_text().splitlines()
    for name in ("requirements.txt", "requirements-build.txt", "requirements-dev.txt"):
        pins = [line for line in (ROOT / name).read_text().splitlines() if "==" in line]
        assert pins and all(line.endswith(" \\") for line in pins), name  # each pin is followed by hashes
