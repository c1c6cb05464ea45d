"""Isolation: a dirty test leaves nothing behind (checked by the next test), pyfakefs, xdist, random order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import EXAMPLE, INNER

DIRTY_THEN_CHECK = """
import os
import warnings

import mlflow
import orquestra_mlflow as om
import pytest

BEFORE = {}


def test_0_record():
    import mlflow.tracking.fluent as fluent
    BEFORE["environ"] = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    BEFORE["cwd"] = os.getcwd()
    BEFORE["uri"] = mlflow.tracking._tracking_service.utils._tracking_uri
    BEFORE["experiment"] = fluent._active_experiment_id


def test_1_dirty(orq_ce):
    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(orq_ce.workspace_id)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token()
    os.environ["SOMETHING_ELSE"] = "dirty"
    del os.environ["PATH"]
    mlflow.set_tracking_uri(orq_ce.tracking_uri)
    mlflow.set_experiment("dirty")
    mlflow.start_run(run_name="left-open")
    os.chdir(orq_ce.sandbox.root)


def test_2_clean():
    import mlflow.tracking.fluent as fluent
    assert {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"} == BEFORE["environ"]
    assert os.getcwd() == BEFORE["cwd"]
    assert mlflow.active_run() is None
    assert mlflow.tracking._tracking_service.utils._tracking_uri == BEFORE["uri"]
    assert fluent._active_experiment_id == BEFORE["experiment"]
    assert om.catalog._cache == {}
"""


def test_a_dirty_test_leaves_nothing_behind(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dirty=DIRTY_THEN_CHECK)
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", "-W", "default")
    result.assert_outcomes(passed=3, warnings=1)
    result.stdout.fnmatch_lines(
        ["*OrqMlflowWarning: The test *test_1_dirty left MLflow run(s) * active*KILLED*"]
    )


def test_the_left_open_run_is_ended_on_the_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import mlflow
        import pytest
        from pytest_orq_mlflow import OrqMlflowWarning

        SERVER = []

        def test_leave_open(orq_local, orq_mlflow):
            mlflow.set_tracking_uri(orq_local.tracking_uri)
            import os; os.environ["MLFLOW_TRACKING_TOKEN"] = orq_local.token
            mlflow.start_run()
            SERVER.append(orq_mlflow)

        def test_check():
            assert SERVER[0].only_run().status == "KILLED"
        """
    )
    result = pytester.runpytest(*INNER[:4], "-W", "default")
    result.assert_outcomes(passed=2, warnings=1)


def test_warnings_as_errors_turn_the_left_open_run_into_a_teardown_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import mlflow

        def test_leave_open(orq_studio):
            mlflow.set_tracking_uri(orq_studio.tracking_uri)
            import os; os.environ["MLFLOW_TRACKING_TOKEN"] = orq_studio.token
            mlflow.start_run()
        """
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=1, errors=1)


def test_nothing_is_written_outside_the_sandbox(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "real-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    pytester.makepyfile(test_example=EXAMPLE)
    before = sorted(p.name for p in pytester.path.iterdir())
    pytester.runpytest(*INNER).assert_outcomes(passed=3)
    assert list(home.iterdir()) == []
    assert sorted(p.name for p in pytester.path.iterdir()) == before


@pytest.mark.parametrize("order", ["fs, orq_env, orq_mlflow", "orq_env, orq_mlflow, fs"])
def test_pyfakefs_in_either_order(pytester: pytest.Pytester, order: str) -> None:
    pytester.makepyfile(
        test_fs=EXAMPLE.replace("def test_train(orq_env, orq_mlflow):", f"def test_train({order}):")
        + f"""

def test_sandbox_is_in_the_fake_filesystem({order}):
    import os
    assert fs.exists(orq_env.sandbox.root)
    assert fs.exists(orq_env.home)
    if orq_env.remote:
        assert fs.exists(os.environ["ORQUESTRA_PASSPORT_FILE"])
    else:
        assert fs.exists(orq_env.config_path)
    assert fs.exists(om.get_temp_artifacts_dir())
"""
    )
    pytester.runpytest(*INNER).assert_outcomes(passed=6)


def test_under_xdist_and_random_order(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_example=EXAMPLE)
    pytester.makepyfile(
        test_more="""
        import os

        def test_one(orq_env):
            os.environ["LEAK"] = "1"

        def test_two(orq_env):
            assert "LEAK" not in os.environ
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "randomly", "-W", "error")
    result.assert_outcomes(passed=9)


def test_the_plugin_state_is_not_shared_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_order="""
        import os
        import mlflow
        import orquestra_mlflow as om

        def test_a(orq_env, orq_mlflow):
            os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(orq_env.workspace_id, orq_env.config_name)
            os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(orq_env.config_name)
            with mlflow.start_run():
                pass
            assert len(orq_mlflow.runs) == 1

        def test_b(orq_env, orq_mlflow):
            assert orq_mlflow.runs == [] and orq_mlflow.requests == []
        """
    )
    result = pytester.runpytest("-p", "randomly", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=6)


def test_outer_environment_untouched_by_inner_runs() -> None:
    assert "ORQ_CURRENT_CLUSTER" not in os.environ or os.environ.get("ORQ_CURRENT_CLUSTER")
