"""Environments over HTTP: CRUD, lookups by id or name inside their workspace, plugin
selections validated by the plugins, and no way around the control plane's authorization."""

from __future__ import annotations

from tests.core.api.client import expect, expect_error
from tests.core.api.conftest import Harness

PASSWORD = "environment-Password-1"


def test_environments_are_created_found_listed_changed_and_deleted(
    module_harness: Harness,
) -> None:
    admin = module_harness.admin
    admin.create_workspace("env-crud")
    base = "/api/v1/workspaces/env-crud/environments"
    created = expect(
        admin.post(base, {"name": "production", "description": "live", "plugins": {"rbac": {}}}),
        201,
    )
    assert (created["name"], created["description"], created["workspace"]) == (
        "production",
        "live",
        "env-crud",
    )
    assert created["plugins"] == {"rbac": {}}
    workspace = expect(admin.get("/api/v1/workspaces/env-crud"), 200)
    assert created["workspaceId"] == workspace["id"]
    for key in ("production", created["id"]):
        assert expect(admin.get(f"{base}/{key}"), 200) == created
        by_ids = f"/api/v1/workspaces/{workspace['id']}/environments/{key}"
        assert expect(admin.get(by_ids), 200)["id"] == created["id"]

    for name in ("staging", "dev", "qa"):
        admin.create_environment("env-crud", name)
    listed = expect(admin.get(base), 200)
    assert [e["name"] for e in listed["items"]] == ["dev", "production", "qa", "staging"]
    page = expect(admin.get(base, limit="2", offset="2"), 200)
    assert [e["name"] for e in page["items"]] == ["qa", "staging"] and page["total"] == 4

    changed = admin.patch(
        f"{base}/staging",
        {"name": "stage", "description": "pre-prod", "plugins": {"rbac": {"enabled": True}}},
    )
    body = expect(changed, 200)
    assert (body["name"], body["description"], body["plugins"]) == (
        "stage",
        "pre-prod",
        {"rbac": {"enabled": True}},
    )
    expect_error(admin.get(f"{base}/staging"), 404)
    expect(admin.delete(f"{base}/stage"), 204)
    expect_error(admin.get(f"{base}/stage"), 404)
    assert expect(admin.get(base), 200)["total"] == 3


def test_plugin_selections_are_validated_naming_the_plugin(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_workspace("env-plugins")
    base = "/api/v1/workspaces/env-plugins/environments"
    unknown = admin.post(base, {"name": "p", "plugins": {"no-such-plugin": {}}})
    expect_error(unknown, 400, param="plugins.no-such-plugin", says="unknown plugin")
    no_settings = admin.post(base, {"name": "p", "plugins": {"rbac": {"settings": {"x": 1}}}})
    expect_error(no_settings, 400, param="plugins.rbac.settings")
    bad_entry = admin.post(base, {"name": "p", "plugins": {"rbac": {"enabled": "sometimes"}}})
    expect_error(bad_entry, 400, param="plugins.rbac.enabled")
    admin.create_environment("env-plugins", "p")
    bad_update = admin.patch(f"{base}/p", {"plugins": {"no-such-plugin": {}}})
    expect_error(bad_update, 400, param="plugins.no-such-plugin")
    assert expect(admin.get(f"{base}/p"), 200)["plugins"] == {}


def test_the_plugins_an_environment_sees_are_listed_with_their_state_and_schema(
    module_harness: Harness,
) -> None:
    admin = module_harness.admin
    admin.create_workspace("env-plugin-list")
    base = "/api/v1/workspaces/env-plugin-list/environments"
    selection = {
        "log-recorder": {"settings": {"level": "warning"}},
        "tokenizer": {"enabled": False},
    }
    expect(admin.post(base, {"name": "p", "plugins": selection}), 201)
    listed = expect(admin.get(f"{base}/p/plugins"), 200)
    names = [plugin["name"] for plugin in listed]
    assert names == sorted(names) and {"rbac", "redis-limiter"} <= set(names)
    by_name = {plugin["name"]: plugin for plugin in listed}
    # Listed with settings: on, though off by default; its settings' schema is the plugin's.
    recorder = by_name["log-recorder"]
    assert (recorder["enabled"], recorder["enabledByDefault"]) == (True, False)
    assert recorder["settings"] == {"level": "warning"} and recorder["description"]
    schema = recorder["settingsSchema"]
    assert set(schema["$defs"][schema["$ref"].rsplit("/", 1)[1]]["properties"]) == {
        "level",
        "failuresOnly",
    }
    # Switched off here; not listed: as by default; no settings type: no schema.
    assert by_name["tokenizer"]["enabled"] is False
    assert by_name["redis-limiter"]["enabled"] is False
    assert by_name["redis-limiter"]["settings"] == {}
    assert by_name["rbac"]["enabled"] is True and by_name["rbac"]["settingsSchema"] is None
    # A change of the selection shows at once.
    expect(admin.patch(f"{base}/p", {"plugins": {"redis-limiter": {}}}), 200)
    again = {plugin["name"]: plugin for plugin in expect(admin.get(f"{base}/p/plugins"), 200)}
    assert again["redis-limiter"]["enabled"] is True
    assert again["log-recorder"]["enabled"] is False and again["tokenizer"]["enabled"] is True
    expect_error(admin.get(f"{base}/nowhere/plugins"), 404)


def test_an_environment_belongs_to_its_workspace_only(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_workspace("env-one")
    admin.create_workspace("env-two")
    one = admin.create_environment("env-one", "production")
    two = admin.create_environment("env-two", "production")  # same name, another workspace
    assert one["id"] != two["id"]
    # Another workspace's environment is not found through this one, by id or name.
    expect_error(admin.get(f"/api/v1/workspaces/env-one/environments/{two['id']}"), 404)
    expect(admin.delete("/api/v1/workspaces/env-one/environments/production"), 204)
    assert expect(admin.get("/api/v1/workspaces/env-two/environments/production"), 200) == two


def test_switching_rbac_off_in_an_environment_leaves_the_control_plane_guarded(
    module_harness: Harness,
) -> None:
    """The plugin selection of an environment is the data plane's business: a member who
    switches the rbac plugin off there gains nothing on the control plane."""
    admin = module_harness.admin
    mel = module_harness.user("mel", "power-user", password=PASSWORD)
    nils = module_harness.user("nils", "power-user", password=PASSWORD)
    admin.create_workspace("guarded")
    admin.create_environment("guarded", "production")
    admin.add_member("guarded", "mel")
    path = "/api/v1/workspaces/guarded/environments/production"
    off = mel.patch(path, {"plugins": {"rbac": {"enabled": False}}})
    assert expect(off, 200)["plugins"] == {"rbac": {"enabled": False}}

    expect_error(nils.get(path), 403, says="nils is not a member of workspace guarded")
    expect_error(nils.patch(path, {"description": "x"}), 403)
    expect_error(mel.delete("/api/v1/workspaces/guarded", force="true"), 403, says="only an owner")
    expect_error(mel.post("/api/v1/workspaces/guarded/members", {"user": "nils"}), 403)
