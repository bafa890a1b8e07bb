"""Evaluating role statements: default deny, and an explicit DENY always wins.

VM-X applied the first matching statement, so the order of statements decided whether a DENY
counted. Here every statement of every role is considered: one matching DENY decides,
whatever comes before or after it. The statement *cited* is the first matching one in role
order then statement index, so answers are stable and the policy simulator can name it.
"""

from __future__ import annotations

from collections.abc import Sequence

from switchboard.interfaces import Decision
from switchboard.policy import RoleGrant, Statement, StatementRef
from switchboard_rbac.patterns import action_matches, resource_matches

__all__ = ["evaluate", "statement_matches"]


def statement_matches(statement: Statement, action: str, resource: str) -> bool:
    """Whether ``statement`` applies: one action pattern and one resource pattern match."""
    # Actions first: they are short and rule out most statements before resource candidates.
    return action_matches(statement.actions, action) and resource_matches(
        statement.resources, resource
    )


def evaluate(grants: Sequence[RoleGrant], action: str, resource: str) -> Decision | None:
    """Decide ``action`` on ``resource`` from the statements of ``grants``.

    :return: DENY citing the first matching DENY statement if there is one; else ALLOW
        citing the first matching ALLOW statement; else ``None`` (no statement applies:
        no opinion, and the core's default deny answers).
    """
    first_allow: StatementRef | None = None
    for grant in grants:
        for index, statement in enumerate(grant.statements):
            if not statement_matches(statement, action, resource):
                continue
            if statement.effect == "DENY":
                # The first DENY in order is the answer: nothing later can override it.
                return Decision(
                    effect="DENY",
                    reason=f"statement {index} of role {grant.role!r} denies {action}",
                    statement=StatementRef(grant.role, index, "DENY"),
                )
            if first_allow is None:
                first_allow = StatementRef(grant.role, index, "ALLOW")
    if first_allow is None:
        return None
    return Decision(
        effect="ALLOW",
        reason=f"statement {first_allow.index} of role {first_allow.role!r} allows {action}",
        statement=first_allow,
    )
