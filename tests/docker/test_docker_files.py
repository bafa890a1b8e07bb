"""The Docker files say what the README promises (no Docker engine runs on CI machines)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return loaded


def test_dockerfile_is_multi_stage_non_root_and_health_checked() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, flags=re.MULTILINE)) >= 2
    users = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "HEALTHCHECK" in text
    assert "--frozen" in text, "the image must install exactly the locked versions"


def test_compose_runs_two_replicas_on_postgres_and_redis_with_health_checks() -> None:
    services = compose()["services"]
    gateways = {name: s for name, s in services.items() if name.startswith("gateway")}
    assert len(gateways) == 2
    for service in gateways.values():
        assert service["build"]["dockerfile"] == "docker/Dockerfile"
        assert service["environment"]["SWITCHBOARD_DATABASE_URL"].startswith(
            "postgresql+asyncpg://"
        )
        assert service["environment"]["SWITCHBOARD_REDIS_URL"].startswith("redis://")
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        depends = service["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    ports = sorted(p for s in gateways.values() for p in s["ports"])
    assert ports == ["8001:8000", "8002:8000"]
