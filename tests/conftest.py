from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import FakeIftrue


@pytest.fixture
def iftrue() -> Iterator[FakeIftrue]:
    with FakeIftrue() as server:
        yield server
