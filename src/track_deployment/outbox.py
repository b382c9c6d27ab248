"""The outbox: a record an outage kept from iftrue waits as an artifact of its run, and the next
run of the action in the repository delivers it before its own (docs/failures.md).

Keeping speaks the runner's artifact service as @actions/artifact does (CreateArtifact, a PUT to
the signed URL, FinalizeArtifact); draining lists, downloads and claims by DELETE through the REST
API, so that of two runs draining at once only the one whose delete succeeded sends a record. An
HMAC keyed by the iftrue token: nothing planted (a fork's pull request can upload artifacts) is sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from .client import USER_AGENT, IftrueClient
from .errors import ActionError, Cancelled, OutboxError, ServiceRejected
from .inputs import Inputs, Runner
from .model import is_dependabot
from .schema import DeploymentRequest, record_json
from .sealed import canonical, opened, queued_time, seal, zipped
from .transport import MAX_ANSWER_BYTES, Alarm, DeadlineAdapter, trust
from .values import api_url_problem, is_loopback
from .workflow import Console

NAME = "track-deployment-outbox"
SERVICE = "github.actions.results.api.v1.ArtifactService"
#: At most this many queued records are delivered by one run; the rest wait for the next.
MAX_RECORDS = 5
#: At most this many outbox artifacts are downloaded by one run, so that a few that do not
#: verify (another iftrue's, an old token's, planted) do not keep a genuine one waiting.
MAX_DOWNLOADS = 2 * MAX_RECORDS
#: The drain's share of `timeout` (list, downloads, claims and the late deliveries).
DRAIN_SHARE = 1 / 4
DRAIN_MAX_SECONDS = 30.0
#: Keeping runs after the delivery has spent `timeout`: a few seconds more, never a hang.
KEEP_SECONDS = 10.0
#: The REST list gives the repository's newest artifacts first; one page is the one request.
LIST_PAGE = 100
TITLE = "track-deployment outbox"


def _hosted(server_url: str) -> bool:
    """GitHub.com or a GHE.com region: where the artifact service of @actions/artifact v2 runs."""
    parts = urlsplit(server_url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "github.com" or host.endswith(".ghe.com"))


def _url_problem(url: str) -> str | None:
    """Why a URL from a server (a signed URL, a redirect) is not one to connect to."""
    base = url.split("?", 1)[0].split("#", 1)[0]
    return api_url_problem(base)


def _sealed_by(entry: dict[str, Any]) -> str:
    run = entry.get("run")
    return str(run.get("id", "")) if isinstance(run, dict) else ""


def _of_this_repository(artifact: dict[str, Any]) -> bool:
    """Uploaded by a run of this repository's own code: a fork's pull request run (whose head
    repository is the fork) could upload a copy of a queued record to have it sent again."""
    run = artifact.get("workflow_run")
    if not isinstance(run, dict):
        return True  # GitHub's answer names no run: the HMAC and the run id still decide
    head, own = run.get("head_repository_id"), run.get("repository_id")
    return head is None or own is None or head == own


def backend_ids(runtime_token: str) -> tuple[str, str]:
    """(run, job) backend ids from the runtime token's `scp` claim `Actions.Results:<run>:<job>`."""
    try:
        part = runtime_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        scopes = str(claims.get("scp", "")).split()
    except (IndexError, ValueError, AttributeError):
        scopes = []
    for scope in scopes:
        pieces = scope.split(":")
        if pieces[0] == "Actions.Results" and len(pieces) == 3:
            return pieces[1], pieces[2]
    raise OutboxError("the runner's ACTIONS_RUNTIME_TOKEN names no artifact scope")


def late_by(queued_at: str, now: datetime) -> str:
    """How long after it was queued a record arrives, in words: "2 h 5 min"."""
    try:
        then = datetime.fromisoformat(queued_at.replace("Z", "+00:00"))
    except ValueError:
        return "an unknown time"
    minutes = max(0, round((now - then) / timedelta(minutes=1)))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    return " ".join(part for part in parts if part)


@dataclass
class Outbox:
    """One run's side of the outbox: what it drained, and keeping what it could not deliver.

    Its summary lines quote untrusted text (iftrue's messages): the summary escapes them."""

    inputs: Inputs
    runner: Runner
    console: Console
    #: Lines for the job summary (escaped there, as they may quote iftrue's words).
    lines: list[str]
    #: Seconds the drain spent of `timeout`.
    seconds: float = 0.0
    #: (artifact name, folder) the native action's upload-artifact step keeps; None when nothing is.
    artifact: tuple[str, str] | None = None
    #: When keeping must be done by (monotonic), once the first record is kept.
    keep_by: float | None = None

    def keeping(self) -> str:
        """Why this run cannot keep a record in the outbox; "" when it can."""
        if not self.runner.actions:
            return "outside GitHub Actions"
        if not _hosted(self.runner.server_url):
            return "GitHub Enterprise Server gives actions no artifact service"
        if self.runner.runtime_token and self.runner.results_url:
            problem = _url_problem(self.runner.results_url)
            return f"ACTIONS_RESULTS_URL {problem}" if problem else ""
        if self.runner.outbox_dir:
            return ""  # the native action: its upload-artifact step keeps what is written there
        return "the runner gave this step no artifact service (ACTIONS_RUNTIME_TOKEN)"

    def draining(self) -> str:
        """Why this run does not look for queued records; "" when it does."""
        if why := self.keeping():
            return why  # a record claimed and not delivered could not be kept again
        if is_dependabot(self.runner.actor):
            return "Dependabot's runs get a read-only GITHUB_TOKEN"
        if not self.inputs.github_token:
            return "`github_token` is empty"
        if not self.runner.repository or not self.runner.api_url:
            return "GITHUB_REPOSITORY or GITHUB_API_URL is empty"
        if problem := api_url_problem(self.runner.api_url):
            return f"GITHUB_API_URL {problem}"
        return ""

    def _request(self, method: str, url: str, deadline: float, **kwargs: Any) -> requests.Response:
        """One request, its answer read whole within the deadline (at most 1 MiB); no redirect."""
        # The same trust and proxy rules as the delivery: a company's CA, loopback never proxied.
        context = trust(self.inputs.ca_bundles) if url.lower().startswith("https:") else None
        adapter = DeadlineAdapter(deadline, None, context, max_retries=0)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **kwargs.pop("headers", {})}
        with requests.Session() as session, Alarm().until(deadline):
            session.trust_env = not is_loopback(urlsplit(url).hostname or "")
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            try:
                answer = session.request(method, url, headers=headers, allow_redirects=False, **kwargs)
            except (requests.RequestException, TimeoutError) as exc:
                raise OutboxError(f"{method} failed ({type(exc).__name__})") from None
        if getattr(answer, "cut", None):
            raise OutboxError(f"{method} answered {answer.status_code}, {answer.cut}")  # type: ignore[attr-defined]
        return answer

    def _github(self, method: str, path: str, deadline: float) -> requests.Response:
        url = f"{self.runner.api_url}/repos/{self.runner.repository}{path}"
        headers = {
            "Authorization": f"Bearer {self.inputs.github_token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        return self._request(method, url, deadline, headers=headers)

    def _twirp(self, method: str, body: dict[str, Any], deadline: float) -> dict[str, Any]:
        url = f"{self.runner.results_url.rstrip('/')}/twirp/{SERVICE}/{method}"
        headers = {"Authorization": f"Bearer {self.runner.runtime_token}", "Content-Type": "application/json"}
        answer = self._request("POST", url, deadline, headers=headers, data=json.dumps(body).encode())
        try:
            data = answer.json()
        except ValueError:
            data = None
        if answer.status_code != 200 or not isinstance(data, dict) or data.get("ok") is not True:
            raise OutboxError(f"the artifact service answered {answer.status_code} to {method}")
        return data

    def _upload(self, name: str, data: bytes, deadline: float) -> None:
        """One artifact of this run, as @actions/artifact v2 makes it (a zip: version 4)."""
        run_id, job_id = backend_ids(self.runner.runtime_token)
        ids = {"workflow_run_backend_id": run_id, "workflow_job_run_backend_id": job_id, "name": name}
        created = self._twirp("CreateArtifact", {**ids, "version": 4}, deadline)
        signed = str(created.get("signed_upload_url", ""))
        if not signed or _url_problem(signed):
            raise OutboxError("the artifact service gave no usable upload URL")
        put = self._request(
            "PUT", signed, deadline, data=data,
            headers={"x-ms-blob-type": "BlockBlob", "Content-Type": "application/zip"},
        )  # fmt: skip
        if not 200 <= put.status_code < 300:
            raise OutboxError(f"the upload answered {put.status_code}")
        digest = hashlib.sha256(data).hexdigest()
        self._twirp("FinalizeArtifact", {**ids, "size": str(len(data)), "hash": f"sha256:{digest}"}, deadline)

    def keep_entry(self, entry: dict[str, Any]) -> str:
        """Queue an entry as an artifact of this run; the artifact's name, or why it was not kept."""
        if why := self.keeping():
            return f"not queued: {why}"
        digest = hashlib.sha256(canonical(entry)).hexdigest()[:12]
        job = [str(self.inputs.check_run_id)] if self.inputs.check_run_id else []  # a matrix's jobs
        name = "-".join([NAME, *job, digest])
        if not self.runner.runtime_token:
            return self._keep_in_folder(name, digest, entry)
        if self.keep_by is None:  # one share for all this run keeps, after the delivery's
            self.keep_by = time.monotonic() + KEEP_SECONDS
        try:
            self._upload(name, zipped(entry), self.keep_by)
        except OutboxError as exc:
            return f"not queued: {exc}"
        return name

    def _keep_in_folder(self, name: str, digest: str, entry: dict[str, Any]) -> str:
        """The native action: the entry written where its upload-artifact step uploads one artifact
        of every record this run keeps (a composite action's steps get no artifact service)."""
        try:
            if self.artifact is None:
                folder = tempfile.mkdtemp(prefix=f"{NAME}-", dir=self.runner.outbox_dir)
                self.artifact = (name, folder)
            with open(os.path.join(self.artifact[1], f"{digest}.json"), "w", encoding="utf-8") as handle:
                json.dump(entry, handle, indent=2)
        except OSError as exc:
            return f"not queued: its file could not be written ({exc.strerror or exc})"
        return self.artifact[0]

    def _redacted(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record as the `payload` output holds it: an artifact is read by anyone who can read
        the repository's Actions, and the runner masks no artifact."""
        return {
            name: self.console.redact(value) if isinstance(value, str) else value
            for name, value in record.items()
        }

    def _run(self) -> dict[str, str]:
        return {
            "id": self.runner.run_id,
            "attempt": self.runner.run_attempt,
            "url": self.runner.run_url or "",
        }

    def keep(self, request: DeploymentRequest, exc: ActionError, now: datetime) -> None:
        """After an outage, queue this run's record for the next run; say where it went."""
        if not exc.outage or self.keeping() == "outside GitHub Actions":
            return
        if getattr(exc, "maybe_recorded", False):
            # The record may have reached iftrue: sent again by the next run, it could count twice.
            self.lines.append(
                "This run's record was not queued: iftrue may have recorded it (its answer broke off); "
                "look for it in iftrue, and replay it by hand as below only if it is not there."
            )
            return
        run = self._run()
        queued_at = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
        entry = seal(
            self._redacted(request.body()),
            token=self.inputs.token,
            api_url=self.inputs.api_url,
            run=run,
            queued_at=queued_at,
        )
        where = self.keep_entry(entry)
        if where.startswith("not queued"):
            self.lines.append(f"This run's record was {where}: replay it by hand as below.")
            return
        days = f" for {self.runner.retention_days} days" if self.runner.retention_days.isdigit() else ""
        text = (
            f"This run's record is queued as the artifact `{where}`, kept{days} (the repository's "
            "artifact retention): the next run of this action in this repository whose job may claim "
            "it (`actions: write`) delivers it, with no replay by hand."
        )
        self.lines.append(text)
        self.console.notice(text, title=TITLE)

    def _listed(self, deadline: float) -> list[dict[str, Any]]:
        """The outbox artifacts among the repository's newest, oldest first, at most MAX_RECORDS."""
        answer = self._github("GET", f"/actions/artifacts?per_page={LIST_PAGE}", deadline)
        if answer.status_code in (403, 404):
            raise OutboxError(
                f"listing the artifacts answered {answer.status_code}: the job needs `actions: read`"
            )
        if answer.status_code != 200:
            raise OutboxError(f"listing the artifacts answered {answer.status_code}")
        try:
            artifacts = answer.json().get("artifacts")
        except (ValueError, AttributeError):
            artifacts = None
        if not isinstance(artifacts, list):
            raise OutboxError("the artifacts list could not be read")
        queued = [
            a
            for a in artifacts
            if isinstance(a, dict)
            and str(a.get("name", "")).startswith(NAME)
            and not a.get("expired")
            and isinstance(a.get("id"), int)
            and isinstance(a.get("size_in_bytes"), int)
            and a["size_in_bytes"] <= MAX_ANSWER_BYTES
            and _of_this_repository(a)
        ]
        queued.sort(key=lambda a: str(a.get("created_at", "")))
        return queued[:MAX_DOWNLOADS]

    def _download(self, artifact: dict[str, Any], deadline: float) -> list[dict[str, Any]]:
        """The artifact's entries that verify (none: left alone, not this token's, or forged)."""
        answer = self._github("GET", f"/actions/artifacts/{artifact['id']}/zip", deadline)
        if answer.status_code in (301, 302, 303, 307, 308):
            # The blob's signed URL carries its own authorization: the GitHub token stays with GitHub.
            location = answer.headers.get("Location", "")
            if _url_problem(location):
                return []
            answer = self._request("GET", location, deadline)
        if answer.status_code != 200:
            return []
        entries = opened(answer.content, token=self.inputs.token, api_url=self.inputs.api_url)
        # Each record is sealed with the run that keeps it: a copy uploaded by another run is a replay.
        run = artifact.get("workflow_run")
        run_id = str(run.get("id", "")) if isinstance(run, dict) else ""
        return [e for e in entries if not run_id or _sealed_by(e) == run_id]

    def _found(self, deadline: float) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """The queued artifacts whose records verify, oldest first, at most MAX_RECORDS records;
        one that cannot be read (cut off, too large) is passed over, not a reason to stop."""
        found: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for artifact in self._listed(deadline):
            if sum(len(entries) for _, entries in found) >= MAX_RECORDS:
                break
            try:
                entries = self._download(artifact, deadline)
            except OutboxError:
                continue
            if entries:
                found.append((artifact, sorted(entries, key=queued_time)))
        return sorted(found, key=lambda pair: queued_time(pair[1][0]))

    def _claim(self, artifact: dict[str, Any], deadline: float) -> bool:
        """Delete the artifact: True when this run deleted it, and so is the one to send it."""
        answer = self._github("DELETE", f"/actions/artifacts/{artifact['id']}", deadline)
        if answer.status_code == 403:
            raise OutboxError(
                "deleting a queued record answered 403: the job needs `actions: write` to claim it, "
                "so nothing was sent (a record no run claims would be sent twice)"
            )
        return answer.status_code == 204

    def drain(self, own: DeploymentRequest, now: datetime) -> None:
        """Deliver the records earlier runs queued, oldest first, before this run's own."""
        if why := self.draining():
            # Said where a team would expect the outbox and it cannot be: GHES, Dependabot's runs
            # (a run whose own record is not kept says why as it keeps it).
            if why.startswith(("GitHub Enterprise Server", "Dependabot")):
                self.lines.append(f"Queued records were not looked for: {why}; replay them by hand.")
            return
        start = time.monotonic()
        deadline = start + min(self.inputs.timeout * DRAIN_SHARE, DRAIN_MAX_SECONDS)
        try:
            for artifact, entries in self._found(deadline):
                try:
                    claimed = self._claim(artifact, deadline)
                except OutboxError as exc:  # deleted or not, it cannot be told: never lost, never sent twice
                    for entry in entries:
                        self._lost(entry, f"claiming it failed ({exc}), so it may still be queued")
                    continue
                if not claimed:
                    continue  # another run claimed it first: that run sends it
                for index, entry in enumerate(entries):
                    if not self._deliver(entry, own, now, deadline):
                        for rest in entries[index + 1 :]:  # claimed with it: queued again too
                            self._again(rest, f"queued {rest['queued_at']}")
                        return  # iftrue is not taking records: the rest wait where they are
        except OutboxError as exc:
            self.lines.append(f"Queued records were not delivered: {exc}.")
            self.console.warning(f"Queued records were not delivered: {exc}.", title=TITLE)
        finally:
            self.seconds = min(time.monotonic() - start, deadline - start)

    def _deliver(self, entry: dict[str, Any], own: DeploymentRequest, now: datetime, deadline: float) -> bool:
        """Send one claimed record; keep it again when it does not arrive. False: stop draining."""
        queued = f"queued {entry['queued_at']} by run {entry.get('run', {}).get('id', '?')}"
        try:
            request = DeploymentRequest.model_validate(entry["record"])
        except ValueError:
            self._lost(entry, "its record is not a deployment record any more")
            return True
        if request.body() == own.body():
            self.lines.append(f"A record {queued} is this run's own: it is sent once, by this run.")
            return True
        client = IftrueClient(
            self.inputs.api_url,
            self.inputs.token,
            timeout=self.inputs.timeout,
            redact=self.console.redact,
            ca_bundles=self.inputs.ca_bundles,
        )
        try:
            client.send(request, deadline=deadline)
        except Cancelled:
            self._lost(entry, "the step was cancelled")
            raise
        except ServiceRejected as exc:
            if str(exc).startswith(
                ("iftrue answered 401", "iftrue answered 403")
            ):  # the token, not the record
                self._again(entry, queued)
                return False
            self._lost(entry, str(exc))
            return True
        except ActionError as exc:  # an outage, or the drain's share of `timeout` spent
            if getattr(exc, "maybe_recorded", False):
                self._lost(
                    entry, "iftrue may have recorded it (its answer broke off): look for it there first"
                )
            else:
                self._again(entry, queued)
            return False
        text = (
            f"Delivered a record {queued}: iftrue dates it on arrival, "
            f"{late_by(entry['queued_at'], now)} late."
        )
        self.lines.append(text)
        self.console.notice(text, title=TITLE)
        return True

    def _again(self, entry: dict[str, Any], queued: str) -> None:
        """Queue a claimed record again, sealed anew by this run (a drain takes a record only from
        the run that sealed it), with the time it was first queued."""
        resealed = seal(
            self._redacted(entry["record"]),
            token=self.inputs.token,
            api_url=self.inputs.api_url,
            run=self._run(),
            queued_at=str(entry["queued_at"]),
        )
        where = self.keep_entry(resealed)
        if where.startswith("not queued"):
            self._lost(entry, f"it could not be delivered and was {where}")
        else:
            self.lines.append(f"A record {queued} could not be delivered and is queued again as `{where}`.")

    def _lost(self, entry: dict[str, Any], why: str) -> None:
        """A claimed record that neither arrived nor could be queued again: printed, to replay by hand."""
        self.console.warning(
            f"A queued record ({entry['queued_at']}) was not delivered: {why}. Its record follows in "
            "the log; replay it with the `payload` input.",
            title=TITLE,
        )
        self.console.info(record_json(entry["record"], indent=2))
        self.lines.append(
            f"A record queued {entry['queued_at']} was not delivered ({why}); it is printed in the log."
        )


def drain(
    inputs: Inputs, runner: Runner, console: Console, lines: list[str], own: DeploymentRequest, now: datetime
) -> Outbox:
    """Deliver what earlier runs queued; the Outbox returned keeps this run's record on an outage."""
    box = Outbox(inputs, runner, console, lines)
    box.drain(own, now)
    return box
