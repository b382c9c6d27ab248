"""An outbox entry: a record, when and by which run it was queued, and the HMAC, keyed by the
iftrue token, that proves one of this token's runs sealed it. Pure: no I/O here."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import zipfile
from typing import Any

from .transport import MAX_ANSWER_BYTES

#: The container action's member of an outbox zip; the native action's are `<digest>.json`.
MEMBER = "record.json"


def api_url_hash(api_url: str) -> str:
    return hashlib.sha256(api_url.rstrip("/").encode()).hexdigest()


def canonical(entry: dict[str, Any]) -> bytes:
    body = {key: value for key, value in entry.items() if key != "hmac_sha256"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def seal(
    record: dict[str, Any], *, token: str, api_url: str, run: dict[str, str], queued_at: str
) -> dict[str, Any]:
    """The outbox entry of a record: the record, when and where it was queued, and its HMAC."""
    entry = {
        "version": 1,
        "record": record,
        "queued_at": queued_at,
        "run": run,
        "api_url_sha256": api_url_hash(api_url),
    }
    entry["hmac_sha256"] = hmac.new(token.encode(), canonical(entry), hashlib.sha256).hexdigest()
    return entry


def opened(data: bytes, *, token: str, api_url: str) -> list[dict[str, Any]]:
    """The entries in an artifact's zip whose HMAC verifies with `token` for `api_url`: its
    `record.json` (the container action's), or each `<digest>.json` (the native action's)."""
    entries = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [info for info in archive.infolist() if info.filename.endswith(".json")]
            if sum(info.file_size for info in members) > MAX_ANSWER_BYTES:  # a zip bomb is no record
                return []
            for info in members:
                if (entry := _verified(json.loads(archive.read(info)), token, api_url)) is not None:
                    entries.append(entry)
    except (zipfile.BadZipFile, KeyError, ValueError, RecursionError, OSError, RuntimeError):
        return []
    return entries


def _verified(entry: Any, token: str, api_url: str) -> dict[str, Any] | None:
    """The entry when its HMAC verifies with `token` for `api_url`, else None."""
    if not isinstance(entry, dict) or entry.get("api_url_sha256") != api_url_hash(api_url):
        return None
    mac = hmac.new(token.encode(), canonical(entry), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, str(entry.get("hmac_sha256", ""))):
        return None
    if not isinstance(entry.get("record"), dict) or not isinstance(entry.get("queued_at"), str):
        return None
    return entry


def queued_time(entry: dict[str, Any]) -> str:
    return str(entry["queued_at"])


def zipped(entry: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER, json.dumps(entry, indent=2))
    return buffer.getvalue()
