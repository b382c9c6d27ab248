"""Test helpers: loopback HTTP servers standing in for iftrue and GitHub, and a runner-like harness."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = Path(__file__).resolve().parent.parent / "examples" / "events"
# Payloads of GitHub's own webhook examples (the @octokit/webhooks-examples package).
WEBHOOKS = Path(__file__).resolve().parent / "data" / "webhooks"
ENTRYPOINT = ROOT / "entrypoint.py"
# How tests/test_container.py's skips begin when no engine can run them (conftest.py folds them).
CONTAINER_SKIP = "container tests skipped: "

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
    "changelog": "## What's changed\n- Round totals once (#412)",
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


def webhook(name: str) -> dict[str, Any]:
    """One of GitHub's example payloads, e.g. `release.created`."""
    return json.loads((WEBHOOKS / f"{name}.json").read_text())


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
    #: Seconds between the status line and headers, sent at once, and the body.
    body_delay: float = 0.0

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

    def __init__(self, router: Route, host: str = "127.0.0.1") -> None:
        self.host = host
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
                    if answer.body_delay:
                        self.wfile.flush()
                        time.sleep(answer.body_delay)
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer
        if ":" in self.host:  # an IPv6 literal: GitHub Enterprise Server addressed as [::1]

            class ServerV6(ThreadingHTTPServer):
                address_family = socket.AF_INET6

            server = ServerV6
        self.httpd = server((self.host, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class TrickleServer:
    """A raw socket server on 127.0.0.1 that answers every request one byte every `interval`.

    `head` is the status line and headers, `body` what follows; `trickle` says which part
    trickles ("head" or "body", the other is sent at once). A server keeping each read alive
    so trips no socket timeout: only a deadline over the whole answer ends the wait.
    """

    def __init__(self, head: bytes, body: bytes, trickle: str = "body", interval: float = 0.5) -> None:
        import socket

        self.head, self.body, self.trickle, self.interval = head, body, trickle, interval
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: Any) -> None:
        with connection:
            try:
                connection.recv(65536)  # the request: never looked at
                for part, slow in ((self.head, self.trickle == "head"), (self.body, self.trickle == "body")):
                    if not slow:
                        connection.sendall(part)
                        continue
                    for index in range(len(part)):
                        if self.stopped.wait(self.interval):
                            return
                        connection.sendall(part[index : index + 1])
            except OSError:  # the client gave up, as it should
                return

    def __enter__(self) -> TrickleServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.listener.close()


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


class RunnerRejects(AssertionError):
    """The runner would fail the step on this file (its message, as the runner words it)."""


def parse_outputs(data: bytes) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file as the runner does on Linux (actions/runner, FileCommandManager).

    EnvFileKeyValuePairs: the file is read whole as UTF-8; only LF ends a line (a CR stays in
    the line and in the value); `NAME=value` and `NAME<<DELIMITER` lines, blank lines skipped;
    a heredoc value runs to the first line that equals the delimiter, without the LF before it.
    The runner fails the step on a line with neither `=` nor `<<`, an empty name or delimiter
    in the `<<` form, a missing delimiter, or a value line that ends the file without an LF.
    Two stricter checks than the runner's, as plain AssertionErrors (the runner accepts both):
    an empty name in the `=` form (its check is IsNullOrEmpty of the whole line, so `=x` sets
    an output named "") and an output written twice (the runner keeps the last; the action
    writes each once, so a second one is forged).
    """
    # File.ReadAllText drops a UTF-8 BOM and replaces bytes that are not UTF-8 with U+FFFD
    # (.NET's UTF8Encoding replacement fallback) rather than failing.
    text = data.decode("utf-8-sig", "replace")
    outputs: dict[str, str] = {}
    index = 0

    def read_line() -> tuple[str | None, bool]:
        """The next line and whether an LF ended it (None at the end of the file)."""
        nonlocal index
        if index >= len(text):
            return None, False
        lf = text.find("\n", index)
        if lf < 0:
            line, index = text[index:], len(text)
            return line, False
        line, index = text[index:lf], lf + 1
        return line, True

    while True:
        line, _ = read_line()
        if line is None:
            return outputs
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            name, value = line[:eq], line[eq + 1 :]
            assert name, f"output with an empty name: {line!r} (the runner accepts it)"
        elif heredoc >= 0:
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not name or not delimiter:
                raise RunnerRejects(
                    f"Invalid format '{line}'. Name must not be empty and delimiter must not be empty"
                )
            start = end = index
            while True:
                value_line, ended = read_line()
                if value_line == delimiter:
                    break
                if value_line is None:
                    raise RunnerRejects(f"Invalid value. Matching delimiter not found '{delimiter}'")
                if not ended:
                    raise RunnerRejects("Invalid value. EOF marker missing new line.")
                end = index - 1
            value = text[start:end] if end > start else ""
        else:
            raise RunnerRejects(f"Invalid format '{line}'")
        assert name not in outputs, f"output {name!r} written twice"
        outputs[name] = value


@dataclass
class Command:
    name: str
    properties: dict[str, str]
    message: str


# The commands the runner acts on (actions/runner, ActionCommandManager: stop-commands and the
# registered IActionCommandExtension names); names match case-insensitively.
RUNNER_COMMANDS = frozenset(
    {
        "stop-commands",
        "add-mask",
        "add-matcher",
        "add-path",
        "debug",
        "echo",
        "endgroup",
        "error",
        "group",
        "notice",
        "remove-matcher",
        "save-state",
        "set-env",
        "set-output",
        "warning",
    }
)


def _unescape(text: str, mapping: tuple[tuple[str, str], ...]) -> str:
    for escaped, plain in mapping:
        text = text.replace(escaped, plain)
    return text


# ActionCommand's unescape tables, in the runner's order.
_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_LEGACY = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))


def _trim_start(text: str) -> str:
    """.NET String.TrimStart(): drops Char.IsWhiteSpace characters."""
    import unicodedata

    i = 0
    while i < len(text) and (
        text[i] in "\t\n\x0b\x0c\r\x85" or unicodedata.category(text[i]) in ("Zs", "Zl", "Zp")
    ):
        i += 1
    return text[i:]


def _properties(text: str, separator: str, mapping: tuple[tuple[str, str], ...]) -> dict[str, str]:
    found = {}
    for part in (p for p in text.split(separator) if p):
        pair = [x for x in part.split("=", 1) if x]
        if len(pair) == 2:
            found[pair[0].lower()] = _unescape(pair[1], mapping)
    return found


def _ignorable(char: str) -> bool:
    """Ignored by ICU collation: controls that are no white space, and format characters (U+2060)."""
    import unicodedata

    return unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\x0b\x0c\r\x85"


def _find(text: str, key: str, start: int = 0, *, culture: bool = False) -> int:
    """String.IndexOf(key, start): ordinal, or by culture as ICU matches (ignorable characters
    inside the match are skipped; the index is where the key's first character is)."""
    if not culture:
        return text.find(key, start)
    for begin in range(start, len(text)):
        at, matched = begin, 0
        while at < len(text) and matched < len(key):
            if text[at] == key[matched]:
                at, matched = at + 1, matched + 1
            elif matched and _ignorable(text[at]):
                at += 1
            else:
                break
        if matched == len(key):
            return begin
    return -1


def _starts_with(text: str, key: str, *, culture: bool = False) -> bool:
    """String.StartsWith(key): by culture, ignorable characters before the key are skipped too."""
    if not culture:
        return text.startswith(key)
    begin = 0
    while begin < len(text) and _ignorable(text[begin]):
        begin += 1
    return _find(text, key, begin, culture=True) == begin


def parse_v2(
    line: str, registered: frozenset[str] | set[str] = RUNNER_COMMANDS, *, culture: bool = False
) -> Command | None:
    """ActionCommand.TryParseV2: `::name props::data` after leading whitespace.

    The runner's StartsWith and IndexOf compare by the current culture (it does not run with
    invariant globalization), and with ICU that skips U+2060 and the like: `culture=True` matches
    so, while the name is still cut at ordinal offsets, as Substring cuts it.
    """
    message = _trim_start(line)
    if not _starts_with(message, "::", culture=culture):
        return None
    end = _find(message, "::", 2, culture=culture)
    if end < 0:
        return None
    info = message[2:end]
    name, space, props = info.partition(" ")
    if name.lower() not in registered:
        return None
    properties = _properties(props.strip(), ",", _PROPERTY) if space and name else {}
    return Command(name.lower(), properties, _unescape(message[end + 2 :], _DATA))


def parse_legacy(
    line: str, registered: frozenset[str] | set[str] = RUNNER_COMMANDS, *, culture: bool = False
) -> Command | None:
    """ActionCommand.TryParse: `##[name props]data` anywhere in the line (`culture`: as parse_v2)."""
    start = _find(line, "##[", culture=culture)
    if start < 0:
        return None
    end = line.find("]", start)  # IndexOf(char) is ordinal
    if end < 0:
        return None
    name, space, props = line[start + 3 : end].partition(" ")
    if name.lower() not in registered:
        return None
    properties = _properties(props, ";", _LEGACY) if space and name else {}
    return Command(name.lower(), properties, _unescape(line[end + 1 :], _LEGACY))


def parse_commands(*streams: str, culture: bool = False) -> list[Command]:
    """The commands the runner would act on in a step's output, honouring stop-commands.

    A port of ActionCommandManager.TryProcessCommand: each line (ended by CR, LF or CRLF, as
    .NET's StreamReader.ReadLine reads it) is tried as a V2 command, then as a legacy one.
    After `stop-commands` with a token, only a command named after the token (in either
    syntax) resumes; the token must not be empty, `pause-logging` or a command's name.
    stdout and stderr share this state in the runner; here they are read one after the other.
    """
    commands: list[Command] = []
    registered = set(RUNNER_COMMANDS)
    stopped: str | None = None
    for stream in streams:
        for line in re.split(r"\r\n|\r|\n", stream):
            command = parse_v2(line, registered, culture=culture) or parse_legacy(
                line, registered, culture=culture
            )
            if command is None:
                continue
            if stopped is not None:
                if command.name == stopped.lower():
                    registered.discard(stopped.lower())
                    stopped = None
                continue
            if command.name == "stop-commands":
                token = command.message
                if not token or token.lower() in registered or token.lower() == "pause-logging":
                    raise RunnerRejects(f"stop-commands with an unsupported token {token!r}")
                stopped = token
                registered.add(token.lower())
                continue
            commands.append(command)
    return commands


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    commands: list[Command]
    #: Bytes of the job summary file: the runner drops one over 1 MiB.
    summary_size: int = 0

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
        "GITHUB_RUN_ATTEMPT": "1",
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
    """What the runner would make of a finished step: its files read as bytes, as it reads them."""
    out_file = Path(output_path) if output_path else None
    summary_file = Path(summary_path) if summary_path else None
    text, errors = stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
    summary = summary_file.read_bytes() if summary_file and summary_file.exists() else b""
    return Run(
        code=code,
        stdout=text,
        stderr=errors,
        outputs=parse_outputs(out_file.read_bytes()) if out_file and out_file.exists() else {},
        summary=summary.decode("utf-8"),
        commands=parse_commands(text, errors),
        summary_size=len(summary),
    )


def assert_minutes(value: Any, expected: float, clock: datetime) -> None:
    """`value` is the `expected` minutes up to `clock`, measured at some later moment."""
    late = (datetime.now(UTC) - clock).total_seconds() / 60
    # Timestamps are whole seconds, as GitHub gives them: up to one second either way.
    assert expected - 0.02 <= value <= expected + late + 0.02, (value, expected, late)


def iso(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def github_user(login: str = "octocat", id_: int = 583231) -> dict[str, Any]:
    kind = "Bot" if login.endswith("[bot]") else "User"
    return {"login": login, "id": id_, "node_id": "MDQ6VXNlcjE=", "type": kind, "site_admin": False}


def github_bot(login: str = "github-merge-queue[bot]", id_: int = 118344674) -> dict[str, Any]:
    """A GitHub App's account as payloads show it."""
    return {
        "login": login,
        "id": id_,
        "node_id": "BOT_kgDOBw",
        "html_url": f"https://github.com/apps/{login.removesuffix('[bot]')}",
        "type": "Bot",
        "site_admin": False,
    }


def github_pull(
    number: int,
    merge_commit_sha: str | None,
    head: str,
    *,
    title: str,
    labels: tuple[str, ...] = (),
    merged: bool = True,
    user: dict[str, Any] | None = None,
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
        "user": user or github_user(),
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


def github_pull_detail(pull: dict[str, Any], merged_by: dict[str, Any] | None) -> dict[str, Any]:
    """`GET /repos/{owner}/{repo}/pulls/{number}`: the listed PR plus the fields only it has."""
    return {
        **pull,
        "merged": pull["merged_at"] is not None,
        "mergeable": None,
        "merged_by": merged_by,
        "comments": 2,
        "review_comments": 0,
        "commits": 3,
        "additions": 40,
        "deletions": 7,
        "changed_files": 4,
    }


def github_workflow_file(path: str, text: str) -> dict[str, Any]:
    """`GET /repos/{owner}/{repo}/contents/{path}` for a file: its text in base64."""
    import base64

    return {
        "type": "file",
        "encoding": "base64",
        "size": len(text.encode()),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": base64.encodebytes(text.encode()).decode(),
        "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
        "url": f"https://api.github.com/repos/{REPO}/contents/{path}",
        "git_url": f"https://api.github.com/repos/{REPO}/git/blobs/3d21ec53a331a6f037a91c368710b99387d012c1",
        "html_url": f"https://github.com/{REPO}/blob/main/{path}",
        "download_url": f"https://raw.githubusercontent.com/{REPO}/main/{path}",
    }


def github_branch(name: str, sha: str = SHA) -> dict[str, Any]:
    """`GET /repos/{owner}/{repo}/branches/{branch}`."""
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"https://api.github.com/repos/{REPO}/commits/{sha}"},
        "_links": {
            "self": f"https://api.github.com/repos/{REPO}/branches/{name}",
            "html": f"https://github.com/{REPO}/tree/{name}",
        },
        "protected": False,
        "protection_url": f"https://api.github.com/repos/{REPO}/branches/{name}/protection",
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


def statuses_of(states: Mapping[int, str]) -> Route:
    """Each deployment's statuses, by id: its final state over `in_progress` (unlisted: success)."""

    def route(request: Recorded) -> Answer:
        deployment_id = int(request.path.rstrip("/").split("/")[-2])
        state = states.get(deployment_id, "success")
        return Answer(
            200,
            [
                # An Actions job's deployment: its statuses link the job (here numbered as the deployment).
                github_deployment_status(
                    deployment_id * 10 + 2, deployment_id, state, "2026-11-20T10:05:00Z", deployment_id
                ),
                github_deployment_status(
                    deployment_id * 10 + 1,
                    deployment_id,
                    "in_progress",
                    "2026-11-20T10:00:00Z",
                    deployment_id,
                ),
            ],
        )

    return route


def github_workflow_run(
    id_: int, head_sha: str, *, number: int, event: str = "schedule", head_branch: str = "main"
) -> dict[str, Any]:
    """A run as `GET /repos/{owner}/{repo}/actions/workflows/{id}/runs?status=success` lists it."""
    return {
        "id": id_,
        "name": "Deploy",
        "node_id": f"WFR_{id_}",
        "head_branch": head_branch,
        "head_sha": head_sha,
        "path": ".github/workflows/deploy.yml",
        "display_title": "Deploy",
        "run_number": number,
        "event": event,
        "status": "completed",
        "conclusion": "success",
        "workflow_id": 161335,
        "url": f"https://api.github.com/repos/{REPO}/actions/runs/{id_}",
        "html_url": f"https://github.com/{REPO}/actions/runs/{id_}",
        "pull_requests": [],
        "created_at": "2026-11-19T02:00:00Z",
        "updated_at": "2026-11-19T02:06:00Z",
        "run_attempt": 1,
        "run_started_at": "2026-11-19T02:00:00Z",
        "actor": github_user(),
        "triggering_actor": github_user(),
    }


def github_run_attempt(
    id_: int, head_sha: str, attempt: int, conclusion: str, *, number: int = 42
) -> dict[str, Any]:
    """Attempt `attempt` of a run, as `GET /repos/{owner}/{repo}/actions/runs/{id}/attempts/{n}` gives it."""
    return {
        **github_workflow_run(id_, head_sha, number=number),
        "conclusion": conclusion,
        "run_attempt": attempt,
    }


def step_time(moment: str | None) -> str | None:
    """A step's time as GitHub's documented example gives it: in the runner's zone, milliseconds."""
    try:
        parsed = datetime.fromisoformat(moment) if moment else None
    except ValueError:
        return moment  # a broken time stays broken
    if parsed is None or parsed.tzinfo is None:
        return moment
    return parsed.astimezone(timezone(timedelta(hours=-8))).isoformat(timespec="milliseconds")


def github_job(
    id_: int,
    name: str,
    created: str,
    started: str | None,
    completed: str | None,
    *,
    status: str = "completed",
    conclusion: str | None = "success",
    run_id: int = 12345678901,
    attempt: int = 1,
    picked_up: str | None = None,
    ran: bool | None = None,
    steps: tuple[str, ...] = ("Set up job", "Run ./deploy.sh"),
    runner: str = "GitHub Actions 1",
) -> dict[str, Any]:
    """A job as `GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs` lists it and
    `GET /repos/{owner}/{repo}/actions/jobs/{job_id}` gives it (GitHub's documented example).

    `picked_up` is when a runner took the job, its "Set up job" step's start (by default the
    job's `started_at`, as in GitHub's documented example). A job that `ran` on a runner has
    steps and runner fields; one that did not (queued, waiting for reviewers, skipped, cancelled
    while waiting) has neither. Of a job in progress, the last of `steps` is running (this
    step, in the job that runs it) and the ones before it completed.
    """
    if ran is None:
        ran = started is not None and status in ("in_progress", "completed") and conclusion != "skipped"
    begun = step_time(picked_up or started)
    ended = step_time(completed) if status == "completed" else None
    last = len(steps) - 1
    listed = [
        {
            "name": name,
            "status": status if number == last else "completed",
            "conclusion": (conclusion if status == "completed" else None) if number == last else "success",
            "number": number + 1,
            "started_at": begun,
            "completed_at": ended if number == last else begun,
        }
        for number, name in enumerate(steps)
    ]
    return {
        "id": id_,
        "run_id": run_id,
        "run_url": f"https://api.github.com/repos/{REPO}/actions/runs/{run_id}",
        "run_attempt": attempt,
        "node_id": f"CR_kwDO{id_}",
        "head_sha": SHA,
        "url": f"https://api.github.com/repos/{REPO}/actions/jobs/{id_}",
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}/job/{id_}",
        "status": status,
        "conclusion": conclusion if status == "completed" else None,
        "created_at": created,
        "started_at": started,
        "completed_at": completed if status == "completed" else None,
        "name": name,
        "steps": listed if ran else [],
        "check_run_url": f"https://api.github.com/repos/{REPO}/check-runs/{id_}",
        "labels": ["ubuntu-latest"],
        "runner_id": 1 if ran else None,
        "runner_name": runner if ran else None,
        "runner_group_id": 0 if ran else None,
        "runner_group_name": "GitHub Actions" if ran else None,
        "workflow_name": "Deploy",
        "head_branch": "main",
    }


def github_deployment_status(
    id_: int, deployment_id: int, state: str, created: str, job_id: int | None = None
) -> dict[str, Any]:
    """A status as `GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses` lists it; an
    Actions job's deployment links its job's page as `log_url` and `target_url`."""
    job_url = f"https://github.com/{REPO}/actions/runs/12345678901/job/{job_id}" if job_id else ""
    return {
        "url": f"https://api.github.com/repos/{REPO}/deployments/{deployment_id}/statuses/{id_}",
        "id": id_,
        "node_id": f"DES_{id_}",
        "state": state,
        "creator": github_bot("github-actions[bot]", 41898282),
        "description": "",
        "environment": "production",
        "target_url": job_url,
        "created_at": created,
        "updated_at": created,
        "deployment_url": f"https://api.github.com/repos/{REPO}/deployments/{deployment_id}",
        "repository_url": f"https://api.github.com/repos/{REPO}",
        "environment_url": "",
        "log_url": job_url,
        "performed_via_github_app": None,
    }


def jobs_pages(jobs: list[dict[str, Any]]) -> Route:
    """The jobs list, paged as GitHub pages it: `per_page` (default 30) and `page`, Link headers."""

    def route(request: Recorded) -> Answer:
        per_page = int(request.query.get("per_page", ["30"])[0])
        page = int(request.query.get("page", ["1"])[0])
        last = max(1, -(-len(jobs) // per_page))
        base = f"http://{request.headers['host']}{request.path}?per_page={per_page}&page="
        links = []
        if page < last:
            links += [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
        if page > 1:
            links += [f'<{base}1>; rel="first"', f'<{base}{page - 1}>; rel="prev"']
        body = {"total_count": len(jobs), "jobs": jobs[(page - 1) * per_page : page * per_page]}
        return Answer(200, body, {"Link": ", ".join(links)} if links else {})

    return route


class FakeGitHub(FakeServer):
    """The GitHub REST endpoints the look-ups use, under an optional GHES-style prefix.

    `answers` maps a route name (pulls, pull, jobs, job, releases, compare, deployments_by_sha,
    deployments_by_environment, statuses, workflow_runs, attempt, contents, branch) to the Answer to give,
    or to a Route that makes it; unlisted routes answer 404.
    """

    def __init__(self, answers: dict[str, Answer | Route], prefix: str = "", host: str = "127.0.0.1") -> None:
        self.answers = answers
        self.prefix = prefix
        super().__init__(self._route, host)

    @property
    def api_url(self) -> str:
        return self.url + self.prefix

    def route_of(self, request: Recorded) -> str:
        path = request.path.removeprefix(self.prefix).removeprefix(f"/repos/{REPO}")
        if re.fullmatch(r"/commits/[0-9a-f]+/pulls", path):
            return "pulls"
        if re.fullmatch(r"/pulls/\d+", path):
            return "pull"
        if path.startswith("/contents/"):
            return "contents"
        if path.startswith("/branches/"):
            return "branch"
        if re.fullmatch(r"/actions/runs/\d+/jobs", path):
            return "jobs"
        if re.fullmatch(r"/actions/jobs/\d+", path):
            return "job"
        if re.fullmatch(r"/actions/runs/\d+/attempts/\d+", path):
            return "attempt"
        if re.fullmatch(r"/deployments/\d+/statuses", path):
            return "statuses"
        if path == "/releases":
            return "releases"
        if path.startswith("/compare/"):
            return "compare"
        if path == "/deployments":
            return "deployments_by_sha" if "sha" in request.query else "deployments_by_environment"
        if re.fullmatch(r"/actions/workflows/[^/]+/runs", path):
            return "workflow_runs"
        if path == "/actions/artifacts":
            return "artifacts"
        return "unknown"

    def only(self, route: str) -> Recorded:
        """The one request of `route` (pulls, jobs, compare, …), wherever it came in the order."""
        made = [request for request in self.requests if self.route_of(request) == route]
        assert len(made) == 1, f"{len(made)} {route} requests among {self.routes}"
        return made[0]

    def _route(self, request: Recorded) -> Answer:
        answer = self.answers.get(self.route_of(request), Answer(404, {"message": "Not Found"}))
        return answer if isinstance(answer, Answer) else answer(request)

    @property
    def routes(self) -> list[str]:
        return [self.route_of(r) for r in self.requests]
