"""The pytest plugin works for a project that only installs switchboard-core."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_a_plugin_authors_test_suite_runs_against_a_real_gateway(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_my_plugin="""
        import httpx
        import pytest
        from switchboard.hookspecs import hookimpl


        class TokenCounter:
            @hookimpl
            def switchboard_count_tokens(self, request, model):
                return 1


        @pytest.fixture
        def counter(register_plugin):
            register_plugin(TokenCounter(), "my-counter")


        def test_gateway_runs_with_my_plugin(counter, gateway):
            assert "my-counter" in gateway.plugins.plugins
            assert httpx.get(gateway.url + "/healthz").json() == {"status": "ok"}


        def test_registration_is_undone(switchboard_plugins):
            assert "my-counter" not in switchboard_plugins.plugins


        def test_sqlite_url_is_a_temporary_file(sqlite_url):
            assert sqlite_url.startswith("sqlite+aiosqlite:///")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3)
