"""A GitHub API for the release demo, on 127.0.0.1: the answers a repository would give for the
bundled release event, so the demo shows what the look-ups add (the pull request, the commits
since the previous release, how long the run's jobs ran, and their chart).

Prints its base URL on the first line of stdout, then answers until it is stopped. Standard
library only: the demo's environment holds the action's runtime packages and nothing more.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPO = "/repos/octo-org/shop"
SHA = "9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b"
RUNNER = "GitHub Actions 2"


def ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def job(id_: int, name: str, created: float, started: float, completed: float | None) -> dict[str, Any]:
    """A job of the run: created, started on a runner `started` minutes ago, done or running."""
    done = completed is not None
    steps = [
        {"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1,
         "started_at": ago(started), "completed_at": ago(started)},
        {"name": "Run ./deploy.sh" if id_ == 2 else "Run make build", "number": 2,
         "status": "completed" if done else "in_progress", "conclusion": "success" if done else None,
         "started_at": ago(started), "completed_at": ago(completed) if done else None},
    ]  # fmt: skip
    return {
        "id": id_,
        "name": name,
        "status": "completed" if done else "in_progress",
        "conclusion": "success" if done else None,
        "created_at": ago(created),
        "started_at": ago(started),
        "completed_at": ago(completed) if done else None,
        "steps": steps,
        "runner_id": id_,
        "runner_name": "GitHub Actions 1" if id_ == 1 else RUNNER,
    }


def answer(path: str) -> Any:
    """What GitHub answers for `path` in this demo's repository; None: 404."""
    if re.fullmatch(rf"{REPO}/commits/{SHA}/pulls", path):
        return [
            {
                "number": 412,
                "title": "Round totals once",
                "merge_commit_sha": SHA,
                "merged_at": "2026-11-20T09:55:00Z",
                "head": {"ref": "fix/rounding"},
                "labels": [{"name": "bug"}],
                "user": {"login": "octocat", "id": 583231, "type": "User"},
            }
        ]
    if re.fullmatch(rf"{REPO}/actions/runs/\d+/jobs", path):
        # build, then deploy (this step's job), which waited 30 minutes for its reviewers.
        return {"total_count": 2, "jobs": [job(1, "build", 40, 40, 36), job(2, "deploy", 36, 6, None)]}
    if path == f"{REPO}/releases":
        return [
            {"id": 186500001, "tag_name": "v2.4.0", "published_at": "2026-11-20T10:02:47Z"},
            {"id": 186400000, "tag_name": "v2.3.0", "published_at": "2026-11-10T12:00:00Z"},
        ]
    if path == f"{REPO}/compare/v2.3.0...v2.4.0":
        commits = [
            "fix: round totals once",
            "Add gift cards",
            "Merge pull request #412 from octo-org/fix/rounding",
        ]
        return {
            "status": "ahead",
            "total_commits": len(commits),
            "base_commit": {"sha": "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"},
            "commits": [
                {
                    "sha": f"{n}" * 40,
                    "commit": {"message": m},
                    "parents": [{}] * (2 if m.startswith("Merge") else 1),
                }
                for n, m in enumerate(commits, 1)
            ],
        }
    if path == f"{REPO}/deployments":
        return []
    return None


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        data = answer(self.path.split("?", 1)[0].removeprefix("/api/v3"))
        body = json.dumps(data if data is not None else {"message": "Not Found"}).encode()
        self.send_response(200 if data is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
