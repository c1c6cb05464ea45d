"""Handle methods that change the environment, so users can test their failure paths."""

from __future__ import annotations

import os

import mlflow
import pytest

import orquestra_mlflow as om
from pytest_orq_mlflow import OrqEnvironment


def log_one_run(env: OrqEnvironment) -> None:
    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(env.workspace_id, env.config_name)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(env.config_name)
    with mlflow.start_run():
        mlflow.log_param("a", 1)


def test_rotate_token(orq_env: OrqEnvironment) -> None:
    old = orq_env.token
    new = orq_env.rotate_token()
    assert new != old and orq_env.token == new
    assert om.get_tracking_token(orq_env.config_name) == new
    assert new in orq_env.server.accepted_tokens and old not in orq_env.server.accepted_tokens
    orq_env.run_task(log_one_run, orq_env)
    assert orq_env.server.only_run().params == {"a": "1"}


def test_expired_token_is_refused_by_the_server(orq_env: OrqEnvironment) -> None:
    orq_env.expire_token()
    if orq_env.remote:  # the catalog refuses the expired passport first
        with pytest.raises(om.PassportRefusedError):
            orq_env.run_task(log_one_run, orq_env)
    else:
        with pytest.raises(mlflow.exceptions.MlflowException, match="expired"):
            orq_env.run_task(log_one_run, orq_env)
    assert orq_env.server.runs == []


@pytest.mark.orq_env("studio", "ce")
@pytest.mark.parametrize("status", [401, 403])
def test_refuse_catalog(orq_env: OrqEnvironment, status: int) -> None:
    orq_env.refuse_catalog(status)
    with pytest.raises(om.PassportRefusedError, match=f"HTTP {status}"):
        om.get_tracking_uri(orq_env.workspace_id)
    orq_env.heal_catalog()
    assert om.get_tracking_uri(orq_env.workspace_id) == orq_env.tracking_uri


# break_catalog's effect on every failure mode: tests/library/test_library_remote.py.


@pytest.mark.orq_env("studio", "ce")
@pytest.mark.parametrize(
    "name", ["ORQ_MLFLOW_CR_NAME", "ORQ_MLFLOW_PORT", "ORQUESTRA_PASSPORT_FILE"]
)
def test_remove_variable_reaches_the_test_and_its_tasks(orq_env: OrqEnvironment, name: str) -> None:
    orq_env.remove_variable(name)
    assert name not in os.environ
    with pytest.raises(om.MissingEnvironmentVariableError, match=name):
        orq_env.run_task(om.get_tracking_uri, orq_env.workspace_id)


def test_set_variable(orq_ce: OrqEnvironment) -> None:
    orq_ce.set_variable("ORQ_MLFLOW_ARTIFACTS_DIR", str(orq_ce.sandbox.root / "elsewhere"))
    assert orq_ce.run_task(om.get_temp_artifacts_dir) == orq_ce.sandbox.root / "elsewhere"


def test_repr_does_not_show_the_token(orq_env: OrqEnvironment) -> None:
    assert orq_env.token not in repr(orq_env)
    assert orq_env.kind in repr(orq_env)
