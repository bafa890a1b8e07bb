"""The plan of ``switchboard apply``: what to create, update and (with ``--prune``) delete
so that the gateway matches the file, computed from the gateway's current state.

Changes come in dependency order: roles, users, then each workspace with its members and
environments (see :mod:`~switchboard.cli_client.declarative_plan_env` for what an
environment holds). Deletions come last, the dependents first: API keys, resources,
connections, environments, members, workspaces, users, roles. Only the fields the file sets
are compared; lists of objects (``environments``, ``members``, ...) are additive unless
``--prune`` is given, while list-valued fields (a user's ``roles``, ``allowedModels``,
``fallbackModels``, ...) are values, replaced as a whole.

``--prune`` never deletes the signed-in user nor its own workspace memberships, nor
built-in roles.

Credentials and passwords are write-only: the gateway never shows them, so they are sent
when an object is created, when a connection's set of credential fields changes, and for
every object that has them with ``--update-credentials``.
"""

from __future__ import annotations

from typing import Any

from msgspec import UnsetType

from switchboard.cli_client.client import RemoteError
from switchboard.cli_client.declarative_changes import Call, Change, FieldChange, PlanError, Updates
from switchboard.cli_client.declarative_plan_env import EnvironmentPlanner, Options
from switchboard.cli_client.declarative_secrets import SecretError, resolve_password
from switchboard.cli_client.declarative_spec import (
    ConfigFile,
    EnvironmentSpec,
    MemberSpec,
    UserSpec,
    WorkspaceSpec,
)
from switchboard.cli_client.declarative_state import Obj, State, segment
from switchboard.cli_client.declarative_values import MASK, builtins, show

__all__ = ["Options", "PlanError", "plan"]

# Deletions are made in this order: what depends on an object goes before it.
DELETION_ORDER = [
    "API key",
    "resource",
    "connection",
    "environment",
    "member",
    "workspace",
    "user",
    "role",
]
EVERYTHING_IN_IT = " (and everything in it)"


def plan(config: ConfigFile, state: State, options: Options) -> list[Change]:
    """The changes that make the gateway behind ``state`` match ``config``, in order."""
    return _Planner(state, options).plan(config)


def _items(value: list[Any] | UnsetType) -> list[Any]:
    return [] if isinstance(value, UnsetType) else value


def _names(value: list[Any] | UnsetType, field: str = "name") -> set[str]:
    return {getattr(item, field) for item in _items(value)}


class _Planner:
    def __init__(self, state: State, options: Options) -> None:
        self.state = state
        self.options = options
        self.changes: list[Change] = []
        self.deletions: list[Change] = []

    def plan(self, config: ConfigFile) -> list[Change]:
        self.config = config
        self._roles(config)
        self._users(config)
        self._workspaces(config)
        ordered = sorted(self.deletions, key=lambda change: DELETION_ORDER.index(change.kind))
        return self.changes + ordered

    def _delete(self, kind: str, path: str, url: str, note: str = "") -> None:
        self.deletions.append(Change("delete", kind, path, [Call("DELETE", url)], note=note))

    def _prunes(self, listed: list[Any] | UnsetType) -> bool:
        """Whether ``--prune`` removes what the list ``listed`` leaves out (it is given)."""
        return self.options.prune and not isinstance(listed, UnsetType)

    # -- roles ------------------------------------------------------------------------

    def _roles(self, config: ConfigFile) -> None:
        if isinstance(config.roles, UnsetType):
            return
        current = self.state.roles()
        for index, spec in enumerate(config.roles):
            role = current.get(spec.name)
            url = f"/roles/{segment(spec.name)}"
            if role is None:
                call = Call("POST", "/roles", builtins(spec))
                self.changes.append(Change("create", "role", spec.name, [call]))
                continue
            updates = Updates()
            updates.compare("description", spec.description, role["description"])
            updates.compare("statements", spec.statements, role["statements"])
            if updates and role["builtin"]:
                raise PlanError(
                    f"roles[{index}]: {spec.name!r} is a built-in role and cannot be changed "
                    "(leave it out of the file, or copy it under another name)"
                )
            if updates:
                call = Call("PATCH", url, updates.body)
                self.changes.append(Change("update", "role", spec.name, [call], updates.fields))
        if self.options.prune:
            for name, role in sorted(current.items()):
                if name not in _names(config.roles) and not role["builtin"]:
                    self._delete("role", name, f"/roles/{segment(name)}")

    def _role_names_after(self) -> set[str]:
        listed = self.config.roles
        names = _names(listed)
        if not self._prunes(listed):
            names.update(self.state.roles())
        else:
            names.update(n for n, role in self.state.roles().items() if role["builtin"])
        return names

    # -- users ------------------------------------------------------------------------

    def _users(self, config: ConfigFile) -> None:
        if isinstance(config.users, UnsetType):
            return
        current = self.state.users()
        known_roles: set[str] | None = None
        for index, spec in enumerate(config.users):
            where = f"users[{index}]"
            if not isinstance(spec.roles, UnsetType):
                known_roles = known_roles if known_roles is not None else self._role_names_after()
                for position, role in enumerate(spec.roles):
                    if role not in known_roles:
                        raise PlanError(f"{where}.roles[{position}]: no role {role!r}")
            user = current.get(spec.username)
            if user is None:
                self._create_user(spec, where)
            else:
                self._update_user(spec, user, where)
        if self.options.prune:
            me = self.state.me()["username"]
            for name in sorted(set(current) - _names(config.users, "username") - {me}):
                self._delete("user", name, f"/users/{segment(name)}")

    def _password(self, spec: UserSpec, where: str) -> str | None:
        try:
            return resolve_password(spec, self.options.base, where)
        except SecretError as exc:
            raise PlanError(str(exc)) from None

    def _create_user(self, spec: UserSpec, where: str) -> None:
        if isinstance(spec.email, UnsetType):
            raise PlanError(f"{where}.email: required to create user {spec.username!r}")
        body = builtins(spec)
        body.pop("passwordFromEnv", None)
        body.pop("passwordFile", None)
        password = self._password(spec, where)
        if password is not None:
            body["password"] = password
        call = Call("POST", "/users", body)
        self.changes.append(Change("create", "user", spec.username, [call]))

    def _update_user(self, spec: UserSpec, user: Obj, where: str) -> None:
        url = f"/users/{segment(spec.username)}"
        updates = Updates()
        updates.compare(
            "email", spec.email, user["email"], equal=lambda wanted, have: wanted.lower() == have
        )
        updates.compare("displayName", spec.display_name, user["displayName"])
        updates.compare("enabled", spec.enabled, user["enabled"])
        calls = [Call("PATCH", url, updates.body)] if updates else []
        fields = list(updates.fields)
        if not isinstance(spec.roles, UnsetType):
            wanted, have = set(spec.roles), set(user["roles"])
            calls.extend(Call("PUT", f"{url}/roles/{segment(r)}") for r in sorted(wanted - have))
            calls.extend(Call("DELETE", f"{url}/roles/{segment(r)}") for r in sorted(have - wanted))
            if wanted != have:
                fields.append(FieldChange("roles", show(sorted(have)), show(sorted(wanted))))
        if self.options.update_credentials:
            password = self._password(spec, where)
            if password is not None:
                calls.append(Call("PUT", f"{url}/password", {"password": password}))
                fields.append(FieldChange("password", MASK, MASK))
        if calls:
            self.changes.append(Change("update", "user", spec.username, calls, fields))

    # -- workspaces -------------------------------------------------------------------

    def _workspaces(self, config: ConfigFile) -> None:
        if isinstance(config.workspaces, UnsetType):
            return
        current = self.state.workspaces()
        for index, spec in enumerate(config.workspaces):
            where = f"workspaces[{index}]"
            workspace = current.get(spec.name)
            if workspace is None:
                body = builtins(spec)
                body.pop("members", None)
                body.pop("environments", None)
                call = Call("POST", "/workspaces", body)
                self.changes.append(Change("create", "workspace", spec.name, [call]))
            else:
                updates = Updates()
                updates.compare("description", spec.description, workspace["description"])
                if updates:
                    call = Call("PATCH", f"/workspaces/{segment(spec.name)}", updates.body)
                    change = Change("update", "workspace", spec.name, [call], updates.fields)
                    self.changes.append(change)
            exists = workspace is not None
            self._members(spec, where, exists=exists)
            self._environments(spec, where, exists=exists)
        if self.options.prune:
            for name in sorted(set(current) - _names(config.workspaces)):
                url = f"/workspaces/{segment(name)}?force=true"
                self._delete("workspace", name, url, EVERYTHING_IN_IT)

    # -- members ----------------------------------------------------------------------

    def _members(self, spec: WorkspaceSpec, where: str, *, exists: bool) -> None:
        if isinstance(spec.members, UnsetType):
            return
        if exists:
            current = self.state.members(spec.name)
        else:  # whoever creates a workspace becomes its first owner
            me = self.state.me()
            current = [
                {"userId": me["id"], "username": me["username"], "email": me["email"]}
                | {"role": "owner"}
            ]
        url = f"/workspaces/{segment(spec.name)}/members"
        matched: set[str] = set()
        for index, member in enumerate(spec.members):
            found = _member(current, member)
            role = member.role if isinstance(member.role, str) else "member"
            if found is None:
                self._check_user(member.user, f"{where}.members[{index}].user")
                call = Call("POST", url, {"user": member.user, "role": role})
                path = f"{spec.name}/{member.user}"
                self.changes.append(Change("create", "member", path, [call], note=f" as {role}"))
                continue
            matched.add(found["username"])
            if isinstance(member.role, str) and member.role != found["role"]:
                call = Call("PATCH", f"{url}/{segment(found['username'])}", {"role": role})
                field = FieldChange("role", found["role"], role)
                path = f"{spec.name}/{found['username']}"
                self.changes.append(Change("update", "member", path, [call], [field]))
        if self.options.prune:
            # The caller's own membership stays: it became the owner by creating the
            # workspace, and removing it could lock the caller out halfway.
            me = self.state.me()["username"]
            for found in current:
                name = found["username"]
                if name not in matched and name != me:
                    path = f"{spec.name}/{name}"
                    self._delete("member", path, f"{url}/{segment(name)}")

    def _check_user(self, user: str, where: str) -> None:
        """The user exists or the file creates it (unchecked if users are hidden)."""
        listed = self.config.users
        if any(user in (u.username, u.email) for u in _items(listed)):
            return
        try:
            users = list(self.state.users().values())
        except RemoteError as exc:
            if exc.status == 403:
                return  # the gateway will say it when the member is added
            raise
        if self._prunes(listed):  # only the file's users (and the caller) will be left
            users = [self.state.me()]
        if not any(user in (u["id"], u["username"], u["email"]) for u in users):
            raise PlanError(f"{where}: no user {user!r}")

    # -- environments -----------------------------------------------------------------

    def _environments(self, spec: WorkspaceSpec, where: str, *, exists: bool) -> None:
        if isinstance(spec.environments, UnsetType):
            return
        current = self.state.environments(spec.name) if exists else {}
        url = f"/workspaces/{segment(spec.name)}/environments"
        for index, environment in enumerate(spec.environments):
            here = f"{where}.environments[{index}]"
            found = current.get(environment.name)
            self._environment(spec.name, environment, found, url)
            planner = EnvironmentPlanner(
                self.state, self.options, spec.name, environment, here, exists=found is not None
            )
            changes, deletions = planner.plan()
            self.changes.extend(changes)
            self.deletions.extend(deletions)
        if self.options.prune:
            for name in sorted(set(current) - _names(spec.environments)):
                path = f"{spec.name}/{name}"
                self._delete(
                    "environment", path, f"{url}/{segment(name)}?force=true", EVERYTHING_IN_IT
                )

    def _environment(
        self, workspace: str, spec: EnvironmentSpec, current: Obj | None, url: str
    ) -> None:
        path = f"{workspace}/{spec.name}"
        if current is None:
            body = {k: v for k, v in builtins(spec).items() if k not in _ENVIRONMENT_CONTENTS}
            self.changes.append(Change("create", "environment", path, [Call("POST", url, body)]))
            return
        updates = Updates()
        updates.compare("description", spec.description, current["description"])
        updates.compare("plugins", spec.plugins, current["plugins"])
        if not isinstance(spec.recording, UnsetType):
            updates.compare("recording", builtins(spec.recording), current["recording"])
        if updates:
            call = Call("PATCH", f"{url}/{segment(spec.name)}", updates.body)
            self.changes.append(Change("update", "environment", path, [call], updates.fields))


_ENVIRONMENT_CONTENTS = ("connections", "resources", "apiKeys")


def _member(current: list[Obj], member: MemberSpec) -> Obj | None:
    """The current membership ``member`` names (by user id, username or email)."""
    for found in current:
        if member.user in (found["userId"], found["username"]) or (
            member.user.lower() == found["email"].lower()
        ):
            return found
    return None
