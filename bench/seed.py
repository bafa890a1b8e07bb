"""Seed a freshly started gateway for the benchmark, through its public API.

Creates a workspace, an environment, a connection to the fake provider (nginx on :18080),
a resource named after the model wrk asks for (``gpt-4o-mini``) with one routing rule, and
an API key for it; prints the key. Usage: ``python seed.py GATEWAY_URL ADMIN_PASSWORD``.
"""

from __future__ import annotations

import sys

import httpx


def main(url: str, password: str) -> None:
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
    steps = [
        ("/api/v1/workspaces", {"name": "bench"}),
        ("/api/v1/workspaces/bench/environments", {"name": "prod"}),
        (
            f"{env}/connections",
            {
                "name": "fake",
                "provider": "openai",
                "settings": {"baseUrl": "http://127.0.0.1:18080/v1"},
                "credentials": {"apiKey": "sk-upstream"},
            },
        ),
        (
            f"{env}/resources",
            {
                "name": "gpt-4o-mini",
                "model": {"provider": "openai", "model": "gpt-4o-mini"},
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
    key = api.post(f"{env}/api-keys", json={"name": "bench", "resources": ["gpt-4o-mini"]})
    key.raise_for_status()
    print(key.json()["key"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
