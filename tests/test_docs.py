"""The documentation's links: every link to a file or heading of this repository leads somewhere."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from support import ROOT

DOCS = sorted(
    [ROOT / "README.md", ROOT / "SECURITY.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")]
)
# This repository's own address: a link to a file of it by URL is checked as a relative one.
OWN = re.compile(
    r"https://github\.com/iftrue/track-deployment(?:/(?:blob|tree)/[^/#]+/([^#)\s]*))?(#[^)\s]*)?$"
)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def prose(text: str) -> str:
    """The text without code blocks and code spans, where a `[x](y)` is no link."""
    return _CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, without punctuation, spaces as hyphens.

    As github.com renders Markdown (github/cmark-gfm's anchor filter): the rendered text (code
    spans and links keep their text, emphasis marks go), lower-cased; characters other than
    letters, digits, `_`, `-` and spaces removed; each space a hyphen.
    """
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"(?<!\w)_+|_+(?!\w)", "", text)  # _emphasis_, not snake_case
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in a Markdown file, repeats numbered as GitHub numbers them."""
    seen: Counter[str] = Counter()
    found = set()
    for line in _FENCE.sub("", path.read_text()).splitlines():
        if match := re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line):
            base = slug(match[1])
            found.add(f"{base}-{seen[base]}" if seen[base] else base)
            seen[base] += 1
    found.update(re.findall(r"<a (?:name|id)=\"([^\"]+)\"", path.read_text()))
    return found


def links(path: Path) -> list[str]:
    return _LINK.findall(prose(path.read_text()))


def target(source: Path, link: str) -> tuple[Path, str] | None:
    """The file and anchor a link points to in this repository; None for another site's page."""
    if match := OWN.match(link):
        file, anchor = match[1], (match[2] or "")[1:]
        return (ROOT / file if file else ROOT / "README.md"), anchor
    if re.match(r"[a-z][a-z+.-]*:", link):  # https:, mailto:
        return None
    file, _, anchor = link.partition("#")
    return ((source.parent / file).resolve() if file else source), anchor


def broken_links(doc: Path) -> list[str]:
    broken = []
    for link in links(doc):
        found = target(doc, link)
        if found is None:
            continue
        file, anchor = found
        if not file.exists():
            broken.append(f"{link}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{link}: no such heading")
    return broken


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_every_link_resolves(doc: Path) -> None:
    assert broken_links(doc) == []


def test_the_checker_finds_broken_links(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Any other CI: the `track-deployment` command\n## Inputs\n## Inputs\n"
        "[a](#any-other-ci-the-track-deployment-command) [b](#inputs-1) [c](#nope) [d](missing.md)\n"
        "`[e](#not-a-link)`\n```\n[f](#in-code)\n```\n"
    )
    assert links(page) == ["#any-other-ci-the-track-deployment-command", "#inputs-1", "#nope", "missing.md"]
    assert broken_links(page) == ["#nope: no such heading", "missing.md: no such file"]
    assert anchors(page) == {"any-other-ci-the-track-deployment-command", "inputs", "inputs-1"}
    assert slug("`docker run`") == "docker-run"
    assert slug("Where each field comes from") == "where-each-field-comes-from"
    assert slug("is_fix and _why_") == "is_fix-and-why"


def test_help_links_documents_that_exist() -> None:
    # `track-deployment --help` names its documentation by URL: a pip user has no README.md.
    run = subprocess.run(
        [sys.executable, "-m", "track_deployment", "--help"],
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    urls = re.findall(r"https://github\.com/iftrue/track-deployment\S*", run.stdout)
    assert "https://github.com/iftrue/track-deployment#readme" in urls
    assert any(url.endswith("docs/other-ci.md") for url in urls)
    for url in urls:
        found = target(ROOT / "README.md", url)
        assert found is not None and found[0].exists(), url
    assert "README.md" not in run.stdout


def test_readme_is_a_front_door() -> None:
    import yaml

    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) <= 25 * 1024
    # The first code block is a whole workflow to paste, with what a real deploy job needs.
    first = readme[readme.index("```") :]
    assert first.startswith("```yaml\n")
    workflow = yaml.safe_load(first[8 : first.index("```", 3)])
    assert workflow[True]["push"]  # PyYAML reads the key `on` as True
    # Permissions on the job, not the workflow: pasted into a deploy workflow, a workflow-level
    # block would replace every default permission of every job (id-token, packages, ...).
    assert "permissions" not in workflow
    [job] = workflow["jobs"].values()
    assert set(job["permissions"]) == {"contents", "pull-requests", "actions", "deployments"}
    assert "add these to what your job already has" in first
    assert job["environment"] == "production"  # a GitHub deployment, so deployment_node_id is sent
    [step] = [s for s in job["steps"] if "iftrue" in s.get("uses", "")]
    assert step["uses"] == "iftrue/track-deployment@v1"
    assert step["if"] == "always()"
    # The deploy step's outcome: a failed test step in the same job is no failed deployment.
    assert step["with"] == {"token": "${{ secrets.IFTRUE_TOKEN }}", "status": "${{ steps.deploy.outcome }}"}
    assert [s for s in job["steps"] if s.get("id") == "deploy"]
    assert "New repository secret" in readme  # where the token goes
    assert "`POST {api_url}/v1/organization/deployment`" in readme
    assert "https://docs.iftrue.co/" in readme
    quick_start = readme[readme.index("## Quick start") : readme.index("## Where it runs")]
    for says in ("requirements.txt", ".venv-demo", "requirements-dev.txt", "make clean"):
        assert says in quick_start
    assert "## Which trigger should I use?" in readme
