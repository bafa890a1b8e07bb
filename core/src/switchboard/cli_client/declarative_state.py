"""What the gateway holds now, read through its public API (never its database).

Each list is read once and kept, by name; every value is the API's own camelCase JSON.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from switchboard.cli_client.client import Client

__all__ = ["Obj", "State", "environment_path", "segment"]

Obj = dict[str, Any]
PAGE_SIZE = 500  # the gateway's largest page


def segment(value: str) -> str:
    """``value`` as one URL path segment (names may hold anything but ``/``)."""
    return quote(value, safe="")


def environment_path(workspace: str, environment: str) -> str:
    """``/workspaces/<ws>/environments/<env>``."""
    return f"/workspaces/{segment(workspace)}/environments/{segment(environment)}"


class State:
    """The gateway's objects, read on first use through ``client``."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._cache: dict[str, Any] = {}

    def _items(self, path: str) -> list[Obj]:
        """Every item of a paginated list."""
        if path not in self._cache:
            items: list[Obj] = []
            while True:
                page = self.client.request("GET", f"{path}?limit={PAGE_SIZE}&offset={len(items)}")
                items.extend(page["items"])
                if not page["items"] or len(items) >= page["total"]:
                    break
            self._cache[path] = items
        cached: list[Obj] = self._cache[path]
        return cached

    def _get(self, path: str) -> Any:
        if path not in self._cache:
            self._cache[path] = self.client.request("GET", path)
        return self._cache[path]

    @staticmethod
    def _by(items: list[Obj], key: str = "name") -> dict[str, Obj]:
        return {item[key]: item for item in items}

    def me(self) -> Obj:
        """The signed-in user."""
        me: Obj = self._get("/auth/me")
        return me

    def providers(self) -> dict[str, Obj]:
        """Installed providers by name, with their settings schemas."""
        providers: list[Obj] = self._get("/providers")
        return self._by(providers)

    def roles(self) -> dict[str, Obj]:
        """Roles by name."""
        return self._by(self._items("/roles"))

    def users(self) -> dict[str, Obj]:
        """Users by username."""
        return self._by(self._items("/users"), "username")

    def workspaces(self) -> dict[str, Obj]:
        """Workspaces the caller may list, by name."""
        return self._by(self._items("/workspaces"))

    def members(self, workspace: str) -> list[Obj]:
        """A workspace's owners and members."""
        members: list[Obj] = self._get(f"/workspaces/{segment(workspace)}/members")
        return members

    def environments(self, workspace: str) -> dict[str, Obj]:
        """A workspace's environments by name."""
        return self._by(self._items(f"/workspaces/{segment(workspace)}/environments"))

    def connections(self, workspace: str, environment: str) -> dict[str, Obj]:
        """An environment's connections by name."""
        return self._by(self._items(f"{environment_path(workspace, environment)}/connections"))

    def resources(self, workspace: str, environment: str) -> dict[str, Obj]:
        """An environment's AI resources by name."""
        return self._by(self._items(f"{environment_path(workspace, environment)}/resources"))

    def api_keys(self, workspace: str, environment: str) -> dict[str, Obj]:
        """An environment's API keys by name (masked: never their secrets)."""
        return self._by(self._items(f"{environment_path(workspace, environment)}/api-keys"))
