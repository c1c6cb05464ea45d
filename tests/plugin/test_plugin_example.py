"""The issue's example passes in every environment, through pytester and through the real entry point."""

from __future__ import annotations

import pytest

from .conftest import EXAMPLE, INNER


def test_example_passes_in_all_three_environments(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_example=EXAMPLE)
    result = pytester.runpytest(*INNER, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["*test_train?local? PASSED*", "*test_train?studio? PASSED*", "*test_train?ce? PASSED*"]
    )


def test_example_through_the_installed_entry_point(pytester: pytest.Pytester) -> None:
    """A subprocess pytest that loads the plugin only through the ``pytest11`` entry point."""
    pytester.makepyfile(test_example=EXAMPLE)
    pytester.makeconftest(
        """
        def pytest_configure(config):
            import pytest_orq_mlflow.plugin as plugin
            assert config.pluginmanager.get_plugin("orq_mlflow") is plugin, "not via entry point"
        """
    )
    result = pytester.runpytest_subprocess(*INNER, "-v")
    result.assert_outcomes(passed=3)


def test_example_with_the_projects_own_fixtures(orq_env, orq_mlflow) -> None:  # type: ignore[no-untyped-def]
    """The same test run directly in this suite (the plugin is auto-loaded here too)."""
    namespace: dict[str, object] = {}
    exec(compile(EXAMPLE, "example", "exec"), namespace)
    namespace["test_train"](orq_env, orq_mlflow)  # type: ignore[operator]
