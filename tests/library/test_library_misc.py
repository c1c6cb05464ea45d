"""Workspace IDs, the artifacts dir, the current user, error types, secrecy, import cost."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import orquestra_mlflow as om
from pytest_orq_mlflow import OrqEnvironment, make_token

BAD_IDS = ["", ".", "..", "a/b", "has space", "ws\n", 5, None, b"ws"]


@pytest.mark.parametrize("workspace_id", BAD_IDS, ids=repr)
def test_bad_workspace_ids_raise_and_send_nothing(
    orq_env: OrqEnvironment, workspace_id: object
) -> None:
    with pytest.raises(om.InvalidArgumentError) as info:
        om.get_tracking_uri(workspace_id, orq_env.config_name)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert orq_env.catalog.requests == [] and orq_env.server.requests == []


# -- artifacts dir ---------------------------------------------------------------------------


def test_artifacts_dir_override(orq_local: OrqEnvironment) -> None:
    target = orq_local.sandbox.root / "my" / "artifacts"
    orq_local.set_variable("ORQ_MLFLOW_ARTIFACTS_DIR", str(target))
    assert om.get_temp_artifacts_dir() == target and target.is_dir()


def test_artifacts_dir_default_under_home_at_call_time(orq_local: OrqEnvironment) -> None:
    assert om.get_temp_artifacts_dir() == orq_local.home / ".orquestra/mlflow/artifacts"
    orq_local.set_variable("HOME", str(orq_local.sandbox.root / "h2"))
    path = om.get_temp_artifacts_dir()
    assert path == orq_local.sandbox.root / "h2/.orquestra/mlflow/artifacts" and path.is_dir()


def test_artifacts_dir_from_many_threads(orq_local: OrqEnvironment) -> None:
    with ThreadPoolExecutor(16) as pool:
        paths = set(pool.map(lambda _: om.get_temp_artifacts_dir(), range(64)))
    assert paths == {orq_local.artifacts_dir}


def test_artifacts_dir_from_many_processes(orq_local: OrqEnvironment) -> None:
    target = orq_local.sandbox.root / "procs" / "a" / "b"
    orq_local.set_variable("ORQ_MLFLOW_ARTIFACTS_DIR", str(target))
    code = "import orquestra_mlflow as om; print(om.get_temp_artifacts_dir())"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    outputs = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert outputs == {str(target)} and all(proc.returncode == 0 for proc in procs)


def test_artifacts_dir_that_is_a_file(orq_ce: OrqEnvironment) -> None:
    path = orq_ce.sandbox.root / "a-file"
    path.write_text("x")
    orq_ce.set_variable("ORQ_MLFLOW_ARTIFACTS_DIR", str(path))
    with pytest.raises(om.ArtifactsDirError, match=str(path)) as info:
        om.get_temp_artifacts_dir()
    assert isinstance(info.value, OSError)


# -- current user ----------------------------------------------------------------------------


def test_current_user_remote_from_the_variable(orq_studio: OrqEnvironment) -> None:
    assert om.get_current_user() == "tester@example.com"
    orq_studio.set_variable("ORQ_CURRENT_USER", "other@example.com")
    assert om.get_current_user() == "other@example.com"
    orq_studio.remove_variable("ORQ_CURRENT_USER")
    assert om.get_current_user() == "tester@example.com"  # from the passport's email claim


def test_current_user_local_from_the_token(orq_local: OrqEnvironment) -> None:
    assert om.get_current_user("prod-d") == orq_local.user
    orq_local.set_variable("ORQ_CURRENT_USER", "env@example.com")
    assert om.get_current_user("prod-d") == "env@example.com"


def test_current_user_bad_tokens(orq_local: OrqEnvironment) -> None:
    orq_local.sandbox.write_config("prod-d", orq_local.cluster_uri, "not-a-jwt")
    with pytest.raises(om.TokenError, match="not a valid JWT") as info:
        om.get_current_user("prod-d")
    assert isinstance(info.value, ValueError)
    orq_local.sandbox.write_config("prod-d", orq_local.cluster_uri, make_token(None))
    with pytest.raises(om.TokenError, match="no 'email' claim"):
        om.get_current_user("prod-d")


# -- errors and secrecy ----------------------------------------------------------------------


def test_every_error_is_also_the_builtin() -> None:
    pairs = {
        om.InvalidArgumentError: ValueError,
        om.ConfigError: ValueError,
        om.ConfigFileNotFoundError: OSError,
        om.MissingEnvironmentVariableError: OSError,
        om.PassportError: OSError,
        om.TokenError: ValueError,
        om.ArtifactsDirError: OSError,
        om.MalformedCatalogResponseError: ValueError,
    }
    for error, builtin in pairs.items():
        assert issubclass(error, om.OrquestraMlflowError) and issubclass(error, builtin)


def test_token_never_appears_in_errors_or_warnings(orq_env: OrqEnvironment) -> None:
    token = orq_env.token
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if orq_env.remote:
            om.get_tracking_token("some-config")
            for mode in ("500", "garbage", "timeout", "no-namespace"):
                orq_env.break_catalog(mode)  # type: ignore[arg-type]
                with pytest.raises(om.OrquestraMlflowError) as info:
                    om.get_tracking_uri(orq_env.workspace_id)
                texts += [str(info.value), repr(info.value)]
            orq_env.refuse_catalog(401)
            with pytest.raises(om.OrquestraMlflowError) as info:
                om.get_tracking_uri(orq_env.workspace_id)
            texts += [str(info.value), repr(info.value)]
        else:
            from orquestra_mlflow.config import read_config

            texts.append(repr(read_config("prod-d")))
            with pytest.raises(om.OrquestraMlflowError) as info:
                om.get_tracking_uri("ws-1", "nope")
            texts.append(str(info.value))
    texts += [str(w.message) for w in caught]
    assert texts and not [t for t in texts if token in t]


def test_importing_the_library_is_cheap() -> None:
    code = (
        "import sys, orquestra_mlflow\n"
        "print(sorted(m for m in ('requests', 'jwt', 'mlflow', 'responses', 'pyfakefs', 'pydantic')"
        " if m in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def test_environment_detection(orq_env: OrqEnvironment) -> None:
    environment = om.detect_environment()
    assert environment.is_remote == orq_env.remote == om.is_remote()
    assert Path(os.environ["HOME"]) == orq_env.home
