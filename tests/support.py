"""Test helpers: loopback HTTP servers standing in for iftrue and GitHub, and a runner-like harness."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = Path(__file__).resolve().parent.parent / "examples" / "events"
ENTRYPOINT = ROOT / "entrypoint.py"

REPO = "octo-org/shop"
SHA = "9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b"
# A JWT (HS256) of {"sub": "org_123", "exp": 4102444800}; the signature is never checked.
TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvcmdfMTIzIiwiZXhwIjo0MTAyNDQ0ODAwfQ."
    "c2lnbmF0dXJlLW5vdC1jaGVja2Vk"
)
# {"sub": "org_123", "exp": 1600000000}: expired in 2020.
EXPIRED_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvcmdfMTIzIiwiZXhwIjoxNjAwMDAwMDAwfQ."
    "c2lnbmF0dXJlLW5vdC1jaGVja2Vk"
)
GITHUB_TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"

# The record the bundled release event gives with look-ups off.
RELEASE_BODY = {
    "title": "v2.4.0",
    "changelog": "## What's changed\n- Faster checkout (#412)",
    "url": "https://github.com/octo-org/shop/releases/tag/v2.4.0",
    "branch": "main",
    "commit_id": SHA,
    "repository_url": "https://github.com/octo-org/shop",
    "member_id": "1024025",
    "pull_request_number": 0,
    "status": "succes",
}


def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 201
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Route = Callable[[Recorded], Answer]


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 that records requests and answers from a router."""

    def __init__(self, router: Route) -> None:
        self.router = router
        self.requests: list[Recorded] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle's algorithm the second waits
            # for a delayed ACK (~40 ms), which no real server makes a client wait for.
            disable_nagle_algorithm = True

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                recorded = Recorded(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                owner.requests.append(recorded)
                answer = owner.router(recorded)
                if answer.delay:
                    time.sleep(answer.delay)
                data = answer.encoded()
                try:
                    self.send_response(answer.status)
                    headers = {"Content-Type": "application/json", **answer.headers}
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeIftrue(FakeServer):
    """iftrue's deployment endpoint: answers queued answers in order, then 201 with a record."""

    def __init__(self, *answers: Answer) -> None:
        self.queue = list(answers)
        super().__init__(self._route)

    def _route(self, request: Recorded) -> Answer:
        if self.queue:
            return self.queue.pop(0)
        body = request.json() if request.body else {}
        return Answer(201, {"id": "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f", "status": "succes", **body})

    @property
    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]


def parse_outputs(text: str) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file the way the runner does."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq > 0 and (heredoc < 0 or eq < heredoc):
            outputs[line[:eq]] = line[eq + 1 :]
            continue
        assert heredoc > 0, f"invalid output line {line!r}"
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        value: list[str] = []
        while True:
            assert i < len(lines), f"output {name!r}: delimiter {delimiter!r} never closed"
            if lines[i] == delimiter:
                i += 1
                break
            value.append(lines[i])
            i += 1
        assert name not in outputs, f"output {name!r} written twice"
        outputs[name] = "\n".join(value)
    return outputs


@dataclass
class Command:
    name: str
    properties: dict[str, str]
    message: str


def unescape(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parse_commands(stdout: str) -> list[Command]:
    """Workflow commands the runner would act on, honouring ::stop-commands::."""
    commands: list[Command] = []
    stopped: str | None = None
    for line in stdout.splitlines():
        stripped = line.strip()
        if stopped is not None:
            if stripped == f"::{stopped}::":
                stopped = None
            continue
        match = re.match(r"^::([A-Za-z-]+)( [^:]*)?::(.*)$", stripped)
        if not match:
            continue
        name, props, message = match.group(1), match.group(2) or "", match.group(3)
        if name == "stop-commands":
            stopped = message
            continue
        properties = dict(
            (k.strip(), unescape(v)) for k, _, v in (p.partition("=") for p in props.strip().split(",") if p)
        )
        commands.append(Command(name, properties, unescape(message)))
    return commands


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    commands: list[Command]

    def annotations(self, kind: str) -> list[str]:
        return [c.message for c in self.commands if c.name == kind]

    @property
    def errors(self) -> list[str]:
        return self.annotations("error")

    @property
    def warnings(self) -> list[str]:
        return self.annotations("warning")

    @property
    def notices(self) -> list[str]:
        return self.annotations("notice")

    @property
    def payload(self) -> Any:
        return json.loads(self.outputs["payload"])

    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, json.dumps(self.outputs), self.summary])


def runner_env(
    tmp: Path,
    event_name: str,
    event: Any,
    inputs: Mapping[str, str] | None = None,
    **overrides: str,
) -> dict[str, str]:
    """The environment a runner gives a Docker action's process, without the GITHUB_TOKEN-like noise."""
    event_path = tmp / "event.json"
    if isinstance(event, bytes):
        event_path.write_bytes(event)
    elif event is not None:
        event_path.write_text(json.dumps(event))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "GITHUB_SHA": SHA,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_RUN_ID": "12345678901",
        "GITHUB_RUN_NUMBER": "42",
        "GITHUB_WORKFLOW": "Deploy",
        "GITHUB_ACTOR_ID": "583231",
        "GITHUB_OUTPUT": str(tmp / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "INPUT_TOKEN": TOKEN,
        "INPUT_GITHUB_TOKEN": "",
    }
    env.update({f"INPUT_{k.upper()}": v for k, v in (inputs or {}).items()})
    env.update(overrides)
    return env


def run_action(env: Mapping[str, str], *, timeout: float = 60) -> Run:
    """Run entrypoint.py as a process, as the runner runs the container's entry point."""
    proc = subprocess.run(
        [sys.executable, str(ENTRYPOINT)],
        env=dict(env),
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return collect(
        proc.returncode, proc.stdout, proc.stderr, env.get("GITHUB_OUTPUT"), env.get("GITHUB_STEP_SUMMARY")
    )


def collect(
    code: int, stdout: bytes, stderr: bytes, output_path: str | None, summary_path: str | None
) -> Run:
    out_file = Path(output_path) if output_path else None
    summary_file = Path(summary_path) if summary_path else None
    text = stdout.decode("utf-8", "replace")
    outputs_text = out_file.read_text() if out_file and out_file.exists() else ""
    return Run(
        code=code,
        stdout=text,
        stderr=stderr.decode("utf-8", "replace"),
        outputs=parse_outputs(outputs_text),
        summary=summary_file.read_text() if summary_file and summary_file.exists() else "",
        commands=parse_commands(text),
    )


def iso(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def github_user(login: str = "octocat", id_: int = 583231) -> dict[str, Any]:
    return {"login": login, "id": id_, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": False}


def github_pull(
    number: int,
    merge_commit_sha: str | None,
    head: str,
    *,
    title: str,
    labels: tuple[str, ...] = (),
    merged: bool = True,
) -> dict[str, Any]:
    """A pull request as `GET /repos/{owner}/{repo}/commits/{sha}/pulls` lists it."""
    api = f"https://api.github.com/repos/{REPO}"
    return {
        "url": f"{api}/pulls/{number}",
        "id": 2100000000 + number,
        "node_id": f"PR_kwDO{number}",
        "html_url": f"https://github.com/{REPO}/pull/{number}",
        "number": number,
        "state": "closed" if merged else "open",
        "locked": False,
        "title": title,
        "user": github_user(),
        "body": "Description",
        "labels": [
            {
                "id": i,
                "node_id": f"LA_{i}",
                "url": f"{api}/labels/{n}",
                "name": n,
                "color": "d73a4a",
                "default": False,
                "description": None,
            }
            for i, n in enumerate(labels)
        ],
        "created_at": "2026-11-18T08:00:00Z",
        "updated_at": "2026-11-20T09:59:00Z",
        "closed_at": "2026-11-20T09:59:00Z" if merged else None,
        "merged_at": "2026-11-20T09:59:00Z" if merged else None,
        "merge_commit_sha": merge_commit_sha,
        "draft": False,
        "head": {"label": f"octo-org:{head}", "ref": head, "sha": "2" * 40, "user": github_user()},
        "base": {"label": "octo-org:main", "ref": "main", "sha": "0" * 39 + "1", "user": github_user()},
        "author_association": "MEMBER",
    }


def github_release(
    id_: int, tag: str, published: str | None, *, draft: bool = False, prerelease: bool = False
) -> dict[str, Any]:
    return {
        "url": f"https://api.github.com/repos/{REPO}/releases/{id_}",
        "html_url": f"https://github.com/{REPO}/releases/tag/{tag}",
        "id": id_,
        "node_id": f"RE_{id_}",
        "tag_name": tag,
        "target_commitish": "main",
        "name": tag,
        "body": "",
        "draft": draft,
        "prerelease": prerelease,
        "created_at": published or "2026-11-25T00:00:00Z",
        "published_at": published,
        "author": github_user(),
        "assets": [],
    }


def github_deployment(id_: int, sha: str, created: str, environment: str = "production") -> dict[str, Any]:
    return {
        "url": f"https://api.github.com/repos/{REPO}/deployments/{id_}",
        "id": id_,
        "node_id": f"DE_{id_}",
        "sha": sha,
        "ref": "main",
        "task": "deploy",
        "payload": {},
        "original_environment": environment,
        "environment": environment,
        "description": None,
        "creator": github_user(),
        "created_at": created,
        "updated_at": created,
        "statuses_url": f"https://api.github.com/repos/{REPO}/deployments/{id_}/statuses",
        "repository_url": f"https://api.github.com/repos/{REPO}",
        "transient_environment": False,
        "production_environment": True,
    }


class FakeGitHub(FakeServer):
    """The GitHub REST endpoints the look-ups use, under an optional GHES-style prefix.

    `answers` maps a route name (pulls, run, releases, compare, deployments_by_sha,
    deployments_by_environment) to the Answer to give; unlisted routes answer 404.
    """

    def __init__(self, answers: dict[str, Answer], prefix: str = "") -> None:
        self.answers = answers
        self.prefix = prefix
        super().__init__(self._route)

    @property
    def api_url(self) -> str:
        return self.url + self.prefix

    def route_of(self, request: Recorded) -> str:
        path = request.path.removeprefix(self.prefix).removeprefix(f"/repos/{REPO}")
        if re.fullmatch(r"/commits/[0-9a-f]+/pulls", path):
            return "pulls"
        if re.fullmatch(r"/actions/runs/\d+", path):
            return "run"
        if path == "/releases":
            return "releases"
        if path.startswith("/compare/"):
            return "compare"
        if path == "/deployments":
            return "deployments_by_sha" if "sha" in request.query else "deployments_by_environment"
        return "unknown"

    def _route(self, request: Recorded) -> Answer:
        return self.answers.get(self.route_of(request), Answer(404, {"message": "Not Found"}))

    @property
    def routes(self) -> list[str]:
        return [self.route_of(r) for r in self.requests]
