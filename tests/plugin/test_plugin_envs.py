"""The environment fixtures: what each one applies, the handle, ``orq_env``, marker and option."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import orquestra_mlflow as om
from pytest_orq_mlflow import OrqEnvironment
from pytest_orq_mlflow.jwt_tokens import claims_of

from .conftest import INNER

PLATFORM = (
    "ORQ_CURRENT_CLUSTER",
    "ORQ_CURRENT_WORKSPACE",
    "ORQ_CURRENT_PROJECT",
    "ORQ_CURRENT_USER",
    "ORQUESTRA_PASSPORT_FILE",
    "ORQ_MLFLOW_CR_NAME",
    "ORQ_MLFLOW_PORT",
    "ORQ_MLFLOW_ARTIFACTS_DIR",
)


def test_local_has_a_login_config_and_no_cluster_variables(orq_local: OrqEnvironment) -> None:
    assert orq_local.kind == "local" and not orq_local.remote
    assert not [name for name in PLATFORM if name in os.environ]
    assert Path.home() == orq_local.home
    document = json.loads((orq_local.home / ".orquestra" / "config.json").read_text())
    config = document["configs"]["prod-d"]
    assert config["runtime_name"] == "CE_REMOTE"
    assert config["runtime_options"]["uri"] == "https://prod-d.orquestra.io"
    assert claims_of(config["runtime_options"]["token"])["email"] == "tester@example.com"
    assert orq_local.config_name == "prod-d"
    assert om.get_tracking_uri(orq_local.workspace_id, "prod-d") == orq_local.tracking_uri
    assert orq_local.tracking_uri == "https://prod-d.orquestra.io/mlflow/ws-test"
    assert om.get_tracking_token("prod-d") == orq_local.token
    assert om.get_current_user("prod-d") == orq_local.user == "tester@example.com"
    assert om.get_temp_artifacts_dir() == orq_local.artifacts_dir


@pytest.mark.parametrize("fixture", ["orq_studio", "orq_ce"])
def test_remote_sets_every_platform_variable(request: pytest.FixtureRequest, fixture: str) -> None:
    env: OrqEnvironment = request.getfixturevalue(fixture)
    assert env.kind == fixture.removeprefix("orq_") and env.remote
    assert {name: os.environ[name] for name in PLATFORM} == {
        "ORQ_CURRENT_CLUSTER": "prod-d.orquestra.io",
        "ORQ_CURRENT_WORKSPACE": "ws-test",
        "ORQ_CURRENT_PROJECT": "project-1",
        "ORQ_CURRENT_USER": "tester@example.com",
        "ORQUESTRA_PASSPORT_FILE": str(env.passport_path),
        "ORQ_MLFLOW_CR_NAME": "mlflow",
        "ORQ_MLFLOW_PORT": "8080",
        "ORQ_MLFLOW_ARTIFACTS_DIR": str(env.artifacts_dir),
    }
    assert env.passport_path.read_text().strip() == env.token
    assert env.config_name is None
    assert (
        om.get_tracking_uri(env.workspace_id) == env.tracking_uri == "http://mlflow.ws-test-ns:8080"
    )
    assert om.get_tracking_token() == env.token
    assert om.get_current_user() == env.user
    assert om.get_temp_artifacts_dir() == env.artifacts_dir
    assert env.artifacts_dir.is_relative_to(env.sandbox.root)


def test_remote_catalog_answers_only_the_simulated_workspace(orq_studio: OrqEnvironment) -> None:
    with pytest.raises(om.WorkspaceNotFoundError, match="ws-other"):
        om.get_tracking_uri("ws-other")
    assert len(orq_studio.catalog.lookups("ws-other")) == 1


def test_the_handle_and_orq_mlflow_share_the_server(
    orq_env: OrqEnvironment, orq_mlflow: object
) -> None:
    assert orq_env.server is orq_mlflow
    assert orq_env.kind in ("local", "studio", "ce")


def test_orq_env_ids(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(orq_env):\n    assert orq_env.kind\n")
    result = pytester.runpytest(*INNER, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_it?local?", "*test_it?studio?", "*test_it?ce?"])


def test_marker_narrows_and_option_narrows_further(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.orq_env("studio", "ce")
        def test_remote_only(orq_env):
            assert orq_env.remote

        def test_all(orq_env):
            pass
        """
    )
    result = pytester.runpytest(*INNER, "--strict-markers", "-v")
    result.assert_outcomes(passed=5)
    result = pytester.runpytest(*INNER, "--strict-markers", "-v", "--orq-env=ce,local")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_remote_only?ce? PASSED*"])
    result.stdout.no_fnmatch_line("*studio*")


def test_unknown_environment_names_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.orq_env("cloud")
        def test_it(orq_env):
            pass
        """
    )
    result = pytester.runpytest(*INNER)
    result.stdout.fnmatch_lines(["*unknown Orquestra environment*'cloud'*local, studio, ce*"])
    assert result.ret != 0
    result = pytester.runpytest(*INNER, "--orq-env=lokal")
    result.stderr.fnmatch_lines(["*--orq-env: unknown Orquestra environment*'lokal'*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_developer_shell_variables_are_removed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORQ_CURRENT_CLUSTER", "my.real.cluster")
    monkeypatch.setenv("ORQUESTRA_PASSPORT_FILE", "/real/passport")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://real-mlflow.example")
    monkeypatch.setenv("ORQ_CONFIG_PATH", "/real/config.json")
    pytester.makepyfile(
        """
        import os

        def test_env(orq_env):
            assert os.environ.get("MLFLOW_TRACKING_URI") is None
            assert "ORQ_CONFIG_PATH" not in os.environ
            if orq_env.kind == "local":
                assert "ORQ_CURRENT_CLUSTER" not in os.environ
            else:
                assert os.environ["ORQ_CURRENT_CLUSTER"] == "prod-d.orquestra.io"
                assert os.environ["ORQUESTRA_PASSPORT_FILE"] != "/real/passport"
        """
    )
    pytester.runpytest(*INNER).assert_outcomes(passed=3)
    assert os.environ["MLFLOW_TRACKING_URI"] == "https://real-mlflow.example"


def test_harness_variables_make_mlflow_fail_fast(orq_env: OrqEnvironment) -> None:
    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "true"
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"
    assert int(os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"]) <= 5


def test_a_wrong_url_fails_fast(orq_env: OrqEnvironment) -> None:
    import time

    import mlflow

    mlflow.set_tracking_uri("http://wrong-host.invalid:5000")
    started = time.monotonic()
    with pytest.raises(mlflow.exceptions.MlflowException):
        mlflow.search_experiments()
    assert time.monotonic() - started < 1.0


def test_orq_artifacts_dir(orq_ce: OrqEnvironment, orq_artifacts_dir: Path) -> None:
    assert orq_artifacts_dir == om.get_temp_artifacts_dir() == orq_ce.artifacts_dir
    assert orq_artifacts_dir.is_dir()


def test_orq_artifacts_dir_alone_is_local(orq_artifacts_dir: Path) -> None:
    assert orq_artifacts_dir == om.get_temp_artifacts_dir()
    assert orq_artifacts_dir == Path.home() / ".orquestra" / "mlflow" / "artifacts"
    assert "ORQ_CURRENT_CLUSTER" not in os.environ


def test_settings_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from pytest_orq_mlflow import OrqSettings

        @pytest.fixture
        def orq_settings():
            return OrqSettings(workspace_id="my-ws", namespace="my-ns", user="me@example.com",
                               cluster="c.example.io", config_name="c", port=5000, cr_name="ml")
        """
    )
    pytester.makepyfile(
        """
        import orquestra_mlflow as om

        def test_it(orq_env):
            assert orq_env.workspace_id == "my-ws"
            assert om.get_tracking_uri("my-ws", orq_env.config_name) == orq_env.tracking_uri
            assert om.get_current_user(orq_env.config_name) == "me@example.com"
            if orq_env.remote:
                assert orq_env.tracking_uri == "http://ml.my-ns:5000"
            else:
                assert orq_env.tracking_uri == "https://c.example.io/mlflow/my-ws"
        """
    )
    pytester.runpytest(*INNER).assert_outcomes(passed=3)


def test_two_environments_in_one_test_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(orq_local, orq_ce):\n    pass\n")
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*a test runs in one simulated environment*"])


def test_orq_env_requested_dynamically_says_how_to_use_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(request):\n    request.getfixturevalue('orq_env')\n")
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*orq_env is parametrized by the plugin only when*"])
