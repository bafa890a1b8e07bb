"""Objects the core hands to plugins: the gateway, the caller, the request being served.

They are plain typed values so hook implementations never reach into the core's internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from switchboard.policy import RoleGrant
from switchboard.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from switchboard.http_client import HttpClient

__all__ = ["GatewayContext", "Principal", "RequestInfo"]


class RequestInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What the core knows of an incoming HTTP request before it is authenticated.

    ``headers`` holds lower-cased names; a header sent several times keeps its last value.
    """

    request_id: str
    method: str
    path: str
    headers: dict[str, str]
    client_ip: str | None = None

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or ``None``."""
        return self.headers.get(name.lower())

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any], path: str | None = None) -> RequestInfo:
        """The request of an HTTP ASGI ``scope`` (``path`` overrides the scope's own).

        Read straight from the scope, whose header names are already lower-case: this runs
        on every data-plane request, and a framework's richer objects cost more to build.
        """
        client = scope.get("client")
        return cls(
            request_id=scope.get("state", {}).get("request_id", ""),
            method=scope["method"],
            path=path or scope["path"],
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            client_ip=client[0] if client else None,
        )


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """An authenticated caller.

    ``kind`` says what authenticated it: a user's session or personal token, or an API key.
    ``name`` is what policies and audit show (a username, or an API key's name). An API key's
    principal carries its ``environment_id``; a user's does not.

    A user's principal also carries what authorizers need, loaded once per request by the
    authenticator so that authorization never waits on I/O: ``grants`` (the roles held, with
    their statements) and ``memberships`` (workspace name to ``owner`` or ``member``).
    """

    kind: Literal["user", "api-key"]
    id: str
    name: str
    authenticator: str
    email: str | None = None
    environment_id: str | None = None
    labels: tuple[str, ...] = ()
    grants: tuple[RoleGrant, ...] = ()
    memberships: dict[str, Literal["owner", "member"]] = msgspec.field(default_factory=dict)

    @property
    def role_names(self) -> tuple[str, ...]:
        """Names of the roles the principal holds."""
        return tuple(grant.role for grant in self.grants)


@dataclass
class GatewayContext:
    """The running gateway as plugins see it at registration and in lifecycle hooks.

    ``http`` is the one pooled upstream HTTP client of the process, shared by every provider
    plugin; it is created on first use inside the event loop and closed at shutdown.
    """

    settings: Settings
    database: async_sessionmaker[AsyncSession] | None = field(default=None, repr=False)
    """Sessions on the gateway's database; set at startup, before registration hooks run."""
    _http: HttpClient | None = field(default=None, repr=False)

    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The database session factory (raises before startup has opened the database)."""
        if self.database is None:
            raise RuntimeError("the database is not open yet (called before startup?)")
        return self.database

    @property
    def data_dir(self) -> Path:
        """The folder for the embedded database, generated keys and spooled records."""
        return Path(self.settings.data_dir)

    @property
    def http(self) -> HttpClient:
        """The shared upstream client (see :mod:`switchboard.http_client`)."""
        if self._http is None or self._http.closed:
            from switchboard.http_client import HttpClient

            self._http = HttpClient(limit=512)
        return self._http

    async def aclose(self) -> None:
        """Close what the context opened (the upstream client)."""
        if self._http is not None and not self._http.closed:
            await self._http.close()
        self._http = None
