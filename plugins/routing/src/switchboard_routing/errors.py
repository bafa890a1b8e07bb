"""The error every refused routing rule raises: where it is, and what is wrong."""

from __future__ import annotations

__all__ = ["RoutingError"]


class RoutingError(ValueError):
    """A routing rule that cannot work.

    ``param`` is the JSON path of the culprit inside the resource
    (``routing.conditions[0].if[1].operator``); ``problem`` says what is wrong; ``str()`` is
    both, as the control plane shows it.
    """

    def __init__(self, param: str, problem: str) -> None:
        self.param = param
        self.problem = problem
        super().__init__(f"{param}: {problem}")
