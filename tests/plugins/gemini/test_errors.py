"""Google's error bodies become the gateway's error classes."""

from __future__ import annotations

import json

import pytest

from switchboard.testing.fakes import RecordedRequest
from switchboard.testing.fakes.gemini import GeminiFake
from switchboard_gemini.errors import error_from_response, scrub


def body(status: int, message: str = "No.", **fields: object) -> bytes:
    reply = GeminiFake.error(status, message, **fields)  # type: ignore[arg-type]
    return json.dumps(reply.json).encode()


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [
        (400, "bad_request", "INVALID_ARGUMENT"),
        (402, "rate_limit", "RESOURCE_EXHAUSTED"),
        (403, "auth", "PERMISSION_DENIED"),
        (404, "not_found", "NOT_FOUND"),
        (429, "rate_limit", "RESOURCE_EXHAUSTED"),
        (499, "server_error", "CANCELLED"),
        (500, "server_error", "INTERNAL"),
        (503, "server_error", "UNAVAILABLE"),
        (504, "server_error", "DEADLINE_EXCEEDED"),
    ],
)
def test_statuses(status: int, error_class: str, error_type: str) -> None:
    error = error_from_response(status, body(status), {})
    assert (error.error_class, error.status, error.error_type) == (error_class, status, error_type)
    assert error.message == f"gemini answered {status}: No."
    assert error.retry_after is None


@pytest.mark.parametrize(("key", "status"), [("wrong", 400), (None, 403)])
def test_a_bad_or_missing_key_is_an_auth_failure(key: str | None, status: int) -> None:
    fake = GeminiFake(api_key="right")  # its answers to bad keys, as the real API gives them
    headers = {"x-goog-api-key": key} if key else {}
    fake.requests.append(
        RecordedRequest("POST", "/v1beta/models/m:generateContent", {}, headers, b"")
    )
    reply = fake.unauthorized_reply()
    error = error_from_response(reply.status, json.dumps(reply.json).encode(), {})
    assert (error.error_class, error.status) == ("auth", status)
    assert not error.falls_back
    if status == 400:
        assert error.code == "API_KEY_INVALID"


def test_retry_delay_comes_from_retry_info() -> None:
    error = error_from_response(429, body(429, retry_delay="38s"), {})
    assert (error.error_class, error.retry_after) == ("rate_limit", 38.0)
    fractional = error_from_response(429, body(429, retry_delay="0.250s"), {})
    assert fractional.retry_after == 0.25


def test_a_retry_after_header_is_honoured_when_the_body_has_none() -> None:
    error = error_from_response(503, body(503), {"retry-after": "4"})
    assert error.retry_after == 4.0


def test_a_body_that_is_not_googles_keeps_its_start() -> None:
    error = error_from_response(502, b"<html>Bad Gateway</html>" + b"x" * 1000, {})
    assert error.error_class == "server_error"
    assert error.message.startswith("gemini answered 502: <html>Bad Gateway</html>xxx")
    assert len(error.message) < 600


def test_secrets_are_masked_should_google_echo_them() -> None:
    raw = body(400, "Key AIza-secret is odd.")
    error = error_from_response(400, raw, {}, secret="AIza-secret")
    assert "AIza-secret" not in error.message and "Key *** is odd." in error.message
    assert scrub("abc", None) == "abc"
