from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import CONTAINER_SKIP, FakeIftrue


@pytest.fixture
def iftrue() -> Iterator[FakeIftrue]:
    with FakeIftrue() as server:
        yield server


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
