"""The management audit over HTTP: every change recorded with actor, action, resource and
before/after; no secret anywhere; filters; who may read which part of it. One gateway per
database for the module; each test uses names of its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.core.api.client import ADMIN_PASSWORD, Api, expect, expect_error
from tests.core.api.conftest import Harness

FIRST_PASSWORD = "audit-First-Password-1"
SET_PASSWORD = "audit-Set-Password-2"
OWN_PASSWORD = "audit-Own-Password-3"


def events(api: Api, **filters: str) -> list[dict[str, Any]]:
    page = expect(api.get("/api/v1/audit-events", limit="500", **filters), 200)
    assert page["total"] == len(page["items"]), page["total"]
    items: list[dict[str, Any]] = page["items"]
    return items


def one(found: list[dict[str, Any]], action: str, resource: str) -> dict[str, Any]:
    matching = [e for e in found if e["action"] == action and e["resource"] == resource]
    assert len(matching) == 1, (action, resource, [(e["action"], e["resource"]) for e in found])
    return matching[0]


def test_every_change_is_recorded_and_no_secret_is_shown_anywhere(module_harness: Harness) -> None:
    admin = module_harness.admin
    # Users, passwords and tokens.
    admin.create_user("aud", "power-user", password=FIRST_PASSWORD)
    admin.create_user("mem")
    session = module_harness.login("aud", FIRST_PASSWORD)
    first_token = session.create_token("aud-cli")
    aud = Api(module_harness.url, module_harness.transcript, token=first_token["token"], name="aud")
    expect(admin.patch("/api/v1/users/mem", {"displayName": "Mem"}), 200)
    expect(admin.put("/api/v1/users/aud/password", {"password": SET_PASSWORD}), 204)
    session = module_harness.login("aud", SET_PASSWORD)
    own = {"currentPassword": SET_PASSWORD, "newPassword": OWN_PASSWORD}
    expect(session.post("/api/v1/auth/password", own), 204)
    # Workspaces, members, environments.
    aud.create_workspace("AW")
    aud.create_environment("AW", "prod")
    expect(aud.patch("/api/v1/workspaces/AW/environments/prod", {"description": "live"}), 200)
    aud.add_member("AW", "mem")
    expect(aud.patch("/api/v1/workspaces/AW/members/mem", {"role": "owner"}), 200)
    expect(aud.delete("/api/v1/workspaces/AW/members/mem"), 204)
    expect(aud.patch("/api/v1/workspaces/AW", {"name": "AW2"}), 200)
    expect(aud.delete("/api/v1/workspaces/AW2/environments/prod"), 204)
    # Roles.
    statement = {"effect": "ALLOW", "actions": ["workspace:get"], "resources": ["*"]}
    admin.create_role("aud-role", [statement])
    expect(admin.patch("/api/v1/roles/aud-role", {"description": "changed"}), 200)
    expect(admin.put("/api/v1/users/mem/roles/aud-role"), 204)
    expect(admin.delete("/api/v1/users/mem/roles/aud-role"), 204)
    expect(admin.delete("/api/v1/roles/aud-role"), 204)
    # Deletions last.
    expect(aud.delete(f"/api/v1/auth/tokens/{first_token['id']}"), 204)
    expect(admin.delete("/api/v1/workspaces/AW2"), 204)
    expect(admin.delete("/api/v1/users/mem"), 204)

    found = events(admin)
    aw = one(found, "workspace:create", "workspace:AW")
    expected: list[tuple[str, str, str, str | None, str | None]] = [
        # actor, action, resource, what `before` holds, what `after` holds
        ("admin", "user:create", "user:aud@example.com", None, "username=aud"),
        ("admin", "user:create", "user:mem@example.com", None, "username=mem"),
        ("aud", "personal-token:create", "user:aud@example.com", None, "name=aud-cli"),
        ("admin", "user:update", "user:mem@example.com", "displayName=", "displayName=Mem"),
        ("aud", "workspace:create", "workspace:AW", None, "name=AW"),
        ("aud", "environment:create", "workspace:AW:environment:prod", None, "name=prod"),
        (
            "aud",
            "environment:update",
            "workspace:AW:environment:prod",
            "description=",
            "description=live",
        ),
        ("aud", "workspace:assign", "workspace:AW", None, "role=member"),
        ("aud", "workspace:update-member-role", "workspace:AW", "role=member", "role=owner"),
        ("aud", "workspace:unassign", "workspace:AW", "username=mem", None),
        ("aud", "workspace:update", "workspace:AW", "name=AW", "name=AW2"),
        ("aud", "environment:delete", "workspace:AW2:environment:prod", "name=prod", None),
        ("admin", "role:create", "role:aud-role", None, "name=aud-role"),
        ("admin", "role:update", "role:aud-role", "description=", "description=changed"),
        ("admin", "role:assign", "role:aud-role", None, "user=mem"),
        ("admin", "role:unassign", "role:aud-role", "user=mem", None),
        ("admin", "role:delete", "role:aud-role", "name=aud-role", None),
        ("aud", "personal-token:delete", "user:aud@example.com", "name=aud-cli", None),
        ("admin", "workspace:delete", "workspace:AW2", "name=AW2", None),
        ("admin", "user:delete", "user:mem@example.com", "username=mem", None),
    ]
    problems = []
    for actor, action, resource, before, after in expected:
        matching = [
            e
            for e in found
            if (e["actorName"], e["action"], e["resource"]) == (actor, action, resource)
            and _holds(e["before"], before)
            and _holds(e["after"], after)
        ]
        if len(matching) != 1:
            problems.append(f"{actor} {action} {resource} before={before} after={after}")
    assert not problems, (
        "not recorded as expected:\n"
        + "\n".join(problems)
        + "\n"
        + ("\n".join(f"  {e['actorName']} {e['action']} {e['resource']}" for e in found))
    )
    # Who, when, and the workspace the change belongs to.
    aud_id = expect(admin.get("/api/v1/users/aud"), 200)["id"]
    assert aw["actorId"] == aud_id and aw["workspaceId"] is not None
    for event in found:
        occurred = datetime.fromisoformat(event["occurredAt"].replace("Z", "+00:00"))
        assert timedelta(0) <= datetime.now(UTC) - occurred < timedelta(minutes=5)
        if event["resource"].startswith("workspace:AW"):
            assert event["workspaceId"] == aw["workspaceId"], event
    # Password changes are recorded, their values masked.
    passwords = [
        e for e in found if e["action"] == "user:update" and e["resource"] == "user:aud@example.com"
    ]
    assert len(passwords) == 2 and all(e["after"] == {"password": "***"} for e in passwords)

    # No secret in the audit, and none in any response but the one that created it.
    everything = json.dumps(found)
    secrets = [ADMIN_PASSWORD, FIRST_PASSWORD, SET_PASSWORD, OWN_PASSWORD, first_token["token"]]
    for secret in secrets:
        assert secret not in everything
    for password in secrets[:4]:
        assert module_harness.transcript.containing(password) == []
    assert module_harness.admin.token is not None
    for token in (first_token["token"], module_harness.admin.token):
        shown = module_harness.transcript.containing(token)
        assert len(shown) == 1 and shown[0].startswith("POST ") and "/auth/tokens" in shown[0]


def _holds(snapshot: dict[str, Any] | None, expected: str | None) -> bool:
    """``key=value`` (value as text) in ``snapshot``; ``None`` means no snapshot at all."""
    if expected is None:
        return snapshot is None
    if snapshot is None:
        return False
    key, _, value = expected.partition("=")
    return str(snapshot.get(key) if snapshot.get(key) is not None else "") == value


def test_the_filters_narrow_the_log(module_harness: Harness) -> None:
    admin = module_harness.admin
    fay = module_harness.user("fay", "power-user", password=FIRST_PASSWORD)
    fay.create_workspace("F1")
    fay.create_environment("F1", "prod")
    admin.create_workspace("F2")
    admin.create_environment("F2", "prod")
    everything = events(admin)

    by_action = events(admin, action="environment:create")
    assert {e["action"] for e in by_action} == {"environment:create"}
    assert {"workspace:F1:environment:prod", "workspace:F2:environment:prod"} <= {
        e["resource"] for e in by_action
    }
    by_actor = events(admin, actor="fay")
    assert {(e["action"], e["resource"]) for e in by_actor} == {
        ("personal-token:create", "user:fay@example.com"),
        ("workspace:create", "workspace:F1"),
        ("environment:create", "workspace:F1:environment:prod"),
    }
    by_prefix = events(admin, resource="workspace:F1")
    assert {e["resource"] for e in by_prefix} == {"workspace:F1", "workspace:F1:environment:prod"}
    # The prefix is literal: % and _ are not wildcards.
    assert events(admin, resource="workspace:F%") == []
    assert events(admin, resource="workspace:F_") == []
    by_workspace = events(admin, workspace="F2")
    assert {e["resource"] for e in by_workspace} == {
        "workspace:F2",
        "workspace:F2:environment:prod",
    }
    both = events(admin, workspace="F2", action="workspace:create")
    assert [e["resource"] for e in both] == ["workspace:F2"]

    # Newest first; since is inclusive, until exclusive.
    times = [e["occurredAt"] for e in everything]
    assert times == sorted(times, reverse=True)
    middle = everything[len(everything) // 2]
    since = events(admin, since=middle["occurredAt"])
    until = events(admin, until=middle["occurredAt"])
    assert middle["id"] in {e["id"] for e in since}
    assert middle["id"] not in {e["id"] for e in until}
    assert {e["id"] for e in since} | {e["id"] for e in until} >= {e["id"] for e in everything}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert events(admin, since=future) == []
    # Pages.
    page = expect(admin.get("/api/v1/audit-events", limit="2", offset="1", actor="fay"), 200)
    assert [e["id"] for e in page["items"]] == [e["id"] for e in by_actor[1:3]]
    assert page["total"] == len(by_actor)


def test_a_time_without_a_zone_is_not_a_server_error(module_harness: Harness) -> None:
    """``?since`` / ``?until`` without an offset: read as UTC, or 400 naming the field —
    never a 500."""
    naive = "2020-01-01T00:00:00"
    for field in ("since", "until"):
        response = module_harness.admin.get("/api/v1/audit-events", **{field: naive})
        assert response.status_code in (200, 400), f"?{field}={naive}: {response.text}"
        if response.status_code == 400:
            assert response.json()["error"]["param"] == field


def test_a_workspace_log_is_for_its_members_and_the_global_log_needs_audit_global(
    module_harness: Harness,
) -> None:
    admin = module_harness.admin
    owner = module_harness.user("wsowner", "power-user", password=FIRST_PASSWORD)
    reader = module_harness.user("wsreader", "read-only", password=FIRST_PASSWORD)
    owner.create_workspace("LA")
    owner.create_environment("LA", "prod")
    owner.add_member("LA", "wsreader")
    admin.create_workspace("LB")
    admin.create_environment("LB", "secret-project")

    mine = events(reader, workspace="LA")
    assert {e["resource"] for e in mine} == {"workspace:LA", "workspace:LA:environment:prod"}
    assert len(mine) == 3  # create, environment, the reader joining
    expect_error(
        reader.get("/api/v1/audit-events", workspace="LB"),
        403,
        says="may not audit-event:list on workspace:LB",
    )

    # A role for one workspace's log only: no global log.
    admin.create_role(
        "la-auditor",
        [{"effect": "ALLOW", "actions": ["audit-event:list"], "resources": ["workspace:LA"]}],
    )
    auditor = module_harness.user("auditor", "la-auditor", password=FIRST_PASSWORD)
    owner.add_member("LA", "auditor")
    assert len(events(auditor, workspace="LA")) == 4
    expect_error(
        auditor.get("/api/v1/audit-events"), 403, says="may not audit-event:list on audit:global"
    )
    # A role for the global log only.
    admin.create_role(
        "global-auditor",
        [{"effect": "ALLOW", "actions": ["audit-event:list"], "resources": ["audit:global"]}],
    )
    globalist = module_harness.user("globalist", "global-auditor", password=FIRST_PASSWORD)
    assert "user:globalist@example.com" in {e["resource"] for e in events(globalist)}
    expect_error(globalist.get("/api/v1/audit-events", workspace="LA"), 403)
    # And a DENY on the global log wins over read-only's *:list.
    admin.create_role(
        "no-global-audit",
        [{"effect": "DENY", "actions": ["audit-event:list"], "resources": ["audit:global"]}],
    )
    expect(admin.put("/api/v1/users/wsreader/roles/no-global-audit"), 204)
    expect_error(reader.get("/api/v1/audit-events"), 403, says="audit:global")
    assert len(events(reader, workspace="LA")) == 4


def test_the_global_log_does_not_show_other_workspaces_to_their_non_members(
    module_harness: Harness,
) -> None:
    """A read-only member of LC may read LC's events but not LD's: the global log must not
    hand LD's changes (names, before/after) to someone the membership rule keeps out of
    LD, although read-only's ``*:list`` on ``*`` covers ``audit:global``."""
    admin = module_harness.admin
    reader = module_harness.user("peeker", "read-only", password=FIRST_PASSWORD)
    admin.create_workspace("LC")
    admin.add_member("LC", "peeker")
    admin.create_workspace("LD")
    admin.create_environment("LD", "secret-project")
    expect_error(reader.get("/api/v1/audit-events", workspace="LD"), 403)

    response = reader.get("/api/v1/audit-events", limit="500")
    if response.status_code == 403:
        return  # refusing the global log outright keeps LD's events out of sight too
    shown = {e["resource"] for e in expect(response, 200)["items"]}
    leaked = sorted(r for r in shown if r.startswith("workspace:LD"))
    assert not leaked, f"the global log shows a non-member LD's events: {leaked}"
