"""The iftrue request and response models."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from track_deployment.schema import REQUIRED_FIELDS, DeploymentRequest, DeploymentResponse

MINIMAL = {
    "title": "t",
    "branch": "main",
    "commit_id": "abc1234",
    "repository_url": "https://github.com/o/r",
    "member_id": "1",
    "pull_request_number": 0,
}


def test_required_fields_are_the_documented_ones() -> None:
    assert set(REQUIRED_FIELDS) == {
        "title",
        "branch",
        "commit_id",
        "repository_url",
        "member_id",
        "pull_request_number",
    }


def test_unset_optional_fields_are_not_sent() -> None:
    assert DeploymentRequest.model_validate(MINIMAL).body() == MINIMAL
    body = DeploymentRequest.model_validate({**MINIMAL, "is_fix": False, "deployment_duration": 1.5}).body()
    assert (body["is_fix"], body["deployment_duration"]) == (False, 1.5)


@pytest.mark.parametrize(
    "change",
    [
        {"extra": 1},
        {"title": ""},
        {"pull_request_number": -1},
        {"pull_request_number": "1"},
        {"deployment_duration": True},
        {"deployment_duration": -0.1},
        {"is_hotfix": "true"},
        {"status": "success"},
        {"commits_count": 1.0},
    ],
)
def test_invalid_records_are_rejected(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DeploymentRequest.model_validate({**MINIMAL, **change})


@pytest.mark.parametrize(
    "name", ["title", "branch", "commit_id", "repository_url", "member_id", "pull_request_number"]
)
def test_each_required_field_is_enforced(name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        DeploymentRequest.model_validate({k: v for k, v in MINIMAL.items() if k != name})


def test_response_tolerates_missing_and_extra_fields() -> None:
    assert DeploymentResponse.model_validate({}).id is None
    odd = {"pusher_id": 7, "node_id": None, "status": 3, "created_at": {"at": 1}, "new_field": [1]}
    response = DeploymentResponse.model_validate({"id": "u-1", **odd})
    assert response.id == "u-1"
    assert response.model_extra == odd
    assert DeploymentResponse.model_validate({"id": 917, "status": None}).id == "917"
    assert DeploymentResponse.model_validate({"id": 917.0}).id == "917"
    assert DeploymentResponse.model_validate({"id": 10**40}).id == str(10**40)
