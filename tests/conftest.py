from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import CONTAINER_SKIP, FakeIftrue

# Files slow by nature: each builds, installs or clones something before its first assertion.
# They are marked `slow`: `make unit` (the inner loop) leaves them out, `make test` and CI run them.
SLOW = {
    "test_packaging.py": "builds the sdist and wheel, installs it, collects the sdist's own suite",
    "test_quick_start.py": "clones the tree and installs the demo's environment from a package index",
    "test_native.py": "installs the locked requirements into the composite action's environment",
    "test_requirements_lock.py": "compiles locks with pip-tools against a local index",
}


@pytest.fixture
def iftrue() -> Iterator[FakeIftrue]:
    with FakeIftrue() as server:
        yield server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = [name for name in SLOW if not (Path(__file__).parent / name).exists()]
    assert not missing, f"conftest.py marks files as slow that are gone: {missing}"
    for item in items:
        if item.path.name in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """One line in the summary for the container tests an absent engine skips, not one per test.

    pytest reports a fixture's skip at each test's line, which folds nothing; without a line
    number the same reasons fold into one.
    """
    report: pytest.TestReport = yield
    if report.skipped and isinstance(report.longrepr, tuple) and CONTAINER_SKIP in report.longrepr[2]:
        report.longrepr = (report.longrepr[0], None, report.longrepr[2])
    return report
