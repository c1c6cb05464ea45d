"""Plugin hygiene: cheap to load, markers registered, fixtures documented, missing extra explained."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import INNER

FIXTURES = (
    "orq_settings",
    "orq_workspace_factory",
    "orq_workspace",
    "orq_mlflow",
    "orq_local",
    "orq_studio",
    "orq_ce",
    "orq_env",
    "orq_artifacts_dir",
)


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, pytest_orq_mlflow.plugin, pytest_orq_mlflow\n"
        "heavy = [m for m in ('mlflow', 'responses', 'pyfakefs', 'requests', 'jwt',"
        " 'pytest_orq_mlflow.workspace', 'pytest_orq_mlflow.fakeserver') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_package_exports_are_lazy_and_typed() -> None:
    import pytest_orq_mlflow

    assert set(pytest_orq_mlflow.__all__) <= set(dir(pytest_orq_mlflow))
    for name in pytest_orq_mlflow.__all__:
        assert getattr(pytest_orq_mlflow, name).__doc__
    with pytest.raises(AttributeError):
        pytest_orq_mlflow.does_not_exist  # noqa: B018


def test_every_fixture_is_listed_with_its_docstring(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", *INNER)
    out = result.stdout.str()
    for name in FIXTURES:
        assert f"{name} " in out or f"{name} [" in out, name
    result.stdout.fnmatch_lines(
        [
            "orq_mlflow -- *",
            "*The fake MLflow tracking server of this test*",
            "orq_env -- *",
            "*The test once per simulated environment*",
        ]
    )


def test_marker_is_registered_with_a_description(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.orq_env(*kinds): run a test using the orq_env*"])
    pytester.makepyfile(
        "import pytest\n@pytest.mark.orq_env('ce')\ndef test_it(orq_env):\n    pass\n"
    )
    pytester.runpytest("--strict-markers", *INNER).assert_outcomes(passed=1)


def test_option_is_in_help(pytester: pytest.Pytester) -> None:
    pytester.runpytest("--help").stdout.fnmatch_lines(["*--orq-env=KINDS*"])


def test_without_the_testing_extra_pytest_works_and_fixtures_explain(
    pytester: pytest.Pytester,
) -> None:
    # Make `responses` unimportable in the subprocess, as without the [testing] extra.
    pytester.makepyfile(
        sitecustomize="import sys\nsys.modules['responses'] = None\n",
        test_it="""
        def test_plain():
            assert True

        def test_uses_fixture(orq_mlflow):
            pass
        """,
    )
    pytester.syspathinsert()
    result = pytester.runpytest_subprocess(*INNER)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*Install the testing extra: pip install ?orquestra-mlflow?testing??"]
    )
