"""Switchboard routing: the seed's conditions and advanced expressions, evaluated in order.

Plugins that add routing variables (``switchboard_routing_variables``) call
:func:`declare_variables` so that saved rules may use them.
"""

from switchboard_routing.fields import declare_variables

__all__ = ["declare_variables"]
