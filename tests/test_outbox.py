"""The outbox, as processes: an outage queues the record as an artifact, a later run delivers it.

One loopback server plays the runner's artifact service (twirp CreateArtifact/FinalizeArtifact
and the blob store its signed URL points at) and GitHub's REST artifacts API over the same store.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from support import (
    GITHUB_TOKEN,
    REPO,
    TOKEN,
    Answer,
    FakeIftrue,
    FakeServer,
    Recorded,
    payload,
    run_action,
    runner_env,
)

from track_deployment.sealed import seal

TWIRP = "/twirp/github.actions.results.api.v1.ArtifactService/"
RUN_BACKEND, JOB_BACKEND = "ce7f54c7-61c7-4aae-887f-30da475f5f1a", "ca395085-040a-526b-2ce8-bdc85f692774"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


RUNTIME_TOKEN = ".".join(
    [
        _b64({"typ": "JWT", "alg": "RS256"}),
        _b64({"scp": f"Actions.GenericRead:x Actions.Results:{RUN_BACKEND}:{JOB_BACKEND}"}),
        "c2lnbmF0dXJlLW9mLXRoZS1ydW50aW1lLXRva2Vu",
    ]
)


class FakeArtifacts(FakeServer):
    """The artifact service, its blob store, and GitHub's REST artifacts API over one store."""

    def __init__(self, *, writable: bool = True) -> None:
        self.pending: dict[str, bytes] = {}
        self.artifacts: dict[int, dict[str, Any]] = {}
        self.blobs: dict[str, bytes] = {}
        self.writable = writable
        self.deleted: list[int] = []
        self.lock = threading.Lock()
        #: Hold each list answer until this many runs have asked: they then race for the claim.
        self.barrier: threading.Barrier | None = None
        #: Seconds a DELETE's answer takes after the artifact is gone (a lost answer).
        self.slow_delete = 0.0
        super().__init__(self._route)

    def plant(self, name: str, data: bytes, run_id: int = 1) -> int:
        """An artifact some run uploaded (a fork's pull request, say), bypassing the service."""
        self.blobs[name] = data
        return self._add(name, len(data), run_id)

    def _add(self, name: str, size: int, run_id: int) -> int:
        id_ = 1000 + len(self.artifacts) + len(self.deleted)
        self.artifacts[id_] = {
            "id": id_,
            "name": name,
            "size_in_bytes": size,
            "expired": False,
            "created_at": f"2026-12-01T10:{id_ - 1000:02d}:00Z",  # in the order of upload
            "workflow_run": {"id": run_id},
        }
        return id_

    def entries(self) -> list[dict[str, Any]]:
        found = []
        for artifact in self.artifacts.values():
            with zipfile.ZipFile(io.BytesIO(self.blobs[artifact["name"]])) as archive:
                found.append(json.loads(archive.read("record.json")))
        return found

    def _route(self, request: Recorded) -> Answer:
        path = request.path
        if path.startswith(TWIRP):
            return self._twirp(path.removeprefix(TWIRP), request)
        if path.startswith("/blob/"):
            return self._blob(path.removeprefix("/blob/"), request)
        rest = path.removeprefix(f"/repos/{REPO}/actions/artifacts")
        if rest == path or request.headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
            return Answer(404, {"message": "Not Found"})
        if rest == "" and request.method == "GET":
            if self.barrier:
                self.barrier.wait(timeout=20)
            listed = sorted(self.artifacts.values(), key=lambda a: -a["id"])
            return Answer(200, {"total_count": len(listed), "artifacts": listed})
        match = re.fullmatch(r"/(\d+)(/zip)?", rest)
        artifact = self.artifacts.get(int(match.group(1))) if match else None
        if artifact is None or not match:
            return Answer(404, {"message": "Not Found"})
        if match.group(2):
            return Answer(302, headers={"Location": f"{self.url}/blob/{artifact['name']}?sig=download"})
        if request.method != "DELETE":
            return Answer(200, artifact)
        if not self.writable:
            return Answer(403, {"message": "Resource not accessible by integration"})
        with self.lock:
            if self.artifacts.pop(artifact["id"], None) is None:
                return Answer(404, {"message": "Not Found"})
            self.deleted.append(artifact["id"])
        time.sleep(self.slow_delete)
        return Answer(204)

    def _twirp(self, method: str, request: Recorded) -> Answer:
        assert request.headers["authorization"] == f"Bearer {RUNTIME_TOKEN}"
        body = request.json()
        assert (body["workflow_run_backend_id"], body["workflow_job_run_backend_id"]) == (
            RUN_BACKEND,
            JOB_BACKEND,
        )
        if method == "CreateArtifact":
            return Answer(
                200, {"ok": True, "signed_upload_url": f"{self.url}/blob/{body['name']}?sig=upload"}
            )
        data = self.pending.pop(body["name"])
        assert body["size"] == str(len(data)) and body["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[body["name"]] = data
        return Answer(200, {"ok": True, "artifact_id": str(self._add(body["name"], len(data), 12345678901))})

    def _blob(self, name: str, request: Recorded) -> Answer:
        if request.method == "PUT":
            assert request.headers["x-ms-blob-type"] == "BlockBlob"
            self.pending[name] = request.body
            return Answer(201)
        return Answer(200, self.blobs[name], headers={"Content-Type": "application/zip"})

    @property
    def calls(self) -> list[str]:
        """What each artifact request was (the look-ups' requests left out)."""
        named = []
        for r in self.requests:
            if "/artifacts" not in r.path and not r.path.startswith((TWIRP, "/blob/")):
                continue
            if r.path.startswith(TWIRP):
                named.append(r.path.removeprefix(TWIRP))
            elif r.path.startswith("/blob/"):
                named.append(f"blob {r.method}")
            else:
                named.append(
                    f"{r.method} {r.path.removeprefix(f'/repos/{REPO}/actions/artifacts') or 'list'}"
                )
        return named


@pytest.fixture
def store() -> Any:
    with FakeArtifacts() as server:
        yield server


def env_for(tmp: Path, store: FakeArtifacts, iftrue: FakeServer, **inputs: str) -> dict[str, str]:
    tmp.mkdir(parents=True, exist_ok=True)
    return runner_env(
        tmp,
        "release",
        payload("release"),
        {"api_url": iftrue.url, "github_token": GITHUB_TOKEN, "check_run_id": "555", **inputs},
        GITHUB_API_URL=store.url,
        ACTIONS_RUNTIME_TOKEN=RUNTIME_TOKEN,
        ACTIONS_RESULTS_URL=store.url + "/",
        GITHUB_RETENTION_DAYS="90",
    )


class Iftrue(FakeIftrue):
    """iftrue, down (503) while `down` is set."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        super().__init__()

    def _route(self, request: Recorded) -> Answer:
        return Answer(503, {"message": "down for maintenance"}) if self.down else super()._route(request)

    @property
    def delivered(self) -> list[Any]:
        return [p.json() for p in self.posts if not self.down]


def outage() -> Iftrue:
    return Iftrue(down=True)


@pytest.fixture
def iftrue() -> Any:
    with Iftrue() as server:
        yield server


def queue_one(tmp: Path, store: FakeArtifacts, iftrue: Iftrue) -> dict[str, Any]:
    """A run during an outage of `iftrue`; returns the record it could not deliver."""
    iftrue.down = True
    run = run_action(env_for(tmp / "down", store, iftrue, timeout="3"))
    iftrue.down = False
    iftrue.requests.clear()
    assert run.code == 0 and run.outputs["result"] == "failed", run.stdout
    return run.payload


def test_an_outage_queues_the_record(tmp_path: Path, store: FakeArtifacts) -> None:
    with outage() as down:
        run = run_action(env_for(tmp_path, store, down, timeout="3"))
    assert run.code == 0 and run.outputs["result"] == "failed"
    assert store.calls == ["GET list", "CreateArtifact", "blob PUT", "FinalizeArtifact"]
    [artifact] = store.artifacts.values()
    assert artifact["name"].startswith("track-deployment-outbox-555-")
    [entry] = store.entries()
    assert entry["record"] == run.payload
    assert entry["run"]["url"] == "https://github.com/octo-org/shop/actions/runs/12345678901"
    assert entry["api_url_sha256"] == hashlib.sha256(down.url.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", entry["hmac_sha256"])
    assert any("queued as the artifact" in n and "for 90 days" in n for n in run.notices)
    assert "Outbox" in run.summary and "with no replay by hand" in run.summary
    blob = b"".join(store.blobs.values()).decode("latin-1")
    shown = "\n".join(line for line in run.everything().splitlines() if not line.startswith("::add-mask::"))
    assert TOKEN not in shown + blob and RUNTIME_TOKEN not in shown


def test_the_next_run_delivers_it_once_before_its_own(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    queued = queue_one(tmp_path, store, iftrue)
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Hotfix 2"))
    assert run.code == 0 and run.outputs["result"] == "created", run.stdout
    assert iftrue.delivered == [queued, run.payload]
    assert store.artifacts == {}
    assert any(re.search(r"Delivered a record queued .*, \d+ min late", n) for n in run.notices)
    assert "Delivered a record queued" in run.summary
    # The third run finds nothing: the record was sent once.
    again = run_action(env_for(tmp_path / "third", store, iftrue, title="Hotfix 3"))
    assert iftrue.delivered == [queued, run.payload, again.payload]


def test_two_concurrent_drains_send_it_once(tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue) -> None:
    queued = queue_one(tmp_path, store, iftrue)
    store.barrier = threading.Barrier(2)  # both list before either claims
    with ThreadPoolExecutor(2) as pool:
        envs = [env_for(tmp_path / name, store, iftrue, title=name) for name in ("a", "b")]
        runs = list(pool.map(run_action, envs))
    assert all(r.code == 0 and r.outputs["result"] == "created" for r in runs)
    assert iftrue.delivered.count(queued) == 1
    assert len(iftrue.delivered) == 3
    assert store.calls.count("GET /1000/zip") == 2  # both saw it; one claimed it


def _tampered(entry: dict[str, Any], **changes: Any) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("record.json", json.dumps({**entry, **changes}))
    return buffer.getvalue()


def test_a_planted_or_tampered_record_is_never_sent(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    queued = queue_one(tmp_path, store, iftrue)
    [entry] = store.entries()
    store.artifacts.clear()
    store.plant("track-deployment-outbox-1-aaaa", _tampered(entry, record={**queued, "title": "planted"}))
    store.plant("track-deployment-outbox-1-bbbb", _tampered(entry, hmac_sha256="0" * 64))
    store.plant("track-deployment-outbox-1-cccc", b"not a zip")
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Own"))
    assert iftrue.delivered == [run.payload]
    assert len(store.artifacts) == 3  # left alone, never claimed
    assert not any(c.startswith("DELETE") for c in store.calls)


def test_a_record_for_another_api_url_is_left_alone(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    with outage() as elsewhere:
        queue_one(tmp_path, store, elsewhere)
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Own"))
    assert iftrue.delivered == [run.payload]
    assert len(store.artifacts) == 1


def test_without_actions_write_nothing_is_deleted_or_sent_twice(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    queue_one(tmp_path, store, iftrue)
    store.writable = False
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Own"))
    assert run.code == 0 and run.outputs["result"] == "created"
    assert iftrue.delivered == [run.payload]
    assert len(store.artifacts) == 1
    assert "actions: write" in run.summary and "nothing was sent" in run.summary
    assert any("`actions: write`" in w for w in run.warnings)


def test_a_drained_record_that_fails_again_is_queued_again_ahead_of_its_own(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    queued = queue_one(tmp_path, store, iftrue)
    iftrue.down = True
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Own", timeout="4"))
    assert run.outputs["result"] == "failed"
    entries = sorted(store.entries(), key=lambda e: e["queued_at"])
    assert [e["record"] for e in entries] == [queued, run.payload]
    assert "queued again" in run.summary


@pytest.mark.parametrize(
    "overrides",
    [{"GITHUB_SERVER_URL": "https://github.example.com"}, {"GITHUB_ACTIONS": "false"}],
    ids=["ghes", "outside-actions"],
)
def test_ghes_and_outside_actions_keep_todays_behaviour(
    tmp_path: Path, store: FakeArtifacts, overrides: dict[str, str]
) -> None:
    with outage() as down:
        run = run_action({**env_for(tmp_path, store, down, timeout="3"), **overrides})
    assert run.code == 0 and run.outputs["result"] == "failed"
    assert store.calls == []
    assert "record this deployment" in run.stdout + run.stderr
    assert "queued as the artifact" not in run.everything()
    if "GITHUB_SERVER_URL" in overrides:
        assert "not queued: GitHub Enterprise Server gives actions no artifact service" in run.summary


def test_a_native_actions_artifact_of_several_records_is_delivered_oldest_first(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    """The native action's upload step zips its folder: one `<digest>.json` per record it kept."""
    older = {**payload_record(), "title": "Deploy 1"}
    newer = {**payload_record(), "title": "Deploy 2"}
    run_of = {"id": "1", "attempt": "1", "url": ""}
    entries = [
        seal(newer, token=TOKEN, api_url=iftrue.url, run=run_of, queued_at="2026-12-07T09:00:00Z"),
        seal(older, token=TOKEN, api_url=iftrue.url, run=run_of, queued_at="2026-12-07T08:00:00Z"),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, entry in enumerate(entries):
            archive.writestr(f"{number}abc.json", json.dumps(entry))
    store.plant("track-deployment-outbox-555-abcdef", buffer.getvalue())
    run = run_action(env_for(tmp_path, store, iftrue, title="Deploy 3"))
    assert run.code == 0 and run.outputs["result"] == "created", run.stdout
    assert [record["title"] for record in iftrue.delivered] == ["Deploy 1", "Deploy 2", "Deploy 3"]
    assert store.artifacts == {}


def payload_record() -> dict[str, Any]:
    """A record as a run of the release example sends it."""
    return {
        "title": "v2.4.0",
        "branch": "main",
        "commit_id": "9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b",
        "repository_url": "https://github.com/octo-org/shop",
        "member_id": "583231",
        "pull_request_number": 0,
    }


# Found in review: a copy of a genuine record, unreadable artifacts, large ones, a lost claim.


def test_a_copy_of_a_genuine_record_uploaded_by_another_run_is_never_sent(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    queued = queue_one(tmp_path, store, iftrue)
    [artifact] = store.artifacts.values()
    copy = store.blobs[artifact["name"]]
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Hotfix 2"))
    assert iftrue.delivered == [queued, run.payload]
    # Anyone who downloaded the artifact while it waited uploads it again from another run.
    store.plant("track-deployment-outbox-555-replayed", copy, run_id=999)
    again = run_action(env_for(tmp_path / "third", store, iftrue, title="Hotfix 3"))
    assert iftrue.delivered == [queued, run.payload, again.payload]  # sent once, not twice


def test_unreadable_artifacts_do_not_keep_a_genuine_record_waiting(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    for number in range(6):  # older than the genuine one, and none of them verifies
        store.plant(f"track-deployment-outbox-{number}-junk", b"not a zip")
    queued = queue_one(tmp_path, store, iftrue)
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Hotfix 2"))
    assert iftrue.delivered == [queued, run.payload]


def test_every_record_of_a_large_native_artifact_is_delivered(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    run_of = {"id": "1", "attempt": "1", "url": ""}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(7):
            record = {**payload_record(), "title": f"Deploy {number}"}
            entry = seal(
                record, token=TOKEN, api_url=iftrue.url, run=run_of, queued_at=f"2026-12-07T0{number}:00:00Z"
            )
            archive.writestr(f"{number}.json", json.dumps(entry))
    store.plant("track-deployment-outbox-555-many", buffer.getvalue())
    run = run_action(env_for(tmp_path, store, iftrue, title="Deploy 7"))
    assert run.code == 0, run.stdout
    assert [record["title"] for record in iftrue.delivered] == [f"Deploy {n}" for n in range(8)]


def test_a_run_on_ghes_says_why_it_looks_for_no_queued_record(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    run = run_action({**env_for(tmp_path, store, iftrue), "GITHUB_SERVER_URL": "https://ghe.example.com"})
    assert run.code == 0 and run.outputs["result"] == "created", run.stdout
    assert store.calls == []
    assert (
        "Queued records were not looked for: GitHub Enterprise Server gives actions no artifact service"
        in (run.summary)
    )


def test_a_claim_whose_answer_is_lost_prints_its_record(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    """Deleted, but the answer never came: neither sent (another run may hold it) nor lost."""
    queued = queue_one(tmp_path, store, iftrue)
    store.slow_delete = 5
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Hotfix 2", timeout="8"))
    assert run.code == 0 and run.outputs["result"] == "created", run.stdout
    assert iftrue.delivered == [run.payload]  # this run's own only
    assert any("claiming it failed" in w for w in run.warnings)
    assert queued["title"] in run.stdout  # printed for a replay by hand


def test_an_artifact_larger_than_it_says_is_passed_over(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    id_ = store.plant("track-deployment-outbox-0-big", b"x" * (2 * 1024 * 1024))
    store.artifacts[id_]["size_in_bytes"] = 100  # what its uploader claimed
    queued = queue_one(tmp_path, store, iftrue)
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Hotfix 2"))
    assert iftrue.delivered == [queued, run.payload]


def test_a_secret_in_the_record_is_redacted_in_the_artifact(tmp_path: Path, store: FakeArtifacts) -> None:
    """Anyone who can read the repository's Actions can read an artifact, and no runner masks one."""
    event = payload("push")
    event["head_commit"]["message"] = event["commits"][0]["message"] = f"chore: drop leaked key {TOKEN}"
    env = runner_env(
        tmp_path,
        "push",
        event,
        {"github_token": GITHUB_TOKEN, "check_run_id": "555", "timeout": "3"},
        GITHUB_API_URL=store.url,
        ACTIONS_RUNTIME_TOKEN=RUNTIME_TOKEN,
        ACTIONS_RESULTS_URL=store.url + "/",
    )
    with outage() as down:
        run = run_action({**env, "INPUT_API_URL": down.url})
    assert run.outputs["result"] == "failed" and store.artifacts, run.stdout
    blob = b"".join(store.blobs.values())
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        text = archive.read("record.json").decode()
    assert TOKEN not in text and "chore: drop leaked key ***" in text


def test_a_record_iftrue_may_have_received_is_not_queued(tmp_path: Path, store: FakeArtifacts) -> None:
    """The record reached iftrue and its answer never came: the next run must not send it again."""

    class Silent(Iftrue):
        def _route(self, request: Recorded) -> Answer:
            time.sleep(6)  # past the step's 3 s: the answer is lost, not the record
            return super()._route(request)

    with Silent() as silent:
        run = run_action(env_for(tmp_path, store, silent, timeout="3"))
    assert run.code == 0 and run.outputs["result"] == "failed", run.stdout
    assert len(silent.posts) == 1
    assert store.calls == ["GET list"]  # looked for queued records; queued none
    assert "This run's record was not queued: iftrue may have recorded it" in html.unescape(run.summary)


def test_an_artifact_a_forks_run_uploaded_is_never_sent(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    """A fork's pull request run uploads to this repository: GitHub names its head repository."""
    queue_one(tmp_path, store, iftrue)
    [artifact] = store.artifacts.values()
    artifact["workflow_run"].update(repository_id=1296269, head_repository_id=9999999)
    run = run_action(env_for(tmp_path / "next", store, iftrue, title="Own"))
    assert iftrue.delivered == [run.payload]
    assert len(store.artifacts) == 1  # left alone, never claimed


def test_a_dependabot_run_says_why_it_looks_for_no_queued_record(
    tmp_path: Path, store: FakeArtifacts, iftrue: Iftrue
) -> None:
    queue_one(tmp_path, store, iftrue)
    run = run_action({**env_for(tmp_path / "next", store, iftrue), "GITHUB_ACTOR": "dependabot[bot]"})
    assert run.code == 0 and run.outputs["result"] == "created", run.stdout
    assert len(store.artifacts) == 1 and not any(c.startswith(("GET /", "DELETE")) for c in store.calls)
    assert "Queued records were not looked for: Dependabot's runs get a read-only GITHUB_TOKEN" in (
        html.unescape(run.summary)
    )
