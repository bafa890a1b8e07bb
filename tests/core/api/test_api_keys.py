"""API keys over HTTP: the secret's format and one-time display, only its hash stored,
resources assigned through the link table, validation naming the field, rotation with and
without a grace period, who may do what, and an audit without secrets."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.models import AIResource, ApiKey, ApiKeyResource, AuditEvent
from tests.core.api.client import expect, expect_error, run_db
from tests.core.api.conftest import Harness

BASE = "/api/v1/workspaces/acme/environments/prod/api-keys"
PASSWORD = "api-keys-Password-1"
SECRET_FORMAT = re.compile(r"^sk-sb-[A-Za-z0-9_-]{43}$")
OUT_FIELDS = {
    "id",
    "name",
    "description",
    "keyPrefix",
    "maskedKey",
    "enabled",
    "expiresAt",
    "labels",
    "resources",
    "capacity",
    "enforceCapacity",
    "lastUsedAt",
    "previousKeyExpiresAt",
    "createdAt",
    "updatedAt",
}


def add_resources(world: Harness, *names: str, environment: str = "prod") -> dict[str, str]:
    """Create AI resources straight in the database; their ids by name."""
    path = f"/api/v1/workspaces/acme/environments/{environment}"
    environment_id = expect(world.admin.get(path), 200)["id"]

    async def work(session: AsyncSession) -> dict[str, str]:
        rows = [
            AIResource(
                environment_id=environment_id,
                name=name,
                model={"provider": "openai", "model": "gpt-4o-mini"},
            )
            for name in names
        ]
        session.add_all(rows)
        await session.flush()
        return {row.name: row.id for row in rows}

    return run_db(world.database_url, work)


def stored_key(world: Harness, key_id: str) -> ApiKey:
    """The key's row as the database holds it."""

    async def work(session: AsyncSession) -> ApiKey:
        row = await session.get(ApiKey, key_id)
        assert row is not None
        return row

    return run_db(world.database_url, work)


def assigned(world: Harness) -> set[tuple[str, str]]:
    """Every (key id, resource id) row of the link table."""

    async def work(session: AsyncSession) -> set[tuple[str, str]]:
        rows = await session.execute(select(ApiKeyResource))
        return {(r.api_key_id, r.resource_id) for r in rows.scalars()}

    return run_db(world.database_url, work)


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def world_of(harness: Harness) -> Harness:
    harness.admin.create_workspace("acme")
    harness.admin.create_environment("acme", "prod")
    harness.admin.create_environment("acme", "dev")
    return harness


def test_keys_are_created_found_listed_changed_and_revoked(harness: Harness) -> None:
    world = world_of(harness)
    ids = add_resources(world, "chat", "embed", "summarise")
    admin = world.admin
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    body = {
        "name": "backend-service",
        "description": "the backend",
        "expiresAt": expires.isoformat(),
        "labels": ["team-a", "prod", "team-a"],
        "resources": ["chat", ids["embed"]],
        "capacity": [{"period": "minute", "requests": 60}, {"period": "day", "tokens": 100000}],
        "enforceCapacity": True,
    }
    created = expect(admin.post(BASE, body), 201)
    secret = created.pop("key")
    assert SECRET_FORMAT.match(secret), secret
    assert set(created) == OUT_FIELDS
    assert created["keyPrefix"] == secret[:12] and created["keyPrefix"].startswith("sk-sb-")
    assert created["maskedKey"] == secret[:12] + "…"
    assert created["enabled"] is True
    assert when(created["expiresAt"]) == expires
    assert created["labels"] == ["team-a", "prod"]
    assert created["resources"] == ["chat", "embed"]
    assert created["capacity"] == [
        {"period": "minute", "requests": 60, "tokens": None},
        {"period": "day", "requests": None, "tokens": 100000},
    ]
    assert created["enforceCapacity"] is True
    assert created["lastUsedAt"] is None and created["previousKeyExpiresAt"] is None
    assert assigned(world) == {(created["id"], ids["chat"]), (created["id"], ids["embed"])}

    # By name and by id, in this environment only.
    for key in ("backend-service", created["id"]):
        assert expect(admin.get(f"{BASE}/{key}"), 200) == created
    other = "/api/v1/workspaces/acme/environments/dev/api-keys"
    expect_error(admin.get(f"{other}/{created['id']}"), 404, says="API key")
    assert expect(admin.get(other), 200)["total"] == 0

    # Lists are sorted by name, paged and masked.
    for name in ("zeta", "alpha"):
        expect(admin.post(BASE, {"name": name}), 201)
    listed = expect(admin.get(BASE), 200)
    assert [k["name"] for k in listed["items"]] == ["alpha", "backend-service", "zeta"]
    assert listed["items"][1] == created
    page = expect(admin.get(BASE, limit="1", offset="1"), 200)
    assert [k["name"] for k in page["items"]] == ["backend-service"] and page["total"] == 3

    # Every field can change; resources are replaced, the expiry removed.
    changes = {
        "name": "backend",
        "description": "renamed",
        "enabled": False,
        "expiresAt": None,
        "labels": ["x"],
        "resources": [ids["summarise"], "chat"],
        "capacity": [],
        "enforceCapacity": False,
    }
    updated = expect(admin.patch(f"{BASE}/backend-service", changes), 200)
    assert {k: updated[k] for k in changes} == {**changes, "resources": ["chat", "summarise"]}
    assert updated["keyPrefix"] == created["keyPrefix"]  # the secret stays
    assert when(updated["updatedAt"]) > when(created["updatedAt"])
    assert assigned(world) == {(created["id"], ids["chat"]), (created["id"], ids["summarise"])}
    expect_error(admin.get(f"{BASE}/backend-service"), 404)
    assert stored_key(world, created["id"]).key_hash == sha256(secret)

    # A partial change leaves everything else alone.
    again = expect(admin.patch(f"{BASE}/backend", {"description": "again"}), 200)
    assert {**updated, "description": "again", "updatedAt": again["updatedAt"]} == again

    # A resource deleted later disappears from the key's resources.
    async def drop_chat(session: AsyncSession) -> None:
        row = await session.get(AIResource, ids["chat"])
        await session.delete(row)

    run_db(world.database_url, drop_chat)
    assert expect(admin.get(f"{BASE}/backend"), 200)["resources"] == ["summarise"]

    # Revoking deletes the key and its assignments.
    expect(admin.delete(f"{BASE}/{created['id']}"), 204)
    expect_error(admin.get(f"{BASE}/backend"), 404, says="API key 'backend' not found")
    expect_error(admin.delete(f"{BASE}/backend"), 404)
    assert assigned(world) == set()

    async def rows(session: AsyncSession) -> list[str]:
        return [k.name for k in (await session.execute(select(ApiKey))).scalars()]

    assert sorted(run_db(world.database_url, rows)) == ["alpha", "zeta"]


def test_the_secret_is_shown_once_and_only_its_hash_is_stored(harness: Harness) -> None:
    world = world_of(harness)
    add_resources(world, "chat")
    admin = world.admin
    created = expect(admin.post(BASE, {"name": "svc", "resources": ["chat"]}), 201)
    secret = created["key"]
    other = expect(admin.post(BASE, {"name": "other"}), 201)["key"]
    assert secret != other and SECRET_FORMAT.match(other)

    expect(admin.get(BASE), 200)
    expect(admin.get(f"{BASE}/svc"), 200)
    expect(admin.patch(f"{BASE}/svc", {"description": "d"}), 200)
    expect(admin.get("/api/v1/audit-events", limit="500"), 200)
    shown = world.transcript.containing(secret)
    assert len(shown) == 1 and shown[0].startswith("POST ") and shown[0].endswith("/api-keys")
    # Not even the part after the visible prefix shows up anywhere else.
    assert len(world.transcript.containing(secret[12:])) == 1

    row = stored_key(world, created["id"])
    assert row.key_hash == sha256(secret)
    assert row.key_prefix == secret[:12]
    assert row.previous_key_hash is None
    columns = [getattr(row, c.key) for c in ApiKey.__table__.columns]
    assert all(secret not in str(value) for value in columns)


def test_bad_keys_are_refused_naming_the_field(harness: Harness) -> None:
    world = world_of(harness)
    add_resources(world, "chat")
    add_resources(world, "dev-only", environment="dev")
    admin = world.admin
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    cases: list[tuple[dict[str, Any], str | None, str]] = [
        ({"resources": ["chat", "nope"]}, "resources[1]", "no AI resource 'nope'"),
        ({"resources": ["dev-only"]}, "resources[0]", "in environment 'prod'"),
        ({"expiresAt": past}, "expiresAt", "is not in the future"),
        ({"expiresAt": "2999-01-01T00:00:00"}, "expiresAt", "timezone"),
        ({"capacity": [{"period": "minute"}]}, "capacity[0]", "set requests, tokens or both"),
        (
            {"capacity": [{"period": "hour", "requests": 1}, {"period": "hour", "tokens": 5}]},
            "capacity[1].period",
            "a second entry for period 'hour'",
        ),
        ({"capacity": [{"period": "year", "requests": 1}]}, None, "Invalid enum value 'year'"),
        ({"labels": [""]}, None, "length >= 1"),
        ({"name": "a:b"}, "name", "must not contain ':'"),
        ({"secret": "mine"}, None, "unknown field `secret`"),
        ({"enabled": "yes"}, "enabled", "Expected `bool`"),
    ]
    problems = []
    for fields, param, says in cases:
        response = admin.post(BASE, {"name": "k", **fields})
        error = response.json().get("error") if response.status_code == 400 else None
        if error is None or says not in error["message"] or param not in (None, error["param"]):
            problems.append(f"{fields}: {response.status_code} {response.text}")
    assert not problems, "\n".join(problems)
    assert expect(admin.get(BASE), 200)["total"] == 0

    expect(admin.post(BASE, {"name": "k"}), 201)
    for fields, param, says in cases[:5]:
        response = admin.patch(f"{BASE}/k", fields)
        expect_error(response, 400, param=param, says=says)
    # A refused change changes nothing, not even the assignments.
    unchanged = expect(admin.get(f"{BASE}/k"), 200)
    assert unchanged["resources"] == [] and unchanged["expiresAt"] is None


def test_names_are_unique_in_an_environment(harness: Harness) -> None:
    world = world_of(harness)
    admin = world.admin
    expect(admin.post(BASE, {"name": "svc"}), 201)
    expect_error(admin.post(BASE, {"name": "svc"}), 409, param="name", says="already has")
    expect(admin.post(BASE, {"name": "other"}), 201)
    expect_error(admin.patch(f"{BASE}/other", {"name": "svc"}), 409, param="name")
    # Another environment may use the name.
    expect(admin.post("/api/v1/workspaces/acme/environments/dev/api-keys", {"name": "svc"}), 201)
    # Renaming to its own name is no conflict.
    expect(admin.patch(f"{BASE}/svc", {"name": "svc"}), 200)


def test_rotation_replaces_the_secret_with_and_without_a_grace_period(harness: Harness) -> None:
    world = world_of(harness)
    add_resources(world, "chat")
    admin = world.admin
    created = expect(admin.post(BASE, {"name": "svc", "resources": ["chat"]}), 201)
    first = created["key"]

    # Without a grace period the old secret is invalid at once.
    rotated = expect(admin.post(f"{BASE}/svc/rotate", {}), 200)
    second = rotated.pop("key")
    assert SECRET_FORMAT.match(second) and second != first
    assert rotated["keyPrefix"] == second[:12] and rotated["previousKeyExpiresAt"] is None
    assert rotated["resources"] == ["chat"] and rotated["id"] == created["id"]
    row = stored_key(world, created["id"])
    assert row.key_hash == sha256(second)
    assert (row.previous_key_hash, row.previous_key_expires_at) == (None, None)
    assert expect(admin.get(f"{BASE}/svc"), 200) == rotated

    # With one, the old secret's hash moves aside until the grace period ends.
    before = datetime.now(UTC)
    graced = expect(admin.post(f"{BASE}/{created['id']}/rotate", {"gracePeriodSeconds": 3600}), 200)
    third = graced.pop("key")
    after = datetime.now(UTC)
    row = stored_key(world, created["id"])
    assert row.key_hash == sha256(third)
    assert row.previous_key_hash == sha256(second)
    assert row.previous_key_expires_at is not None
    window = (before + timedelta(hours=1) - timedelta(seconds=1), after + timedelta(hours=1))
    assert window[0] <= row.previous_key_expires_at <= window[1]
    assert when(graced["previousKeyExpiresAt"]) == row.previous_key_expires_at
    assert expect(admin.get(f"{BASE}/svc"), 200)["previousKeyExpiresAt"] is not None

    # A later rotation without grace ends the earlier grace period too.
    fourth = expect(admin.post(f"{BASE}/svc/rotate", {"gracePeriodSeconds": 0}), 200)["key"]
    row = stored_key(world, created["id"])
    assert (row.key_hash, row.previous_key_hash, row.previous_key_expires_at) == (
        sha256(fourth),
        None,
        None,
    )

    # Each secret was shown once, in the answer that made it.
    for secret, where in ((first, "/api-keys"), (second, "/rotate"), (third, "/rotate")):
        shown = world.transcript.containing(secret)
        assert len(shown) == 1 and shown[0].endswith(where), (where, shown)

    too_long = admin.post(f"{BASE}/svc/rotate", {"gracePeriodSeconds": 604801})
    expect_error(too_long, 400, param="gracePeriodSeconds", says="<= 604800")
    negative = admin.post(f"{BASE}/svc/rotate", {"gracePeriodSeconds": -1})
    expect_error(negative, 400, param="gracePeriodSeconds")
    expect(admin.post(f"{BASE}/svc/rotate", {"gracePeriodSeconds": 604800}), 200)
    # No body is a rotation without grace.
    last = expect(admin.post(f"{BASE}/svc/rotate"), 200)["key"]
    assert stored_key(world, created["id"]).previous_key_hash is None
    assert stored_key(world, created["id"]).key_hash == sha256(last)
    expect_error(admin.post(f"{BASE}/nope/rotate", {}), 404)


def test_who_may_do_what(harness: Harness) -> None:
    world = world_of(harness)
    add_resources(world, "chat")
    admin = world.admin
    expect(admin.post(BASE, {"name": "svc"}), 201)
    expect(admin.post(BASE, {"name": "team-a-bot"}), 201)
    reader = world.user("reader", "read-only", password=PASSWORD)
    member = world.user("member", "power-user", password=PASSWORD)
    outsider = world.user("outsider", "power-user", password=PASSWORD)
    admin.add_member("acme", "reader")
    admin.add_member("acme", "member")
    resource = "workspace:acme:environment:prod:api-key"

    # A read-only member reads (masked) and changes nothing.
    assert expect(reader.get(BASE), 200)["total"] == 2
    assert "key" not in expect(reader.get(f"{BASE}/svc"), 200)
    for response, action, name in (
        (reader.post(BASE, {"name": "mine"}), "api-key:create", "mine"),
        (reader.patch(f"{BASE}/svc", {"enabled": False}), "api-key:update", "svc"),
        (reader.post(f"{BASE}/svc/rotate", {}), "api-key:update", "svc"),
        (reader.delete(f"{BASE}/svc"), "api-key:delete", "svc"),
    ):
        expect_error(response, 403, says=f"reader may not {action} on {resource}:{name}")
    assert expect(admin.get(f"{BASE}/svc"), 200)["enabled"] is True

    # A power-user member of the workspace does everything.
    key = expect(member.post(BASE, {"name": "mine", "resources": ["chat"]}), 201)["key"]
    assert key.startswith("sk-sb-")
    expect(member.patch(f"{BASE}/mine", {"labels": ["m"]}), 200)
    expect(member.post(f"{BASE}/mine/rotate", {"gracePeriodSeconds": 60}), 200)
    expect(member.delete(f"{BASE}/mine"), 204)

    # A non-member sees nothing and may do nothing inside the workspace.
    not_member = "outsider is not a member of workspace acme"
    expect_error(outsider.get(BASE), 403, says=not_member)
    expect_error(outsider.get(f"{BASE}/svc"), 403, says=not_member)
    expect_error(outsider.post(BASE, {"name": "x"}), 403, says=not_member)
    expect_error(outsider.post(f"{BASE}/svc/rotate", {}), 403, says=not_member)
    expect_error(world.anonymous().get(BASE), 401)

    # Policies name single keys: this role sees the team-a-* keys and changes none.
    admin.create_role(
        "team-a-keys",
        [
            {
                "effect": "ALLOW",
                "actions": ["api-key:list", "api-key:get"],
                "resources": [f"{resource}:team-a-*"],
            }
        ],
    )
    scoped = world.user("scoped", "team-a-keys", password=PASSWORD)
    admin.add_member("acme", "scoped")
    assert [k["name"] for k in expect(scoped.get(BASE), 200)["items"]] == ["team-a-bot"]
    expect(scoped.get(f"{BASE}/team-a-bot"), 200)
    expect_error(scoped.get(f"{BASE}/svc"), 403, says=f"may not api-key:get on {resource}:svc")
    expect_error(scoped.patch(f"{BASE}/team-a-bot", {"labels": []}), 403)


def test_every_change_is_audited_without_secrets(harness: Harness) -> None:
    world = world_of(harness)
    add_resources(world, "chat")
    admin = world.admin
    secrets = [expect(admin.post(BASE, {"name": "svc", "resources": ["chat"]}), 201)["key"]]
    expect(admin.patch(f"{BASE}/svc", {"name": "svc2", "labels": ["l"]}), 200)
    secrets.append(
        expect(admin.post(f"{BASE}/svc2/rotate", {"gracePeriodSeconds": 30}), 200)["key"]
    )
    expect(admin.delete(f"{BASE}/svc2"), 204)

    events = expect(admin.get("/api/v1/audit-events", workspace="acme", limit="500"), 200)["items"]
    mine = [e for e in events if e["action"].startswith("api-key:")]
    resource = "workspace:acme:environment:prod:api-key"
    got = [(e["action"], e["resource"], e["actorName"]) for e in mine]
    assert sorted(got) == sorted(
        [
            ("api-key:create", f"{resource}:svc", "admin"),
            ("api-key:update", f"{resource}:svc", "admin"),
            ("api-key:update", f"{resource}:svc2", "admin"),
            ("api-key:delete", f"{resource}:svc2", "admin"),
        ]
    )
    by = {(e["action"], e["resource"]): e for e in mine}
    create = by[("api-key:create", f"{resource}:svc")]
    assert create["before"] is None and create["after"]["resources"] == ["chat"]
    assert "key" not in create["after"] and create["after"]["keyPrefix"] == secrets[0][:12]
    rename = by[("api-key:update", f"{resource}:svc")]
    assert (rename["before"]["name"], rename["after"]["name"]) == ("svc", "svc2")
    rotation = by[("api-key:update", f"{resource}:svc2")]
    assert rotation["before"]["keyPrefix"] == secrets[0][:12]
    assert rotation["after"]["keyPrefix"] == secrets[1][:12]
    assert rotation["after"]["previousKeyExpiresAt"] is not None
    deleted = by[("api-key:delete", f"{resource}:svc2")]
    assert deleted["after"] is None and deleted["before"]["name"] == "svc2"
    assert all(e["environmentId"] is not None for e in mine)

    async def stored(session: AsyncSession) -> list[str]:
        rows = await session.execute(select(AuditEvent))
        return [json.dumps([e.before, e.after]) for e in rows.scalars()]

    everything = json.dumps(events) + "".join(run_db(world.database_url, stored))
    for secret in secrets:
        assert secret not in everything and secret[12:] not in everything
        assert sha256(secret) not in everything
