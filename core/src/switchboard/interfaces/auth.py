"""Authenticators (who is calling) and authorizers (may they do this).

A minimal authenticator that trusts a header set by a front proxy::

    class ProxyHeaderAuthenticator(Authenticator):
        name = "proxy-header"

        async def authenticate(self, request: RequestInfo) -> Principal | None:
            user = request.header("x-forwarded-user")
            if user is None:
                return None  # not ours: the next authenticator tries
            return Principal(kind="user", id=user, name=user, authenticator=self.name)

A minimal authorizer that forbids deletes on Fridays::

    class NoFridayDeletes(Authorizer):
        name = "no-friday-deletes"

        async def authorize(self, principal, action, resource) -> Decision | None:
            if action.endswith(":delete") and date.today().weekday() == 4:
                return Decision(effect="DENY", reason="no deletes on Fridays")
            return None  # no opinion
"""

from __future__ import annotations

import abc
from typing import ClassVar, Literal

import msgspec

from switchboard.context import Principal, RequestInfo
from switchboard.policy import StatementRef

__all__ = ["ActionSpec", "Authenticator", "Authorizer", "Decision"]


class ActionSpec(msgspec.Struct, frozen=True):
    """An action policies may name: ``kind:verb`` (``guardrail:update``) and what it allows."""

    name: str
    description: str


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """An authorizer's verdict and why; ``statement`` names the role statement that decided,
    when one did (``None`` for rules that are not statements, such as membership)."""

    effect: Literal["ALLOW", "DENY"]
    reason: str
    statement: StatementRef | None = None


class Authenticator(abc.ABC):
    """Turns request credentials into a :class:`Principal`.

    The core asks the environment's authenticators in hook order; the first that returns a
    principal wins. Return ``None`` when the request carries nothing this authenticator
    understands; raise :class:`switchboard.errors.Unauthorized` when it carries credentials
    that are yours but invalid (expired, revoked), so no other authenticator accepts them.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    async def authenticate(self, request: RequestInfo) -> Principal | None:
        """Identify the caller of ``request``, or ``None`` if its credentials are not yours."""


class Authorizer(abc.ABC):
    """Decides whether a principal may perform an action on a resource.

    Every authorizer is asked. Any ``DENY`` wins; otherwise any ``ALLOW`` grants; when all
    return ``None`` the answer is deny (default deny).
    """

    name: ClassVar[str]

    @abc.abstractmethod
    async def authorize(self, principal: Principal, action: str, resource: str) -> Decision | None:
        """Return a decision on ``action`` over ``resource``, or ``None`` for no opinion."""
