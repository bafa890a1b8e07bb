"""Seed a freshly started gateway for the benchmark, through its public API.

Creates a workspace, an environment, a connection to the fake provider (nginx on :18080),
a resource named after the model wrk asks for (``gpt-4o-mini``) with one routing rule, and
an API key for it; prints the key. Usage: ``python seed.py GATEWAY_URL ADMIN_PASSWORD
[--redis-limiter]``.

With ``--redis-limiter`` the environment uses the ``redis-limiter`` and the connection, the
resource and the key each have (and enforce) a per-minute limit on requests and tokens, set
far above what the run can reach: every request is checked at all three levels in Redis and
none is refused.
"""

from __future__ import annotations

import sys

import httpx


# Far above what a run can reach, so the limits are checked and never hit.
UNREACHABLE = [{"period": "minute", "requests": 1_000_000_000, "tokens": 1_000_000_000_000}]


def main(url: str, password: str, redis_limiter: bool = False) -> None:
    session = httpx.Client(base_url=url, timeout=30)
    login = session.post("/api/v1/auth/login", json={"username": "admin", "password": password})
    login.raise_for_status()
    token = session.post(
        "/api/v1/auth/tokens",
        json={"name": "bench"},
        headers={"x-csrf-token": login.json()["csrfToken"]},
    ).json()["token"]
    api = httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=30)
    env = "/api/v1/workspaces/bench/environments/prod"
    limits = {"capacity": UNREACHABLE} if redis_limiter else {}
    enforced = {"enforceCapacity": True} if redis_limiter else {}
    steps = [
        ("/api/v1/workspaces", {"name": "bench"}),
        (
            "/api/v1/workspaces/bench/environments",
            {"name": "prod", "plugins": {"redis-limiter": {}}} if redis_limiter else {"name": "prod"},
        ),
        (
            f"{env}/connections",
            {
                "name": "fake",
                "provider": "openai",
                "settings": {"baseUrl": "http://127.0.0.1:18080/v1"},
                "credentials": {"apiKey": "sk-upstream"},
                **limits,
            },
        ),
        (
            f"{env}/resources",
            {
                "name": "gpt-4o-mini",
                "model": {"provider": "openai", "model": "gpt-4o-mini"},
                **limits,
                **enforced,
                "routing": {
                    "enabled": True,
                    "conditions": [
                        {
                            "description": "Very long prompts go to the bigger model",
                            "if": [
                                {"field": "requestTokens", "operator": "greaterThan", "value": 100000}
                            ],
                            "then": {"provider": "openai", "model": "gpt-4o"},
                        }
                    ],
                },
            },
        ),
    ]
    for path, body in steps:
        api.post(path, json=body).raise_for_status()
    key = api.post(
        f"{env}/api-keys",
        json={"name": "bench", "resources": ["gpt-4o-mini"], **limits, **enforced},
    )
    key.raise_for_status()
    print(key.json()["key"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], redis_limiter="--redis-limiter" in sys.argv[3:])
