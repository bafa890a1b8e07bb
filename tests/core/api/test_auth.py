"""Sign-in, sessions, CSRF, personal access tokens, password changes, brute-force backoff
and the first admin, over real HTTP on both databases. Tests share one gateway per database
(with users of their own) except those that need a fresh one: the login throttle, which
locks the client address, and the first start."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.models import PersonalAccessToken
from switchboard.plugins.host import PluginHost
from switchboard.settings import load_settings
from switchboard.testing import serve_in_thread
from tests.core.api.client import Api, Transcript, expect, expect_error, run_db
from tests.core.api.conftest import Harness

PASSWORD = "auth-Password-123"
NEW_PASSWORD = "auth-Password-456"
ME = "/api/v1/auth/me"


def cookies_of(response: httpx.Response) -> dict[str, dict[str, str | bool]]:
    """The Set-Cookie headers of ``response``: name -> attributes (lower-cased names)."""
    found: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            attributes: dict[str, str | bool] = {"value": morsel.value}
            attributes.update({k.lower(): v for k, v in morsel.items() if v})
            # SimpleCookie drops flags it does not know; read the raw header too.
            attributes["raw"] = header
            found[name] = attributes
    return found


def test_login_sets_an_httponly_samesite_lax_session_cookie(module_harness: Harness) -> None:
    module_harness.admin.create_user("ann", "read-only", password=PASSWORD)
    response = httpx.post(
        f"{module_harness.url}/api/v1/auth/login", json={"username": "ann", "password": PASSWORD}
    )
    body = expect(response, 200)
    assert body["user"]["username"] == "ann" and body["user"]["roles"] == ["read-only"]
    assert "passwordHash" not in body["user"] and PASSWORD not in response.text
    session = cookies_of(response)["sb_session"]
    raw = str(session["raw"]).lower()
    assert "httponly" in raw and "samesite=lax" in raw and "path=/" in raw
    assert "secure" not in raw.replace("samesite", "")  # plain HTTP: no Secure flag
    csrf = cookies_of(response)["sb_csrf"]
    assert csrf["value"] == body["csrfToken"] and "httponly" not in str(csrf["raw"]).lower()

    # Behind a TLS-terminating proxy the cookies are Secure.
    behind_tls = httpx.post(
        f"{module_harness.url}/api/v1/auth/login",
        json={"username": "ANN@example.com", "password": PASSWORD},  # the email works too
        headers={"x-forwarded-proto": "https"},
    )
    expect(behind_tls, 200)
    for name in ("sb_session", "sb_csrf"):
        assert "; secure" in str(cookies_of(behind_tls)[name]["raw"]).lower(), name

    # The cookie alone authenticates reads.
    cookie = str(session["value"])
    me = httpx.get(f"{module_harness.url}{ME}", cookies={"sb_session": cookie})
    assert expect(me, 200)["username"] == "ann"


def test_cookie_writes_need_the_csrf_token_and_bearer_writes_do_not(
    module_harness: Harness,
) -> None:
    module_harness.admin.create_user("pam", "power-user", password=PASSWORD)
    session = module_harness.login("pam", PASSWORD)
    assert session.csrf

    # Straight through httpx: the Api client would add the CSRF header.
    without = session.http.post("/api/v1/workspaces", json={"name": "w1"})
    error = expect_error(without, 403, says="CSRF")
    assert error["code"] == "csrf_failed"
    wrong = session.request(
        "POST", "/api/v1/workspaces", json={"name": "w1"}, headers={"x-csrf-token": "nope"}
    )
    expect_error(wrong, 403, says="CSRF")
    assert session.get("/api/v1/workspaces/w1").status_code == 404  # nothing was created

    assert expect(session.post("/api/v1/workspaces", {"name": "w1"}), 201)["role"] == "owner"
    assert expect(session.get(ME), 200)["username"] == "pam"  # reads need no token

    token = session.create_token("pam-cli")["token"]
    bearer = httpx.post(
        f"{module_harness.url}/api/v1/workspaces",
        json={"name": "w2"},
        headers={"authorization": f"Bearer {token}"},
    )
    expect(bearer, 201)


def test_a_bearer_token_needs_no_csrf_even_beside_a_session_cookie(module_harness: Harness) -> None:
    """A cross-site form cannot set Authorization, so a request that carries a valid bearer
    token is not a CSRF risk, whatever cookies the client also holds (a CLI sharing a
    cookie jar with a sign-in, a script in the UI's origin)."""
    module_harness.admin.create_user("bo", "power-user", password=PASSWORD)
    session = module_harness.login("bo", PASSWORD)
    token = session.create_token("bo-cli")["token"]
    both = session.http.post(
        "/api/v1/workspaces", json={"name": "w"}, headers={"authorization": f"Bearer {token}"}
    )
    assert both.status_code == 201, (
        f"bearer token + session cookie without x-csrf-token -> {both.status_code}: {both.text}"
    )


def test_logout_ends_the_session_for_good(module_harness: Harness) -> None:
    module_harness.admin.create_user("lou", "read-only", password=PASSWORD)
    session = module_harness.login("lou", PASSWORD)
    cookie = session.http.cookies["sb_session"]
    expect(session.get(ME), 200)

    response = session.post("/api/v1/auth/logout")
    expect(response, 204)
    cleared = cookies_of(response)["sb_session"]
    assert cleared["value"] == "" or cleared.get("max-age") == "0", cleared

    reused = httpx.get(f"{module_harness.url}{ME}", cookies={"sb_session": cookie})
    expect_error(reused, 401, says="signed out")
    assert reused.json()["error"]["type"] == "authentication_error"
    # Nor may it write (with the right CSRF token).
    write = httpx.post(
        f"{module_harness.url}/api/v1/auth/tokens",
        json={"name": "late"},
        cookies={"sb_session": cookie},
        headers={"x-csrf-token": session.csrf or ""},
    )
    assert write.status_code == 401
    # A made-up cookie is refused the same way.
    assert (
        httpx.get(f"{module_harness.url}{ME}", cookies={"sb_session": "forged"}).status_code == 401
    )


def test_tokens_are_shown_once_listed_without_secret_and_revocable(module_harness: Harness) -> None:
    module_harness.admin.create_user("tia", "read-only", password=PASSWORD)
    session = module_harness.login("tia", PASSWORD)
    created = session.create_token("laptop")
    secret = created["token"]
    assert set(created) >= {"id", "name", "token"} and created["name"] == "laptop"
    assert secret.startswith("sbp_") and len(secret) > 40
    assert created["prefix"] == secret[: len(created["prefix"])]

    listing = session.get("/api/v1/auth/tokens")
    page = expect(listing, 200)
    assert [t["name"] for t in page["items"]] == ["laptop"] and page["total"] == 1
    assert "token" not in page["items"][0]
    assert secret not in listing.text

    bearer = Api(module_harness.url, module_harness.transcript, token=secret)
    assert expect(bearer.get(ME), 200)["username"] == "tia"
    # Another user's token list does not show tia's.
    assert "laptop" not in module_harness.admin.get("/api/v1/auth/tokens").text

    expect(session.delete(f"/api/v1/auth/tokens/{created['id']}"), 204)
    expect_error(bearer.get(ME), 401, says="revoked")
    assert expect(session.get("/api/v1/auth/tokens"), 200)["total"] == 0
    # Revoking twice, or someone else's token, is 404.
    expect_error(session.delete(f"/api/v1/auth/tokens/{created['id']}"), 404)
    other = module_harness.admin.create_token("admins")
    expect_error(session.delete(f"/api/v1/auth/tokens/{other['id']}"), 404)
    # Garbage bearer tokens are 401, not 500.
    for garbage in ("sbp_nope", "sbp_", "not-a-switchboard-token"):
        assert (
            Api(module_harness.url, module_harness.transcript, token=garbage).get(ME).status_code
            == 401
        )


def test_an_expired_token_is_refused(module_harness: Harness) -> None:
    module_harness.admin.create_user("eve", "read-only", password=PASSWORD)
    session = module_harness.login("eve", PASSWORD)
    created = session.create_token("short-lived", expires_in_days=1)
    expires = datetime.fromisoformat(created["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(days=1)
    bearer = Api(module_harness.url, module_harness.transcript, token=created["token"])
    expect(bearer.get(ME), 200)

    async def expire(session: AsyncSession) -> None:
        await session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == created["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    run_db(module_harness.database_url, expire)
    expect_error(bearer.get(ME), 401, says="expired")
    expect_error(bearer.post("/api/v1/auth/tokens", {"name": "renewed"}), 401, says="expired")


def test_a_disabled_user_is_refused_with_session_and_token(module_harness: Harness) -> None:
    module_harness.admin.create_user("dan", "power-user", password=PASSWORD)
    session = module_harness.login("dan", PASSWORD)
    bearer = session.as_token()
    expect(session.get(ME), 200)
    expect(bearer.get(ME), 200)

    expect(module_harness.admin.patch("/api/v1/users/dan", {"enabled": False}), 200)
    expect_error(session.get(ME), 401)
    expect_error(bearer.get(ME), 401, says="disabled")
    expect_error(
        module_harness.anonymous().post(
            "/api/v1/auth/login", {"username": "dan", "password": PASSWORD}
        ),
        401,
        says="disabled",
    )

    # Enabled again, the token works again; the old session stays signed out.
    expect(module_harness.admin.patch("/api/v1/users/dan", {"enabled": True}), 200)
    expect(bearer.get(ME), 200)
    assert session.get(ME).status_code == 401


def test_changing_ones_password_signs_out_the_other_sessions(module_harness: Harness) -> None:
    module_harness.admin.create_user("pia", "read-only", password=PASSWORD)
    here = module_harness.login("pia", PASSWORD)
    there = module_harness.login("pia", PASSWORD)

    wrong = here.post(
        "/api/v1/auth/password", {"currentPassword": "not-it-at-all", "newPassword": NEW_PASSWORD}
    )
    expect_error(wrong, 400, param="currentPassword")
    short = here.post("/api/v1/auth/password", {"currentPassword": PASSWORD, "newPassword": "x"})
    expect_error(short, 400, param="newPassword")
    expect(there.get(ME), 200)  # nothing changed yet

    changed = here.post(
        "/api/v1/auth/password", {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    )
    expect(changed, 204)
    expect(here.get(ME), 200)
    expect_error(there.get(ME), 401)
    anonymous = module_harness.anonymous()
    old = anonymous.post("/api/v1/auth/login", {"username": "pia", "password": PASSWORD})
    expect_error(old, 401, says="invalid username or password")
    module_harness.login("pia", NEW_PASSWORD)

    # An admin setting the password signs the user out everywhere.
    expect(module_harness.admin.put("/api/v1/users/pia/password", {"password": PASSWORD}), 204)
    assert here.get(ME).status_code == 401
    module_harness.login("pia", PASSWORD)


def test_repeated_failed_logins_lock_the_account_with_retry_after(harness: Harness) -> None:
    harness.admin.create_user("bob", "read-only", password=PASSWORD)
    anonymous = harness.anonymous()

    def attempt(password: str) -> httpx.Response:
        return anonymous.post("/api/v1/auth/login", {"username": "bob", "password": password})

    for _ in range(6):
        expect_error(attempt("wrong-password"), 401, says="invalid username or password")
    locked = attempt("wrong-password")
    expect_error(locked, 429, says="too many failed sign-ins")
    assert locked.json()["error"]["type"] == "rate_limit_error"
    retry_after = int(locked.headers["retry-after"])
    assert 1 <= retry_after <= 15 * 60
    # The right password is refused too while locked.
    right = attempt(PASSWORD)
    assert right.status_code == 429 and "retry-after" in right.headers
    assert "sb_session" not in right.headers.get("set-cookie", "")

    time.sleep(int(right.headers["retry-after"]) + 0.2)
    expect(attempt(PASSWORD), 200)


def test_the_first_admin_gets_the_password_from_the_environment(
    tmp_path: Path, database_url: str
) -> None:
    password = "from-the-Environment-1"
    environ = {"SWITCHBOARD_ADMIN_PASSWORD": password}
    settings = load_settings(environ, data_dir=str(tmp_path / "data"), database_url=database_url)
    assert password not in repr(settings)
    plugins = PluginHost(settings)
    plugins.load_entry_points()
    transcript = Transcript()
    with serve_in_thread(settings, plugins) as running:
        anonymous = Api(running.url, transcript)
        body = expect(
            anonymous.post("/api/v1/auth/login", {"username": "admin", "password": password}), 200
        )
        assert body["user"]["roles"] == ["admin"] and body["user"]["enabled"] is True
        users = expect(Api(running.url, transcript).get("/api/v1/users"), 401)
        assert users["error"]["type"] == "authentication_error"

    # A second start with another password changes nothing: the admin exists already.
    again = load_settings(
        {"SWITCHBOARD_ADMIN_PASSWORD": "another-Password-2"},
        data_dir=str(tmp_path / "data"),
        database_url=database_url,
    )
    with serve_in_thread(again, plugins) as running:
        anonymous = Api(running.url, transcript)
        expect(
            anonymous.post("/api/v1/auth/login", {"username": "admin", "password": password}), 200
        )
        refused = anonymous.post(
            "/api/v1/auth/login", {"username": "admin", "password": "another-Password-2"}
        )
        assert refused.status_code == 401


def test_without_a_configured_password_one_is_generated_and_shown_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings({}, data_dir=str(tmp_path / "data"))
    plugins = PluginHost(settings)
    plugins.load_entry_points()
    with serve_in_thread(settings, plugins) as running:
        printed = capfd.readouterr().err
        match = re.search(r"password: (\S+)", printed)
        assert match, printed
        anonymous = Api(running.url, Transcript())
        login = {"username": "admin", "password": match.group(1)}
        expect(anonymous.post("/api/v1/auth/login", login), 200)
    with serve_in_thread(settings, plugins):
        assert "password:" not in capfd.readouterr().err
