"""Settings from SWITCHBOARD_* variables: types, defaults, errors naming the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from switchboard.settings import Settings, SettingsError, describe_settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_the_embedded_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.is_embedded_database
    assert (
        settings.effective_database_url
        == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'switchboard.db'}"
    )
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.redis_url == ""


def test_values_are_converted_from_strings() -> None:
    settings = load_settings(
        {
            "SWITCHBOARD_PORT": "9000",
            "SWITCHBOARD_WORKERS": "4",
            "SWITCHBOARD_STRICT_PLUGINS": "true",
            "SWITCHBOARD_LOG_FORMAT": "json",
            "SWITCHBOARD_DATABASE_URL": "postgresql+asyncpg://u@db/sb",
            "SWITCHBOARD_PLUGINS": "a, b,,c",
            "SWITCHBOARD_TEST_POSTGRES_URL": "ignored: not a setting",
            "HOME": "/root",
        }
    )
    assert (settings.port, settings.workers, settings.strict_plugins) == (9000, 4, True)
    assert settings.log_format == "json"
    assert not settings.is_embedded_database
    assert settings.plugin_allow_list == frozenset({"a", "b", "c"})


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SWITCHBOARD_PORT", "eighty", "SWITCHBOARD_PORT: Expected `int`"),
        ("SWITCHBOARD_PORT", "70000", "SWITCHBOARD_PORT: Expected `int` <= 65535"),
        ("SWITCHBOARD_WORKERS", "0", "SWITCHBOARD_WORKERS: Expected `int` >= 1"),
        ("SWITCHBOARD_LOG_FORMAT", "xml", "SWITCHBOARD_LOG_FORMAT: Invalid enum value 'xml'"),
        ("SWITCHBOARD_STRICT_PLUGINS", "maybe", "SWITCHBOARD_STRICT_PLUGINS: Expected `bool`"),
        (
            "SWITCHBOARD_DATABASE_URL",
            "mysql://u@h/db",
            "SWITCHBOARD_DATABASE_URL: unsupported database URL scheme 'mysql'",
        ),
        ("SWITCHBOARD_DATABASE_URL", "not a url", "SWITCHBOARD_DATABASE_URL: invalid database URL"),
    ],
)
def test_a_bad_value_names_the_variable(variable: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({variable: value})
    assert str(caught.value).startswith(expected)


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = set(re.findall(r"^\| `(SWITCHBOARD_[A-Z_]+)` \|", readme, flags=re.MULTILINE))
    variables = {variable for variable, _, _ in describe_settings()}
    assert variables <= rows, f"missing from README: {sorted(variables - rows)}"
    documented_settings = {
        r for r in rows if r.removeprefix("SWITCHBOARD_").lower() in Settings.__struct_fields__
    }
    assert documented_settings == variables


def test_describe_settings_gives_every_field_a_description() -> None:
    for variable, _default, description in describe_settings():
        assert description, f"{variable} has no description"
