"""Combining the registered authorizers into one answer, and the actions policies name.

Every authorizer is asked; any DENY wins whatever the order, otherwise any ALLOW grants,
otherwise the answer is deny (default deny). The answer says which statement decided, for
the policy simulator and for 403 messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from switchboard.context import Principal
from switchboard.errors import Forbidden
from switchboard.interfaces import ActionSpec, Authorizer, Decision

__all__ = ["CORE_ACTIONS", "authorize", "require"]


def _actions(kind: str, verbs: str, what: str) -> list[ActionSpec]:
    return [ActionSpec(f"{kind}:{verb}", f"{verb} {what}") for verb in verbs.split()]


CORE_ACTIONS: tuple[ActionSpec, ...] = (
    *_actions(
        "workspace",
        "list get create update delete get-members assign unassign update-member-role",
        "workspaces",
    ),
    *_actions("environment", "list get create update delete", "environments"),
    *_actions("ai-connection", "list get create update delete", "AI connections"),
    *_actions("ai-resource", "list get create update delete", "AI resources"),
    *_actions("api-key", "list get create update delete", "API keys"),
    *_actions("user", "list get create update delete", "users"),
    *_actions("role", "list get create update delete get-members assign unassign", "roles"),
    ActionSpec("policy:simulate", "ask the policy simulator about a user"),
    ActionSpec("audit-event:list", "read the management audit"),
    ActionSpec("completion:execute", "call an AI resource"),
    # The seed's names for request records and usage (VM-X policies keep working), plus
    # a detail and a bulk export verb so an admin can allow listing but deny exporting.
    ActionSpec("completion-audit:list", "list an environment's request records"),
    ActionSpec("completion-audit:get", "read one request record with its attempts and payload"),
    ActionSpec("completion-audit:export", "export an environment's request records (CSV, JSONL)"),
    ActionSpec("completion-usage:query", "query an environment's usage"),
)


async def authorize(
    authorizers: Iterable[Authorizer], principal: Principal, action: str, resource: str
) -> Decision:
    """Ask every authorizer; DENY overrides ALLOW; nothing said means deny."""
    allowed: Decision | None = None
    for authorizer in authorizers:
        decision = await authorizer.authorize(principal, action, resource)
        if decision is None:
            continue
        if decision.effect == "DENY":
            return decision
        allowed = allowed or decision
    return allowed or Decision(effect="DENY", reason=f"no policy allows {action} on {resource}")


async def require(
    authorizers: Sequence[Authorizer], principal: Principal, action: str, resource: str
) -> Decision:
    """Like :func:`authorize`, but raise :class:`Forbidden` naming action and resource."""
    decision = await authorize(authorizers, principal, action, resource)
    if decision.effect != "ALLOW":
        raise Forbidden(
            f"{principal.name} may not {action} on {resource}: {decision.reason}",
            code="forbidden",
        )
    return decision
