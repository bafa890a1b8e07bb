"""The control plane: REST under ``/api/v1`` for admins, the UI and the CLI."""

from switchboard.api.router import api_router

__all__ = ["api_router"]
