"""Switchboard's role-based access control: IAM-style role statements and workspace membership.

* :mod:`~switchboard_rbac.patterns` — anchored ``*``/``?`` wildcards and hierarchical
  resource names;
* :mod:`~switchboard_rbac.engine` — evaluating a user's role statements (DENY wins);
* :mod:`~switchboard_rbac.membership` — the workspace owner/member rule;
* :mod:`~switchboard_rbac.authorizers` — both, as :class:`switchboard.interfaces.Authorizer`;
"""
