"""``POST /api/v1/auth/permissions``: what the signed-in caller may do, many questions at once.

The UI asks before it draws a button, so a read-only user sees no button that would only
earn a 403. The answers come from the same authorizers every endpoint asks (roles, the
workspace-membership rule, any plugin's), for the caller only: asking about someone else is
the policy simulator's job (``POST /api/v1/policies/simulate``, which needs
``policy:simulate``). An answer is advice for drawing the page; every endpoint still checks.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from switchboard.api.deps import CallerDep
from switchboard.api.shapes import ApiShape, convert_field
from switchboard.authorization import authorize
from switchboard.errors import BadRequest

__all__ = [
    "MAX_PERMISSION_CHECKS",
    "PermissionAnswer",
    "PermissionCheck",
    "PermissionChecks",
    "PermissionResults",
    "PermissionsController",
]

MAX_PERMISSION_CHECKS = 200
"""A page asks about its buttons: a few dozen at most. The cap keeps one request cheap."""

ACTION_SHAPE = re.compile(r"[a-z0-9][a-z0-9-]*:[a-z0-9][a-z0-9-]*")
Action = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=128, description="`<kind>:<verb>`, e.g. `ai-connection:create`."
    ),
]
PolicyResource = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=2048,
        description="A policy resource name, e.g. `workspace:acme:environment:production`.",
    ),
]


class PermissionCheck(ApiShape):
    """One question: may the caller do ``action`` on ``resource``?"""

    action: Action
    resource: PolicyResource


class PermissionChecks(ApiShape):
    """The questions, answered in the same order."""

    checks: Annotated[list[Any], msgspec.Meta(max_length=MAX_PERMISSION_CHECKS)]
    """``{"action", "resource"}`` objects; each is checked on its own so a 400 names it
    (``checks[3].action``)."""


class PermissionAnswer(ApiShape):
    """One answer: the question and ``ALLOW`` or ``DENY``."""

    action: str
    resource: str
    decision: Literal["ALLOW", "DENY"]


class PermissionResults(ApiShape):
    """The answers, one per question, in the order asked."""

    results: list[PermissionAnswer]


class PermissionsController(Controller):
    """The caller's own permissions, for drawing the UI."""

    path = "/auth/permissions"
    tags = ["auth"]

    @post(status_code=HTTP_200_OK)
    async def check_permissions(
        self, data: JSONBody[PermissionChecks], caller: CallerDep
    ) -> PermissionResults:
        """Answer, for the signed-in caller only, whether each ``{action, resource}`` is
        allowed (at most 200 per request). Needs no permission of its own: a caller may
        always ask about themselves. Reasons are left out; the policy simulator gives them."""
        checks = [_check(raw, f"checks[{index}]") for index, raw in enumerate(data.checks)]
        results: list[PermissionAnswer] = []
        # The same question twice (two buttons on one page) is decided once.
        decided: dict[tuple[str, str], Literal["ALLOW", "DENY"]] = {}
        for check in checks:
            key = (check.action, check.resource)
            if key not in decided:
                decision = await authorize(
                    caller.authorizers, caller.principal, check.action, check.resource
                )
                decided[key] = decision.effect
            results.append(
                PermissionAnswer(
                    action=check.action, resource=check.resource, decision=decided[key]
                )
            )
        return PermissionResults(results=results)


def _check(raw: object, where: str) -> PermissionCheck:
    check = convert_field(raw, PermissionCheck, where)
    if not ACTION_SHAPE.fullmatch(check.action):
        raise BadRequest(
            f"{where}.action: expected `<kind>:<verb>` in lower case, "
            f"such as `ai-connection:create`",
            param=f"{where}.action",
        )
    return check
