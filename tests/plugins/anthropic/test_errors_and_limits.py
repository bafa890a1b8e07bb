"""Anthropic's error bodies and rate-limit headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from switchboard.testing.fakes.anthropic import ERROR_TYPES
from switchboard_anthropic.errors import STATUS_OF_ERROR_TYPE, http_error
from switchboard_anthropic.limits import read_rate_limits, seconds_until

NOW = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


def body(error_type: str, message: str, **details: str) -> bytes:
    error: dict[str, object] = {"type": error_type, "message": message}
    if details:
        error["details"] = details
    return json.dumps({"type": "error", "error": error, "request_id": "req_1"}).encode()


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, "bad_request"),
        (401, "auth"),
        (402, "bad_request"),
        (403, "auth"),
        (404, "not_found"),
        (413, "bad_request"),
        (429, "rate_limit"),
        (500, "server_error"),
        (504, "server_error"),
        (529, "server_error"),
    ],
)
def test_http_errors_are_classed_by_status(status: int, error_class: str) -> None:
    error = http_error(status, body(ERROR_TYPES[status], "nope"), {})
    assert (error.error_class, error.status, error.error_type) == (
        error_class,
        status,
        ERROR_TYPES[status],
    )
    assert error.message == f"anthropic answered {status}: nope"


def test_retry_after_and_the_stable_error_code_are_kept() -> None:
    raw = body("rate_limit_error", "slow down", error_code="enforced_spend_limit_reached")
    error = http_error(429, raw, {"retry-after": "12"})
    assert (error.retry_after, error.code) == (12.0, "enforced_spend_limit_reached")


def test_a_body_that_is_not_anthropics_is_quoted() -> None:
    error = http_error(502, b"<html>Bad Gateway</html>", {})
    assert (error.error_class, error.error_type) == ("server_error", None)
    assert error.message == "anthropic answered 502: <html>Bad Gateway</html>"


def test_the_key_never_appears_even_when_echoed() -> None:
    error = http_error(
        401, body("authentication_error", "invalid key sk-ant-zzz"), {}, secret="sk-ant-zzz"
    )
    assert "sk-ant-zzz" not in error.message and "***" in error.message


def test_the_error_tables_of_the_fake_and_the_plugin_agree() -> None:
    assert {status: kind for kind, status in STATUS_OF_ERROR_TYPE.items()} == ERROR_TYPES


def test_rate_limit_headers_become_discovered_limits() -> None:
    limits = read_rate_limits(
        {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "49",
            "anthropic-ratelimit-requests-reset": "2026-12-01T10:00:01Z",
            "anthropic-ratelimit-tokens-limit": "80000",
            "anthropic-ratelimit-tokens-remaining": "79000",
            "anthropic-ratelimit-tokens-reset": "2026-12-01T10:00:30.500+00:00",
            "anthropic-ratelimit-input-tokens-limit": "40000",
        },
        now=lambda: NOW,
    )
    assert limits is not None
    assert (limits.requests_limit, limits.requests_remaining, limits.requests_reset_seconds) == (
        50,
        49,
        1.0,
    )
    assert (limits.tokens_limit, limits.tokens_remaining, limits.tokens_reset_seconds) == (
        80000,
        79000,
        30.5,
    )
    assert (limits.requests_period, limits.tokens_period) == ("minute", "minute")


def test_no_or_unreadable_headers() -> None:
    assert read_rate_limits({}) is None
    assert read_rate_limits({"anthropic-ratelimit-requests-limit": "many"}) is None
    assert seconds_until("2026-12-01T09:59:00Z", now=lambda: NOW) == 0.0
    assert seconds_until("tomorrow", now=lambda: NOW) is None
    assert seconds_until("2026-12-01T10:00:00", now=lambda: NOW) is None  # no zone: unknowable
