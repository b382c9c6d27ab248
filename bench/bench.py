#!/usr/bin/env python3
"""Benchmark: one report's wall time against the floor of a bare requests.post, GitHub
requests per trigger, lazy PyGithub import, and the image's size and run time.

Run with `make bench`; paste the table into BENCHMARKS.md with the date and machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))  # the checkout's own package, as the tests import it

from support import (  # noqa: E402
    GITHUB_TOKEN,
    SHA,
    Answer,
    FakeGitHub,
    FakeIftrue,
    github_bot,
    github_job,
    github_pull,
    github_pull_detail,
    github_user,
    github_workflow_file,
    payload,
    runner_env,
    webhook,
)
from test_lookups import happy  # noqa: E402
from test_outbox import RUNTIME_TOKEN  # noqa: E402
from test_this_job import MATRIX_DEPLOYMENTS, matrix_answers  # noqa: E402

FLOOR = (
    "import requests; requests.post({url!r}, json={{'title': 'x'}}, "
    "headers={{'Authorization': 'Bearer t'}}, timeout=30)"
)
TRIGGERS = {
    "release": "release",
    "push": "push",
    "pull_request (merged)": "pull_request",
    "deployment": "deployment",
    "deployment_status": "deployment_status",
    "workflow_run": "workflow_run",
    "workflow_dispatch": "workflow_dispatch",
}
EVENT_NAMES = {"pull_request (merged)": "pull_request"}
WORKFLOW_PATH = ".github/workflows/deploy.yml"
# The runs that ask more of GitHub: (label, event name, action or None, sender bot, workflow's `on:`).
VARIANTS = (
    ("release, `published` run of a bare `on: release`", "release", "published", False, "release"),
    ("release, `types: [published]`", "release", "published", False, "{release: {types: [published]}}"),
    ("release by an app, `released`", "release", "released", True, "release"),
    ("push by the merge queue", "push", None, True, "push"),
)


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def median_ms(command: list[str], env: dict[str, str], runs: int) -> float:
    timed(command, env)  # warm the page cache
    return statistics.median(timed(command, env) for _ in range(runs)) * 1000


def interleaved_medians(cases: list[tuple[list[str], dict[str, str]]], runs: int) -> list[float]:
    """Median wall time of each case, run in turns so drift in machine load hits all alike."""
    for command, env in cases:
        timed(command, env)  # warm the page cache
    samples: list[list[float]] = [[] for _ in cases]
    for _ in range(runs):
        for index, (command, env) in enumerate(cases):
            samples[index].append(timed(command, env))
    return [statistics.median(times) * 1000 for times in samples]


def action_env(
    tmp: Path, iftrue: FakeIftrue, github: FakeGitHub | None, event: str = "release"
) -> dict[str, str]:
    tmp.mkdir(parents=True, exist_ok=True)
    name = EVENT_NAMES.get(event, TRIGGERS.get(event, event))
    inputs = {"api_url": iftrue.url, "github_token": GITHUB_TOKEN if github else ""}
    env = runner_env(tmp, name, payload(TRIGGERS.get(event, event)), inputs)
    env["GITHUB_OUTPUT"] = env["GITHUB_STEP_SUMMARY"] = os.devnull
    if github:
        env["GITHUB_API_URL"] = github.api_url
    return env


def variant_env(
    tmp: Path, iftrue: FakeIftrue, github: FakeGitHub, name: str, action: str | None, bot: bool, on: str
) -> dict[str, str]:
    event = payload(name)
    if action:
        event["action"] = action
    if bot and name == "release":
        event["release"]["author"] = github_bot("release-please[bot]", 55107282)
    elif bot:
        event["sender"] = github_bot()
    github.answers["contents"] = Answer(200, github_workflow_file(WORKFLOW_PATH, f"on: {on}\n"))
    env = action_env(tmp, iftrue, github, name)
    tmp.joinpath("event.json").write_text(json.dumps(event))
    env["GITHUB_WORKFLOW_REF"] = f"octo-org/shop/{WORKFLOW_PATH}@refs/tags/v2.4.0"
    return env


def deploying_job_env(tmp: Path, iftrue: FakeIftrue, github: FakeGitHub) -> dict[str, str]:
    """A deployment_status of an Actions job (GitHub's example: it names `check_run` and `workflow_run`)."""
    event = webhook("deployment_status.in-progress")
    event["deployment_status"]["state"] = "success"
    event["deployment"]["sha"] = SHA
    job = event["check_run"]["id"]
    github.answers["job"] = Answer(
        200, github_job(job, "deploy", "2026-11-17T10:00:00Z", "2026-11-20T10:00:00Z", "2026-11-20T10:05:00Z")
    )
    env = action_env(tmp, iftrue, github, "deployment_status")
    tmp.joinpath("event.json").write_text(json.dumps(event))
    return env


def request_rows(
    entry: list[str], tmp: Path, iftrue: FakeIftrue, github: FakeGitHub
) -> list[tuple[str, str]]:
    """The GitHub requests each trigger and each costlier variant makes, counted by the fake API."""
    rows = []

    def count(label: str, env: dict[str, str]) -> None:
        github.requests.clear()
        subprocess.run(entry, env=env, check=True, capture_output=True)
        rows.append((f"GitHub requests, {label}", f"{len(github.requests)} ({', '.join(github.routes)})"))

    for trigger in TRIGGERS:
        count(trigger, action_env(tmp / trigger, iftrue, github, trigger))
    count("deployment_status of an Actions job", deploying_job_env(tmp / "job", iftrue, github))
    pull = github_pull(412, SHA, "fix/rounding", title="Round totals once", user=github_user())
    github.answers["pull"] = Answer(200, github_pull_detail(pull, github_user("hubot", 1024025)))
    for index, (label, name, action, bot, on) in enumerate(VARIANTS):
        count(label, variant_env(tmp / f"variant{index}", iftrue, github, name, action, bot, on))
    # Last, as it changes the answers: one of three matrix jobs created together, each with its deployment.
    github.answers.update(matrix_answers(MATRIX_DEPLOYMENTS))
    env = action_env(tmp / "matrix", iftrue, github, "push")
    env["INPUT_CHECK_RUN_ID"] = "12"
    count("push, one job of a deploy matrix", env)
    return rows


def outbox_rows(
    entry: list[str], tmp: Path, iftrue: FakeIftrue, github: FakeGitHub, runs: int
) -> list[tuple[str, str]]:
    """A release with look-ups, without and with the runner's artifact service (an empty outbox)."""
    github.answers["artifacts"] = Answer(200, {"total_count": 0, "artifacts": []})
    without = action_env(tmp / "no-outbox", iftrue, github)
    with_outbox = {
        **action_env(tmp / "outbox", iftrue, github),
        "ACTIONS_RUNTIME_TOKEN": RUNTIME_TOKEN,
        "ACTIONS_RESULTS_URL": github.url + "/",  # never called: nothing is kept on a delivery
    }
    rows = []
    for label, env in (("no artifact service", without), ("empty outbox", with_outbox)):
        github.requests.clear()
        subprocess.run(entry, env=env, check=True, capture_output=True)
        rows.append(
            (f"GitHub requests, release, {label}", f"{len(github.requests)} ({', '.join(github.routes)})")
        )
    plain, drained = interleaved_medians([(entry, without), (entry, with_outbox)], runs)
    rows += [
        ("one report, release, all look-ups, no artifact service", f"{plain:.0f} ms"),
        ("one report, release, all look-ups, empty outbox", f"{drained:.0f} ms ({drained - plain:+.0f} ms)"),
    ]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--requests", action="store_true", help="count the GitHub requests only")
    parser.add_argument("--redaction", action="store_true", help="time the redaction of 1 MiB answers only")
    parser.add_argument("--outbox", action="store_true", help="the cost of an empty outbox only")
    parser.add_argument("--large-events", action="store_true", help="dry runs of 40 MB push events only")
    parser.add_argument(
        "--image", default="track-deployment:test", help="image to measure, if Docker answers"
    )
    args = parser.parse_args()
    if args.redaction:
        print("| 1 MiB of text | redaction, median of 5 |\n| --- | --- |")
        for name, seconds in redaction_rows():
            print(f"| {name} | {seconds * 1000:.0f} ms |")
        return 0
    python = sys.executable
    entry = [python, str(ROOT / "entrypoint.py")]
    if args.large_events:
        print("| 40 MB push event, dry run | wall, median of 3 |\n| --- | --- |")
        for name, seconds in large_event_rows(entry):
            print(f"| {name} | {seconds:.2f} s |")
        return 0
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp_name, FakeIftrue() as iftrue, FakeGitHub(happy()) as github:
        tmp = Path(tmp_name)
        if args.requests or args.outbox:
            rows = outbox_rows(entry, tmp, iftrue, github, args.runs) if args.outbox else []
            print("| measure | result |\n| --- | --- |")
            for name, value in rows or request_rows(entry, tmp, iftrue, github):
                print(f"| {name} | {value} |")
            return 0
        base_env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp_name}
        floor = median_ms(
            [python, "-c", FLOOR.format(url=iftrue.url + "/v1/organization/deployment")], base_env, args.runs
        )
        off = median_ms(entry, action_env(tmp / "off", iftrue, None), args.runs)
        on = median_ms(entry, action_env(tmp / "on", iftrue, github), args.runs)
        rows += [
            ("floor: python -c 'import requests; requests.post(...)'", f"{floor:.0f} ms"),
            (
                "one report, look-ups off (release)",
                f"{off:.0f} ms = {off / floor:.2f} x floor (target ≤ 1.8)",
            ),
            (
                "one report, all look-ups (release, 5 GitHub requests)",
                f"{on:.0f} ms = {on / floor:.2f} x floor (target ≤ 3.5)",
            ),
        ]
        rows += request_rows(entry, tmp, iftrue, github)
        probe = (
            "import os, sys; sys.path.insert(0, {src!r}); from track_deployment.main import main; "
            "import io; main(os.environ, io.StringIO()); print('github' in sys.modules)"
        ).format(src=str(ROOT / "src"))
        for label, env in (
            ("off", action_env(tmp / "p1", iftrue, None)),
            ("on", action_env(tmp / "p2", iftrue, github)),
        ):
            loaded = subprocess.run(
                [python, "-c", probe], env=env, check=True, capture_output=True, text=True
            ).stdout.strip()
            rows.append((f"PyGithub imported, look-ups {label}", loaded))
        rows += docker_rows(args.image, tmp, iftrue, args.runs)
    print(
        f"date: {time.strftime('%Y-%m-%d')}; machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; runs per median: {args.runs}\n"
    )
    print("| measure | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print(f"\nfake iftrue received {len(iftrue.posts)} posts")
    return 0


def large_event_rows(entry: list[str]) -> list[tuple[str, float]]:
    """A dry run of a push event of about 40 MB, in the shapes that make a record large."""
    from support import payload, runner_env

    def push(messages: list[str]) -> dict[str, object]:
        event = payload("push")
        event["commits"] = [
            {**event["commits"][0], "id": f"{i:040x}", "message": m} for i, m in enumerate(messages)
        ]
        event["head_commit"] = {**event["commits"][-1]}
        return event

    shapes = {
        "2,000 commits, 20 kB messages": push(["fix: totals\n\n" + "x" * 20_000] * 2_000),
        "2,000 commits, 20 kB first lines": push(["y" * 20_000] * 2_000),
        "one commit, a 40 MB message": push(["z" * 40_000_000]),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        for name, event in shapes.items():
            folder = Path(tmp_name) / str(len(rows))
            folder.mkdir()
            env = runner_env(folder, "push", event, {"dry_run": "true", "github_token": ""})
            times = sorted(timed(entry, env) for _ in range(3))
            rows.append((name, times[1]))
    return rows


def redaction_rows() -> list[tuple[str, float]]:
    """How long redacting an answer of 1 MiB (the most read) takes, by the kind of text in it."""
    import io

    from support import TOKEN

    from track_deployment.workflow import Console

    console = Console(io.StringIO(), actions=False)
    console.add_secret(TOKEN)
    console.add_secret(GITHUB_TOKEN)
    size = 1024 * 1024
    half = len(TOKEN) // 2
    broken = f"{TOKEN[:half]}\\u2028{TOKEN[half:]}"
    texts = {
        "one word, no gap": "x" * size,
        "JSON, a space every 8 characters": ('{"k": "a b c d", ' * (size // 16))[:size],
        "JSON escapes everywhere (\\u0041%41&#65;)": ("\\u0041%41&#65; " * size)[:size],
        "backslashes only": "\\" * size,
        "percent signs only": "%" * size,
        "`&#` runs": ("&#" * size)[:size],
        "white space only": " \n" * (size // 2),
        "a character, a space, over and over": "a " * (size // 2),
        "near misses: `<br `, `%C3`, `&#99999999`, `\\u12`": ("<br %C3&#99999999\\u12" * size)[:size],
        "unknown references (`&ab;`), the token at the end": ("&ab;" * size)[: size - 200] + TOKEN,
        "HTML tags and colour codes": ("<span a=b>x</span>\x1b[31m" * size)[:size],
        "starts of tokens cut at a `…` (`eyJhbGci…`, `ghs_16C7…`)": (
            (TOKEN[:40] + "… " + GITHUB_TOKEN[:12] + "…\n") * size
        )[:size],
        "the token, broken, every 4 KiB": (("x" * 4000 + broken) * (size // 4000))[:size],
    }
    rows = []
    for name, text in texts.items():
        times = []
        for _ in range(5):
            start = time.perf_counter()
            console.redact(text)
            times.append(time.perf_counter() - start)
        rows.append((name, statistics.median(times)))
    return rows


def image_size(name: str) -> int:
    out = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", name], capture_output=True, text=True
    )
    return int(out.stdout.strip()) if out.returncode == 0 else 0


def docker_rows(image: str, tmp: Path, iftrue: FakeIftrue, runs: int) -> list[tuple[str, str]]:
    if not shutil.which("docker") or not image_size(image):
        return [("image", f"not measured: no Docker engine or no image {image} (run `make test` first)")]
    base = os.environ.get("TRACK_DEPLOYMENT_BASE_IMAGE", "track-deployment-test-base:bookworm")
    layers = subprocess.run(
        ["docker", "history", "--format", "{{.Size}}\t{{.CreatedBy}}", image],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    own = [
        size
        for size, created in (line.split("\t", 1) for line in layers)
        if "/opt/" in created and size != "0B"
    ]
    env = action_env(tmp / "docker", iftrue, None)
    names = ["GITHUB_EVENT_NAME", "GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "GITHUB_SHA", "GITHUB_RUN_ID"]
    names += ["GITHUB_ACTOR_ID", "INPUT_TOKEN", "INPUT_API_URL", "INPUT_GITHUB_TOKEN"]
    command = ["docker", "run", "--rm", "--network", "host"]
    for name in names:
        command += ["-e", name]
    event = tmp / "docker" / "event.json"
    command += [
        "-e",
        "GITHUB_EVENT_PATH=/github/workflow/event.json",
        "-v",
        f"{event}:/github/workflow/event.json",
        image,
    ]
    count = max(5, runs // 4)
    run_ms = median_ms(command, {**os.environ, **env}, count)
    added = (image_size(image) - image_size(base)) / 1e6
    return [
        (f"image size added to the base ({base})", f"{added:.1f} MB in layers of " + ", ".join(own)),
        ("one container run (docker run --rm, look-ups off)", f"{run_ms:.0f} ms (median of {count})"),
    ]


if __name__ == "__main__":
    sys.exit(main())
