"""The Redis limiter plugin: off by default, settings validated per environment."""

from __future__ import annotations

import pytest

from switchboard.context import GatewayContext
from switchboard.plugins import PluginHost, PluginSettingsError, Registry, resolve_selection
from switchboard.settings import load_settings
from switchboard_redis_limiter import RedisCapacityLimiter, RedisLimiterSettings


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost(
        load_settings({}, plugins="redis-limiter", redis_url="redis://example:6380/2")
    )
    host.load_entry_points()
    return host


def test_off_by_default_and_on_when_listed(host: PluginHost) -> None:
    registry = Registry.collect(host.hooks, GatewayContext(host.settings))
    assert registry.capacity_limiters.get("redis", resolve_selection(host, {}).enabled) is None
    environment = resolve_selection(host, {"redis-limiter": {"settings": {"failMode": "closed"}}})
    limiter = registry.capacity_limiters.get("redis", environment.enabled)
    assert isinstance(limiter, RedisCapacityLimiter)
    assert limiter.redis.where == "example:6380"
    settings = environment.settings_for("redis-limiter", RedisLimiterSettings)
    view = limiter.configured(settings)
    assert view.settings.fail_mode == "closed" and view.redis is limiter.redis
    assert limiter.configured(settings) is view


def test_the_cluster_setting_reaches_the_limiter() -> None:
    settings = load_settings(
        {"SWITCHBOARD_REDIS_CLUSTER": "true"}, plugins="redis-limiter", redis_url="redis://n:7000"
    )
    host = PluginHost(settings)
    host.load_entry_points()
    registry = Registry.collect(host.hooks, GatewayContext(host.settings))
    environment = resolve_selection(host, {"redis-limiter": {}})
    limiter = registry.capacity_limiters.get("redis", environment.enabled)
    assert isinstance(limiter, RedisCapacityLimiter) and limiter.redis.cluster


@pytest.mark.parametrize(
    ("settings", "field"),
    [({"failMode": "sometimes"}, "failMode"), ({"keyPrefix": "a{b}"}, "keyPrefix")],
)
def test_bad_settings_name_the_field(
    host: PluginHost, settings: dict[str, str], field: str
) -> None:
    with pytest.raises(PluginSettingsError) as info:
        resolve_selection(host, {"redis-limiter": {"settings": settings}})
    assert info.value.plugin == "redis-limiter" and info.value.field == f"settings.{field}"
