"""The iftrue client at HTTP level: status classes, retries, Retry-After, the deadline."""

from __future__ import annotations

import json
import time

import pytest
import requests
import responses
from responses import registries

from track_deployment.client import ENDPOINT, IftrueClient, service_message
from track_deployment.errors import ServiceRejected, ServiceUnavailable
from track_deployment.schema import DeploymentRequest

API = "https://api.iftrue.test"
URL = API + ENDPOINT
RECORD = DeploymentRequest(
    title="v1",
    branch="main",
    commit_id="abc1234",
    repository_url="https://github.com/o/r",
    member_id="1",
    pull_request_number=0,
)


def send(timeout: float = 30) -> object:
    return IftrueClient(API, "tok.en.value", timeout=timeout, backoff_factor=0.01).send(RECORD)


@responses.activate(registry=registries.OrderedRegistry)
def test_sends_body_and_headers() -> None:
    responses.post(URL, status=201, json={"id": "d-1", "extra": [1]})
    delivery = send()
    assert delivery.response is not None and delivery.response.id == "d-1"  # type: ignore[attr-defined]
    call = responses.calls[0].request
    assert call.headers["Authorization"] == "Bearer tok.en.value"
    assert json.loads(call.body) == RECORD.body()


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
@responses.activate(registry=registries.OrderedRegistry)
def test_retried_statuses_then_success(status: int) -> None:
    responses.post(URL, status=status, json={"message": "later"})
    responses.post(URL, status=201, json={"id": "d-2"})
    delivery = send()
    assert len(responses.calls) == 2
    assert delivery.attempts == 2  # type: ignore[attr-defined]


@responses.activate(registry=registries.OrderedRegistry)
def test_five_attempts_at_most() -> None:
    for _ in range(6):
        responses.post(URL, status=503, json={"message": "down"})
    with pytest.raises(ServiceUnavailable, match="answered 503 after 5 attempts: down"):
        send()
    assert len(responses.calls) == 5


@pytest.mark.parametrize(
    ("status", "match"),
    [
        (400, "400, rejecting the record: bad branch"),
        (422, "422, rejecting the record: bad branch"),
        (401, "401: the token was refused"),
        (403, "403: the token was refused"),
        (404, "404 for .* check the `api_url` input"),
        (409, "409: bad branch"),
    ],
)
@responses.activate(registry=registries.OrderedRegistry)
def test_other_4xx_are_not_retried(status: int, match: str) -> None:
    responses.post(URL, status=status, json={"message": "bad branch"})
    responses.post(URL, status=201, json={"id": "never"})
    with pytest.raises(ServiceRejected, match=match):
        send()
    assert len(responses.calls) == 1


@pytest.mark.parametrize("retry_after", ["1", None])
@responses.activate(registry=registries.OrderedRegistry)
def test_413_is_never_retried(retry_after: str | None) -> None:
    # urllib3 retries a 413 that has a Retry-After; a record too large stays too large.
    headers = {"Retry-After": retry_after} if retry_after else {}
    responses.post(URL, status=413, headers=headers, json={"message": "too large"})
    responses.post(URL, status=201, json={"id": "never"})
    with pytest.raises(ServiceRejected, match="413, the record is too large for it: too large"):
        send()
    assert len(responses.calls) == 1


@responses.activate(registry=registries.OrderedRegistry)
def test_501_is_an_outage_without_retry() -> None:
    responses.post(URL, status=501, body="")
    with pytest.raises(ServiceUnavailable, match="501 and was not retried"):
        send()


@responses.activate(registry=registries.OrderedRegistry)
def test_retry_after_beyond_the_timeout_gives_up_at_once() -> None:
    responses.post(URL, status=503, headers={"Retry-After": "600"}, json={})
    started = time.monotonic()
    with pytest.raises(
        ServiceUnavailable,
        match=r"answered 503 on 1 attempt\(s\), and another would pass the `timeout` input \(5 s\)",
    ):
        send(timeout=5)
    assert time.monotonic() - started < 2


def test_service_message_is_one_truncated_line() -> None:
    response = requests.Response()
    response._content = b'{"errors": ["a\\nb"], "x": 1}'
    assert service_message(response) == '["a\\nb"]'
    response._content = ("x\n" * 600).encode()
    assert service_message(response) == ("x " * 250)[:500] + "…"
