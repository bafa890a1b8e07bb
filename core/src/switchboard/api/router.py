"""The ``/api/v1`` router: every control-plane controller with its dependencies."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from switchboard.api.api_keys import ApiKeysController
from switchboard.api.audit import AuditController
from switchboard.api.auth import AuthController
from switchboard.api.capacity_usage import CapacityUsageController
from switchboard.api.connections import ConnectionsController
from switchboard.api.deps import provide_caller, provide_db
from switchboard.api.environments import EnvironmentsController
from switchboard.api.permissions import PermissionsController
from switchboard.api.providers import ProvidersController
from switchboard.api.request_audit import RequestAuditController
from switchboard.api.resources import ResourcesController
from switchboard.api.roles import PoliciesController, RolesController
from switchboard.api.usage import UsageController
from switchboard.api.users import UsersController
from switchboard.api.workspaces import MembersController, WorkspacesController

__all__ = ["api_router"]

api_router = Router(
    path="/api/v1",
    route_handlers=[
        AuthController,
        PermissionsController,
        UsersController,
        RolesController,
        PoliciesController,
        WorkspacesController,
        MembersController,
        EnvironmentsController,
        ConnectionsController,
        ResourcesController,
        ApiKeysController,
        CapacityUsageController,
        ProvidersController,
        AuditController,
        UsageController,
        RequestAuditController,
    ],
    dependencies={"db": Provide(provide_db), "caller": Provide(provide_caller)},
)
