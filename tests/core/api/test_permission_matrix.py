"""The permission matrix: every control-plane endpoint, every kind of caller, allow or deny.

One world per database (built once for the module):

* ``admin``    — the first admin (role ``admin``), member of no workspace;
* ``power``    — role ``power-user``, owner of its own workspace ``B``, not in ``A``;
* ``ro``       — role ``read-only``, member of no workspace;
* ``reader``   — role ``read-only``, member of ``A``;
* ``owner``    — role ``power-user``, owner of ``A`` (created it);
* ``member``   — role ``power-user``, member of ``A``;
* ``outsider`` — role ``power-user``, member of no workspace (the non-member);
* ``anon``     — no credentials.

``A`` has the environments ``production`` and ``staging``. What each caller may do follows
DESIGN.md §6 and the seed: admins everything; power-users everything but creating, changing
or deleting users and roles or (un)assigning roles; read-only users get and list; and inside
a workspace only its owners and members act (admins aside), only owners delete it or manage
its members.

In the table (paths under ``/api/v1``; ``{ws}``, ``{env}``, ... stand for the path
parameters) ``+`` is allowed with the ``ok`` status, ``x`` is denied with 403 naming the
action and the resource of the last two columns (``{me}`` is the caller's name, ``{prod}``
``workspace:A:environment:production``), ``-`` is 401. Each row's request is built by the
function of the same key in ``REQUESTS``, which first creates whatever that caller's
request needs (a user to delete, a workspace of their own to delete, ...), so each cell is
an independent, valid request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from switchboard.testing import RunningGateway
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, expect, login, seg

CALLERS = ("admin", "power", "ro", "reader", "owner", "member", "outsider", "anon")

MATRIX = """
method path                                                           | admin power ro reader owner member outsider anon | ok  | denied action                | on resource
POST   /auth/login                                                    |   +     +   +    +      +     +       +      +   | 200 |                              |
POST   /auth/logout                                                   |   +     +   +    +      +     +       +      -   | 204 |                              |
GET    /auth/me                                                       |   +     +   +    +      +     +       +      -   | 200 |                              |
POST   /auth/password                                                 |   +     +   +    +      +     +       +      -   | 204 |                              |
POST   /auth/permissions                                              |   +     +   +    +      +     +       +      -   | 200 |                              |
GET    /auth/tokens                                                   |   +     +   +    +      +     +       +      -   | 200 |                              |
POST   /auth/tokens                                                   |   +     +   +    +      +     +       +      -   | 201 |                              |
DELETE /auth/tokens/{token}                                           |   +     +   +    +      +     +       +      -   | 204 |                              |
GET    /users                                                         |   +     +   +    +      +     +       +      -   | 200 |                              |
POST   /users                                                         |   +     x   x    x      x     x       x      -   | 201 | user:create                  | user:new-{me}@example.com
GET    /users/{user}                                                  |   +     +   +    +      +     +       +      -   | 200 |                              |
PATCH  /users/{user}                                                  |   +     x   x    x      x     x       x      -   | 200 | user:update                  | user:target@example.com
DELETE /users/{user}                                                  |   +     x   x    x      x     x       x      -   | 204 | user:delete                  | user:victim-{me}@example.com
PUT    /users/{user}/password                                         |   +     x   x    x      x     x       x      -   | 204 | user:update                  | user:target@example.com
GET    /users/{user}/roles                                            |   +     +   +    +      +     +       +      -   | 200 |                              |
PUT    /users/{user}/roles/{role}                                     |   +     x   x    x      x     x       x      -   | 204 | role:assign                  | role:custom
DELETE /users/{user}/roles/{role}                                     |   +     x   x    x      x     x       x      -   | 204 | role:unassign                | role:custom
GET    /roles                                                         |   +     +   +    +      +     +       +      -   | 200 |                              |
POST   /roles                                                         |   +     x   x    x      x     x       x      -   | 201 | role:create                  | role:role-{me}
GET    /roles/{role}                                                  |   +     +   +    +      +     +       +      -   | 200 |                              |
PATCH  /roles/{role}                                                  |   +     x   x    x      x     x       x      -   | 200 | role:update                  | role:custom
DELETE /roles/{role}                                                  |   +     x   x    x      x     x       x      -   | 204 | role:delete                  | role:doomed-{me}
GET    /roles/{role}/members                                          |   +     +   x    x      +     +       +      -   | 200 | role:get-members             | role:power-user
POST   /policies/simulate                                             |   +     +   x    x      +     +       +      -   | 200 | policy:simulate              | user:outsider@example.com
GET    /workspaces                                                    |   +     +   +    +      +     +       +      -   | 200 |                              |
POST   /workspaces                                                    |   +     +   x    x      +     +       +      -   | 201 | workspace:create             | workspace:ws-{me}
GET    /workspaces/{ws}                                               |   +     x   x    +      +     +       x      -   | 200 | workspace:get                | workspace:A
PATCH  /workspaces/{ws}                                               |   +     x   x    x      +     +       x      -   | 200 | workspace:update             | workspace:A
DELETE /workspaces/{ws}                                               |   +     x   x    x      +     x       x      -   | 204 | workspace:delete             | workspace:del-{me}
GET    /workspaces/{ws}/members                                       |   +     x   x    x      +     +       x      -   | 200 | workspace:get-members        | workspace:A
POST   /workspaces/{ws}/members                                       |   +     x   x    x      +     x       x      -   | 201 | workspace:assign             | workspace:A
PATCH  /workspaces/{ws}/members/{user}                                |   +     x   x    x      +     x       x      -   | 200 | workspace:update-member-role | workspace:A
DELETE /workspaces/{ws}/members/{user}                                |   +     x   x    x      +     x       x      -   | 204 | workspace:unassign           | workspace:A
GET    /workspaces/{ws}/environments                                  |   +     x   x    +      +     +       x      -   | 200 | environment:list             | workspace:A
POST   /workspaces/{ws}/environments                                  |   +     x   x    x      +     +       x      -   | 201 | environment:create           | workspace:A:environment:env-{me}
GET    /workspaces/{ws}/environments/{env}                            |   +     x   x    +      +     +       x      -   | 200 | environment:get              | {prod}
GET    /workspaces/{ws}/environments/{env}/plugins                    |   +     x   x    +      +     +       x      -   | 200 | environment:get              | {prod}
PATCH  /workspaces/{ws}/environments/{env}                            |   +     x   x    x      +     +       x      -   | 200 | environment:update           | {prod}
DELETE /workspaces/{ws}/environments/{env}                            |   +     x   x    x      +     +       x      -   | 204 | environment:delete           | workspace:A:environment:gone-{me}
GET    /workspaces/{ws}/environments/{env}/connections                |   +     x   x    +      +     +       x      -   | 200 | ai-connection:list           | workspace:A
POST   /workspaces/{ws}/environments/{env}/connections                |   +     x   x    x      +     +       x      -   | 201 | ai-connection:create         | {prod}:ai-connection:conn-{me}
GET    /workspaces/{ws}/environments/{env}/connections/{conn}         |   +     x   x    +      +     +       x      -   | 200 | ai-connection:get            | {prod}:ai-connection:main
PATCH  /workspaces/{ws}/environments/{env}/connections/{conn}         |   +     x   x    x      +     +       x      -   | 200 | ai-connection:update         | {prod}:ai-connection:main
DELETE /workspaces/{ws}/environments/{env}/connections/{conn}         |   +     x   x    x      +     +       x      -   | 204 | ai-connection:delete         | {prod}:ai-connection:doomed-{me}
POST   /workspaces/{ws}/environments/{env}/connections/{conn}/test    |   +     x   x    x      +     +       x      -   | 200 | ai-connection:update         | {prod}:ai-connection:main
GET    /workspaces/{ws}/environments/{env}/connections/{conn}/capacity|   +     x   x    +      +     +       x      -   | 200 | ai-connection:get            | {prod}:ai-connection:main
GET    /workspaces/{ws}/environments/{env}/resources                  |   +     x   x    +      +     +       x      -   | 200 | ai-resource:list             | workspace:A
POST   /workspaces/{ws}/environments/{env}/resources                  |   +     x   x    x      +     +       x      -   | 201 | ai-resource:create           | {prod}:ai-resource:res-{me}
GET    /workspaces/{ws}/environments/{env}/resources/{res}            |   +     x   x    +      +     +       x      -   | 200 | ai-resource:get              | {prod}:ai-resource:chat
PATCH  /workspaces/{ws}/environments/{env}/resources/{res}            |   +     x   x    x      +     +       x      -   | 200 | ai-resource:update           | {prod}:ai-resource:chat
DELETE /workspaces/{ws}/environments/{env}/resources/{res}            |   +     x   x    x      +     +       x      -   | 204 | ai-resource:delete           | {prod}:ai-resource:doomed-{me}
POST   /workspaces/{ws}/environments/{env}/resources/{res}/test-route |   +     x   x    +      +     +       x      -   | 200 | ai-resource:get              | {prod}:ai-resource:chat
GET    /workspaces/{ws}/environments/{env}/resources/{res}/capacity   |   +     x   x    +      +     +       x      -   | 200 | ai-resource:get              | {prod}:ai-resource:chat
GET    /workspaces/{ws}/environments/{env}/api-keys                   |   +     x   x    +      +     +       x      -   | 200 | api-key:list                 | workspace:A
POST   /workspaces/{ws}/environments/{env}/api-keys                   |   +     x   x    x      +     +       x      -   | 201 | api-key:create               | {prod}:api-key:key-{me}
GET    /workspaces/{ws}/environments/{env}/api-keys/{key}             |   +     x   x    +      +     +       x      -   | 200 | api-key:get                  | {prod}:api-key:backend
PATCH  /workspaces/{ws}/environments/{env}/api-keys/{key}             |   +     x   x    x      +     +       x      -   | 200 | api-key:update               | {prod}:api-key:backend
DELETE /workspaces/{ws}/environments/{env}/api-keys/{key}             |   +     x   x    x      +     +       x      -   | 204 | api-key:delete               | {prod}:api-key:doomed-{me}
POST   /workspaces/{ws}/environments/{env}/api-keys/{key}/rotate      |   +     x   x    x      +     +       x      -   | 200 | api-key:update               | {prod}:api-key:backend
GET    /workspaces/{ws}/environments/{env}/api-keys/{key}/capacity    |   +     x   x    +      +     +       x      -   | 200 | api-key:get                  | {prod}:api-key:backend
POST   /workspaces/{ws}/environments/{env}/usage/query                |   +     x   x    +      +     +       x      -   | 200 | completion-usage:query       | {prod}
GET    /workspaces/{ws}/environments/{env}/audit                      |   +     x   x    +      +     +       x      -   | 200 | completion-audit:list        | {prod}
GET    /workspaces/{ws}/environments/{env}/audit/export               |   +     x   x    +      +     +       x      -   | 200 | completion-audit:export      | {prod}
GET    /workspaces/{ws}/environments/{env}/audit/{request}            |   +     x   x    +      +     +       x      -   | 404 | completion-audit:get         | {prod}
GET    /providers                                                     |   +     +   +    +      +     +       +      -   | 200 |                              |
GET    /audit-events                                                  |   +     +   +    +      +     +       +      -   | 200 |                              |
GET    /audit-events?workspace=A                                      |   +     x   x    +      +     +       x      -   | 200 | audit-event:list             | workspace:A
"""  # noqa: E501 - a table reads better than wrapped lines
"""Notes on rows that are choices rather than quotes of the design:

* read-only users may not list members (``GET /workspaces/{ws}/members``,
  ``GET /roles/{role}/members``): their actions are ``workspace:get-members`` and
  ``role:get-members``, which the anchored ``*:get`` of the read-only role does not match;
* listing ``A``'s environments (or an environment's connections, resources or API keys) as
  a non-member is 403, not an empty 200: a non-member gets 403 for everything inside ``A``;
* a dry run of a resource (``test-route``) is ``ai-resource:get``, so read-only members may
  run one; testing a connection spends money and is ``ai-connection:update``;
* the global audit log (no ``?workspace``) is allowed to every default role: they all hold
  ``audit-event:list`` on ``*`` (``*:list`` or ``*:*``), which covers ``audit:global``;
  ``test_audit.py`` checks what it shows to whom;
* ``PATCH /workspaces/A`` by a member is allowed: only deleting the workspace and managing
  its members are the owner's alone (DESIGN.md §6).
"""

PASSWORD = "matrix-Password-123"
ROLES = {
    "power": "power-user",
    "ro": "read-only",
    "reader": "read-only",
    "owner": "power-user",
    "member": "power-user",
    "outsider": "power-user",
}


PATH_PARAMETERS = {
    "{ws}": "{workspace_key}",
    "{env}": "{environment_key}",
    "{conn}": "{connection_key}",
    "{res}": "{resource_key}",
    "{key}": "{api_key_key}",
    "{user}": "{user_key}",
    "{role}": "{role_key}",
    "{token}": "{token_id}",
    "{request}": "{request_id}",
}
"""The table's short path parameters and the names the OpenAPI document gives them."""
PROD = "workspace:A:environment:production"


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: dict[str, str]
    ok: int
    action: str
    resource: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def operation(self) -> tuple[str, str]:
        """The OpenAPI operation: method and path template without the query."""
        path = self.path.split("?", 1)[0]
        for short, name in PATH_PARAMETERS.items():
            path = path.replace(short, name)
        return self.method, path


def parse_matrix(table: str) -> list[Row]:
    lines = [line for line in table.strip().splitlines() if line.strip()]
    header = [part.split() for part in lines[0].split("|")]
    assert tuple(header[1]) == CALLERS, header
    rows = []
    for line in lines[1:]:
        route, cells, ok, action, resource = (part.strip() for part in line.split("|"))
        method, path = route.split()
        marks = cells.split()
        assert len(marks) == len(CALLERS) and set(marks) <= {"+", "x", "-"}, line
        assert action or "x" not in marks, f"a denied row must name its action: {line}"
        expected = dict(zip(CALLERS, marks, strict=True))
        rows.append(Row(method, f"/api/v1{path}", expected, int(ok), action, resource))
    return rows


ROWS = parse_matrix(MATRIX)


# -- the world ------------------------------------------------------------------------


@dataclass
class World:
    url: str
    transcript: Transcript
    apis: dict[str, Api] = field(default_factory=dict)

    @property
    def admin(self) -> Api:
        return self.apis["admin"]

    @property
    def owner(self) -> Api:
        return self.apis["owner"]

    def username(self, caller: str) -> str:
        # The anonymous caller signs in (the one thing it may do) as ``power``.
        return "power" if caller == "anon" else caller

    def password(self, caller: str) -> str:
        return ADMIN_PASSWORD if caller == "admin" else PASSWORD


@pytest.fixture(scope="module")
def world(module_gateway: RunningGateway) -> Iterator[World]:
    transcript = Transcript()
    url = module_gateway.url
    world = World(url, transcript)
    world.apis["admin"] = login(url, transcript, "admin", ADMIN_PASSWORD).as_token()
    for name, role in ROLES.items():
        world.admin.create_user(name, role, password=PASSWORD)
        world.apis[name] = login(url, transcript, name, PASSWORD).as_token()
    world.apis["anon"] = Api(url, transcript)
    world.owner.create_workspace("A")
    world.owner.add_member("A", "member")
    world.owner.add_member("A", "reader")
    world.owner.create_environment("A", "production")
    world.owner.create_environment("A", "staging")
    expect(world.owner.post(CONNECTIONS, connection("main")), 201)
    expect(world.owner.post(RESOURCES, {"name": "chat", "model": MODEL}), 201)
    expect(world.owner.post(API_KEYS, {"name": "backend", "resources": ["chat"]}), 201)
    world.apis["power"].create_workspace("B")
    world.apis["power"].create_environment("B", "production")
    world.admin.create_user("target")
    world.admin.create_role(
        "custom", [{"effect": "ALLOW", "actions": ["workspace:get"], "resources": ["workspace:B"]}]
    )
    yield world
    for api in world.apis.values():
        api.close()


# -- one request per row and caller -----------------------------------------------------

Request = tuple[str, str, Any]
Builder = Callable[[World, str], Request]

A = "/api/v1/workspaces/A"


def _login(w: World, me: str) -> Request:
    body = {"username": w.username(me), "password": w.password(w.username(me))}
    return "POST", "/api/v1/auth/login", body


def _password(w: World, me: str) -> Request:
    # Setting the same password again: allowed, and the world's passwords stay as they are.
    same = w.password(me)
    return "POST", "/api/v1/auth/password", {"currentPassword": same, "newPassword": same}


def _revoke_token(w: World, me: str) -> Request:
    token_id = "0" * 36 if me == "anon" else w.apis[me].create_token(f"spare-{me}")["id"]
    return "DELETE", f"/api/v1/auth/tokens/{token_id}", None


def _create_user(w: World, me: str) -> Request:
    return "POST", "/api/v1/users", {"username": f"new-{me}", "email": f"new-{me}@example.com"}


def _delete_user(w: World, me: str) -> Request:
    w.admin.create_user(f"victim-{me}")
    return "DELETE", f"/api/v1/users/victim-{me}", None


def _unassign(w: World, me: str) -> Request:
    expect(w.admin.put("/api/v1/users/target/roles/custom"), 204)
    return "DELETE", "/api/v1/users/target/roles/custom", None


def _delete_role(w: World, me: str) -> Request:
    statement = {"effect": "ALLOW", "actions": ["workspace:get"], "resources": ["workspace:B"]}
    w.admin.create_role(f"doomed-{me}", [statement])
    return "DELETE", f"/api/v1/roles/doomed-{me}", None


def _delete_workspace(w: World, me: str) -> Request:
    name = f"del-{me}"
    w.owner.create_workspace(name)
    w.owner.add_member(name, "member")
    w.owner.add_member(name, "reader")
    return "DELETE", f"/api/v1/workspaces/{name}", None


def _add_member(w: World, me: str) -> Request:
    w.admin.create_user(f"spare-a-{me}")
    return "POST", f"{A}/members", {"user": f"spare-a-{me}", "role": "member"}


def _change_member(w: World, me: str) -> Request:
    w.admin.create_user(f"spare-b-{me}")
    w.owner.add_member("A", f"spare-b-{me}")
    return "PATCH", f"{A}/members/spare-b-{me}", {"role": "owner"}


def _remove_member(w: World, me: str) -> Request:
    w.admin.create_user(f"spare-c-{me}")
    w.owner.add_member("A", f"spare-c-{me}")
    return "DELETE", f"{A}/members/spare-c-{me}", None


def _delete_environment(w: World, me: str) -> Request:
    w.owner.create_environment("A", f"gone-{me}")
    return "DELETE", f"{A}/environments/gone-{me}", None


CONNECTIONS = f"{A}/environments/production/connections"
# Nothing listens on port 9: a test call through the connection fails fast, with a 200
# answer saying how it failed.
UNREACHABLE = "http://127.0.0.1:9/v1"


def connection(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "openai",
        "settings": {"baseUrl": UNREACHABLE},
        "credentials": {"apiKey": f"sk-matrix-{name}"},
    }


def _delete_connection(w: World, me: str) -> Request:
    expect(w.owner.post(CONNECTIONS, connection(f"doomed-{me}")), 201)
    return "DELETE", f"{CONNECTIONS}/doomed-{me}", None


RESOURCES = f"{A}/environments/production/resources"
API_KEYS = f"{A}/environments/production/api-keys"
MODEL = {"provider": "openai", "model": "gpt-4o-mini"}


def _delete_resource(w: World, me: str) -> Request:
    expect(w.owner.post(RESOURCES, {"name": f"doomed-{me}", "model": MODEL}), 201)
    return "DELETE", f"{RESOURCES}/doomed-{me}", None


def _delete_api_key(w: World, me: str) -> Request:
    expect(w.owner.post(API_KEYS, {"name": f"doomed-{me}"}), 201)
    return "DELETE", f"{API_KEYS}/doomed-{me}", None


def _fixed(method: str, path: str, body: Any = None) -> Builder:
    return lambda w, me: (method, path, body)


SIMULATE = {"user": "outsider", "action": "workspace:get", "resource": "workspace:A"}

REQUESTS: dict[str, Builder] = {
    "POST /api/v1/auth/login": _login,
    "POST /api/v1/auth/logout": _fixed("POST", "/api/v1/auth/logout"),
    "GET /api/v1/auth/me": _fixed("GET", "/api/v1/auth/me"),
    "POST /api/v1/auth/password": _password,
    "POST /api/v1/auth/permissions": _fixed(
        "POST",
        "/api/v1/auth/permissions",
        {"checks": [{"action": "workspace:get", "resource": "workspace:A"}]},
    ),
    "GET /api/v1/auth/tokens": _fixed("GET", "/api/v1/auth/tokens"),
    "POST /api/v1/auth/tokens": _fixed("POST", "/api/v1/auth/tokens", {"name": "matrix"}),
    "DELETE /api/v1/auth/tokens/{token}": _revoke_token,
    "GET /api/v1/users": _fixed("GET", "/api/v1/users"),
    "POST /api/v1/users": _create_user,
    "GET /api/v1/users/{user}": _fixed("GET", "/api/v1/users/target"),
    "PATCH /api/v1/users/{user}": _fixed(
        "PATCH", "/api/v1/users/target", {"displayName": "Changed"}
    ),
    "DELETE /api/v1/users/{user}": _delete_user,
    "PUT /api/v1/users/{user}/password": _fixed(
        "PUT", "/api/v1/users/target/password", {"password": "another-Password-1"}
    ),
    "GET /api/v1/users/{user}/roles": _fixed("GET", "/api/v1/users/owner/roles"),
    "PUT /api/v1/users/{user}/roles/{role}": _fixed("PUT", "/api/v1/users/target/roles/custom"),
    "DELETE /api/v1/users/{user}/roles/{role}": _unassign,
    "GET /api/v1/roles": _fixed("GET", "/api/v1/roles"),
    "POST /api/v1/roles": lambda w, me: (
        "POST",
        "/api/v1/roles",
        {
            "name": f"role-{me}",
            "statements": [{"effect": "ALLOW", "actions": ["*:get"], "resources": ["*"]}],
        },
    ),
    "GET /api/v1/roles/{role}": _fixed("GET", "/api/v1/roles/power-user"),
    "PATCH /api/v1/roles/{role}": _fixed(
        "PATCH", "/api/v1/roles/custom", {"description": "changed"}
    ),
    "DELETE /api/v1/roles/{role}": _delete_role,
    "GET /api/v1/roles/{role}/members": _fixed("GET", "/api/v1/roles/power-user/members"),
    "POST /api/v1/policies/simulate": _fixed("POST", "/api/v1/policies/simulate", SIMULATE),
    "GET /api/v1/workspaces": _fixed("GET", "/api/v1/workspaces"),
    "POST /api/v1/workspaces": lambda w, me: ("POST", "/api/v1/workspaces", {"name": f"ws-{me}"}),
    "GET /api/v1/workspaces/{ws}": _fixed("GET", A),
    "PATCH /api/v1/workspaces/{ws}": _fixed("PATCH", A, {"description": "changed"}),
    "DELETE /api/v1/workspaces/{ws}": _delete_workspace,
    "GET /api/v1/workspaces/{ws}/members": _fixed("GET", f"{A}/members"),
    "POST /api/v1/workspaces/{ws}/members": _add_member,
    "PATCH /api/v1/workspaces/{ws}/members/{user}": _change_member,
    "DELETE /api/v1/workspaces/{ws}/members/{user}": _remove_member,
    "GET /api/v1/workspaces/{ws}/environments": _fixed("GET", f"{A}/environments"),
    "POST /api/v1/workspaces/{ws}/environments": lambda w, me: (
        "POST",
        f"{A}/environments",
        {"name": f"env-{me}"},
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}": _fixed("GET", f"{A}/environments/production"),
    "GET /api/v1/workspaces/{ws}/environments/{env}/plugins": _fixed(
        "GET", f"{A}/environments/production/plugins"
    ),
    "PATCH /api/v1/workspaces/{ws}/environments/{env}": _fixed(
        "PATCH", f"{A}/environments/production", {"description": "changed"}
    ),
    "DELETE /api/v1/workspaces/{ws}/environments/{env}": (_delete_environment),
    "GET /api/v1/workspaces/{ws}/environments/{env}/connections": _fixed("GET", CONNECTIONS),
    "POST /api/v1/workspaces/{ws}/environments/{env}/connections": lambda w, me: (
        "POST",
        CONNECTIONS,
        connection(f"conn-{me}"),
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/connections/{conn}": _fixed(
        "GET", f"{CONNECTIONS}/main"
    ),
    "PATCH /api/v1/workspaces/{ws}/environments/{env}/connections/{conn}": _fixed(
        "PATCH", f"{CONNECTIONS}/main", {"description": "changed"}
    ),
    "DELETE /api/v1/workspaces/{ws}/environments/{env}/connections/{conn}": _delete_connection,
    "POST /api/v1/workspaces/{ws}/environments/{env}/connections/{conn}/test": _fixed(
        "POST", f"{CONNECTIONS}/main/test", {"model": "gpt-4o-mini"}
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/connections/{conn}/capacity": _fixed(
        "GET", f"{CONNECTIONS}/main/capacity"
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/resources": _fixed("GET", RESOURCES),
    "POST /api/v1/workspaces/{ws}/environments/{env}/resources": lambda w, me: (
        "POST",
        RESOURCES,
        {"name": f"res-{me}", "model": MODEL},
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/resources/{res}": _fixed(
        "GET", f"{RESOURCES}/chat"
    ),
    "PATCH /api/v1/workspaces/{ws}/environments/{env}/resources/{res}": _fixed(
        "PATCH", f"{RESOURCES}/chat", {"description": "changed"}
    ),
    "DELETE /api/v1/workspaces/{ws}/environments/{env}/resources/{res}": _delete_resource,
    "POST /api/v1/workspaces/{ws}/environments/{env}/resources/{res}/test-route": _fixed(
        "POST",
        f"{RESOURCES}/chat/test-route",
        {"request": {"messages": [{"role": "user", "content": "hi"}]}},
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/resources/{res}/capacity": _fixed(
        "GET", f"{RESOURCES}/chat/capacity"
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/api-keys": _fixed("GET", API_KEYS),
    "POST /api/v1/workspaces/{ws}/environments/{env}/api-keys": lambda w, me: (
        "POST",
        API_KEYS,
        {"name": f"key-{me}", "resources": ["chat"]},
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/api-keys/{key}": _fixed(
        "GET", f"{API_KEYS}/backend"
    ),
    "PATCH /api/v1/workspaces/{ws}/environments/{env}/api-keys/{key}": _fixed(
        "PATCH", f"{API_KEYS}/backend", {"description": "changed"}
    ),
    "DELETE /api/v1/workspaces/{ws}/environments/{env}/api-keys/{key}": _delete_api_key,
    "POST /api/v1/workspaces/{ws}/environments/{env}/api-keys/{key}/rotate": _fixed(
        "POST", f"{API_KEYS}/backend/rotate", {"gracePeriodSeconds": 0}
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/api-keys/{key}/capacity": _fixed(
        "GET", f"{API_KEYS}/backend/capacity"
    ),
    "POST /api/v1/workspaces/{ws}/environments/{env}/usage/query": _fixed(
        "POST",
        f"{A}/environments/production/usage/query",
        {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/audit": _fixed(
        "GET", f"{A}/environments/production/audit"
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/audit/export": _fixed(
        "GET", f"{A}/environments/production/audit/export?format=csv"
    ),
    "GET /api/v1/workspaces/{ws}/environments/{env}/audit/{request}": _fixed(
        "GET", f"{A}/environments/production/audit/no-such-request"
    ),
    "GET /api/v1/providers": _fixed("GET", "/api/v1/providers"),
    "GET /api/v1/audit-events": _fixed("GET", "/api/v1/audit-events"),
    "GET /api/v1/audit-events?workspace=A": _fixed("GET", "/api/v1/audit-events?workspace=A"),
}


def _check(row: Row, caller: str, response: httpx.Response) -> str | None:
    """What is wrong with ``response`` for this cell, or ``None``."""
    mark = row.expected[caller]
    status = {"+": row.ok, "x": 403, "-": 401}[mark]
    where = f"{caller:>8}  {row.key}"
    if response.status_code != status:
        return f"{where}: expected {status}, got {response.status_code} {response.text[:300]}"
    if mark == "x":
        error = response.json()["error"]
        wanted = f"may not {row.action} on {row.resource.format(me=caller, prod=PROD)}"
        if error["type"] != "permission_error" or wanted not in error["message"]:
            return f"{where}: 403 should say {wanted!r}: {error}"
    if mark == "-" and response.json()["error"]["type"] != "authentication_error":
        return f"{where}: 401 is not an authentication_error: {response.text}"
    return None


# -- the tests --------------------------------------------------------------------------


def test_the_matrix_covers_every_control_plane_operation(world: World) -> None:
    document = httpx.get(f"{world.url}/api/docs/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    covered = {row.operation for row in ROWS}
    assert not operations - covered, f"endpoints without a matrix row: {operations - covered}"
    assert not covered - operations, f"matrix rows for no endpoint: {covered - operations}"
    assert set(REQUESTS) == {row.key for row in ROWS}


def test_every_caller_is_allowed_or_denied_as_the_matrix_says(world: World) -> None:
    problems: list[str] = []
    for row in ROWS:
        for caller in CALLERS:
            method, path, body = REQUESTS[row.key](world, caller)
            response = world.apis[caller].request(method, path, json=body)
            problem = _check(row, caller, response)
            if problem:
                problems.append(problem)
    assert not problems, f"{len(problems)} cells differ from the matrix:\n" + "\n".join(problems)


def _names(api: Api, path: str) -> set[str]:
    body = expect(api.get(path), 200)
    return {item["name"] for item in body["items"]}


def test_lists_show_each_caller_only_what_they_may_see(world: World) -> None:
    seen = {caller: _names(world.apis[caller], "/api/v1/workspaces") for caller in CALLERS[:-1]}
    for caller in ("admin", "owner", "member", "reader"):
        assert "A" in seen[caller], (caller, seen[caller])
    for caller in ("power", "ro", "outsider"):
        assert "A" not in seen[caller], (caller, seen[caller])
    assert "B" in seen["power"] and "B" in seen["admin"]
    assert not {"B"} & (seen["owner"] | seen["member"] | seen["reader"] | seen["outsider"])
    # Nobody but the admin sees a workspace they are not in.
    assert seen["ro"] == set()
    assert seen["admin"] >= {"A", "B"}
    # The caller's own membership is part of each workspace shown.
    mine = expect(world.apis["reader"].get("/api/v1/workspaces"), 200)["items"]
    assert {w["name"]: w["role"] for w in mine}["A"] == "member"
    theirs = expect(world.owner.get("/api/v1/workspaces"), 200)["items"]
    assert {w["name"]: w["role"] for w in theirs}["A"] == "owner"

    for caller in ("admin", "owner", "member", "reader"):
        environments = _names(world.apis[caller], f"{A}/environments")
        assert {"production", "staging"} <= environments, (caller, environments)

    # Users and roles are listed in full to every role holder (read-only lists everything).
    for caller in CALLERS[:-1]:
        users = _names_of(world.apis[caller], "/api/v1/users", "username")
        assert {"admin", "owner", "reader", "target"} <= users, (caller, users)
        roles = _names(world.apis[caller], "/api/v1/roles")
        assert {"admin", "power-user", "read-only", "custom"} <= roles, (caller, roles)


def _names_of(api: Api, path: str, key: str) -> set[str]:
    body = expect(api.get(path, limit="500"), 200)
    return {item[key] for item in body["items"]}


def test_workspaces_are_found_by_id_as_well_as_by_name(world: World) -> None:
    workspace = expect(world.owner.get(A), 200)
    environment = expect(world.owner.get(f"{A}/environments/production"), 200)
    by_id = f"/api/v1/workspaces/{workspace['id']}"
    assert expect(world.owner.get(by_id), 200)["name"] == "A"
    assert expect(world.owner.get(f"{by_id}/environments/{environment['id']}"), 200)["name"] == (
        "production"
    )
    # By id, a non-member is refused exactly as by name.
    denied = world.apis["outsider"].get(by_id)
    assert denied.status_code == 403
    assert "may not workspace:get on workspace:A" in denied.json()["error"]["message"]
    user = expect(world.admin.get("/api/v1/users/target"), 200)
    assert expect(world.apis["ro"].get(f"/api/v1/users/{user['id']}"), 200)["username"] == "target"
    assert (
        expect(world.apis["ro"].get(f"/api/v1/users/{seg('target@example.com')}"), 200)["id"]
        == user["id"]
    )
