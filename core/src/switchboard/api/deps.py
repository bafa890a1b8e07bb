"""What every control-plane handler gets: a database session and the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.api.shapes import MAX_PAGE_SIZE
from switchboard.authorization import authorize, require
from switchboard.context import Principal, RequestInfo
from switchboard.db.engine import writing
from switchboard.errors import Unauthorized
from switchboard.interfaces import Authorizer, Decision
from switchboard.state import Gateway

__all__ = [
    "Caller",
    "CallerDep",
    "Db",
    "Limit",
    "Offset",
    "gateway_of",
    "provide_caller",
    "provide_db",
    "request_info",
]

T = TypeVar("T")

Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE, description="Page size (at most 500).")]
Offset = Annotated[int, Parameter(ge=0, description="Items to skip.")]


def gateway_of(state: State) -> Gateway:
    """The worker's shared state."""
    gateway: Gateway = state.gateway
    return gateway


def request_info(request: Request[Any, Any, Any]) -> RequestInfo:
    """What authenticators and plugins may see of an HTTP request."""
    return RequestInfo.from_scope(request.scope)


@dataclass(frozen=True)
class Caller:
    """The authenticated principal of a request, and its authorization questions."""

    principal: Principal
    request_id: str
    authorizers: tuple[Authorizer, ...]

    async def require(self, action: str, resource: str) -> Decision:
        """Raise 403 naming ``action`` and ``resource`` unless the policies allow it."""
        return await require(self.authorizers, self.principal, action, resource)

    async def may(self, action: str, resource: str) -> bool:
        """Whether the policies allow ``action`` on ``resource``."""
        decision = await authorize(self.authorizers, self.principal, action, resource)
        return decision.effect == "ALLOW"

    async def listable(self, action: str, scope: str, items: Iterable[tuple[str, T]]) -> list[T]:
        """The items (``(policy resource, item)``) the caller may ``action``.

        When none is, the caller must still be allowed ``action`` on the enclosing
        ``scope``: an outsider gets the 403 naming the workspace rather than an empty list
        that hides whether anything is there; a member with nothing to see gets ``[]``.
        """
        visible = [item for resource, item in items if await self.may(action, resource)]
        if not visible:
            await self.require(action, scope)
        return visible


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_db(
    request: Request[Any, Any, Any], state: State
) -> AsyncGenerator[AsyncSession, None]:
    """One database session per request, closed (rolled back if uncommitted) afterwards.

    A request that may change something gets a session whose transaction begins as a
    writing one (:func:`~switchboard.db.engine.writing`: on SQLite it waits for the write
    lock rather than failing when another connection commits meanwhile). It begins at the
    session's first statement, not here: dependencies resolved after this one (the caller's
    authentication) may need the lock for writes of their own.
    """
    sessions = gateway_of(state).context.sessions()
    if request.method in _READ_METHODS:
        async with sessions() as session:
            yield session
    else:
        async with sessions(bind=writing(sessions.kw["bind"])) as session:
            yield session


async def provide_caller(request: Request[Any, Any, Any], state: State) -> Caller:
    """Authenticate the request with the registered authenticators, in hook order.

    401 when none recognises the request; plugins may still veto the principal through
    ``switchboard_check_principal``.
    """
    gateway = gateway_of(state)
    registry = gateway.registry
    assert registry is not None, "handlers run after startup"
    info = request_info(request)
    principal = None
    for authenticator in registry.authenticators.available():
        principal = await authenticator.authenticate(info)
        if principal is not None:
            break
    if principal is None:
        raise Unauthorized(
            "sign in first: send the session cookie from POST /api/v1/auth/login, "
            "or Authorization: Bearer <personal access token>"
        )
    await gateway.plugins.hooks.check_principal(principal=principal, request=info)
    return Caller(
        principal=principal,
        request_id=info.request_id,
        authorizers=tuple(registry.authorizers.available()),
    )


CallerDep = NamedDependency[Caller]
"""A handler parameter that receives the authenticated caller."""
Db = NamedDependency[AsyncSession]
"""A handler parameter that receives the request's database session."""
