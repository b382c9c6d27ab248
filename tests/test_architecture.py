"""The house stays readable: each of the action's modules imports only rooms below it (ORDER, as
CONTRIBUTING lists them), no module is over 500 lines, no function over 60, and only the gate
writes a skip's note."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "track_deployment"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def modules() -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(PACKAGE.glob("*.py"))}


def imports(text: str) -> set[str]:
    """The action's modules a module imports (`from .x import`, `from . import x`), lazily or not."""
    found = set(re.findall(r"^\s*from \.(\w+) import", text, re.MULTILINE))
    for names in re.findall(r"^\s*from \. import ([\w, ]+)", text, re.MULTILINE):
        found |= {name.strip() for name in names.split(",")}
    return found


# The rooms from the bottom up, as CONTRIBUTING lists them: each imports only rooms before it.
ORDER = (
    # shared types and words, and the machinery every edge uses
    ("model", "errors", "schema", "redaction", "transport"),
    # what comes in: inputs and their values, the payload's models
    ("values", "inputs", "events"),
    # pure rules the gate, the look-ups and the record share
    ("recovery", "fit", "sealed", "cancel"),
    # the pipeline: gate, read, plan, look up, record
    ("gate", "readers", "plan", "github", "jobs", "deployments", "previous", "lookups", "record"),
    # what goes out: the runner's files and log, the delivery, the outbox
    ("workflow", "summary", "client", "outbox"),
    # orchestration
    ("main", "cli", "__main__", "__init__"),
)


def test_each_room_imports_only_rooms_below_it() -> None:
    order = [name for rooms in ORDER for name in rooms]
    assert sorted(order) == sorted(modules()), "every module has its place in ORDER"
    for name, text in modules().items():
        above = set(order[order.index(name) :])
        assert not imports(text) & above, f"{name} imports {sorted(imports(text) & above)} from above it"


def test_no_import_cycle() -> None:
    graph = {name: imports(text) for name, text in modules().items()}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for imported in graph.get(name, ()):
            visit(imported, (*path, name))
        done.add(name)

    for name in graph:
        visit(name, ())


def test_modules_and_functions_stay_small() -> None:
    for name, text in modules().items():
        lines = len(text.splitlines())
        assert lines <= MAX_MODULE_LINES, f"{name}.py has {lines} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                assert length <= MAX_FUNCTION_LINES, f"{name}.{node.name} has {length} lines"


def test_a_skip_is_decided_only_by_the_gate() -> None:
    """Every "Not a deployment" and "Not recorded by this run" note is written in gate.py."""
    for name, text in modules().items():
        if name != "gate":
            assert "Not a deployment:" not in text and "Not recorded by this run" not in text, name
