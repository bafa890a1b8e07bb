"""The admin CLI's client side: ``switchboard login``, ``users``, ``roles`` over the REST API.

:mod:`~switchboard.cli_client.client` is a small typed client for ``/api/v1``,
:mod:`~switchboard.cli_client.credentials` keeps the token ``switchboard login`` stored, and
:mod:`~switchboard.cli_client.commands` holds the click commands.
"""

from switchboard.cli_client.client import Client, RemoteError, Unreachable

__all__ = ["Client", "RemoteError", "Unreachable"]
